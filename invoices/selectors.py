"""Reads of the received invoices mirror, always scoped by the user's memberships.

A list page costs a constant number of queries whatever its size: one grouped query gives
the count and totals of every status under the current filters (hence the tab counts, the
page count and the totals), one query gives the page's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb import search, workspace
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.keyset import KeysetPage, keyset_page
from chorusweb.models import AuditEntry, Workspace
from chorusweb.money import CREDIT_NOTE
from chorusweb.selection import SelectionSummary
from chorusweb.sync import SyncStatus, sync_statuses
from chorusweb.workspace import AtLeast, GroupedCounts, ListFilters, Tab, TabCount
from invoices import facturx
from invoices.models import InvoiceDocument, InvoiceEvent, QueueStat, ReceivedInvoice
from invoices.reasons import reason_q

TABS: tuple[Tab, ...] = workspace.tab_set(
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
    # Every other status has a home too: PRISE_EN_COMPTE_DESTINATAIRE, and any status unknown to us.
    workspace.OTHER_STATUSES,
    workspace.ALL_STATUSES,
)
TABS_BY_SLUG = {t.slug: t for t in TABS}
DEFAULT_TAB = "a-traiter"

#: Sort keys offered on the list (URL value -> model fields), each backed by an index.
SORTS: dict[str, tuple[str, ...]] = {
    **workspace.SORTS,
    "fournisseur": ("supplier_name", "invoice_id"),
    "service": ("service_code", "invoice_id"),
    "statut": ("status", "invoice_id"),
    "maj": ("status_changed_at", "invoice_id"),
    # Signed amounts: credit notes sort below zero, where a user expects them.
    "ht": ("net_excl_tax", "invoice_id"),
    "ttc": ("net_incl_tax", "invoice_id"),
    "echeance": ("clock_order", "invoice_id"),
}
DEFAULT_SORT = "-depot"

LIST_FIELDS = (
    *workspace.LIST_FIELDS,
    "status_changed_at",
    "supplier_code",
    "supplier_name",
    "recipient_code",
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

#: Paid invoices by their delay (URL value -> label).
PAYMENT_FILTERS: dict[str, str] = {
    "a-temps": _("Payées dans le délai"),
    "en-retard": _("Payées en retard"),
}


@dataclass(frozen=True)
class InvoiceFilters(ListFilters, tabs=TABS):
    """What the list shows: a tab, filters and a sort (from `InvoiceFilterForm`)."""

    tab: str = DEFAULT_TAB
    statuses: tuple[str, ...] = ()
    service_code: str = ""
    #: The existing service codes `service_code` matches (resolved once by `invoice_list`).
    service_codes: tuple[str, ...] | None = None
    structure: str = ""  # the recipient structure's code (SIRET)
    supplier: str = ""
    query: str = ""  # the search box
    downloaded: bool | None = None
    credit_notes: bool = False
    clock: str = ""  # a key of CLOCK_FILTERS, or ""
    # The dashboard's figures link here with these (each narrows to exactly what a figure counts;
    # its structure links use `structure` above).
    no_service: bool = False  # invoices without a service code
    supplier_code: str = ""  # supplier identifier (SIRET), exact
    paid_from: date | None = None  # paid (clock stopped by the payment) on or after
    paid_to: date | None = None
    payment: str = ""  # a key of PAYMENT_FILTERS: paid on time or late
    reason: str = ""  # a kind of reason of invoices.reasons
    changed_from: date | None = None  # current status set on or after (Europe/Paris day)
    changed_to: date | None = None
    suspended_from: date | None = None  # suspended (an observed suspension) on or after
    suspended_to: date | None = None
    suspension_reason: str = ""  # a kind of reason of that suspension
    sort: str = DEFAULT_SORT


@dataclass
class InvoiceList:
    page: KeysetPage
    tabs: list[TabCount]
    total_count: int  # exact, or COUNT_BOUND when `bounded`
    total_excl_tax: Decimal | None  # net (credit notes negative); None: not computed (too many rows)
    total_incl_tax: Decimal | None
    filters: InvoiceFilters
    #: The credit notes' part of the view: their count and (negative) totals.
    credit_count: int = 0
    credit_excl_tax: Decimal = Decimal(0)
    credit_incl_tax: Decimal = Decimal(0)
    by_status: dict[str, int] = field(default_factory=dict)
    clock_counts: dict[str, int | None] = field(default_factory=dict)
    interest_total: Decimal = Decimal(0)
    interest_counted: bool = True  # False: more late invoices than COUNT_BOUND (not summed)
    today: date | None = None
    bounded: bool = False  # True: "plus de `count_bound`" invoices, not counted further
    count_bound: int = workspace.COUNT_BOUND
    #: The menu's "to process" count, when the counts read cover every invoice the user sees
    #: (no filter): the menu then costs no query of its own. None: not known from this list.
    to_process: int | None = None


def invoice_scope(*, user, action: Action = Action.VIEW_RECEIVED) -> QuerySet[ReceivedInvoice]:
    """Every mirrored invoice the user may see (or act on, for `action`)."""
    return ReceivedInvoice.objects.filter(access_for(user).scope(action))


#: The FTS5 table that indexes the folded columns on SQLite (see migration 0004).
FTS_TABLE = "invoices_receivedinvoice_fts"


def service_codes_matching(*, user, term: str) -> list[str]:
    """The existing service codes a typed service matches, forgiving case, accents and word order.

    Read from the queue counters (one row per connection, service and status): a few rows.
    """
    codes = service_codes(user=user)
    wanted = search.words(term)
    exact = [c for c in codes if search.fold(c) == search.fold(term)]
    if exact:
        return exact
    return [c for c in codes if all(w in search.fold(c) for w in wanted)]


def _resolved(user, filters: InvoiceFilters) -> InvoiceFilters:
    """The filters with a typed service resolved to the existing codes it matches."""
    if filters.service_code and filters.service_codes is None:
        codes = tuple(service_codes_matching(user=user, term=filters.service_code))
        return replace(filters, service_codes=codes)
    return filters


def service_codes(*, user) -> list[str]:
    """Every service code of the invoices the user sees (to pick from), from the counters."""
    return sorted(
        set(
            QueueStat.objects.filter(access_for(user).scope(Action.VIEW_RECEIVED), count__gt=0)
            .exclude(service_code="")
            .values_list("service_code", flat=True)
        )
    )


@dataclass(frozen=True)
class Structure:
    """A recipient structure the user's invoices are addressed to (for the structure filter)."""

    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code


