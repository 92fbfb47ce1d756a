"""Durable queue benchmark: bulk throughput with 1, 2 and 4 worker processes, queue overhead.

    python -m bench.workers            # run by `make bench` (skip there with --skip-workers)

Everything runs in processes this script starts and stops: a sandbox server answering every
API call after SANDBOX_LATENCY_MS (200 ms, as a remote Chorus Pro would), `db_worker`
processes, on a database of its own that it flushes (bench/results/bench-workers.sqlite3, or
BENCH_WORKERS_DATABASE_URL, e.g. a PostgreSQL database made for it). A bulk run of N invoices
is timed from its start until its last invoice is settled; the overhead of the queue is timed
on tasks that do nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _setup(db_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorusweb.settings")
    # A database of its own (it is flushed): never the views bench's data.
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_WORKERS_DATABASE_URL") or f"sqlite:///{db_path}"
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["SANDBOX_ENABLED"] = "true"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _start(args: list[str], **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


def _workers(count: int) -> list[subprocess.Popen]:
    """Start `count` workers and wait until each has run a task (they are then polling)."""
    from django_tasks_db.models import DBTaskResult

    from bench.tasks import noop_task

    workers = [
        _start(["db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.05", "--no-startup-delay"])
        for _ in range(count)
    ]
    DBTaskResult.objects.all().delete()
    _wait(lambda: all(w.poll() is None for w in workers), 5, "workers")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # One warm-up task per worker until every worker has claimed one.
        noop_task.enqueue()
        time.sleep(0.2)
        seen = {wid for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for wid in ids}
        if len(seen) >= count:
            break
    _wait(lambda: not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists(), 60, "warm-up")
    return workers


def _bulk(connection, user, size: int) -> float:
    """Seconds for a bulk run of `size` fresh invoices, from its start to its last settled invoice."""
    from chorusweb import lifecycle as lc
    from chorusweb.models import BulkRun
    from invoices import services
    from invoices.models import ReceivedInvoice
    from sandbox import services as sandbox_services

    ids = sandbox_services.deposit(size)
    run = services.sync_received(connection=connection)
    assert run.state == "succeeded", run.error
    invoices = list(ReceivedInvoice.objects.filter(connection=connection, invoice_id__in=ids))
    start = time.perf_counter()
    bulk = services.bulk_process_start(user=user, invoices=invoices, target=lc.SERVICE_FAIT)
    _wait(lambda: BulkRun.objects.get(pk=bulk.pk).state == "finished", 600, "the bulk run")
    elapsed = time.perf_counter() - start
    from chorusweb.models import AuditEntry

    done = AuditEntry.objects.filter(batch=bulk.pk, state="done").count()
    assert done == size, f"{done} of {size} invoices applied"
    return elapsed


def _overhead(tasks: int) -> tuple[float, float]:
    """(ms to enqueue one task, ms per task from enqueue to finished) with one idle worker."""
    from django_tasks_db.models import DBTaskResult

    from bench.tasks import noop_task

    DBTaskResult.objects.all().delete()
    start = time.perf_counter()
    for _ in range(tasks):
        noop_task.enqueue()
    enqueued = time.perf_counter() - start
    _wait(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == tasks, 300, "no-op tasks")
    total = time.perf_counter() - start
    return enqueued / tasks * 1000, total / tasks * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=40, help="invoices per bulk run")
    parser.add_argument("--latency", type=int, default=200, help="sandbox latency per call, ms")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to time")
    parser.add_argument("--tasks", type=int, default=200, help="no-op tasks of the overhead measure")
    args = parser.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)
    db_path = RESULTS / "bench-workers.sqlite3"
    db_path.unlink(missing_ok=True)
    _setup(db_path)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench.__main__ import _free_port, _wait_up
    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
    from chorusweb.models import Connection, Membership, Role
    from sandbox import services as sandbox_services

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    sandbox_services.reset(seed_number=13, size="small", large=False)
    port = _free_port()
    server = _start(["runserver", f"127.0.0.1:{port}", "--noreload"], SANDBOX_LATENCY_MS=str(args.latency))
    rows: list[tuple[str, str, str]] = []
    try:
        _wait_up(f"http://127.0.0.1:{port}", server)
        connection = Connection.objects.create(
            name="Bench workers",
            api_base_url=f"http://127.0.0.1:{port}/sandbox",
            account_email=DEMO_FACTPULSE_EMAIL,
            password=DEMO_FACTPULSE_PASSWORD,
            client_uid=DEMO_CLIENT_UID,
        )
        user = get_user_model().objects.create_user("bench-workers")
        Membership.objects.create(user=user, connection=connection, role=Role.RECIPIENT)
        base = None
        for count in [int(c) for c in args.workers.split(",")]:
            workers = _workers(count)
            try:
                elapsed = _bulk(connection, user, args.invoices)
            finally:
                _stop(workers)
            rate = args.invoices / elapsed
            base = base or rate
            rows.append(
                (
                    f"Bulk of {args.invoices} invoices, {count} worker{'s' if count > 1 else ''}",
                    f"{rate:.1f} inv/s",
                    f"{elapsed:.1f} s, x{rate / base:.1f}, {args.latency} ms per call",
                )
            )
        workers = _workers(1)
        try:
            enqueue_ms, per_task_ms = _overhead(args.tasks)
        finally:
            _stop(workers)
        rows.append(("Queue: enqueue one task", f"{enqueue_ms:.1f} ms", "one INSERT"))
        rows.append(
            ("Queue: overhead per task", f"{per_task_ms:.1f} ms", f"{args.tasks} no-op tasks, 1 worker, end to end")
        )
    finally:
        _stop([server])
    from django.db import connection as db

    width = max(len(r[0]) for r in rows)
    print(f"\nDurable queue ({db.vendor}, django-tasks-db):")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
