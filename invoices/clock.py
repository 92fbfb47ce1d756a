"""The payment-delay clock of the received mirror: inputs read from the database, results stored.

The rules are in `chorusweb.payment_delay` (pure). Here: the observed timeline of each invoice
(`InvoiceEvent`), its structure's profile (`StructureProfile`), the rate table
(`InterestRate`), and one batched UPDATE of the clock columns. Callers run it inside the
transaction that records a status change (sync upsert, actions), and once a day for the
running clocks (`payment_delay_recompute`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chorusweb import payment_delay as pd
from invoices.models import InterestRate, InvoiceEvent, ReceivedInvoice, StructureProfile

#: The stored columns, in the order of `_values()`.
CLOCK_COLUMNS = (
    "clock_state",
    "clock_start",
    "clock_start_origin",
    "clock_due",
    "clock_order",
    "clock_ordonnateur_due",
    "clock_stop",
    "clock_days_late",
    "clock_paid_in",
    "clock_interest",
    "clock_rate_to_confirm",
)
_INPUT_FIELDS = (
    "pk",
    "invoice_type",
    "deposit_date",
    "amount_due",
    "total_incl_tax",
    "recipient_code",
    "service_done_date",
)


def profiles(codes: Iterable[str] | None = None) -> dict[str, pd.Profile]:
    """{structure code: Profile} of the structures that have one (others use the default)."""
    qs = StructureProfile.objects.all()
    if codes is not None:
        qs = qs.filter(structure_code__in=set(codes))
    return {p.structure_code: p.profile for p in qs}


def _local_day(moment) -> date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def timelines(pks: Sequence[int]) -> dict[int, list[pd.TimelineEvent]]:
    """The observed status changes of each invoice, oldest first."""
    result: dict[int, list[pd.TimelineEvent]] = {pk: [] for pk in pks}
    rows = (
        InvoiceEvent.objects.filter(invoice_id__in=pks)
        .order_by("occurred_at", "pk")
        .values_list("invoice_id", "status", "occurred_at", "recorded_at", "comment")
    )
    for invoice_id, status, occurred_at, recorded_at, comment in rows:
        moment = occurred_at or recorded_at
        result[invoice_id].append(pd.TimelineEvent(status, _local_day(moment), comment))
    return result


def compute(
    row: dict,
    timeline: list[pd.TimelineEvent],
    *,
    today: date,
    profile_of: dict[str, pd.Profile],
    rates: dict,
) -> pd.Clock:
    amount = row["amount_due"] if row["amount_due"] is not None else row["total_incl_tax"]
    return pd.compute_clock(
        timeline=timeline,
        deposit_date=row["deposit_date"],
        today=today,
        profile=profile_of.get(row["recipient_code"] or "", pd.Profile()),
        amount_due=amount,
        invoice_type=row["invoice_type"],
        service_done_date=row["service_done_date"],
        rates=rates,
    )


def stored_values(clock: pd.Clock) -> dict:
    """The mirror's clock columns for a computed clock."""
    return {
        "clock_state": clock.state,
        "clock_start": clock.start,
        "clock_start_origin": clock.start_origin,
        "clock_due": clock.due,
        "clock_order": clock.due or pd.NO_DUE_DATE,
        "clock_ordonnateur_due": clock.ordonnateur_due,
        "clock_stop": clock.stop,
        "clock_days_late": clock.days_late,
        "clock_paid_in": clock.paid_in,
        "clock_interest": clock.interest if clock.state in (pd.State.RUNNING, pd.State.PAID) else None,
        "clock_rate_to_confirm": bool(clock.rate and clock.rate.to_confirm),
    }


def _store(values: list[tuple[int, dict]]) -> None:
    if not values:
        return
    ops = db.ops
    quote = ops.quote_name
    meta = ReceivedInvoice._meta
    fields = [meta.get_field(name) for name in CLOCK_COLUMNS]

    def adapt(field, value):
        if value is None:
            return None
        kind = field.get_internal_type()
        if kind == "DateField":
            return ops.adapt_datefield_value(value)
        if kind == "DecimalField":
            return ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
        return value

    sql = (
        f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608 (identifiers from the model's metadata)
        + ", ".join(f"{quote(f.column)} = %s" for f in fields)
        + f" WHERE {quote(meta.pk.column)} = %s"
    )
    params = [(*tuple(adapt(f, v[f.name]) for f in fields), pk) for pk, v in values]
    with db.cursor() as cursor:
        cursor.executemany(sql, params)


def clocks_recompute(
    *,
    pks: Sequence[int] | None = None,
    running_only: bool = False,
    structure_code: str | None = None,
    connection_id: int | None = None,
    today: date | None = None,
    batch: int = 1000,
) -> int:
    """Recompute and store the clocks of the given invoices (mirror pks), or of a selection.

    `running_only`: the clocks that move with the days (running, or estimated with a rate to
    confirm). Returns how many rows were updated. Each batch is one transaction.
    """
    today = today or timezone.localdate()
    rates = InterestRate.table()
    qs = ReceivedInvoice.objects.all()
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    if running_only:
        qs = qs.filter(Q(clock_state=pd.State.RUNNING) | Q(clock_rate_to_confirm=True))
    if structure_code is not None:
        qs = qs.filter(recipient_code=structure_code)
    if connection_id is not None:
        qs = qs.filter(connection_id=connection_id)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            rows = list(ReceivedInvoice.objects.filter(pk__in=chunk).values(*_INPUT_FIELDS))
            profile_of = profiles(r["recipient_code"] for r in rows)
            events = timelines([r["pk"] for r in rows])
            _store(
                [
                    (
                        row["pk"],
                        stored_values(compute(row, events[row["pk"]], today=today, profile_of=profile_of, rates=rates)),
                    )
                    for row in rows
                ]
            )
        done += len(chunk)
    return done


def new_invoice_clock(now, codes: Iterable[str]) -> Callable[[dict], dict]:
    """The clock columns of an invoice new to the mirror, from the values it is inserted with:
    its timeline is the one status change the sync records with it (at `status_changed_at`, or
    `now`), as `clocks_recompute` would read it back, without a second write of the row.
    `codes`: the recipient structures of the page (their profiles read in one query)."""
    today = timezone.localdate()
    rates = InterestRate.table()
    profile_of = profiles(codes)

    def columns(values: dict) -> dict:
        if not values["status"]:
            return {}
        moment = values["status_changed_at"] or now
        timeline = [pd.TimelineEvent(values["status"], _local_day(moment), values["status_comment"] or "")]
        # A new row has no service-done date yet: an agent records it (`service_done`).
        row = {name: values[name] for name in _INPUT_FIELDS if name not in ("pk", "service_done_date")}
        row["service_done_date"] = None
        return stored_values(compute(row, timeline, today=today, profile_of=profile_of, rates=rates))

    return columns


def invoice_clock(invoice: ReceivedInvoice, *, today: date | None = None) -> pd.Clock:
    """The full clock of one invoice (events, pauses, rate), for its page."""
    today = today or timezone.localdate()
    row = {name: getattr(invoice, name) for name in _INPUT_FIELDS}
    return compute(
        row,
        timelines([invoice.pk])[invoice.pk],
        today=today,
        profile_of=profiles([invoice.recipient_code or ""]),
        rates=InterestRate.table(),
    )


def missing_rates(today: date | None = None) -> list[pd.HalfYear]:
    """Half-years up to today's whose rate the administrator still has to enter."""
    return pd.missing_half_years(InterestRate.table(), today or timezone.localdate())
