"""Admin of the received invoices mirror: invoices with their timeline, documents (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle, search
from chorusweb.admin import ReadOnlyAdminMixin
from chorusweb.workspace import LargeTablePaginator
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


class StatusFilter(admin.SimpleListFilter):
    title = _("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(code, lifecycle.status_label(code)) for code in lifecycle.RECIPIENT_STATUSES]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class TypeFilter(admin.SimpleListFilter):
    title = _("type")
    parameter_name = "invoice_type"

    def lookups(self, request, model_admin):
        return [("FACTURE", _("Facture")), ("AVOIR", _("Avoir"))]

    def queryset(self, request, queryset):
        return queryset.filter(invoice_type=self.value()) if self.value() else queryset


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
    # Filters that never read the table to list their choices (no DISTINCT over every row).
    list_filter = [StatusFilter, "connection", "downloaded", TypeFilter, "deposit_date"]
    search_fields = ["search_text"]  # see get_search_results: the folded, trigram-indexed text
    search_help_text = _("Numéro, fournisseur ou SIRET, id Chorus Pro, service, engagement, marché.")
    list_select_related = ["connection"]
    inlines = [InvoiceEventInline]
    # Newest mirrored first, through the primary key: the deposit-date indexes start with the
    # connection, and a changelist across connections would sort the whole table (1.3-4 s at 1M).
    ordering = ["-pk"]
    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_queryset(self, request):
        # The changelist shows a few columns: the raw upstream JSON stays in the database.
        queryset = super().get_queryset(request)
        match = request.resolver_match
        return queryset.defer("raw") if match and match.url_name.endswith("_changelist") else queryset

    def get_search_results(self, request, queryset, search_term):
        from invoices.selectors import FTS_TABLE

        condition = search.contains_all(
            column="search_text", fts_table=FTS_TABLE, fts_column="search_text", term=search_term
        )
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "previous_status", "status", "occurred_at", "source"]
    list_filter = ["source", "status"]
    search_fields = ["invoice__invoice_number", "invoice__supplier_name"]
    list_select_related = ["invoice"]
    show_full_result_count = False
    paginator = LargeTablePaginator


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
