"""The dashboard's figures: grouped, conditional aggregates over the received mirror.

Every figure is read from the mirror (never upstream), scoped by `chorusweb.access`, with a
fixed number of queries whatever the data: each section is one GROUP BY (or one aggregate)
served by an index (`dashboard/migrations/0001_mirror_indexes.py`), and the medians come from
the distribution of the delays (one row per structure and number of days), not from the rows.
Each figure is defined by the same conditions as the list filter its link sets, so that the
list, followed from a figure, shows exactly the invoices the figure counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Abs, TruncDate
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.access import Action, access_for
from dashboard.forms import DashboardFilters, Period
from invoices import selectors as received
from invoices.clock import profiles
from invoices.models import InvoiceEvent, ReceivedInvoice
from invoices.reasons import reason_kinds, reason_q
from validators.models import QueueState, ValidationInvoice
from validators.selectors import SOON_DAYS as VALIDATION_SOON_DAYS

ZERO = Decimal("0.00")

#: Invoices still to process, by who holds them: the ordonnateur until the payment order, then
#: the accountant until the payment (see the clock's shares in `chorusweb.payment_delay`).
ORDONNATEUR_STATUSES = (lc.MISE_A_DISPOSITION, lc.COMPLETEE, lc.SERVICE_FAIT, lc.SUSPENDUE)
ACCOUNTANT_STATUSES = (lc.MANDATEE, lc.MISE_A_DISPOSITION_COMPTABLE, lc.COMPTABILISEE)
BACKLOG_STATUSES = ORDONNATEUR_STATUSES + ACCOUNTANT_STATUSES

#: Age buckets of the backlog: (slug, first day, last day) of days since the deposit; None: no bound.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-10", 0, 10),
    ("11-20", 11, 20),
    ("21-30", 21, 30),
    ("31+", 31, None),
)
TOP_LATE = 10
TOP_SUPPLIERS = 10


def net_amount(field_name: str = "total_incl_tax"):
    """The amount with a credit note's sign: an AVOIR counts negative, whatever its stored sign."""
    return Case(When(invoice_type="AVOIR", then=-Abs(F(field_name))), default=F(field_name))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Results ---------------------------------------------------------------------------------


@dataclass
class DelayStats:
    """Delays of the invoices paid in the period (days of running clock)."""

    count: int = 0
    on_time: int = 0
    total_days: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, days: int, n: int, on_time: int) -> None:
        self.count += n
        self.on_time += on_time
        self.total_days += days * n
        self.histogram[days] = self.histogram.get(days, 0) + n

    @property
    def late(self) -> int:
        return self.count - self.on_time

    @property
    def average(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.total_days) / self.count).quantize(Decimal("0.1"))

    @property
    def median(self) -> Decimal | None:
        """The middle delay (the mean of the two middle ones for an even count)."""
        if not self.count:
            return None
        ordered = sorted(self.histogram.items())

        def nth(rank: int) -> int:  # 0-based
            seen = 0
            for days, n in ordered:
                seen += n
                if rank < seen:
                    return days
            return ordered[-1][0]

        middle = self.count // 2
        if self.count % 2:
            return Decimal(nth(middle)).quantize(Decimal("0.1"))
        return (Decimal(nth(middle - 1) + nth(middle)) / 2).quantize(Decimal("0.1"))

    @property
    def on_time_share(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(100) * self.on_time / self.count).quantize(Decimal("0.1"))


@dataclass
class StructureDelay:
    code: str
    name: str
    legal_days: int
    stats: DelayStats


@dataclass
class MonthDelay:
    month: date
    stats: DelayStats


@dataclass
class LateNow:
    count: int
    amount: Decimal
    interest: Decimal
    indemnities: Decimal
    rows: list[dict]

    @property
    def owed(self) -> Decimal:
        return self.interest + self.indemnities


@dataclass
class BacklogRow:
    structure_code: str
    structure_name: str
    service_code: str
    service_name: str
    ages: dict[str, int]
    total: int
    ordonnateur: int
    accountant: int


@dataclass
class MonthVolume:
    month: date
    count: int
    credit_notes: int
    net: Decimal


@dataclass
class Supplier:
    code: str
    name: str
    count: int
    net: Decimal


@dataclass
class ReasonRow:
    status: str
    kind: str
    label: str
    count: int
    days: int  # days added: the clock stopped (suspensions), elapsed before the rejection (rejections)

    @property
    def average_days(self) -> Decimal | None:
        return (Decimal(self.days) / self.count).quantize(Decimal("0.1")) if self.count else None


@dataclass
class Validation:
    awaiting: int
    soon: int
    overdue: int


