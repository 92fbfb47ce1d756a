"""chorusweb benchmarks: `make bench` (or `python -m bench`). Prints a table of medians.

It builds its own database (a fresh SQLite file under bench/results/, or DATABASE_URL when
set), mirrors 100,000 received invoices, then measures in one run:

- the received invoices list page (full and htmx partial), its SQL query count;
- the same data in the Django admin changelist;
- a filtered and sorted view; the detail page;
- a 10,000-invoice sync from the sandbox served over real HTTP (invoices/s, peak memory);
- a ~110 MB group download from the sandbox (MB/s, peak memory above baseline).

Server times are measured around the Django handler (django.test.Client), not timed tests.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


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


def _serve() -> tuple[str, object]:
    """Serve the project (its sandbox) from a separate process, as FactPulse would be remote.

    The measured process then does only the dashboard's own work; the sandbox uses the same
    database (SQLite in WAL mode, or DATABASE_URL).
    """
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError("The sandbox server did not start.")

    class Handle:
        def shutdown(self) -> None:
            server.terminate()
            server.wait(timeout=10)

    return url, Handle()


def _populate(n: int) -> None:
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chorusweb import lifecycle as lc
    from chorusweb.models import Connection, Membership, Role
    from invoices.models import ReceivedInvoice

    User = get_user_model()
    user = User.objects.create_user("bench", password="bench-password-1")
    User.objects.create_superuser("bench-admin", password="bench-password-1")
    conn = Connection.objects.create(name="Bench", account_email="bench@example.test", password="x")
    Membership.objects.create(user=user, connection=conn, role=Role.RECIPIENT)
    rng = random.Random(1)
    statuses = list(lc.RECIPIENT_STATUSES)
    suppliers = [(f"Fournisseur {i} SAS", f"4{i:013d}") for i in range(400)]
    services = ["FIN", "RH", "TECH", "ECOLES", "VOIRIE"]
    today = timezone.localdate()
    now = timezone.now()
    batch = []
    for i in range(n):
        name, siret = rng.choice(suppliers)
        ht = Decimal(rng.randint(1000, 5_000_000)) / 100
        batch.append(
            ReceivedInvoice(
                connection=conn,
                invoice_id=1_000_000 + i,
                invoice_number=f"F{2025 + i % 2}-{i:07d}",
                invoice_type="AVOIR" if i % 37 == 0 else "FACTURE",
                status=rng.choice(statuses),
                status_changed_at=now - timedelta(minutes=i),
                invoice_date=today - timedelta(days=rng.randint(5, 540)),
                deposit_date=today - timedelta(days=rng.randint(0, 540)),
                total_excl_tax=ht,
                total_incl_tax=(ht * Decimal("1.2")).quantize(Decimal("0.01")),
                amount_due=(ht * Decimal("1.2")).quantize(Decimal("0.01")),
                supplier_code=siret,
                supplier_name=name,
                service_code=rng.choice(services),
                recipient_name="Commune de Bench",
                synced_at=now,
                raw={"idFacture": 1_000_000 + i},
            )
        )
        if len(batch) == 5000:
            ReceivedInvoice.objects.bulk_create(batch)
            batch = []
    if batch:
        ReceivedInvoice.objects.bulk_create(batch)
    from django.db import connection as db

    if db.vendor == "sqlite":
        with db.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with db.cursor() as cursor:
            cursor.execute("ANALYZE invoices_receivedinvoice")


def _settle_database() -> None:
    """Fold SQLite's write-ahead log after bulk loading, as a long-running database would be."""
    from django.db import connection as db

    if db.vendor == "sqlite":
        with db.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _time_get(client, url: str, runs: int, **headers) -> tuple[float, int]:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(db) as ctx:
        client.get(url, **headers)
    return statistics.median(times), len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sync", type=int, default=10_000)
    parser.add_argument("--skip-download", action="store_true")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    db_path = RESULTS / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    _setup_django(db_path)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = RESULTS / "media"
    print(f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    rows: list[tuple[str, str, str]] = []
    t0 = time.perf_counter()
    _populate(args.invoices)
    print(f"Mirrored {args.invoices:,} invoices in {time.perf_counter() - t0:.1f} s", flush=True)

    from invoices.models import ReceivedInvoice

    client = Client()
    client.login(username="bench", password="bench-password-1")
    admin = Client()
    admin.login(username="bench-admin", password="bench-password-1")
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}
    pk = ReceivedInvoice.objects.order_by("-deposit_date").values_list("pk", flat=True).first()

    full, q_full = _time_get(client, "/factures/?onglet=toutes", args.runs)
    rows.append(("List page, full (all 100k)", f"{full:.1f} ms", f"{q_full} queries"))
    queue, q_queue = _time_get(client, "/factures/", args.runs)
    rows.append(("List page, full (To process tab)", f"{queue:.1f} ms", f"{q_queue} queries"))
    part, q_part = _time_get(client, "/factures/?onglet=toutes", args.runs, **htmx)
    rows.append(("List page, htmx partial", f"{part:.1f} ms", f"{q_part} queries"))
    adm, q_adm = _time_get(admin, "/admin/invoices/receivedinvoice/", max(5, args.runs // 3))
    rows.append(("Django admin changelist", f"{adm:.1f} ms", f"{q_adm} queries"))
    rows.append(("List full / admin", f"{full / adm:.2f}", "target <= 0.5"))
    filt, q_filt = _time_get(
        client, "/factures/?onglet=toutes&fournisseur=Fournisseur+12&montant_min=100&tri=-ttc", args.runs, **htmx
    )
    rows.append(("Filtered + sorted view (htmx)", f"{filt:.1f} ms", f"{q_filt} queries"))
    det, q_det = _time_get(client, f"/factures/{pk}/", args.runs)
    rows.append(("Detail page", f"{det:.1f} ms", f"{q_det} queries"))

    rows += _bench_seed()
    os.environ["SANDBOX_LARGE_DOCUMENTS"] = "true"
    base_url, server = _serve()
    try:
        rows += _bench_sync(base_url, args.sync)
        if not args.skip_download:
            rows += _bench_download(base_url)
    finally:
        server.shutdown()

    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'median / figure':>16}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    return 0


def _bench_seed() -> list[tuple[str, str, str]]:
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


def _bench_sync(base_url: str, count: int) -> list[tuple[str, str, str]]:
    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
    from chorusweb.models import Connection
    from invoices.services import sync_received
    from sandbox import services as sandbox_services

    sandbox_services.reset(seed_number=11, size="small", large=False)
    sandbox_services.deposit(count)
    conn = Connection.objects.create(
        name="Bench sandbox",
        api_base_url=f"{base_url}/sandbox",
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
    )
    _settle_database()
    with PeakRss() as rss:
        start = time.perf_counter()
        run = sync_received(connection=conn, full=True)
        elapsed = time.perf_counter() - start
    assert run.state == "succeeded", run.error
    rate = run.rows_seen / elapsed

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
    ]


def _bench_download(base_url: str) -> list[tuple[str, str, str]]:

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
