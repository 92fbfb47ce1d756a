"""Reads of the issued invoices mirror, always scoped by the user's issuer memberships."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb import workspace
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.models import AuditEntry, Workspace
from chorusweb.money import net_amount
from chorusweb.selection import SelectionSummary
from chorusweb.sync import SyncStatus, sync_statuses
from chorusweb.workspace import GroupedCounts, ListFilters, Tab, TabCount
from issuers.models import IssuedInvoice, IssuedStatusChange

#: Paid: the recipient has ordered the payment (Mise en paiement).
PAID = (lc.MISE_EN_PAIEMENT,)
DEPOSITED = (lc.DEPOSEE, lc.EN_COURS_ACHEMINEMENT)
AVAILABLE = (
    lc.MISE_A_DISPOSITION,
    lc.COMPLETEE,
    lc.PRISE_EN_COMPTE_DESTINATAIRE,
    lc.SERVICE_FAIT,
    lc.MANDATEE,
    lc.MISE_A_DISPOSITION_COMPTABLE,
    lc.COMPTABILISEE,
)

TABS: tuple[Tab, ...] = workspace.tab_set(
    Tab("deposees", _("Déposées"), DEPOSITED),
    Tab("mises-a-disposition", _("Mises à disposition"), AVAILABLE),
    Tab("suspendues", _("Suspendues — à compléter"), (lc.SUSPENDUE,)),
    Tab("a-recycler", _("À recycler"), (lc.A_RECYCLER,)),
    Tab("rejetees", _("Rejetées"), (lc.REJETEE,)),
    Tab("payees", _("Payées"), PAID),
    # A status no other tab holds (one Chorus Pro adds tomorrow): counted and listed, never lost.
    workspace.OTHER_STATUSES,
    workspace.ALL_STATUSES,
)
DEFAULT_TAB = "toutes"

SORTS: dict[str, tuple[str, ...]] = {
    **workspace.SORTS,
    "destinataire": ("recipient_name", "invoice_id"),
    "ttc": ("net_incl_tax", "invoice_id"),  # signed: credit notes first, ascending
}
DEFAULT_SORT = "-depot"

LIST_FIELDS = (*workspace.LIST_FIELDS, "status_changed_at", "recipient_code")


@dataclass(frozen=True)
class IssuedFilters(ListFilters, tabs=TABS):
    tab: str = DEFAULT_TAB
    recipient: str = ""
    sort: str = DEFAULT_SORT


@dataclass
class IssuedPage:
    page: Page
    rows: list[dict]
    tabs: list[TabCount]
    total_count: int
    total_incl_tax: Decimal
    filters: IssuedFilters
    by_status: dict[str, int] = field(default_factory=dict)


def issued_scope(*, user, action: Action = Action.VIEW_ISSUED) -> QuerySet[IssuedInvoice]:
    """Every mirrored issued invoice the user may see (or act on, for `action`)."""
    return IssuedInvoice.objects.filter(access_for(user).scope(action))


def _filtered(qs: QuerySet, f: IssuedFilters) -> QuerySet:
    qs = f.shared(qs)
    if f.recipient:
        term = f.recipient.strip()
        qs = qs.filter(
            Q(recipient_name__icontains=term)
            | Q(recipient_code__contains=term.replace(" ", ""))
            | Q(service_code__iexact=term)
        )
    return qs


def _order(f: IssuedFilters) -> list[str]:
    return workspace.sort_order(f.sort, SORTS, DEFAULT_SORT)


def _rows(user, filters: IssuedFilters) -> QuerySet:
    rows = filters.tab_obj.rows(_filtered(issued_scope(user=user), filters))
    # amounts as they count: a credit note's negative (totals, sort by amount, the rows shown)
    return rows.annotate(net_excl_tax=net_amount("total_excl_tax"), net_incl_tax=net_amount("total_incl_tax"))


def issued_selection_summary(*, user, ids: list[int]) -> SelectionSummary:
    """The count and net totals of the selected invoices the user sees: one aggregate."""
    return workspace.selection_of(issued_scope, user=user, ids=ids)


def issued_view_ids(*, user, filters: IssuedFilters, limit: int) -> tuple[list[int], int]:
    """The ids of every invoice of the current view (tab, filters, sort), at most `limit`, and
    how many the view holds (counted up to `limit` + 1: over it means "too many")."""
    return workspace.first_ids(_rows(user, filters).order_by(*_order(filters)), limit)


def issued_list(*, user, filters: IssuedFilters, page: int | str = 1, per_page: int = 50) -> IssuedPage:
    """One page of the list with every tab's count (grouped counts, then the page's rows)."""
    counts = GroupedCounts.query(_filtered(issued_scope(user=user), filters), ttc=Sum(net_amount("total_incl_tax")))
    tab = filters.tab_obj
    rows = _rows(user, filters).order_by(*_order(filters)).values(*LIST_FIELDS)
    page_obj = workspace.tab_page(rows, counts, tab, page=page, per_page=per_page)
    return IssuedPage(
        page=page_obj,
        rows=list(page_obj.object_list),
        tabs=counts.tab_counts(TABS),
        total_count=counts.count(tab),
        total_incl_tax=counts.total(tab, "ttc"),
        filters=filters,
        by_status=counts.by_status,
    )


EXPORT_FIELDS = (
    "invoice_number",
    "invoice_type",
    "recipient_name",
    "recipient_code",
    "service_code",
    "invoice_date",
    "deposit_date",
    "status",
    "status_changed_at",
    "total_excl_tax",
    "total_incl_tax",
    "currency",
    "invoice_id",
)


def issued_iter_export(*, user, filters: IssuedFilters, ids: list[int] | None = None) -> Iterator[tuple]:
    """The rows of the CSV export: the current view, or the selection when `ids` is given."""
    qs = issued_scope(user=user).filter(pk__in=ids) if ids else _rows(user, filters)
    return qs.order_by(*_order(filters)).values_list(*EXPORT_FIELDS).iterator(chunk_size=2000)


def issued_get(*, user, pk: int, action: Action = Action.VIEW_ISSUED) -> IssuedInvoice:
    return workspace.visible_row(issued_scope(user=user, action=action), pk)


def issued_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_ISSUED) -> list[IssuedInvoice]:
    return workspace.in_order(issued_scope(user=user, action=action), ids)


def issued_audit(*, invoice: IssuedInvoice) -> list[AuditEntry]:
    return audit_trail(connection_id=invoice.connection_id, workspace=Workspace.ISSUED, invoice_id=invoice.invoice_id)


@dataclass(frozen=True)
class TimelineEvent:
    at: object  # date or datetime
    label: str
    detail: str = ""
    css: str = ""


def issued_timeline(*, invoice: IssuedInvoice) -> list[TimelineEvent]:
    """What happened to the invoice, oldest first: dates, statuses seen, our own actions."""
    events: list[TimelineEvent] = []
    if invoice.invoice_date:
        events.append(TimelineEvent(invoice.invoice_date, str(_("Facture datée"))))
    if invoice.deposit_date:
        events.append(
            TimelineEvent(invoice.deposit_date, str(_("Déposée dans Chorus Pro")), invoice.deposit_flow_number)
        )
    for change in IssuedStatusChange.objects.filter(invoice=invoice).order_by("seen_at", "pk"):
        events.append(TimelineEvent(change.changed_at or change.seen_at, change.status_label, change.comment, "status"))
    for entry in issued_audit(invoice=invoice):
        events.append(TimelineEvent(entry.created_at, entry.summary, entry.get_state_display(), "action"))

    def key(event: TimelineEvent) -> datetime:
        if isinstance(event.at, datetime):
            return event.at
        # A day without a time (invoice, deposit dates) comes before what happened that day.
        return timezone.make_aware(datetime.combine(event.at, time.min))

    return sorted(events, key=key)


def issued_sync_statuses(*, user) -> list[SyncStatus]:
    return sync_statuses(user=user, workspace=Workspace.ISSUED, action=Action.VIEW_ISSUED)