@dataclass
class Dashboard:
    filters: DashboardFilters
    period: Period
    today: date
    service_codes: tuple[str, ...] | None
    can_received: bool
    can_validation: bool
    delays: list[StructureDelay] = field(default_factory=list)
    delay_total: DelayStats = field(default_factory=DelayStats)
    delay_months: list[MonthDelay] = field(default_factory=list)
    late: LateNow | None = None
    backlog: list[BacklogRow] = field(default_factory=list)
    volumes: list[MonthVolume] = field(default_factory=list)
    suppliers: list[Supplier] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)
    validation: Validation | None = None


# --- Reads -----------------------------------------------------------------------------------


def dashboard_scope(*, user, filters: DashboardFilters) -> tuple[QuerySet[ReceivedInvoice], tuple[str, ...] | None]:
    """The invoices the user sees under the connection, structure and service filters.

    A typed service is resolved to the existing codes it matches, as the list does, so that a
    figure and its list agree.
    """
    qs = received.invoice_scope(user=user)
    if filters.connection_id:
        qs = qs.filter(connection_id=filters.connection_id)
    if filters.structure:
        qs = qs.filter(recipient_code=filters.structure)
    codes = None
    if filters.service:
        codes = tuple(received.service_codes_matching(user=user, term=filters.service))
        qs = qs.filter(service_code__in=codes)
    return qs.order_by(), codes


def _paid(qs: QuerySet, period: Period) -> QuerySet:
    return qs.filter(clock_state=pd.State.PAID, clock_stop__gte=period.start, clock_stop__lte=period.end)


def _delays(qs: QuerySet, period: Period) -> tuple[list[StructureDelay], DelayStats, list[MonthDelay]]:
    paid = _paid(qs, period)
    on_time = Count("pk", filter=Q(clock_days_late=0))
    per_structure: dict[str, DelayStats] = defaultdict(DelayStats)
    names: dict[str, str] = {}
    total = DelayStats()
    rows = paid.values("recipient_code", "clock_paid_in").annotate(
        n=Count("pk"), on_time=on_time, name=Max("recipient_name")
    )
    for row in rows:
        days = row["clock_paid_in"] or 0
        per_structure[row["recipient_code"]].add(days, row["n"], row["on_time"])
        total.add(days, row["n"], row["on_time"])
        names[row["recipient_code"]] = row["name"] or ""
    profile_of = profiles(per_structure)
    structures = [
        StructureDelay(code, names[code], profile_of.get(code, pd.Profile()).delay_days, stats)
        for code, stats in sorted(per_structure.items(), key=lambda item: (names[item[0]], item[0]))
    ]
    # Per month: the month's rank from comparisons on the indexed payment day (no date function
    # per row), one row per month and number of days.
    months = period.months()
    stats = [DelayStats() for _ in months]
    rows = paid.values("clock_paid_in", rank=month_rank("clock_stop", months)).annotate(n=Count("pk"), on_time=on_time)
    for row in rows:
        stats[row["rank"]].add(row["clock_paid_in"] or 0, row["n"], row["on_time"])
    months = [MonthDelay(month, stats[i]) for i, month in enumerate(months)]
    return structures, total, months


def month_rank(field_name: str, months: list[date]):
    """The rank of the month (in `months`, first days in order) a date falls in, as SQL.

    Plain comparisons on the column (portable, and cheaper than a date function per row); the
    rows are already limited to the period, so a date before the second month is in the first.
    """
    whens = [When(**{f"{field_name}__lt": month}, then=Value(i - 1)) for i, month in enumerate(months) if i]
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())


def late_q(today: date) -> Q:
    """Running clocks past their due date: the list's "En retard" filter."""
    return received._clock_q("retard", today)


def _late(qs: QuerySet, today: date) -> LateNow:
    late = qs.filter(late_q(today))
    totals = late.aggregate(n=Count("pk"), amount=Sum("total_incl_tax"), interest=Sum("clock_interest"))
    rows = list(
        late.order_by("clock_due", "id")[:TOP_LATE].values(
            "id",
            "invoice_number",
            "supplier_name",
            "recipient_name",
            "service_code",
            "total_incl_tax",
            "clock_due",
            "clock_days_late",
            "clock_interest",
        )
    )
    n = totals["n"] or 0
    return LateNow(
        count=n,
        amount=totals["amount"] or ZERO,
        interest=totals["interest"] or ZERO,
        indemnities=pd.FLAT_INDEMNITY * n,
        rows=rows,
    )


