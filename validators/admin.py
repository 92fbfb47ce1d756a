"""Admin of the validation queue mirror (read-only, like the received invoices' admin)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle
from chorusweb.admin import ReadOnlyAdminMixin
from chorusweb.workspace import LargeTablePaginator
from validators.models import ValidationDetail, ValidationInvoice


class ValidationDetailInline(admin.StackedInline):
    model = ValidationDetail
    extra = 0
    can_delete = False
    fields = ["fetched_at", "answer"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class FrameworkFilter(admin.SimpleListFilter):
    title = _("cadre de facturation")
    parameter_name = "framework"

    def lookups(self, request, model_admin):
        return list(lifecycle.FRAMEWORK_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(framework=self.value()) if self.value() else queryset


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
    # Filters that never read the table to list their choices (no DISTINCT over every row).
    list_filter = ["state", FrameworkFilter, "connection", "deadline"]
    search_fields = ["invoice_number", "supplier_name", "supplier_code", "recipient_name", "=invoice_id"]
    # No date hierarchy (it reads the distinct dates of every row); no COUNT(*) of the table.
    list_select_related = ["connection"]
    ordering = ["deadline", "invoice_id"]  # the vi_deadline index
    inlines = [ValidationDetailInline]
    show_full_result_count = False
    paginator = LargeTablePaginator


@admin.register(ValidationDetail)
class ValidationDetailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "fetched_at"]
    search_fields = ["invoice__invoice_number", "invoice__supplier_name"]
    list_select_related = ["invoice"]
    show_full_result_count = False
