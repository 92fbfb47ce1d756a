"""chorusweb benchmarks: `make bench` (or `python -m bench`). Prints a table of medians.

    make bench                                        # 100,000 invoices, SQLite
    make bench BENCH_ARGS="--scale 1000000"           # a million (generated once, then reused)
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/chorusweb_bench

The data is shaped like synced data: upstream rows of ~1 KB read by the gateway's reader and
stored by the sync's own writer, queue counters rebuilt as a full sync does (bench/data.py).
It is generated once per scale into bench/results/bench-<scale>.sqlite3 (or the PostgreSQL
database of DATABASE_URL) and reused while it holds that many invoices (`--fresh` rebuilds).

Every timed view is checked before it is timed (bench/views.py): the rows on the page, the
count shown (against plain queries of the data) and its query count; a view that renders an
empty state where rows exist stops the bench. No request leaves for a server the bench did not
start. Server times are measured around the Django handler (django.test.Client); the load run
measures gunicorn over HTTP on 127.0.0.1. The figures are printed, never asserted as timings.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

Row = tuple[str, str, str]


def _setup_django(db_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorusweb.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db_path}")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    # Production-like: DEBUG off (cached templates, no query log), sandbox on, plain HTTP.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "ZGV2LW9ubHktY2hvcnVzd2ViLWZpZWxkLWtleS0wMDA=")
    os.environ["SANDBOX_ENABLED"] = "true"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "*"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["DJANGO_SESSION_COOKIE_SECURE"] = "false"
    os.environ["DJANGO_CSRF_COOKIE_SECURE"] = "false"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


class PeakRss:
    """Samples the process's resident memory every 5 ms to find the peak above a baseline."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        gc.collect()
        self.baseline = _rss_mb()
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def above(self) -> float:
        return self.peak - self.baseline


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_up(url: str, server) -> None:
    import urllib.request

    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"The server for {url} exited with {server.returncode}.")
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"The server for {url} did not start.")


