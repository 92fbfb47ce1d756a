"""An incremental sync writes only what changed upstream."""

from __future__ import annotations

import random
from datetime import date

import pytest

from bench.data import SERVICES, Supplier, _reader, upstream_row
from invoices.models import InvoiceEvent, QueueStat, ReceivedInvoice
from invoices.services import upsert_received_rows

pytestmark = pytest.mark.django_db


def rows(n: int, changes: dict | None = None) -> list:
    rng = random.Random(4)
    out = []
    for i in range(n):
        raw = upstream_row(rng, i, Supplier("Noël Frères", "12345678900011"), SERVICES[i % 3], date(2026, 1, 5))
        raw.update((changes or {}).get(i, {}))
        out.append(_reader()(raw))
    return out


def test_unchanged_rows_are_not_written_again(connection):
    first = upsert_received_rows(connection, rows(20))
    assert first.created == 20
    stamps = dict(ReceivedInvoice.objects.values_list("invoice_id", "synced_at"))
    counters = sorted(QueueStat.objects.values_list("service_code", "status", "count", "total_incl_tax"))
    events = InvoiceEvent.objects.count()

    again = upsert_received_rows(connection, rows(20))
    assert (again.rows, again.created, again.changed) == (20, 0, 0)
    assert dict(ReceivedInvoice.objects.values_list("invoice_id", "synced_at")) == stamps  # no row written
    assert sorted(QueueStat.objects.values_list("service_code", "status", "count", "total_incl_tax")) == counters
    assert InvoiceEvent.objects.count() == events


def test_a_changed_row_is_written_with_its_counters_and_event(connection):
    upsert_received_rows(connection, rows(5))
    stamps = dict(ReceivedInvoice.objects.values_list("invoice_id", "synced_at"))
    changed = rows(5, {2: {"statut": "SUSPENDUE", "commentaireEtatCourant": "Pièce manquante"}})
    stats = upsert_received_rows(connection, changed)
    assert stats.changed == 1
    after = dict(ReceivedInvoice.objects.values_list("invoice_id", "synced_at"))
    touched = [iid for iid in after if after[iid] != stamps[iid]]
    assert touched == [changed[2].invoice_id]
    assert ReceivedInvoice.objects.get(invoice_id=changed[2].invoice_id).status == "SUSPENDUE"
    assert QueueStat.objects.filter(status="SUSPENDUE").get().count >= 1
    from invoices.stats import stats_rebuild

    def snapshot():
        return sorted(
            QueueStat.objects.exclude(count=0).values_list("service_code", "status", "count", "total_incl_tax")
        )

    live = snapshot()
    stats_rebuild(connection.pk)
    assert snapshot() == live
