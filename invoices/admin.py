"""Admin of the received invoices mirror: invoices with their timeline, documents (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorusweb.admin import ReadOnlyAdminMixin
from invoices.models import InterestRate, InvoiceDocument, InvoiceEvent, ReceivedInvoice, StructureProfile
from invoices.tasks import payment_delay_recompute


class InvoiceEventInline(admin.TabularInline):
    model = InvoiceEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "previous_status", "status", "comment", "source", "audit"]
    readonly_fields = fields
    ordering = ["-occurred_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReceivedInvoice)
class ReceivedInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "invoice_number",
        "supplier_name",
        "service_code",
        "status",
        "deposit_date",
        "total_incl_tax",
        "downloaded",
        "connection",
    ]
    list_filter = ["status", "connection", "downloaded", "invoice_type", "deposit_date"]
    search_fields = ["invoice_number", "supplier_name", "supplier_code", "=invoice_id"]
    date_hierarchy = "deposit_date"
    list_select_related = ["connection"]
    inlines = [InvoiceEventInline]
    show_full_result_count = False


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "previous_status", "status", "occurred_at", "source"]
    list_filter = ["source", "status"]
    search_fields = ["invoice__invoice_number", "invoice__supplier_name"]
    list_select_related = ["invoice"]
    show_full_result_count = False


@admin.register(InvoiceDocument)
class InvoiceDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "kind", "size", "fetched_by", "fetched_at"]
    list_filter = ["kind"]
    search_fields = ["invoice__invoice_number"]
    list_select_related = ["invoice", "fetched_by"]
    verbose_name = _("document")


@admin.register(InterestRate)
class InterestRateAdmin(admin.ModelAdmin):
    """The late-payment rates by half-year; saving one re-estimates the clocks that use it."""

    list_display = ["__str__", "year", "half", "rate", "note"]
    ordering = ["-year", "-half"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        payment_delay_recompute.enqueue(running_only=True)
        self.message_user(request, _("Les estimations d'intérêts seront recalculées avec ce taux."))


@admin.register(StructureProfile)
class StructureProfileAdmin(admin.ModelAdmin):
    """Per Chorus Pro structure: its payment delay and the ordonnateur's share of it."""

    list_display = ["structure_name", "structure_code", "kind", "delay_days", "ordonnateur_days", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["structure_name", "structure_code"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        payment_delay_recompute.enqueue(running_only=False, structure_code=obj.structure_code)
        self.message_user(request, _("Les délais des factures de cette structure seront recalculés."))