class Server:
    """A server the bench starts itself, on 127.0.0.1 only, and always stops."""

    def __init__(self, argv: list[str], port: int) -> None:
        import subprocess

        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_up(self.url, self.process)

    def shutdown(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except Exception:
            self.process.kill()
            self.process.wait(timeout=5)


def _serve() -> Server:
    """Serve the project (its sandbox) from a separate process, as FactPulse would be remote."""
    port = _free_port()
    return Server([sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"], port)


def _database_label() -> str:
    from django.db import connection as db

    return f"{db.vendor} {'.'.join(map(str, db.Database.sqlite_version_info)) if db.vendor == 'sqlite' else ''}".strip()


def _prepare(scale: int, validation: int, fresh: bool) -> str:
    """Reuse the database of an earlier run at this scale, or generate it."""
    from django.core.management import call_command

    from bench import data

    call_command("migrate", verbosity=0, interactive=False)
    stored = None if fresh else data.stored_scale()
    if stored == scale:
        _cleanup_previous_runs()
        return f"reused ({scale:,} invoices)"
    call_command("flush", verbosity=0, interactive=False)
    start = time.perf_counter()
    data.populate(scale, validation=validation, progress=lambda line: print(line, flush=True))
    return f"generated in {time.perf_counter() - start:.0f} s"


def _cleanup_previous_runs() -> None:
    """What an earlier run left beside the bench data (its sync connections)."""
    from bench import data
    from chorusweb.models import Connection

    Connection.objects.exclude(name=data.CONNECTION_NAME).delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="received invoices in the mirror")
    parser.add_argument("--validation", type=int, default=None, help="invoices to validate (default scale/10)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per view (default 30, 5 at 1M)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the data even if a copy exists")
    parser.add_argument("--sync", type=int, default=10_000, help="invoices of the timed sync")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--skip-download", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--load", type=float, default=0, help="seconds of load run per scenario (0: none)")
    parser.add_argument("--users", type=int, default=10, help="simultaneous users of the load run")
    parser.add_argument("--skip-workers", action="store_true", help="skip the durable queue bench (bench/workers.py)")
    parser.add_argument("--skip-alerts", action="store_true", help="skip the alerts bench (bench/alerts.py)")
    parser.add_argument("--alert-users", type=int, default=1000, help="users of the alerts bench")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.scale >= 500_000 else 30)
    validation = args.validation if args.validation is not None else min(args.scale // 10, 100_000)

    RESULTS.mkdir(parents=True, exist_ok=True)
    db_path = RESULTS / f"bench-{args.scale}.sqlite3"
    _setup_django(db_path)

    from django.conf import settings
    from django.core.management import call_command

    from bench import data

    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = RESULTS / "media"
    print(f"Database: {_database_label()}, {args.scale:,} invoices", flush=True)
    print(f"Processor reference: {processor_reference()}", flush=True)
    print(f"Data: {_prepare(args.scale, validation, args.fresh)}", flush=True)
    call_command("collectstatic", verbosity=0, interactive=False)

    rows: list[Row] = []
    with data.no_outside_http():
        rows += bench_views(runs)
        from bench.dashboard import bench_dashboard

        rows += bench_dashboard(runs)
        if not args.skip_export:
            rows += bench_export()
        if not args.skip_alerts:
            from bench.alerts import bench_alerts

            rows += bench_alerts(users=args.alert_users)
    if not args.skip_sync or not args.skip_download or args.load:
        rows += _bench_seed()
        os.environ["SANDBOX_LARGE_DOCUMENTS"] = "true"
        server = _serve()
        try:
            with data.no_outside_http(allowed=(server.url,)):
                if not args.skip_sync:
                    rows += _bench_sync(server.url, args.sync)
                if not args.skip_download:
                    rows += _bench_download(server.url)
            if args.load:
                from bench.load import bench_load

                if args.skip_sync:  # the sandbox holds what the load run's syncs read
                    _sandbox_for_sync(args.sync)
                rows += bench_load(seconds=args.load, users=args.users, sync_url=server.url)
        finally:
            server.shutdown()
            _cleanup_previous_runs()
    rows.append(("Processor reference (fixed Python work), at the end", processor_reference(), ""))
    print_table(rows)
    if not args.skip_workers:
        import subprocess

        # Its own processes and database (bench/workers.py): bulk throughput with 1, 2, 4 workers.
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASKS_BACKEND", "DJANGO_DEBUG")}
        subprocess.run([sys.executable, "-m", "bench.workers"], cwd=ROOT, env=env, check=True)
    return 0


def processor_reference() -> str:
    """This machine's speed of the moment, which varies here by half from hour to hour: a fixed
    pure-Python loop and a fixed object-heavy piece (300,000 small dicts built and sorted, which
    moves memory as a request does), medians of 3. Figures compare between runs of one reference."""
    import random

    def loop() -> float:
        start = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i
        return (time.process_time() - start) * 1000

    def objects() -> float:
        start = time.process_time()
        rng = random.Random(1)
        rows = [{"id": i, "name": f"n{i}", "v": rng.random()} for i in range(300_000)]
        rows.sort(key=lambda row: row["v"])
        return (time.process_time() - start) * 1000

    return f"loop {sorted(loop() for _ in range(3))[1]:.0f} ms, objects {sorted(objects() for _ in range(3))[1]:.0f} ms"


def print_table(rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'median / figure':>16}  note")
    print("-" * (width + 60))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}", flush=True)


def bench_views(runs: int, *, include_search: bool = True) -> list[Row]:
    """Every timed view, checked then timed; the floor of the default tab."""
    from bench import cases, data
    from bench.views import floor_ms, measure
    from invoices.selectors import LIST_FIELDS

    clients = data.clients()
    out: list[Row] = []
    default_ms = None
    for case in [*cases.received_cases(include_search=include_search), *cases.validation_cases()]:
        result = measure(case, clients[case.client], runs)
        if default_ms is None:
            default_ms = result.median_ms
        note = f"{result.queries} queries, {result.rows} rows"
        if result.shown:
            note += f", shows {result.shown!r}"
        out.append((case.name, f"{result.median_ms:.1f} ms", note))
        print(f"  {case.name}: {result.median_ms:.1f} ms ({note})", flush=True)
    floor = floor_ms(clients["user"], "/factures/", runs, tuple(LIST_FIELDS))
    ratio = f"default tab = {default_ms / floor:.1f}x floor"
    out.append(("Floor of the default tab (its SQL raw + bare table)", f"{floor:.1f} ms", ratio))
    return out


def bench_export() -> list[Row]:
    """The CSV export of every invoice: time, rows written (checked), peak memory."""
    from bench import data
    from invoices.models import ReceivedInvoice

    client = data.clients()["user"]
    expected = ReceivedInvoice.objects.count()
    # warm up (modules imported by a first export) so that RSS measures what the rows cost
    b"".join(client.get("/factures/export.csv?onglet=toutes&numero=none-such").streaming_content)
    with PeakRss() as rss:
        start = time.perf_counter()
        response = client.get("/factures/export.csv?onglet=toutes")
        lines = 0
        size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        elapsed = time.perf_counter() - start
    if lines != expected + 1:
        from bench.views import BenchFailure

        raise BenchFailure(f"CSV export wrote {lines - 1} rows, the data holds {expected}")
    return [
        (
            f"CSV export of {expected:,} invoices",
            f"{elapsed:.1f} s",
            f"{expected / elapsed:,.0f} rows/s, {size / 1e6:.0f} MB, RSS +{rss.above:.0f} MB",
        )
    ]