def age_range(slug: str, today: date) -> tuple[date | None, date]:
    """The deposit dates (first, last) of an age bucket; the whole backlog for "total"."""
    for key, low, high in AGE_BUCKETS:
        if key == slug:
            return (today - timedelta(days=high) if high is not None else None), today - timedelta(days=low)
    return None, today


def _backlog(qs: QuerySet, today: date) -> list[BacklogRow]:
    open_ = qs.filter(status__in=BACKLOG_STATUSES, deposit_date__lte=today)
    ages = {}
    for slug, *_bounds in AGE_BUCKETS:
        first, last = age_range(slug, today)
        condition = Q(deposit_date__lte=last)
        if first is not None:
            condition &= Q(deposit_date__gte=first)
        ages[slug] = Count("pk", filter=condition)
    rows = (
        open_.values("recipient_code", "service_code")
        .annotate(
            structure_name=Max("recipient_name"),
            service_name=Max("service_name"),
            total=Count("pk"),
            ordonnateur=Count("pk", filter=Q(status__in=ORDONNATEUR_STATUSES)),
            accountant=Count("pk", filter=Q(status__in=ACCOUNTANT_STATUSES)),
            **{f"age_{i}": agg for i, agg in enumerate(ages.values())},
        )
        .order_by("recipient_code", "service_code")
    )
    return [
        BacklogRow(
            structure_code=row["recipient_code"],
            structure_name=row["structure_name"] or "",
            service_code=row["service_code"],
            service_name=row["service_name"] or "",
            ages={slug: row[f"age_{i}"] for i, slug in enumerate(ages)},
            total=row["total"],
            ordonnateur=row["ordonnateur"],
            accountant=row["accountant"],
        )
        for row in rows
    ]


def _received(qs: QuerySet, period: Period) -> QuerySet:
    return qs.filter(deposit_date__gte=period.start, deposit_date__lte=period.end)


def _volumes(qs: QuerySet, period: Period) -> list[MonthVolume]:
    months = period.months()
    rows = (
        _received(qs, period)
        .values(rank=month_rank("deposit_date", months))
        .annotate(
            n=Count("pk"), credit=Count("pk", filter=Q(invoice_type="AVOIR")), net=Sum(net_amount("total_incl_tax"))
        )
    )
    by_rank = {row["rank"]: row for row in rows}
    return [
        MonthVolume(
            month,
            by_rank.get(i, {}).get("n", 0),
            by_rank.get(i, {}).get("credit", 0),
            by_rank.get(i, {}).get("net") or ZERO,
        )
        for i, month in enumerate(months)
    ]


def _suppliers(qs: QuerySet, period: Period) -> list[Supplier]:
    rows = list(
        _received(qs, period)
        .exclude(supplier_code="")
        .values("supplier_code")
        .annotate(n=Count("pk"), net=Sum(net_amount("total_incl_tax")))
        .order_by("-net", "supplier_code")[:TOP_SUPPLIERS]
    )
    codes = [row["supplier_code"] for row in rows]
    names = (
        dict(
            qs.filter(supplier_code__in=codes)
            .values("supplier_code")
            .annotate(name=Max("supplier_name"))
            .values_list("supplier_code", "name")
        )
        if codes
        else {}
    )
    return [Supplier(r["supplier_code"], names.get(r["supplier_code"], ""), r["n"], r["net"] or ZERO) for r in rows]


def _changed_in(qs: QuerySet, period: Period) -> QuerySet:
    """Current status set within the period (Europe/Paris days): the list's "Statut du … au"."""
    return qs.filter(
        status_changed_at__gte=day_start(period.start), status_changed_at__lt=day_start(period.end + timedelta(days=1))
    )


def suspension_events(*, user, filters: DashboardFilters, codes, start: date, end: date) -> QuerySet[InvoiceEvent]:
    """The suspensions observed in a period (Europe/Paris days) on the invoices of the scope."""
    scope = access_for(user).scope(
        Action.VIEW_RECEIVED, connection_field="invoice__connection_id", service_field="invoice__service_code"
    )
    events = InvoiceEvent.objects.filter(
        scope,
        status=lc.SUSPENDUE,
        occurred_at__gte=day_start(start),
        occurred_at__lt=day_start(end + timedelta(days=1)),
    )
    if filters.connection_id:
        events = events.filter(invoice__connection_id=filters.connection_id)
    if filters.structure:
        events = events.filter(invoice__recipient_code=filters.structure)
    if codes is not None:
        events = events.filter(invoice__service_code__in=codes)
    return events.order_by()


