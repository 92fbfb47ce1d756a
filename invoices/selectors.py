"""Reads of the received invoices mirror, always scoped by the user's memberships.

A list page costs a constant number of queries whatever its size: one grouped query gives
the count and totals of every status under the current filters (hence the tab counts, the
page count and the totals), one query gives the page's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.lists import KnownCountPaginator, TabCount
from chorusweb.models import AuditEntry, Workspace
from chorusweb.sync import SyncStatus, sync_statuses
from invoices import facturx
from invoices.models import InvoiceDocument, InvoiceEvent, QueueStat, ReceivedInvoice


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    statuses: tuple[str, ...] | None  # None: every status


TABS: tuple[Tab, ...] = (
    Tab("a-traiter", _("À traiter"), (lc.MISE_A_DISPOSITION, lc.COMPLETEE)),
    Tab("service-fait", _("Service fait"), (lc.SERVICE_FAIT,)),
    Tab("suspendues", _("Suspendues"), (lc.SUSPENDUE,)),
    Tab("renvoyees", _("Renvoyées"), (lc.A_RECYCLER,)),
    Tab(
        "mandatees",
        _("Mandatées / chez le comptable"),
        (lc.MANDATEE, lc.MISE_A_DISPOSITION_COMPTABLE, lc.COMPTABILISEE),
    ),
    Tab("payees", _("Payées"), (lc.MISE_EN_PAIEMENT,)),
    Tab("rejetees", _("Rejetées"), (lc.REJETEE,)),
    Tab("toutes", _("Toutes"), None),
)
TABS_BY_SLUG = {t.slug: t for t in TABS}
DEFAULT_TAB = "a-traiter"

#: Sort keys offered on the list (URL value -> model fields), each backed by an index.
SORTS: dict[str, tuple[str, ...]] = {
    "depot": ("deposit_date", "invoice_id"),
    "date": ("invoice_date", "invoice_id"),
    "numero": ("invoice_number", "invoice_id"),
    "fournisseur": ("supplier_name", "invoice_id"),
    "service": ("service_code", "invoice_id"),
    "statut": ("status", "invoice_id"),
    "maj": ("status_changed_at", "invoice_id"),
    "ht": ("total_excl_tax", "invoice_id"),
    "ttc": ("total_incl_tax", "invoice_id"),
    "echeance": ("clock_order", "invoice_id"),
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
    "supplier_code",
    "supplier_name",
    "service_code",
    "service_name",
    "recipient_name",
    "downloaded",
    "clock_state",
    "clock_due",
    "clock_days_late",
    "clock_paid_in",
    "clock_interest",
    "clock_start_origin",
)

#: The clock filters of the list (URL value -> label), combinable with every tab.
CLOCK_FILTERS: dict[str, str] = {
    "retard": _("En retard"),
    "sept-jours": _("Échéance sous 7 jours"),
}
SOON_DAYS = 7


@dataclass(frozen=True)
class InvoiceFilters:
    """What the list shows: a tab, filters and a sort (from `InvoiceFilterForm`)."""

    tab: str = DEFAULT_TAB
    statuses: tuple[str, ...] = ()
    connection_id: int | None = None
    service_code: str = ""
    supplier: str = ""
    number: str = ""
    deposit_from: date | None = None
    deposit_to: date | None = None
    invoice_from: date | None = None
    invoice_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    downloaded: bool | None = None
    credit_notes: bool = False
    clock: str = ""  # a key of CLOCK_FILTERS, or ""
    sort: str = DEFAULT_SORT

    @property
    def tab_obj(self) -> Tab:
        return TABS_BY_SLUG.get(self.tab, TABS_BY_SLUG[DEFAULT_TAB])


@dataclass
class InvoiceList:
    page: Page
    tabs: list[TabCount]
    total_count: int
    total_excl_tax: Decimal
    total_incl_tax: Decimal
    filters: InvoiceFilters
    by_status: dict[str, int] = field(default_factory=dict)
    clock_counts: dict[str, int] = field(default_factory=dict)
    interest_total: Decimal = Decimal(0)
    today: date | None = None


def invoice_scope(*, user, action: Action = Action.VIEW_RECEIVED) -> QuerySet[ReceivedInvoice]:
    """Every mirrored invoice the user may see (or act on, for `action`)."""
    return ReceivedInvoice.objects.filter(access_for(user).scope(action))


#: Above this many matching supplier names, a name search tests every invoice instead.
NARROW_SUPPLIERS = 50


def _supplier_names(qs: QuerySet, term: str) -> list[str] | None:
    """The supplier names containing `term` (one index-only scan), or None when there are many."""
    names = list(
        qs.filter(supplier_name__icontains=term)
        .order_by()
        .values_list("supplier_name", flat=True)
        .distinct()[: NARROW_SUPPLIERS + 1]
    )
    return None if len(names) > NARROW_SUPPLIERS else names


def _is_name_search(f: InvoiceFilters) -> bool:
    return bool(f.supplier.strip()) and not f.supplier.replace(" ", "").isdigit()


_UNSET: list[str] = []


def _filtered(qs: QuerySet, f: InvoiceFilters, *, names: list[str] | None = _UNSET) -> QuerySet:
    """Apply the filters. `names`: the supplier names of a name search, when already known."""
    if f.connection_id:
        qs = qs.filter(connection_id=f.connection_id)
    if f.service_code:
        qs = qs.filter(service_code=f.service_code)
    if f.supplier:
        term = f.supplier.strip()
        digits = term.replace(" ", "")
        if digits.isdigit():  # a SIRET or SIREN, whole or partial
            qs = qs.filter(supplier_code__contains=digits)
        else:
            if names is _UNSET:
                names = _supplier_names(qs, term)
            if names is None:  # a broad term: test every invoice
                qs = qs.filter(supplier_name__icontains=term)
            else:  # a few suppliers: reach their invoices through the supplier index
                qs = qs.filter(supplier_name__in=names)
    if f.number:
        qs = qs.filter(invoice_number__icontains=f.number.strip())
    if f.deposit_from:
        qs = qs.filter(deposit_date__gte=f.deposit_from)
    if f.deposit_to:
        qs = qs.filter(deposit_date__lte=f.deposit_to)
    if f.invoice_from:
        qs = qs.filter(invoice_date__gte=f.invoice_from)
    if f.invoice_to:
        qs = qs.filter(invoice_date__lte=f.invoice_to)
    if f.amount_min is not None:
        qs = qs.filter(total_incl_tax__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(total_incl_tax__lte=f.amount_max)
    if f.downloaded is not None:
        qs = qs.filter(downloaded=f.downloaded)
    if f.credit_notes:
        qs = qs.filter(invoice_type="AVOIR")
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.clock:
        qs = _clock_filtered(qs, f.clock)
    return qs


def _clock_filtered(qs: QuerySet, key: str, today: date | None = None) -> QuerySet:
    """Running clocks past their due date ("retard") or due within 7 days ("sept-jours")."""
    if key not in CLOCK_FILTERS:
        return qs
    return qs.filter(_clock_q(key, today or timezone.localdate()))


def _clock_q(key: str, today: date) -> Q:
    if key == "retard":
        return Q(clock_state=pd.State.RUNNING, clock_due__lt=today)
    return Q(clock_state=pd.State.RUNNING, clock_due__gte=today, clock_due__lte=today + timedelta(days=SOON_DAYS))


def _clock_summary(qs: QuerySet, active: str, today: date) -> dict:
    """The count of each clock filter and the estimated interest of the view, in two queries.

    Both read covering indexes only: the running clocks due within 7 days or late (`ri_clock`),
    and the paid invoices that owe interest (`ri_clock_interest`).
    """
    near = qs.filter(clock_state=pd.State.RUNNING, clock_due__lte=today + timedelta(days=SOON_DAYS))
    summary = near.order_by().aggregate(
        **{key: Count("pk", filter=_clock_q(key, today)) for key in CLOCK_FILTERS},
        interest=Sum("clock_interest", filter=Q(clock_due__lt=today) if active != "sept-jours" else Q(pk__in=[])),
    )
    summary["interest"] = summary["interest"] or Decimal(0)
    if not active:  # the clock filters keep running clocks only: paid ones are outside them
        paid = (
            qs.filter(clock_state=pd.State.PAID, clock_interest__gt=0)
            .order_by()
            .aggregate(total=Sum("clock_interest"))["total"]
        )
        summary["interest"] += paid or Decimal(0)
    return summary


def _with_clock_labels(rows: list[dict], today: date) -> list[dict]:
    for row in rows:
        state, due = row["clock_state"], row["clock_due"]
        row["clock_label"] = pd.short_label(
            state=state, due=due, today=today, paid_in=row["clock_paid_in"], days_late=row["clock_days_late"]
        )
        row["clock_severity"] = pd.severity(state=state, due=due, today=today, days_late=row["clock_days_late"])
    return rows


def _order(f: InvoiceFilters) -> list[str]:
    if f.clock and f.sort == DEFAULT_SORT:
        # Due date first, in the order of the covering index `ri_clock` (no sort step).
        return ["clock_due", "connection_id", "service_code", "status", "clock_interest", "id"]
    key = f.sort.lstrip("-")
    fields = SORTS.get(key, SORTS[DEFAULT_SORT.lstrip("-")])
    desc = f.sort.startswith("-") if key in SORTS else True
    return [f"-{name}" if desc else name for name in fields]


def _active_statuses(f: InvoiceFilters) -> tuple[str, ...] | None:
    return f.tab_obj.statuses


def invoice_filtered(*, user, filters: InvoiceFilters) -> QuerySet[ReceivedInvoice]:
    """The rows of the current view (tab, filters, sort), not paginated."""
    qs = _filtered(invoice_scope(user=user), filters)
    statuses = _active_statuses(filters)
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    return qs.order_by(*_order(filters))


def _uses_only_bucket_filters(f: InvoiceFilters) -> bool:
    """True when the counts can come from QueueStat (filters on connection, service, status only)."""
    return not (
        f.supplier
        or f.number
        or f.deposit_from
        or f.deposit_to
        or f.invoice_from
        or f.invoice_to
        or f.amount_min is not None
        or f.amount_max is not None
        or f.downloaded is not None
        or f.credit_notes
        or f.clock
    )


def _grouped_counts(*, user, filters: InvoiceFilters, base: QuerySet, narrow: bool = False):
    """Count and totals per status under the filters: from the counters when possible."""
    if _uses_only_bucket_filters(filters):
        stats = QueueStat.objects.filter(access_for(user).scope(Action.VIEW_RECEIVED))
        if filters.connection_id:
            stats = stats.filter(connection_id=filters.connection_id)
        if filters.service_code:
            stats = stats.filter(service_code=filters.service_code)
        if filters.statuses:
            stats = stats.filter(status__in=filters.statuses)
        return [
            row
            for row in stats.order_by()
            .values("status")
            .annotate(n=Sum("count"), ht=Sum("total_excl_tax"), ttc=Sum("total_incl_tax"))
            if row["n"]
        ]
    if narrow:
        # A name search matched a few suppliers, whose invoices are reached through the
        # supplier index; summing those rows here keeps the database on that index (a GROUP BY
        # makes it walk every invoice of the connection instead).
        sums: dict[str, dict] = {}
        for status, ht, ttc in base.order_by().values_list("status", "total_excl_tax", "total_incl_tax"):
            row = sums.setdefault(status, {"status": status, "n": 0, "ht": Decimal(0), "ttc": Decimal(0)})
            row["n"] += 1
            row["ht"] += ht or 0
            row["ttc"] += ttc or 0
        return list(sums.values())
    return base.order_by().values("status").annotate(n=Count("id"), ht=Sum("total_excl_tax"), ttc=Sum("total_incl_tax"))


def invoice_list(*, user, filters: InvoiceFilters, page: int | str = 1, per_page: int = 50) -> InvoiceList:
    """One page of the list, with every tab's count and the totals of the filtered amounts."""
    scope = invoice_scope(user=user)
    names = _supplier_names(scope, filters.supplier.strip()) if _is_name_search(filters) else None
    base = _filtered(scope, filters, names=names)
    grouped = _grouped_counts(user=user, filters=filters, base=base, narrow=names is not None)
    by_status: dict[str, int] = {}
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for row in grouped:
        by_status[row["status"]] = row["n"]
        totals[row["status"]] = (row["ht"] or Decimal(0), row["ttc"] or Decimal(0))

    def count_of(statuses: tuple[str, ...] | None) -> int:
        if statuses is None:
            return sum(by_status.values())
        return sum(by_status.get(s, 0) for s in statuses)

    active = _active_statuses(filters)
    keys = by_status.keys() if active is None else [s for s in active if s in by_status]
    total_count = count_of(active)
    rows = base if active is None else base.filter(status__in=active)
    rows = rows.order_by(*_order(filters)).values(*LIST_FIELDS)
    paginator = KnownCountPaginator(rows, per_page, total_count)
    page_obj = paginator.get_page(page)
    today = timezone.localdate()
    page_obj.object_list = _with_clock_labels(list(page_obj.object_list), today)
    # The clock filters' counts under the other filters and the tab; the interest of the view.
    unclocked = _filtered(scope, replace(filters, clock=""), names=names)
    if active is not None:
        unclocked = unclocked.filter(status__in=active)
    clock = _clock_summary(unclocked, filters.clock, today)
    clock_counts = {key: clock[key] or 0 for key in CLOCK_FILTERS}
    interest = clock["interest"]
    return InvoiceList(
        page=page_obj,
        tabs=[TabCount(tab, count_of(tab.statuses)) for tab in TABS],
        total_count=total_count,
        total_excl_tax=sum((totals[k][0] for k in keys), Decimal(0)),
        total_incl_tax=sum((totals[k][1] for k in keys), Decimal(0)),
        filters=filters,
        by_status=by_status,
        clock_counts=clock_counts,
        interest_total=interest or Decimal(0),
        today=today,
    )