def list_facets(*, user) -> tuple[list[str], list[Structure]]:
    """The service codes and recipient structures of the invoices the user sees (to pick from),
    in one read of the counters (a few rows)."""
    codes: set[str] = set()
    names: dict[str, str] = {}
    for service, code, name in QueueStat.objects.filter(
        access_for(user).scope(Action.VIEW_RECEIVED), count__gt=0
    ).values_list("service_code", "recipient_code", "recipient_name"):
        if service:
            codes.add(service)
        if code:
            names[code] = names.get(code) or name
    structures = sorted((Structure(c, n) for c, n in names.items()), key=lambda s: (s.name.casefold(), s.code))
    return sorted(codes), structures


def invoice_selection_summary(*, user, ids: list[int]) -> SelectionSummary:
    """The count and net totals of the selected invoices the user sees: one aggregate."""
    return workspace.selection_of(invoice_scope, user=user, ids=ids, excl_tax="net_excl_tax", incl_tax="net_incl_tax")


def invoice_view_ids(*, user, filters: InvoiceFilters, limit: int) -> tuple[list[int], int]:
    """The ids of every invoice of the current view (tab, filters, sort), at most `limit`,
    and how many the view holds (counted up to `limit` + 1: over it means "too many")."""
    return workspace.first_ids(invoice_filtered(user=user, filters=filters), limit)


def _search_box(term: str) -> Q:
    """One box: number, supplier name or SIRET, Chorus Pro id, service, engagement, contract, amount.

    Every branch is served by an index (trigrams for the words, the amount indexes for an
    amount), so that the database can read each branch apart and join them.
    """
    amount = search.parse_amount(term)
    conditions = []
    if amount is None or term.strip().isdigit():  # "1 234,56", "1234.50": an amount, not words
        words = search.contains_all(column="search_text", fts_table=FTS_TABLE, fts_column="search_text", term=term)
        if words is not None:
            conditions.append(words)
    if amount is not None:
        conditions += [Q(total_incl_tax=amount), Q(total_excl_tax=amount)]
        if -amount != amount:
            conditions.append(Q(total_incl_tax=-amount))  # a credit note typed without its sign
    if not conditions:
        return Q(pk__in=[])
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def _filtered(qs: QuerySet, f: InvoiceFilters) -> QuerySet:
    """Apply the filters (every text filter forgives case, accents and word order)."""
    if f.service_codes is not None:
        qs = qs.filter(service_code__in=f.service_codes)
    elif f.service_code:
        qs = qs.filter(service_code=f.service_code)
    if f.structure:
        qs = qs.filter(recipient_code=f.structure)
    if f.supplier.strip():
        condition = search.contains_all(
            column="supplier_search", fts_table=FTS_TABLE, fts_column="supplier_search", term=f.supplier
        )
        if condition is not None:
            qs = qs.filter(condition)
    if f.query.strip():
        qs = qs.filter(_search_box(f.query))
    qs = f.shared(qs)
    if f.downloaded is not None:
        qs = qs.filter(downloaded=f.downloaded)
    if f.credit_notes:
        qs = qs.filter(invoice_type="AVOIR")
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.clock:
        qs = _clock_filtered(qs, f.clock)
    return _dashboard_filtered(qs, f)


