"""Timed views: each one checks what it rendered (rows on the page, count shown, queries) first.

A view that renders an empty state where the data holds rows, a count that differs from the
data, or more queries than its budget raises `BenchFailure`: the bench then stops instead of
printing a figure of a page nobody asked for.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROW = re.compile(r'name="ids" value="\d+"')
TITLE = re.compile(r'<h2 id="results-title"[^>]*>(.*?)</h2>', re.S)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


class BenchFailure(AssertionError):
    """A timed view did not render what the data holds."""


@dataclass
class Expect:
    """What a view must render: `count` matching rows in all, `rows` on this page."""

    count: int
    rows: int
    max_queries: int
    kind: str = "list"  # list | admin | detail
    contains: str = ""  # detail: a text the page must show


@dataclass
class Case:
    name: str
    url: str
    expect: Callable[[], Expect]
    client: str = "user"  # user | admin | validator
    headers: dict = field(default_factory=dict)
    group: str = "list"


@dataclass
class Result:
    case: Case
    median_ms: float
    queries: int
    rows: int
    shown: str
    runs: list[float]


def shown_count(body: str) -> str:
    """The count the page shows in its results title ("1234", "plus de 10 000"...)."""
    match = TITLE.search(body)
    if not match:
        return ""
    text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
    head = text.split("—")[0]
    return " ".join(head.replace("\u202f", " ").replace("\u00a0", " ").split())


def _number(text: str) -> int | None:
    digits = re.sub(r"[^\d]", "", text.split("factur")[0])
    return int(digits) if digits else None


def check(case: Case, body: str, queries: int, expect: Expect) -> tuple[int, str]:
    """Raise BenchFailure unless the page shows what the data holds; return (rows, shown)."""
    if expect.kind == "admin":
        table = body.split('id="result_list"', 1)[-1].split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
        rows = table.count("<tr") if 'id="result_list"' in body else 0
        shown = f"{rows} rows"
    elif expect.kind == "detail":
        rows = 1 if expect.contains and expect.contains in body else 0
        shown = expect.contains
    else:
        rows = len(ROW.findall(body))
        shown = shown_count(body)
        number = _number(shown)
        bounded = "plus de" in shown or "more than" in shown or "≈" in shown or "environ" in shown
        if number is None:
            raise BenchFailure(f"{case.name}: no count shown ({case.url})")
        if bounded:
            if expect.count <= number:
                raise BenchFailure(f"{case.name}: shows {shown!r} for {expect.count} invoices")
        elif number != expect.count:
            raise BenchFailure(f"{case.name}: shows {shown!r}, the data holds {expect.count} ({case.url})")
    if expect.rows and rows == 0:
        raise BenchFailure(f"{case.name}: rendered no row where {expect.rows} exist ({case.url})")
    if rows != expect.rows:
        raise BenchFailure(f"{case.name}: rendered {rows} rows, expected {expect.rows} ({case.url})")
    if queries > expect.max_queries:
        raise BenchFailure(f"{case.name}: {queries} queries, budget {expect.max_queries} ({case.url})")
    return rows, shown


def measure(case: Case, client, runs: int) -> Result:
    """Check the view once (rows, count, queries), then time it `runs` times (median)."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    expect = case.expect()
    client.get(case.url, **case.headers)  # warm-up (caches, connection)
    db.queries_log.clear()
    with CaptureQueriesContext(db) as ctx:
        response = client.get(case.url, **case.headers)
    if response.status_code != 200:
        raise BenchFailure(f"{case.name}: status {response.status_code} ({case.url})")
    body = response.content.decode() if not response.streaming else ""
    queries = len(ctx.captured_queries)
    rows, shown = check(case, body, queries, expect)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(case.url, **case.headers)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise BenchFailure(f"{case.name}: status {response.status_code} ({case.url})")
    return Result(case, statistics.median(times), queries, rows, shown, times)


def floor_ms(client, url: str, runs: int, row_fields: tuple[str, ...]) -> float:
    """The floor of a list request: its own SQL replayed raw, plus a bare table of its rows (the
    result of the statement that reads the list's fields, by column name)."""
    from django.db import connection as db
    from django.template import Context, Template
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the statements of the page as it is served warm (what is timed)
    db.queries_log.clear()
    with CaptureQueriesContext(db) as ctx:
        client.get(url)
    statements = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    cells = "".join(f"<td>{{{{ r.{name} }}}}</td>" for name in row_fields)
    template = Template("<table>{% for r in rows %}<tr>" + cells + "</tr>{% endfor %}</table>")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rows = None
        with db.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                got = cursor.fetchall()
                names = [column[0] for column in cursor.description]
                if rows is None and set(row_fields) <= set(names):
                    rows = [dict(zip(names, r, strict=True)) for r in got]
        if rows is None:
            raise BenchFailure(f"no statement of {url} reads the list's fields {row_fields}")
        template.render(Context({"rows": rows}))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
