"""Durable background work with real worker and scheduler processes (django-tasks-db, crontask).

These tests start `manage.py db_worker` / `manage.py crontask` as separate processes on the
test database, kill them like a crash or a deploy would, and read the outcome from the
database and the sandbox's call counters.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection as db_connection

from chorusweb import lifecycle as lc
from chorusweb.models import AuditEntry, BulkRun, Role, SyncRun, WorkerBeat
from invoices import services
from invoices.models import ReceivedInvoice
from sandbox import services as sandbox_services
from tests import launcher
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.waits]

TRAITER = "factures/traiter-facture-recue"
ROOT = Path(django_settings.BASE_DIR)
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: Invoices of the bulk run killed midway (each ~0.1 s at the sandbox's 60 ms latency).
BULK = 30


def _database_url() -> str:
    params = db_connection.settings_dict
    if db_connection.vendor == "sqlite":
        return f"sqlite:///{Path(params['NAME']).resolve()}"
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{params['NAME']}"


def _env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "CHORUSWEB_WORKER_HEARTBEAT": "0.2",
        "CHORUSWEB_WORKER_STALE_SECONDS": "1.5",
        "CHORUSWEB_UNCONFIRMED_AFTER_MINUTES": "0",
        "FACTPULSE_READ_TIMEOUT": "10",
        "FACTPULSE_MAX_RETRIES": "1",
        "FACTPULSE_RETRY_BACKOFF": "0.01",
        "DJANGO_LOG_LEVEL": "WARNING",
        # the processes keep the suite's priority: lowered below the other xdist worker, they wait
        "CHORUSWEB_WORKER_NICENESS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Processes:
    """Processes started by a test, always stopped at its end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[launcher.Process] = []

    def start(self, *args: str, **env: str) -> launcher.Process:
        log = self.tmp_path / f"{args[0]}-{len(self.started)}.log"
        process = launcher.start([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(**env), output=log)
        self.started.append(process)
        return process

    def worker(self) -> launcher.Process:
        return self.start("db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.05", "--no-startup-delay")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp_path.glob("*.log")))


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def durable_queue(settings):
    settings.TASKS = DATABASE_BACKEND
    settings.CHORUSWEB_WORKER_STALE_SECONDS = 1.5
    settings.CHORUSWEB_UNCONFIRMED_AFTER_MINUTES = 0


@pytest.fixture
def accountant(sandbox_connection):
    user = UserFactory(username="claire")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.RECIPIENT)
    return user