def _day_start(day: date):
    """The first instant of a Europe/Paris day, aware (status dates are instants)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _dashboard_filtered(qs: QuerySet, f: InvoiceFilters) -> QuerySet:
    """The filters the dashboard's links add (supplier id, payment, reason, status date)."""
    if f.no_service:
        qs = qs.filter(service_code="")
    if f.supplier_code:
        qs = qs.filter(supplier_code=f.supplier_code.strip())
    if f.paid_from or f.paid_to or f.payment:
        qs = qs.filter(clock_state=pd.State.PAID)
    if f.paid_from:
        qs = qs.filter(clock_stop__gte=f.paid_from)
    if f.paid_to:
        qs = qs.filter(clock_stop__lte=f.paid_to)
    if f.payment == "a-temps":
        qs = qs.filter(clock_days_late=0)
    elif f.payment == "en-retard":
        qs = qs.filter(clock_days_late__gt=0)
    if f.reason:
        qs = qs.filter(reason_q(f.reason))
    if f.changed_from:
        qs = qs.filter(status_changed_at__gte=_day_start(f.changed_from))
    if f.changed_to:
        qs = qs.filter(status_changed_at__lt=_day_start(f.changed_to + timedelta(days=1)))
    if f.suspended_from or f.suspended_to or f.suspension_reason:
        events = InvoiceEvent.objects.filter(invoice_id=OuterRef("pk"), status=lc.SUSPENDUE)
        if f.suspended_from:
            events = events.filter(occurred_at__gte=_day_start(f.suspended_from))
        if f.suspended_to:
            events = events.filter(occurred_at__lt=_day_start(f.suspended_to + timedelta(days=1)))
        if f.suspension_reason:
            events = events.filter(reason_q(f.suspension_reason, field="comment"))
        qs = qs.filter(Exists(events))
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


def _clock_summary(qs: QuerySet, active: str, today: date, *, running: bool = True, small: bool = False) -> dict:
    """The count of each clock filter and the estimated interest of the view, counted up to
    COUNT_BOUND like every filtered count of the list (beyond it: `AtLeast`, and no interest).

    Each query reads at most COUNT_BOUND + 1 entries of a covering index: the running clocks
    late or due within 7 days (`ri_clock`), the paid invoices that owe interest (`ri_clock_interest`).
    A view whose statuses cannot hold a running clock (`running` False) counts none: the index
    would be walked for nothing. A view known to hold at most COUNT_BOUND invoices (`small`) is
    counted exactly in one query.
    """
    bound = workspace.COUNT_BOUND
    summary: dict = {"interest": Decimal(0), **dict.fromkeys(CLOCK_FILTERS, 0)}
    if small and running:
        near = qs.filter(clock_state=pd.State.RUNNING, clock_due__lte=today + timedelta(days=SOON_DAYS))
        summary |= near.order_by().aggregate(
            **{key: Count("clock_due", filter=_clock_q(key, today)) for key in CLOCK_FILTERS},
            interest=Coalesce(Sum("clock_interest", filter=Q(clock_due__lt=today)), Decimal(0)),
        )
    for key in CLOCK_FILTERS if running and not small else ():
        found = _bounded_interest(qs.filter(_clock_q(key, today)), bound)
        summary[key] = found["n"] if found["n"] <= bound else AtLeast(bound)
        if key == "retard" and active != "sept-jours":
            # The interest of the late clocks, when they were all read.
            summary["interest"] = (found["interest"] or Decimal(0)) if found["n"] <= bound else None
    if not active and summary["interest"] is not None:
        # The clock filters keep running clocks only: paid ones are outside them.
        found = _bounded_interest(qs.filter(clock_state=pd.State.PAID, clock_interest__gt=0), bound)
        summary["interest"] = summary["interest"] + (found["interest"] or Decimal(0)) if found["n"] <= bound else None
    return summary


