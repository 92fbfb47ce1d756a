"""Pieces shared by the workspaces' list pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property


@dataclass(frozen=True)
class TabCount:
    """A work-queue tab and how many invoices it holds under the current filters."""

    tab: Any
    count: int | None  # None: not counted (too many rows under the filters: see `bounded`)


#: Filtered counts stop here: beyond it a list says "plus de 10 000" instead of counting.
COUNT_BOUND = 10_000


def bounded_count(qs, bound: int | None = None) -> tuple[int, bool]:
    """(count, exact): the rows of `qs` counted up to `bound`; `exact` is False beyond it."""
    bound = COUNT_BOUND if bound is None else bound
    n = qs.order_by()[: bound + 1].count()
    return (bound, False) if n > bound else (n, True)


class KnownCountPaginator(Paginator):
    """A paginator told its count in advance (from a grouped query): no COUNT(*) query."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def table_estimate(model) -> int | None:
    """The planner's estimate of a table's rows (PostgreSQL reltuples, SQLite sqlite_stat1), or None."""
    from django.db import DatabaseError
    from django.db import connection as db

    table = model._meta.db_table
    try:
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
            elif db.vendor == "sqlite":
                cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx IS NULL", [table])
            else:
                return None
            row = cursor.fetchone()
    except DatabaseError:
        return None
    if not row or row[0] is None:
        return None
    value = int(str(row[0]).split()[0])
    return value if value > 0 else None


class LargeTablePaginator(Paginator):
    """For admin changelists of big tables: never COUNT(*) over the whole table.

    Unfiltered: the planner's estimate when the table is large (exact below COUNT_BOUND);
    filtered: exact up to COUNT_BOUND, then COUNT_BOUND (the page links stop there; filter
    further to reach older rows).
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not qs.query.where:
            estimate = table_estimate(qs.model)
            if estimate is not None and estimate > COUNT_BOUND:
                return estimate
        n, _ = bounded_count(qs)
        return n
