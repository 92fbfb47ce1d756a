"""The bench measures what it says: each timed view renders the rows the data holds.

The bench itself runs here at a small scale (one run per view): it fails if a view renders an
empty state, a wrong count or more queries than its budget; the query count of every list view
stays the same when the data doubles.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from bench import cases, data
from bench.__main__ import bench_views
from bench.views import BenchFailure, measure
from invoices.models import QueueStat, ReceivedInvoice

SCALE = 400


@pytest.fixture(scope="module")
def _bench_rows(django_db_setup, django_db_blocker):
    """The bench's data, written once for the module: each test runs in a transaction of its
    own over it (rolled back), and the module's transaction is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        data.populate(SCALE, validation=120)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def bench_data(_bench_rows, db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    return SCALE


def test_bench_views_render_the_rows_the_data_holds(bench_data):
    with data.no_outside_http():
        rows = bench_views(1)
    names = [name for name, _, _ in rows]
    assert "Default tab (À traiter), full page" in names
    assert "Validator queue (À valider)" in names
    assert not [name for name, _, note in rows if re.search(r"\b0 rows", note) and "Floor" not in name]


def test_the_data_is_written_by_the_sync_path(bench_data):
    assert ReceivedInvoice.objects.count() == SCALE
    assert sum(QueueStat.objects.values_list("count", flat=True)) == SCALE  # counters built
    raw_size = len(str(ReceivedInvoice.objects.first().raw))
    assert raw_size > 900  # real-size upstream rows
    assert data.stored_scale() == SCALE


def test_an_empty_state_where_rows_exist_stops_the_bench(bench_data):
    """The fault the bench once had: counters left at zero made the list render nothing."""
    QueueStat.objects.all().delete()
    case = cases.received_cases()[0]
    with pytest.raises(BenchFailure, match=r"shows '0 facture'|rendered no row"):
        measure(case, data.clients()["user"], 1)


def test_the_bench_never_reaches_a_server_it_did_not_start():
    import requests

    with data.no_outside_http(), pytest.raises(data.OutsideHttp):
        requests.get("http://127.0.0.1:8000/healthz", timeout=1)


def test_list_queries_are_constant_in_the_data_size(bench_data):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from invoices.stats import stats_rebuild

    clients = data.clients()

    def counts():
        found = {}
        for case in cases.received_cases() + cases.validation_cases():
            if case.group != "list" and "Validator" not in case.name:
                continue
            client = clients[case.client]
            client.get(case.url, **case.headers)
            db.queries_log.clear()
            with CaptureQueriesContext(db) as ctx:
                assert client.get(case.url, **case.headers).status_code == 200
            found[case.name.split(" (Payées, page")[0]] = len(ctx.captured_queries)
        return found

    small = counts()
    conn = ReceivedInvoice.objects.first().connection_id
    data._copy_invoices(conn, 1, SCALE)
    stats_rebuild(conn)
    assert ReceivedInvoice.objects.count() == 2 * SCALE
    # The same queries at twice the size (a view whose rows do not fill a page may read the
    # rows without a sort value in one more query: never more).
    big = counts()
    assert all(small[name] - 1 <= big[name] <= small[name] for name in small), (small, big)
    assert all(n <= cases.LIST_QUERIES for n in small.values())


def test_bench_dashboard_checks_the_late_count_and_the_workbook(bench_data):
    from bench.dashboard import bench_dashboard

    with data.no_outside_http():
        rows = bench_dashboard(1)
    assert rows[0][0].startswith("Dashboard,") and "late" in rows[0][2]
    assert "sheets" in rows[1][2]


def test_the_load_rows_say_what_an_answer_cost_the_processes():
    import os

    from bench import load

    def mine(pid, parent, command):
        return pid == os.getpid()

    before = load._processor_seconds(mine)
    sum(i * i for i in range(2_000_000))  # some processor time of this process
    assert load._processor_seconds(mine) > before
    result = {"rps": 50.0, "p50": 180.0, "p95": 250.0, "ok": 750, "errors": 0}
    row = load._row("List under load", {**result, "per_answer": {"web": 33.04, "database": 4.8}})
    assert row[1] == "50 req/s" and row[2].endswith("processor per answer: web server 33.0 ms + PostgreSQL 4.8 ms")