def _bounded_interest(qs: QuerySet, bound: int) -> dict:
    """{"n", "interest"} of the first bound + 1 rows of `qs` (n > bound: beyond the bound, the
    interest not summed); a view found beyond it a moment ago is not read again."""
    found = workspace.bounded_read(qs, bound, sum_of="clock_interest")
    return {"n": found.n, "interest": found.total} if found else {"n": bound + 1, "interest": None}


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
    return workspace.sort_order(f.sort, SORTS, DEFAULT_SORT)


def invoice_filtered(*, user, filters: InvoiceFilters) -> QuerySet[ReceivedInvoice]:
    """The rows of the current view (tab, filters, sort), not paginated."""
    qs = filters.tab_obj.rows(_filtered(invoice_scope(user=user), _resolved(user, filters)))
    return qs.order_by(*_order(filters))


def _uses_only_bucket_filters(f: InvoiceFilters) -> bool:
    """True when the counts can come from QueueStat (filters on connection, service, status only)."""
    return not (
        f.supplier
        or f.query
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
        or f.no_service
        or f.supplier_code
        or f.paid_from
        or f.paid_to
        or f.payment
        or f.reason
        or f.changed_from
        or f.changed_to
        or f.suspended_from
        or f.suspended_to
        or f.suspension_reason
    )


def _grouped_counts(*, user, filters: InvoiceFilters, base: QuerySet):
    """Count and totals per status under the filters: from the counters when possible."""
    if _uses_only_bucket_filters(filters):
        stats = QueueStat.objects.filter(access_for(user).scope(Action.VIEW_RECEIVED))
        if filters.connection_id:
            stats = stats.filter(connection_id=filters.connection_id)
        if filters.service_codes is not None:
            stats = stats.filter(service_code__in=filters.service_codes)
        elif filters.service_code:
            stats = stats.filter(service_code=filters.service_code)
        if filters.structure:
            stats = stats.filter(recipient_code=filters.structure)
        if filters.statuses:
            stats = stats.filter(status__in=filters.statuses)
        return [
            row
            for row in stats.order_by()
            .values("status")
            .annotate(
                n=Sum("count"),
                ht=Sum("total_excl_tax"),
                ttc=Sum("total_incl_tax"),
                cn=Sum("credit_count"),
                cht=Sum("credit_excl_tax"),
                cttc=Sum("credit_incl_tax"),
            )
            if row["n"]
        ]
    credit = Q(invoice_type__iexact=CREDIT_NOTE)
    return (
        base.order_by()
        .values("status")
        .annotate(
            n=Count("id"),
            ht=Sum("net_excl_tax"),
            ttc=Sum("net_incl_tax"),
            cn=Count("id", filter=credit),
            cht=Sum("net_excl_tax", filter=credit),
            cttc=Sum("net_incl_tax", filter=credit),
        )
    )


def invoice_list(*, user, filters: InvoiceFilters, page: int | str = 1, per_page: int = 50) -> InvoiceList:
    """One page of the list, with every tab's count and the totals of the filtered amounts.

    Counts are exact from the queue counters when only tab, connection and service filter the
    list; under other filters they are exact up to COUNT_BOUND matching invoices and labelled
    "plus de 10 000" beyond (no total, no per-tab count: counting would read every row). Pages
    are read by keyset (chorusweb.keyset): the last page costs what the first costs.
    """
    scope = invoice_scope(user=user)
    filters = _resolved(user, filters)
    base = _filtered(scope, filters)
    tab = filters.tab_obj
    rows = tab.rows(base)
    exact = True
    if not _uses_only_bucket_filters(filters):
        _, exact = workspace.bounded_count(base)
    counts = GroupedCounts.of(_grouped_counts(user=user, filters=filters, base=base) if exact else ())

    def count_of(t: Tab) -> int | None:
        return counts.count(t) if exact else None

    if exact:
        total_count = count_of(tab)
    else:
        every = tab.statuses is None and not tab.others
        total_count, exact_active = workspace.bounded_count(rows) if not every else (workspace.COUNT_BOUND, False)
        if exact_active:
            exact = None  # this tab counted exactly, the others (and the totals) not
    unfiltered = _uses_only_bucket_filters(filters) and not (
        filters.connection_id
        or filters.service_code
        or filters.service_codes is not None
        or filters.structure
        or filters.statuses
    )
    to_process = counts.count(TABS_BY_SLUG[DEFAULT_TAB]) if unfiltered else None

    def total(name: str) -> Decimal | None:
        return counts.total(tab, name) if exact else None

    page_obj = keyset_page(
        rows.values(*LIST_FIELDS, *(f.lstrip("-") for f in _order(filters) if f.lstrip("-") not in LIST_FIELDS)),
        _order(filters),
        page,
        per_page,
        total_count if exact is not False else None,
    )
    today = timezone.localdate()
    page_obj.object_list = _with_clock_labels(list(page_obj.object_list), today)
    # The clock filters' counts under the other filters and the tab; the interest of the view.
    # Not beyond COUNT_BOUND invoices: like the other counts and totals, they would read them all.
    clock_counts: dict[str, int | None] = dict.fromkeys(CLOCK_FILTERS)
    interest = None
    if exact is not False:
        unclocked = tab.rows(_filtered(scope, replace(filters, clock="")))
        clock = _clock_summary(
            unclocked,
            filters.clock,
            today,
            running=not tab.statuses or not pd.NEVER_RUNNING.issuperset(tab.statuses),
            small=not filters.clock and total_count <= workspace.COUNT_BOUND,
        )
        clock_counts = {key: clock[key] for key in CLOCK_FILTERS}
        interest = clock["interest"]
    return InvoiceList(
        page=page_obj,
        tabs=[TabCount(t, count_of(t)) for t in TABS],
        total_count=total_count,
        total_excl_tax=total("ht"),
        total_incl_tax=total("ttc"),
        credit_count=counts.count(tab, "cn") if exact else 0,
        credit_excl_tax=total("cht") or Decimal(0),
        credit_incl_tax=total("cttc") or Decimal(0),
        filters=filters,
        by_status=counts.by_status,
        clock_counts=clock_counts,
        interest_total=interest or Decimal(0),
        interest_counted=interest is not None or exact is False,
        today=today,
        bounded=exact is False,
        count_bound=workspace.COUNT_BOUND,
        to_process=to_process,
    )