def invoice_iter_export(*, user, filters: InvoiceFilters, chunk: int = 2000) -> Iterator[ReceivedInvoice]:
    """Every row of the current view, for the CSV export, read in chunks (bounded memory)."""
    return invoice_filtered(user=user, filters=filters).iterator(chunk_size=chunk)


def invoice_get(*, user, pk: int, action: Action = Action.VIEW_RECEIVED) -> ReceivedInvoice:
    """One invoice the user may see; 404 otherwise (never reveal others' invoices)."""
    invoice = invoice_scope(user=user, action=action).select_related("connection").filter(pk=pk).first()
    if invoice is None:
        raise Http404(_("Facture introuvable."))
    return invoice


def invoice_timeline(*, invoice: ReceivedInvoice) -> list[InvoiceEvent]:
    return list(invoice.events.select_related("audit__user").order_by("-occurred_at", "-pk")[:200])


def invoice_audit(*, invoice: ReceivedInvoice) -> list[AuditEntry]:
    return audit_trail(connection_id=invoice.connection_id, workspace=Workspace.RECEIVED, invoice_id=invoice.invoice_id)


def invoices_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_RECEIVED) -> list[ReceivedInvoice]:
    """The invoices among `ids` (mirror pks) the user may see/act on, in the given order."""
    found = {
        inv.pk: inv for inv in invoice_scope(user=user, action=action).filter(pk__in=ids).select_related("connection")
    }
    return [found[i] for i in ids if i in found]


