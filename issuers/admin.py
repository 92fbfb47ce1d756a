"""Admin of the issued invoices mirror (read-only, like the other mirrors)."""

from __future__ import annotations

from django.contrib import admin

from chorusweb.admin import ReadOnlyAdminMixin
from chorusweb.workspace import LargeTablePaginator
from issuers.models import IssuedInvoice, IssuedStatusChange


class StatusChangeInline(admin.TabularInline):
    model = IssuedStatusChange
    extra = 0
    can_delete = False
    fields = ["status", "changed_at", "comment", "seen_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(IssuedInvoice)
class IssuedInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice_number", "recipient_name", "service_code", "status", "total_incl_tax", "deposit_date"]
    list_filter = ["status", "connection"]
    search_fields = ["invoice_number", "recipient_name", "recipient_code", "=invoice_id"]
    list_select_related = ["connection"]
    exclude = ["raw"]
    inlines = [StatusChangeInline]
    ordering = ["-pk"]
    show_full_result_count = False
    paginator = LargeTablePaginator