def invoice_iter_export(
    *, user, filters: InvoiceFilters, fields: tuple[str, ...], chunk: int = 2000
) -> Iterator[tuple]:
    """Every row of the current view as tuples of `fields`, for the CSV export, read in chunks
    (bounded memory)."""
    return invoice_filtered(user=user, filters=filters).values_list(*fields).iterator(chunk_size=chunk)


def invoice_get(*, user, pk: int, action: Action = Action.VIEW_RECEIVED) -> ReceivedInvoice:
    """One invoice the user may see; 404 otherwise (never reveal others' invoices)."""
    return workspace.visible_row(invoice_scope(user=user, action=action), pk)


def invoice_timeline(*, invoice: ReceivedInvoice) -> list[InvoiceEvent]:
    return list(invoice.events.select_related("audit__user").order_by("-occurred_at", "-pk")[:200])


def invoice_audit(*, invoice: ReceivedInvoice) -> list[AuditEntry]:
    return audit_trail(connection_id=invoice.connection_id, workspace=Workspace.RECEIVED, invoice_id=invoice.invoice_id)


def invoices_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_RECEIVED) -> list[ReceivedInvoice]:
    """The invoices among `ids` (mirror pks) the user may see/act on, in the given order."""
    return workspace.in_order(invoice_scope(user=user, action=action).select_related("connection"), ids)


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


def invoice_document_pdf(*, invoice: ReceivedInvoice) -> bytes | None:
    """The PDF of the document fetched for `invoice` (shown in its page), or None."""
    stored = invoice_document(invoice=invoice)
    if stored is None:
        return None
    pdf_filename = stored.content.pdf_filename if stored.content else ""
    with stored.file.file.open("rb") as handle:
        return facturx.document_pdf(handle, kind=stored.file.kind, pdf_filename=pdf_filename)


def invoice_document_attachments(stored: StoredDocument | None) -> list[tuple[int, facturx.Attachment]]:
    """The attachments of a stored document that can be downloaded one by one, with their index."""
    if stored is None or stored.content is None:
        return []
    return [
        (index, attachment) for index, attachment in enumerate(stored.content.attachments) if attachment.downloadable
    ]


def invoice_document_attachment(*, invoice: ReceivedInvoice, index: int) -> tuple[str, bytes] | None:
    """One attachment of the document fetched for `invoice`: its name and content, or None."""
    stored = invoice_document(invoice=invoice)
    if stored is None or stored.content is None or not 0 <= index < len(stored.content.attachments):
        return None
    attachment = stored.content.attachments[index]
    with stored.file.file.open("rb") as handle:
        data = facturx.document_attachment(
            handle,
            kind=stored.file.kind,
            attachment=attachment,
            pdf_filename=stored.content.pdf_filename,
            xml_filename=stored.content.xml_filename,
        )
    return None if data is None else (attachment.name, data)