def _wait(predicate, *, timeout: float, what: str, processes: Processes | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{processes.logs() if processes else ''}")


def _fresh_invoices(connection, count: int) -> list[ReceivedInvoice]:
    ids = sandbox_services.deposit(count)
    run = services.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    invoices = list(ReceivedInvoice.objects.filter(connection=connection, invoice_id__in=ids).order_by("pk"))
    assert len(invoices) == count
    assert {inv.status for inv in invoices} == {lc.MISE_A_DISPOSITION}
    return invoices


def _settled(run: BulkRun) -> int:
    return AuditEntry.objects.filter(batch=run.pk).exclude(state=AuditEntry.State.PENDING).count()


def test_bulk_resumes_after_sigkill_each_invoice_written_once(
    sandbox_connection, accountant, sandbox_control, durable_queue, processes
):
    invoices = _fresh_invoices(sandbox_connection, BULK)
    sandbox_control.faults(latency_ms=60, endpoints=[TRAITER])
    run = services.bulk_process_start(user=accountant, invoices=invoices, target=lc.SERVICE_FAIT)
    first = processes.worker()
    # Kill it midway, while a write is in flight at the sandbox (received, not yet answered).
    _wait(lambda: _settled(run) >= BULK // 3, timeout=60, what="a third of the invoices settled", processes=processes)
    _wait(
        lambda: sandbox_control.calls(TRAITER) > _settled(run),
        timeout=10,
        what="a write in flight",
        processes=processes,
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert _settled(run) < BULK
    # A new worker takes the rest; the schedule's recovery job reconciles the lost invoice.
    processes.worker()
    time.sleep(1.6)  # the killed worker falls silent
    from chorusweb.tasks import recover_task

    recover_task.enqueue()
    _wait(
        lambda: BulkRun.objects.get(pk=run.pk).state == BulkRun.State.FINISHED,
        timeout=90,
        what="the run to finish",
        processes=processes,
    )
    entries = AuditEntry.objects.filter(batch=run.pk)
    assert entries.count() == BULK
    assert not AuditEntry.objects.filter(state=AuditEntry.State.PENDING).exists()
    assert set(entries.values_list("state", flat=True)) == {AuditEntry.State.DONE}
    assert entries.filter(outcome__icontains="après interruption").count() == 1
    assert sandbox_control.calls(TRAITER) == BULK  # not one more: the lost one was checked, never resent
    assert set(ReceivedInvoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("status", flat=True)) == {
        lc.SERVICE_FAIT
    }


@pytest.mark.parametrize("applied", [True, False], ids=["write-applied", "write-lost"])
def test_worker_killed_between_write_and_settle_is_reconciled_never_resent(
    sandbox_connection, accountant, sandbox_control, durable_queue, processes, applied
):
    """The sandbox holds the answer (timeout fault) so that the worker dies after the write
    and before the settle; when not applied, the write was refused before reaching upstream."""
    invoice = _fresh_invoices(sandbox_connection, 1)[0]
    if applied:
        sandbox_control.faults(timeout_seconds=8, endpoints=[TRAITER], count=1)
    else:
        sandbox_control.faults(latency_ms=8000, error_status=503, error_rate=1, endpoints=[TRAITER], count=1)
    run = services.bulk_process_start(user=accountant, invoices=[invoice], target=lc.SERVICE_FAIT)
    worker = processes.worker()
    _wait(lambda: sandbox_control.calls(TRAITER) == 1, timeout=30, what="the write", processes=processes)
    if applied:
        _wait(
            lambda: _upstream_status(invoice) == lc.SERVICE_FAIT,
            timeout=10,
            what="the write applied upstream",
        )
    entry = AuditEntry.objects.get(batch=run.pk)
    assert entry.state == AuditEntry.State.PENDING and entry.worker_id
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    processes.worker()
    time.sleep(1.6)
    from chorusweb.tasks import recover_task

    recover_task.enqueue()
    _wait(
        lambda: AuditEntry.objects.get(pk=entry.pk).state != AuditEntry.State.PENDING,
        timeout=30,
        what="the reconciliation",
        processes=processes,
    )
    entry.refresh_from_db()
    if applied:
        assert entry.state == AuditEntry.State.DONE
        assert "après interruption" in entry.outcome
    else:
        assert entry.state == AuditEntry.State.UNCONFIRMED
        assert entry.awaits_decision
    time.sleep(1)  # the resumed item task, if any, has had its chance to (wrongly) resend
    assert sandbox_control.calls(TRAITER) == 1
    assert AuditEntry.objects.filter(invoice_id=invoice.invoice_id, action="process").count() == 1


def _upstream_status(invoice) -> str:
    from sandbox.models import Invoice

    return Invoice.objects.filter(pk=invoice.invoice_id).values_list("statut", flat=True).first() or ""


def test_graceful_stop_settles_the_invoice_in_flight_and_leaves_the_rest_queued(
    sandbox_connection, accountant, sandbox_control, durable_queue, processes
):
    invoices = _fresh_invoices(sandbox_connection, 6)
    sandbox_control.faults(latency_ms=400, endpoints=[TRAITER])
    run = services.bulk_process_start(user=accountant, invoices=invoices, target=lc.SERVICE_FAIT)
    worker = processes.worker()
    _wait(lambda: sandbox_control.calls(TRAITER) >= 2, timeout=30, what="two writes", processes=processes)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    done = _settled(run)
    assert 2 <= done < 6
    assert not AuditEntry.objects.filter(state=AuditEntry.State.PENDING).exists()  # the one in flight settled
    assert BulkRun.objects.get(pk=run.pk).state == BulkRun.State.RUNNING
    sandbox_control.clear()
    processes.worker()
    _wait(
        lambda: BulkRun.objects.get(pk=run.pk).state == BulkRun.State.FINISHED,
        timeout=60,
        what="the rest of the run",
        processes=processes,
    )
    assert AuditEntry.objects.filter(batch=run.pk, state=AuditEntry.State.DONE).count() == 6


def test_sync_of_a_dead_worker_is_released_by_its_heartbeat(sandbox_connection, settings):
    settings.CHORUSWEB_WORKER_STALE_SECONDS = 1.5
    from django.utils import timezone

    from chorusweb.sync import SyncAlreadyRunning, sync_start

    stuck = sync_start(connection=sandbox_connection, workspace="received")
    SyncRun.objects.filter(pk=stuck.pk).update(heartbeat_at=timezone.now())
    with pytest.raises(SyncAlreadyRunning):
        sync_start(connection=sandbox_connection, workspace="received")
    SyncRun.objects.filter(pk=stuck.pk).update(heartbeat_at=timezone.now() - timezone.timedelta(seconds=2))
    fresh = sync_start(connection=sandbox_connection, workspace="received")
    stuck.refresh_from_db()
    assert stuck.state == SyncRun.State.FAILED and "Interrompue" in stuck.error
    assert fresh.state == SyncRun.State.RUNNING


def test_schedule_enqueues_a_sync_of_every_active_connection_once_with_two_schedulers(processes, durable_queue):
    from django_tasks_db.models import DBTaskResult

    active = [ConnectionFactory(name=f"Active {i}") for i in range(3)]
    ConnectionFactory(name="Inactive", is_active=False)
    redis_url = f"redis://127.0.0.1:6379/{10 + os.getpid() % 6}"
    lock_env = {"CRONTASK_REDIS_URL": redis_url, "CHORUSWEB_SYNC_EVERY": str(2 / 60)}  # a tick every 2 s
    import redis

    redis.Redis.from_url(redis_url).delete("crontask-lock")
    first = processes.start("crontask", "--no-heartbeat", **lock_env)
    second = processes.start("crontask", "--no-heartbeat", **lock_env)
    ticks = DBTaskResult.objects.filter(task_path="chorusweb.tasks.sync_all_task")
    # Ticks fall on the same instants for every scheduler (every 2 s on the clock): a second
    # scheduler firing too would enqueue a second row at the same instant.
    _wait(lambda: ticks.count() >= 3, timeout=60, what="three ticks", processes=processes)
    assert first.poll() is None
    times = sorted(ticks.values_list("enqueued_at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) > 1, (gaps, processes.logs())
    assert "Another scheduler is already running" in processes.logs() or second.poll() is None
    # The tick's job opens and enqueues one sync per active connection and workspace.
    from chorusweb.tasks import SYNC_TASKS, sync_all_task

    sync_all_task.call()
    runs = SyncRun.objects.filter(state=SyncRun.State.RUNNING)
    assert {r.connection_id for r in runs} == {c.pk for c in active}
    assert runs.count() == len(SYNC_TASKS) * len(active)
    queued = DBTaskResult.objects.filter(task_path__in=[path for _workspace, path in SYNC_TASKS])
    assert sorted(q.args_kwargs["args"][0] for q in queued) == sorted(r.pk for r in runs)


def test_worker_heartbeat_marks_it_alive_then_gone(processes, durable_queue, settings):
    from chorusweb.tasks import purge_task
    from chorusweb.workers import live_worker_ids

    purge_task.enqueue()
    worker = processes.worker()
    beat = _wait(lambda: WorkerBeat.objects.first(), timeout=20, what="a heartbeat", processes=processes)
    assert beat.worker_id in live_worker_ids()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    time.sleep(1.7)
    assert beat.worker_id not in live_worker_ids()
