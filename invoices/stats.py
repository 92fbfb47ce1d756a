"""Exact per-bucket counts and totals of the mirror (see `QueueStat`), updated with each write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum

from invoices.models import QueueStat, ReceivedInvoice

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Contribution:
    """What one invoice adds to its bucket (service, status)."""

    service_code: str
    status: str
    total_excl_tax: Decimal | None
    total_incl_tax: Decimal | None


def stats_apply(
    connection_id: int, *, removed: Iterable[Contribution] = (), added: Iterable[Contribution] = ()
) -> None:
    """Move invoices between buckets: subtract `removed`, add `added`. Call inside the write's transaction."""
    deltas: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO, ZERO])
    for sign, items in ((-1, removed), (1, added)):
        for c in items:
            d = deltas[(c.service_code or "", c.status)]
            d[0] += sign
            d[1] += sign * (c.total_excl_tax or ZERO)
            d[2] += sign * (c.total_incl_tax or ZERO)
    for (service, status), (n, ht, ttc) in deltas.items():
        if n == 0 and ht == 0 and ttc == 0:
            continue
        key = {"connection_id": connection_id, "service_code": service, "status": status}
        changes = {
            "count": F("count") + n,
            "total_excl_tax": F("total_excl_tax") + ht,
            "total_incl_tax": F("total_incl_tax") + ttc,
        }
        if QueueStat.objects.filter(**key).update(**changes):
            continue
        try:
            with transaction.atomic():
                QueueStat.objects.create(**key, count=n, total_excl_tax=ht, total_incl_tax=ttc)
        except IntegrityError:  # created meanwhile by another writer
            QueueStat.objects.filter(**key).update(**changes)


def stats_rebuild(connection_id: int) -> None:
    """Recompute a connection's buckets from the mirror (after a full sync, or to repair)."""
    with transaction.atomic():
        QueueStat.objects.filter(connection_id=connection_id).delete()
        rows = (
            ReceivedInvoice.objects.filter(connection_id=connection_id)
            .order_by()
            .values("service_code", "status")
            .annotate(n=Count("id"), ht=Sum("total_excl_tax"), ttc=Sum("total_incl_tax"))
        )
        QueueStat.objects.bulk_create(
            QueueStat(
                connection_id=connection_id,
                service_code=r["service_code"],
                status=r["status"],
                count=r["n"],
                total_excl_tax=r["ht"] or ZERO,
                total_incl_tax=r["ttc"] or ZERO,
            )
            for r in rows
        )
