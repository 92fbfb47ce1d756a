"""Admin of the validation queue mirror (read-only, like the received invoices' admin)."""

from __future__ import annotations

from django.contrib import admin

from chorusweb.admin import ReadOnlyAdminMixin
from validators.models import ValidationDetail, ValidationInvoice


class ValidationDetailInline(admin.StackedInline):
    model = ValidationDetail
    extra = 0
    can_delete = False
    fields = ["fetched_at", "answer"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ValidationInvoice)
class ValidationInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "invoice_number",
        "supplier_name",
        "recipient_name",
        "framework",
        "level",
        "status",
        "state",
        "deposit_date",
        "deadline",
        "total_incl_tax",
        "connection",
    ]
    list_filter = ["state", "status", "framework", "level", "connection", "deadline"]
    search_fields = ["invoice_number", "supplier_name", "supplier_code", "recipient_name", "=invoice_id"]
    date_hierarchy = "deposit_date"
    list_select_related = ["connection"]
    ordering = ["deadline", "invoice_id"]
    inlines = [ValidationDetailInline]
    show_full_result_count = False


@admin.register(ValidationDetail)
class ValidationDetailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "fetched_at"]
    search_fields = ["invoice__invoice_number", "invoice__supplier_name"]
    list_select_related = ["invoice"]
    show_full_result_count = False
