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


def test_new_invoices_are_written_with_the_clock_a_recomputation_would_give(connection):
    """A new invoice's clock columns go in with its row (no second UPDATE of every index of the
    mirror), and are the ones `clocks_recompute` computes from the stored row and its timeline."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from invoices.clock import CLOCK_COLUMNS, clocks_recompute
    from invoices.models import StructureProfile

    hospital = StructureProfile.Kind.HOSPITAL
    StructureProfile.objects.create(structure_code=rows(1)[0].recipient_code, kind=hospital, delay_days=50)
    page = rows(40, {3: {"dateHeureEtatCourant": None}, 4: {"statut": "MANDATEE"}, 5: {"statut": "SUSPENDUE"}})
    with CaptureQueriesContext(db) as queries:
        upsert_received_rows(connection, page)
    table = ReceivedInvoice._meta.db_table
    assert not [q for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]

    def clocks():
        return {row[0]: row[1:] for row in ReceivedInvoice.objects.values_list("invoice_id", *CLOCK_COLUMNS)}

    written = clocks()
    assert len({v[0] for v in written.values()}) > 1  # several clock states among the rows
    clocks_recompute()
    assert clocks() == written
