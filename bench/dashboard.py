"""The dashboard at scale: the page (checked, then timed) and its Excel export.

The page must show the number of late invoices that a plain query of the mirror counts, and
stay within its query budget (constant whatever the data: asserted by tests/dashboard too);
the workbook must hold one sheet per table.
"""

from __future__ import annotations

import html
import io
import re
import statistics
import time

from bench.views import BenchFailure

#: Session, user, memberships, menu counts, the dashboard's grouped reads, the service codes.
DASHBOARD_QUERIES = 20
URL = "/tableau-de-bord/"
LATE = re.compile(r'id="table-retards".*?<a href="[^"]*">([^<]+)</a>', re.S)


def _late_expected() -> int:
    from django.utils import timezone

    from invoices.models import ReceivedInvoice

    return ReceivedInvoice.objects.filter(clock_state="running", clock_due__lt=timezone.localdate()).count()


def _shown(body: str) -> int | None:
    match = LATE.search(body)
    if not match:
        return None
    digits = re.sub(r"\D", "", html.unescape(match.group(1)))
    return int(digits) if digits else None


def bench_dashboard(runs: int) -> list[tuple[str, str, str]]:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext
    from openpyxl import load_workbook

    from bench import data
    from invoices.models import ReceivedInvoice

    client = data.clients()["user"]
    total = ReceivedInvoice.objects.count()
    client.get(URL)  # warm-up
    with CaptureQueriesContext(db) as ctx:
        response = client.get(URL)
    if response.status_code != 200:
        raise BenchFailure(f"dashboard: status {response.status_code}")
    queries = len(ctx.captured_queries)
    shown, expected = _shown(response.content.decode()), _late_expected()
    if shown != expected:
        raise BenchFailure(f"dashboard: shows {shown} late invoices, the data holds {expected}")
    if queries > DASHBOARD_QUERIES:
        raise BenchFailure(f"dashboard: {queries} queries, budget {DASHBOARD_QUERIES}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(URL)
        times.append((time.perf_counter() - start) * 1000)
    rows = [
        (f"Dashboard, {total:,} invoices", f"{statistics.median(times):.1f} ms", f"{queries} queries, {shown:,} late")
    ]

    start = time.perf_counter()
    response = client.get(URL + "export.xlsx")
    elapsed = (time.perf_counter() - start) * 1000
    sheets = load_workbook(io.BytesIO(response.content), read_only=True).sheetnames
    if response.status_code != 200 or len(sheets) < 8:
        raise BenchFailure(f"dashboard Excel export: status {response.status_code}, {len(sheets)} sheets")
    rows.append(
        ("Dashboard Excel export", f"{elapsed:.1f} ms", f"{len(sheets)} sheets, {len(response.content) / 1e3:.0f} kB")
    )
    for name, value, note in rows:
        print(f"  {name}: {value} ({note})", flush=True)
    return rows
