"""Exact per-bucket counts and totals of the mirror (see `QueueStat`), updated with each write.

A bucket is (connection, service, recipient structure, status). Totals are net: a credit
note counts with its sign, and the credit notes' part of each bucket is kept apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum

from chorusweb.money import is_credit_note, signed_amount
from invoices.models import QueueStat, ReceivedInvoice

ZERO = Decimal("0.00")


#: The fields of a mirror row that place it in a bucket and make its totals.
CONTRIBUTING_FIELDS = (
    "service_code",
    "recipient_code",
    "recipient_name",
    "status",
    "invoice_type",
    "total_excl_tax",
    "total_incl_tax",
)


@dataclass(frozen=True)
class Contribution:
    """What one invoice adds to its bucket (service, structure, status)."""

    service_code: str
    status: str
    total_excl_tax: Decimal | None  # signed: negative for a credit note
    total_incl_tax: Decimal | None
    recipient_code: str = ""
    recipient_name: str = ""
    credit_note: bool = False

    @classmethod
    def of(cls, row, **changes) -> Contribution:
        """The contribution of a mirror row (a model instance or a mapping of its values)."""
        get = row.get if isinstance(row, Mapping) else (lambda name: getattr(row, name, None))
        values = {name: get(name) for name in CONTRIBUTING_FIELDS}
        values.update(changes)
        kind = values.pop("invoice_type")
        return cls(
            service_code=values["service_code"] or "",
            status=values["status"],
            total_excl_tax=signed_amount(values["total_excl_tax"], kind),
            total_incl_tax=signed_amount(values["total_incl_tax"], kind),
            recipient_code=values["recipient_code"] or "",
            recipient_name=values["recipient_name"] or "",
            credit_note=is_credit_note(kind),
        )


def stats_apply(
    connection_id: int, *, removed: Iterable[Contribution] = (), added: Iterable[Contribution] = ()
) -> None:
    """Move invoices between buckets: subtract `removed`, add `added`. Call inside the write's transaction."""
    deltas: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, ZERO, ZERO, 0, ZERO, ZERO, ""])
    for sign, items in ((-1, removed), (1, added)):
        for c in items:
            d = deltas[(c.service_code or "", c.recipient_code or "", c.status)]
            ht, ttc = sign * (c.total_excl_tax or ZERO), sign * (c.total_incl_tax or ZERO)
            d[0] += sign
            d[1] += ht
            d[2] += ttc
            if c.credit_note:
                d[3] += sign
                d[4] += ht
                d[5] += ttc
            if sign > 0 and c.recipient_name:
                d[6] = c.recipient_name
    for (service, recipient, status), (n, ht, ttc, cn, cht, cttc, name) in deltas.items():
        if n == 0 and ht == 0 and ttc == 0 and cn == 0 and not name:
            continue
        key = {"connection_id": connection_id, "service_code": service, "recipient_code": recipient, "status": status}
        changes = {
            "count": F("count") + n,
            "total_excl_tax": F("total_excl_tax") + ht,
            "total_incl_tax": F("total_incl_tax") + ttc,
            "credit_count": F("credit_count") + cn,
            "credit_excl_tax": F("credit_excl_tax") + cht,
            "credit_incl_tax": F("credit_incl_tax") + cttc,
        }
        if name:
            changes["recipient_name"] = name
        if QueueStat.objects.filter(**key).update(**changes):
            continue
        try:
            with transaction.atomic():
                QueueStat.objects.create(
                    **key,
                    recipient_name=name,
                    count=n,
                    total_excl_tax=ht,
                    total_incl_tax=ttc,
                    credit_count=cn,
                    credit_excl_tax=cht,
                    credit_incl_tax=cttc,
                )
        except IntegrityError:  # created meanwhile by another writer
            QueueStat.objects.filter(**key).update(**changes)


def stats_rebuild(connection_id: int) -> None:
    """Recompute a connection's buckets from the mirror (after a full sync, or to repair)."""
    credit = Q(invoice_type__iexact="AVOIR")
    with transaction.atomic():
        QueueStat.objects.filter(connection_id=connection_id).delete()
        rows = (
            ReceivedInvoice.objects.filter(connection_id=connection_id)
            .order_by()
            .values("service_code", "recipient_code", "status")
            .annotate(
                n=Count("id"),
                ht=Sum("net_excl_tax"),
                ttc=Sum("net_incl_tax"),
                cn=Count("id", filter=credit),
                cht=Sum("net_excl_tax", filter=credit),
                cttc=Sum("net_incl_tax", filter=credit),
                # One name per structure code (the names of a code are the same upstream).
                name=Max("recipient_name"),
            )
        )
        QueueStat.objects.bulk_create(
            QueueStat(
                connection_id=connection_id,
                service_code=r["service_code"],
                recipient_code=r["recipient_code"],
                recipient_name=r["name"] or "",
                status=r["status"],
                count=r["n"],
                total_excl_tax=r["ht"] or ZERO,
                total_incl_tax=r["ttc"] or ZERO,
                credit_count=r["cn"],
                credit_excl_tax=r["cht"] or ZERO,
                credit_incl_tax=r["cttc"] or ZERO,
            )
            for r in rows
        )
