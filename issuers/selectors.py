"""Reads of the issued invoices mirror, always scoped by the user's issuer memberships."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.lists import KnownCountPaginator, TabCount
from chorusweb.models import AuditEntry, Workspace
from chorusweb.money import net_amount
from chorusweb.selection import SelectionSummary, summarize
from chorusweb.sync import SyncStatus, sync_statuses
from issuers.models import IssuedInvoice, IssuedStatusChange


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    statuses: tuple[str, ...] | None  # None: every status (or, for `others`, those of no other tab)
    others: bool = False

    def holds(self, status: str) -> bool:
        if self.others:
            return status not in KNOWN_STATUSES
        return self.statuses is None or status in self.statuses


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

TABS: tuple[Tab, ...] = (
    Tab("deposees", _("Déposées"), DEPOSITED),
    Tab("mises-a-disposition", _("Mises à disposition"), AVAILABLE),
    Tab("suspendues", _("Suspendues — à compléter"), (lc.SUSPENDUE,)),
    Tab("a-recycler", _("À recycler"), (lc.A_RECYCLER,)),
    Tab("rejetees", _("Rejetées"), (lc.REJETEE,)),
    Tab("payees", _("Payées"), PAID),
    # A status no other tab holds (one Chorus Pro adds tomorrow): counted and listed, never lost.
    Tab("autres", _("Autres statuts"), None, others=True),
    Tab("toutes", _("Toutes"), None),
)
KNOWN_STATUSES = frozenset(s for tab in TABS if tab.statuses for s in tab.statuses)
TABS_BY_SLUG = {t.slug: t for t in TABS}
DEFAULT_TAB = "toutes"

SORTS: dict[str, tuple[str, ...]] = {
    "depot": ("deposit_date", "invoice_id"),
    "date": ("invoice_date", "invoice_id"),
    "numero": ("invoice_number", "invoice_id"),
    "destinataire": ("recipient_name", "invoice_id"),
    "ttc": ("net_incl_tax", "invoice_id"),  # signed: credit notes first, ascending
}
DEFAULT_SORT = "-depot"

LIST_FIELDS = (
    "id",
    "connection_id",
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "status",
    "status_changed_at",
    "invoice_date",
    "deposit_date",
    "total_excl_tax",
    "total_incl_tax",
    "currency",
    "recipient_code",
    "recipient_name",
    "service_code",
    "service_name",
    "net_excl_tax",
    "net_incl_tax",
)


@dataclass(frozen=True)
class IssuedFilters:
    tab: str = DEFAULT_TAB
    connection_id: int | None = None
    recipient: str = ""
    number: str = ""
    deposit_from: date | None = None
    deposit_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sort: str = DEFAULT_SORT

    @property
    def tab_obj(self) -> Tab:
        return TABS_BY_SLUG.get(self.tab, TABS_BY_SLUG[DEFAULT_TAB])


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
    if f.connection_id:
        qs = qs.filter(connection_id=f.connection_id)
    if f.recipient:
        term = f.recipient.strip()
        qs = qs.filter(
            Q(recipient_name__icontains=term)
            | Q(recipient_code__contains=term.replace(" ", ""))
            | Q(service_code__iexact=term)
        )
    if f.number:
        qs = qs.filter(invoice_number__icontains=f.number.strip())
    if f.deposit_from:
        qs = qs.filter(deposit_date__gte=f.deposit_from)
    if f.deposit_to:
        qs = qs.filter(deposit_date__lte=f.deposit_to)
    if f.amount_min is not None:
        qs = qs.filter(total_incl_tax__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(total_incl_tax__lte=f.amount_max)
    return qs


def _order(f: IssuedFilters) -> list[str]:
    key = f.sort.lstrip("-")
    desc = f.sort.startswith("-")
    if key not in SORTS:
        key, desc = DEFAULT_SORT.lstrip("-"), True
    return [f"-{name}" if desc else name for name in SORTS[key]]


def _rows(user, filters: IssuedFilters) -> QuerySet:
    base = _filtered(issued_scope(user=user), filters)
    tab = filters.tab_obj
    if tab.others:
        rows = base.exclude(status__in=KNOWN_STATUSES)
    else:
        rows = base if tab.statuses is None else base.filter(status__in=tab.statuses)
    # amounts as they count: a credit note's negative (totals, sort by amount, the rows shown)
    return rows.annotate(net_excl_tax=net_amount("total_excl_tax"), net_incl_tax=net_amount("total_incl_tax"))


def issued_selection_summary(*, user, ids: list[int]) -> SelectionSummary:
    """The count and net totals of the selected invoices the user sees: one aggregate."""
    if not ids:
        return SelectionSummary()
    rows = issued_scope(user=user).filter(pk__in=ids)
    return summarize(rows, excl_tax=net_amount("total_excl_tax"), incl_tax=net_amount("total_incl_tax"))


def issued_view_ids(*, user, filters: IssuedFilters, limit: int) -> tuple[list[int], int]:
    """The ids of every invoice of the current view (tab, filters, sort), at most `limit`, and
    how many the view holds (counted up to `limit` + 1: over it means "too many")."""
    pks = list(_rows(user, filters).order_by(*_order(filters)).values_list("pk", flat=True)[: limit + 1])
    return pks[:limit], len(pks)


def issued_list(*, user, filters: IssuedFilters, page: int | str = 1, per_page: int = 50) -> IssuedPage:
    """One page of the list with every tab's count (grouped counts, then the page's rows)."""
    base = _filtered(issued_scope(user=user), filters)
    by_status: dict[str, int] = {}
    totals: dict[str, Decimal] = {}
    for row in base.order_by().values("status").annotate(n=Count("id"), ttc=Sum(net_amount("total_incl_tax"))):
        by_status[row["status"]] = row["n"]
        totals[row["status"]] = row["ttc"] or Decimal(0)

    def count_of(tab: Tab) -> int:
        return sum(n for status, n in by_status.items() if tab.holds(status))

    active = filters.tab_obj
    keys = [s for s in by_status if active.holds(s)]
    rows = _rows(user, filters).order_by(*_order(filters)).values(*LIST_FIELDS)
    page_obj = KnownCountPaginator(rows, per_page, count_of(active)).get_page(page)
    return IssuedPage(
        page=page_obj,
        rows=list(page_obj.object_list),
        tabs=[TabCount(tab, count_of(tab)) for tab in TABS],
        total_count=count_of(active),
        total_incl_tax=sum((totals[k] for k in keys), Decimal(0)),
        filters=filters,
        by_status=by_status,
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
    invoice = issued_scope(user=user, action=action).select_related("connection").filter(pk=pk).first()
    if invoice is None:
        raise Http404(_("Facture introuvable."))
    return invoice


def issued_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_ISSUED) -> list[IssuedInvoice]:
    found = {inv.pk: inv for inv in issued_scope(user=user, action=action).filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


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