def _suspensions(events: QuerySet[InvoiceEvent], today: date) -> list[ReasonRow]:
    """Suspensions per kind of reason (the event's comment): invoices, and the days they stopped the clock.

    The count is of invoices (as the list, followed from it, shows them); the days add up each
    suspension from its day to the completion that ended it (`COMPLETEE`), or to today.
    """
    kinds = reason_kinds()
    invoices = events.aggregate(
        **{
            f"k_{i}": Count("invoice_id", distinct=True, filter=reason_q(k.slug, field="comment"))
            for i, k in enumerate(kinds)
        }
    )
    completed = (
        InvoiceEvent.objects.filter(
            invoice_id=OuterRef("invoice_id"), status=lc.COMPLETEE, occurred_at__gte=OuterRef("occurred_at")
        )
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    days: dict[str, int] = defaultdict(int)
    rows = (
        events.annotate(ended=Subquery(completed))
        .values(day=TruncDate("occurred_at"), end=TruncDate("ended"))
        .annotate(**{f"k_{i}": Count("pk", filter=reason_q(k.slug, field="comment")) for i, k in enumerate(kinds)})
    )
    for row in rows:
        stopped = max(0, ((row["end"] or today) - row["day"]).days) if row["day"] else 0
        for i, kind in enumerate(kinds):
            days[kind.slug] += row[f"k_{i}"] * stopped
    return [
        ReasonRow(lc.SUSPENDUE, kind.slug, str(kind.label), invoices[f"k_{i}"], days[kind.slug])
        for i, kind in enumerate(kinds)
        if invoices[f"k_{i}"]
    ]


def _rejections(qs: QuerySet, period: Period) -> list[ReasonRow]:
    """Rejections set in the period, per kind of reason, with the days the supplier loses.

    A rejection is final: the supplier issues a new invoice, with a new delay, so the days from
    the deposit to the rejection are lost. Grouped per day and deposit day: bounded rows.
    """
    kinds = reason_kinds()
    rows = (
        _changed_in(qs.filter(status=lc.REJETEE), period)
        .values("deposit_date", day=TruncDate("status_changed_at"))
        .annotate(**{f"k_{i}": Count("pk", filter=reason_q(kind.slug)) for i, kind in enumerate(kinds)})
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        day, deposit = row["day"], row["deposit_date"]
        lost = max(0, (day - deposit).days) if day and deposit else 0
        for i, kind in enumerate(kinds):
            if row[f"k_{i}"]:
                counts[kind.slug][0] += row[f"k_{i}"]
                counts[kind.slug][1] += row[f"k_{i}"] * lost
    return [ReasonRow(lc.REJETEE, k.slug, str(k.label), *counts[k.slug]) for k in kinds if k.slug in counts]


def _validation(*, user, filters: DashboardFilters, today: date) -> Validation:
    qs = ValidationInvoice.objects.filter(access_for(user).scope(Action.VIEW_VALIDATION), state=QueueState.AWAITING)
    if filters.connection_id:
        qs = qs.filter(connection_id=filters.connection_id)
    if filters.structure:
        qs = qs.filter(recipient_code=filters.structure)
    if filters.service:
        qs = qs.filter(service_code__iexact=filters.service)
    totals = qs.aggregate(
        awaiting=Count("pk"),
        soon=Count("pk", filter=Q(deadline__gte=today, deadline__lte=today + timedelta(days=VALIDATION_SOON_DAYS))),
        overdue=Count("pk", filter=Q(deadline__lt=today)),
    )
    return Validation(totals["awaiting"] or 0, totals["soon"] or 0, totals["overdue"] or 0)


def dashboard_get(*, user, filters: DashboardFilters, today: date | None = None) -> Dashboard:
    """Every figure of the dashboard for the user under the filters."""
    today = today or timezone.localdate()
    access = access_for(user)
    period = filters.period
    result = Dashboard(
        filters=filters,
        period=period,
        today=today,
        service_codes=None,
        can_received=access.can(Action.VIEW_RECEIVED),
        can_validation=access.can(Action.VIEW_VALIDATION),
    )
    if result.can_received:
        qs, result.service_codes = dashboard_scope(user=user, filters=filters)
        result.delays, result.delay_total, result.delay_months = _delays(qs, period)
        result.late = _late(qs, today)
        result.backlog = _backlog(qs, today)
        result.volumes = _volumes(qs, period)
        result.suppliers = _suppliers(qs, period)
        events = suspension_events(
            user=user, filters=filters, codes=result.service_codes, start=period.start, end=period.end
        )
        result.reasons = _suspensions(events, today) + _rejections(qs, period)
    if result.can_validation:
        result.validation = _validation(user=user, filters=filters, today=today)
    return result