def received_sync_statuses(*, user) -> list[SyncStatus]:
    """Last run and last successful run of the received mirror, per connection the user sees."""
    return sync_statuses(user=user, workspace=Workspace.RECEIVED, action=Action.VIEW_RECEIVED)


def to_process_count(user) -> int:
    """Invoices in the user's "To process" queue (for the menu), from the queue counters."""
    statuses = TABS_BY_SLUG[DEFAULT_TAB].statuses
    total = (
        QueueStat.objects.filter(access_for(user).scope(Action.VIEW_RECEIVED), status__in=statuses)
        .aggregate(n=Sum("count"))
        .get("n")
    )
    return total or 0


@dataclass(frozen=True)
class StoredDocument:
    """An invoice's stored document: the file's facts, and its content as read when fetched."""

    file: InvoiceDocument
    content: facturx.DocumentContent | None  # None: stored by a version whose layout is not readable


def invoice_document(*, invoice: ReceivedInvoice) -> StoredDocument | None:
    """The document fetched for `invoice`, if any (the caller has already checked access)."""
    document = InvoiceDocument.objects.filter(invoice=invoice).first()
    if document is None:
        return None
    try:
        content = facturx.DocumentContent.from_dict(document.content)
    except ValueError:
        content = None
    return StoredDocument(file=document, content=content)