def _bench_seed() -> list[Row]:
    from sandbox import services as sandbox_services

    start = time.perf_counter()
    summary = sandbox_services.reset(size="full", large=False)
    seed = time.perf_counter() - start
    start = time.perf_counter()
    sandbox_services.deposit(10_000)
    deposit = time.perf_counter() - start
    return [
        (f"Sandbox full seed ({summary.invoices:,} invoices)", f"{seed:.2f} s", "target < 60 s"),
        ("Sandbox deposit of 10,000 invoices", f"{deposit:.2f} s", ""),
    ]


def _sandbox_for_sync(count: int) -> None:
    from sandbox import services as sandbox_services

    sandbox_services.reset(seed_number=11, size="small", large=False)
    sandbox_services.deposit(count)


def _bench_sync(base_url: str, count: int) -> list[Row]:
    from django.utils import timezone

    from bench.data import analyze
    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
    from chorusweb.models import Connection
    from invoices.models import ReceivedInvoice
    from invoices.services import sync_received

    _sandbox_for_sync(count)
    conn = Connection.objects.create(
        name="Bench sandbox",
        api_base_url=f"{base_url}/sandbox",
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
    )
    analyze()
    with PeakRss() as rss:
        start = time.perf_counter()
        run = sync_received(connection=conn, full=True)
        elapsed = time.perf_counter() - start
    assert run.state == "succeeded", run.error
    rate = run.rows_seen / elapsed

    # An incremental sync with nothing changed upstream: what it reads, what it writes.
    before = timezone.now()
    start = time.perf_counter()
    incremental = sync_received(connection=conn)
    inc_elapsed = time.perf_counter() - start
    assert incremental.state == "succeeded", incremental.error
    written = ReceivedInvoice.objects.filter(connection=conn, synced_at__gte=before).count()

    # Memory, measured in a second pass (tracemalloc slows Python down too much to be timed).
    conn.pk = None
    conn.name = "Bench sandbox (memory)"
    conn.save()
    tracemalloc.start()
    run = sync_received(connection=conn, full=True)
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        (f"Sync of {run.rows_seen:,} invoices", f"{rate:,.0f} inv/s", f"{elapsed:.2f} s, target >= 2,000 inv/s"),
        ("Sync peak memory (Python / RSS)", f"{py_peak / 1e6:.1f} MB", f"RSS +{rss.above:.1f} MB (1,000-row pages)"),
        (
            "Incremental sync, nothing changed",
            f"{written:,} rows written",
            f"{inc_elapsed:.2f} s, {incremental.pages} upstream pages, {incremental.rows_seen:,} rows read; target 0",
        ),
    ]


def _bench_download(base_url: str) -> list[Row]:
    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
    from chorusweb.factpulse import get_client
    from chorusweb.models import Connection
    from sandbox import services as sandbox_services

    summary = sandbox_services.reset(seed_number=12, size="small", large=True)
    if not summary.large_invoice_ids:
        return [("Large download", "skipped", "no large invoice in the seed")]
    conn = Connection.objects.create(
        name="Bench download",
        api_base_url=f"{base_url}/sandbox",
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
    )
    client = get_client(conn)
    client.rechercher_factures_destinataire(page_size=1)  # log in before measuring
    with PeakRss() as rss:
        start = time.perf_counter()
        document = client.telecharger_groupe_factures(
            invoice_ids=list(summary.large_invoice_ids[:1]), file_format="ZIP", include_attachments=True
        )
        elapsed = time.perf_counter() - start
    size_mb = document.size / 1e6
    document.cleanup()
    tracemalloc.start()
    client.telecharger_groupe_factures(
        invoice_ids=list(summary.large_invoice_ids[:1]), file_format="ZIP", include_attachments=True
    ).cleanup()
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        (
            f"Group download ({size_mb:.0f} MB decoded)",
            f"{size_mb / elapsed:.0f} MB/s",
            f"{elapsed:.2f} s, target >= 80",
        ),
        ("Download peak memory (Python / RSS)", f"{py_peak / 1e6:.1f} MB", f"RSS +{rss.above:.1f} MB, target <= 64 MB"),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
