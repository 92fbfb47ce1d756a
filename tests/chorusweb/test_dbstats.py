"""The planner's statistics are refreshed every night and after a migration of an analysed database."""

from __future__ import annotations

import pytest
from django.db import connection

from chorusweb import dbstats, tasks

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL keeps its own statistics")


def _stats_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0]


def test_nightly_task_refreshes_statistics_and_enqueues_every_daily_job(
    monkeypatch, django_capture_on_commit_callbacks
):
    import chorusweb.recovery

    monkeypatch.setattr(chorusweb.recovery, "recover", lambda: {"checked": 0})
    monkeypatch.setattr(tasks, "sync_all", lambda full=False: 0)
    refreshed = []
    monkeypatch.setattr(dbstats, "refresh_statistics", lambda *a, **k: refreshed.append(1) or True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = tasks.nightly_task.call()
    assert refreshed == [1] and report["statistics"] is True
    assert report["daily_jobs"] == len(tasks.DAILY_JOBS) == len(callbacks)


@sqlite_only
def test_analyse_gives_every_index_its_statistics():
    from tests.factories import ReceivedInvoiceFactory

    ReceivedInvoiceFactory.create_batch(3)
    assert dbstats.refresh_statistics() is True
    assert _stats_rows("invoices_receivedinvoice") >= 2  # one row per index of the mirror


@sqlite_only
def test_after_migrate_analyses_only_an_analysed_database():
    from tests.factories import ReceivedInvoiceFactory

    ReceivedInvoiceFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    dbstats.after_migrate(sender=None)
    assert _stats_rows("invoices_receivedinvoice") == 0  # never analysed: left to the nightly job
    dbstats.refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'ri_total'")  # as an index a migration adds
    dbstats.after_migrate(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = 'ri_total'")
        assert cursor.fetchone()[0] == 1


def test_refresh_is_nothing_on_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "postgresql")
    assert dbstats.refresh_statistics() is False
