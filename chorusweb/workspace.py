"""What a workspace declares about itself, once, for the views every workspace shares; the list engine.

Each app declares one frozen `WorkspaceSpec` (`invoices/workspace.py`, `validators/workspace.py`)
and passes it to the generic views of `chorusweb/workspace_views.py` from its URLconf:

    path("synchronisation/", workspace_views.sync_refresh, {"workspace": RECEIVED}, name="sync")

No registry: the URLconf says which spec a view serves.

Below the spec, what every workspace's list is made of: its tabs (`Tab`, `tab_set()`), the filters
every list shares (`ListFilters`), the counts of one grouped query (`GroupedCounts`) giving each
tab's count and the page (`tab_page()`, no COUNT(*) query), the count bound of filtered views,
and the admin's paginator for large tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chorusweb.access import Action
from chorusweb.models import SyncRun
from chorusweb.money import net_amount
from chorusweb.selection import SelectionSummary, SessionSelection, summarize
from chorusweb.sync import SyncStatus


@dataclass(frozen=True)
class WorkspaceSpec:
    """A workspace: its permission, list page and template, selection, sync and client event."""

    name: str  # chorusweb.models.Workspace value
    view_action: Action  # needed to open the workspace at all
    list_url: str  # URL name of the list page
    list_template: str  # the list page; its regions are named partials
    selection: SessionSelection
    #: `(user=, ids=)` -> the rows of `ids` the user may see (they have a `pk`).
    by_ids: Callable[..., Iterable[Any]]
    #: `(user=)` -> the sync runs started (Refresh button).
    sync_enqueue: Callable[..., Sequence[SyncRun]]
    #: `(user=)` -> the sync statuses shown on the list page.
    sync_statuses: Callable[..., Sequence[SyncStatus]]
    #: The client event the list's results region listens to, sent once a sync has finished.
    synced_event: str
    #: What a page without JavaScript says after the Refresh button.
    sync_started_message: str
    #: `(user)` -> the flags the selection bar needs (which bulk actions to offer).
    action_flags: Callable[[Any], dict[str, bool]]
    #: `(user=, ids=)` -> the selection's count and net totals (`count`, `total_incl_tax`, ...).
    selection_summary: Callable[..., Any]
    #: `(user=, query=, limit=)` -> (the ids of the view whose query string is `query`, at most
    #: `limit`, and its count up to `limit` + 1): "select the N results of this view".
    view_ids: Callable[..., tuple[list[int], int]]
    #: URL name of one invoice's page (`pk`): where an action sent without JavaScript lands;
    #: and its template (regions `invoice-body`, the action forms).
    detail_url: str = ""
    detail_template: str = ""
    #: URL name of a bulk run's page (`run_id`), and its template (region `bulk-progress`);
    #: empty for a workspace without bulk runs.
    bulk_detail_url: str = ""
    bulk_detail_template: str = ""
    #: The list's sortable columns (`tri`), and those sorted newest or largest first on the
    #: first click (dates, amounts).
    sorts: Sequence[str] = ()
    desc_first: frozenset[str] = frozenset()
    #: The list's filter form class (`(data, connections=)`, `to_filters()`).
    filter_form: type | None = None
    #: `(user=)` -> (sync statuses, polling) of the list; a mirror never synchronised starts filling.
    first_visit: Callable[..., tuple[Sequence[SyncStatus], bool]] | None = None
    #: `(user=, filters=, page=, per_page=)` -> one page of the list (`tabs`, its rows).
    list_read: Callable[..., Any] | None = None


# --- Lists: tabs, shared filters, counts and pages ---------------------------------------------


@dataclass(frozen=True)
class Tab:
    """A tab of a workspace's list: the statuses it holds (queue states, in the validation queue).

    `statuses=None`: every status, or, for the tab of `others`, every status that no other tab of
    its list holds (`tabbed`, told by `tab_set()`): a status Chorus Pro adds tomorrow is never lost.
    """

    slug: str
    label: str
    statuses: tuple[str, ...] | None
    others: bool = False
    tabbed: frozenset[str] = frozenset()

    def holds(self, status: str) -> bool:
        if self.others:
            return status not in self.tabbed
        return self.statuses is None or status in self.statuses

    def rows(self, qs: QuerySet, field: str = "status") -> QuerySet:
        """The rows of `qs` the tab lists (`field`: the column its statuses are values of)."""
        if self.others:
            return qs.exclude(**{f"{field}__in": self.tabbed})
        return qs if self.statuses is None else qs.filter(**{f"{field}__in": self.statuses})


#: The tab of the statuses no other tab holds, and the tab of every status: most lists end with them.
OTHER_STATUSES = Tab("autres", _("Autres statuts"), None, others=True)
ALL_STATUSES = Tab("toutes", _("Toutes"), None)


def tab_set(*declared: Tab) -> tuple[Tab, ...]:
    """A list's tabs, in order; its tab of `others` is told the statuses the other tabs hold."""
    tabbed = frozenset(status for tab in declared for status in tab.statuses or ())
    return tuple(replace(tab, tabbed=tabbed) if tab.others else tab for tab in declared)


@dataclass(frozen=True)
class ListFilters:
    """What every workspace's list filters on; each workspace's filters add their own fields.

    A subclass names its list's tabs (`class QueueFilters(ListFilters, tabs=TABS)`) and redeclares
    `tab` and `sort` with its defaults (the default of `tab` is the tab an unknown slug falls
    back to).
    """

    TABS: ClassVar[tuple[Tab, ...]] = ()

    def __init_subclass__(cls, *, tabs: tuple[Tab, ...] = (), **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.TABS = tabs or cls.TABS

    tab: str = ""
    connection_id: int | None = None
    number: str = ""
    deposit_from: date | None = None
    deposit_to: date | None = None
    invoice_from: date | None = None
    invoice_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sort: str = ""

    @property
    def tab_obj(self) -> Tab:
        """The tab the filters name (an unknown slug: the list's default tab)."""
        by_slug = {tab.slug: tab for tab in self.TABS}
        return by_slug.get(self.tab) or by_slug[type(self).tab]

    def shared(self, qs: QuerySet) -> QuerySet:
        """`qs` narrowed by the filters every list shares: connection, number, dates, amount incl. tax."""
        if self.connection_id:
            qs = qs.filter(connection_id=self.connection_id)
        if self.number:
            qs = qs.filter(invoice_number__icontains=self.number.strip())
        bounds = {
            "deposit_date__gte": self.deposit_from,
            "deposit_date__lte": self.deposit_to,
            "invoice_date__gte": self.invoice_from,
            "invoice_date__lte": self.invoice_to,
            "total_incl_tax__gte": self.amount_min,
            "total_incl_tax__lte": self.amount_max,
        }
        return qs.filter(**{lookup: value for lookup, value in bounds.items() if value is not None})


def sort_order(sort: str, sorts: dict[str, tuple[str, ...]], default: str) -> list[str]:
    """The ORDER BY of a list's sort (`-key`: descending); an unknown key sorts as `default`."""
    if sort.lstrip("-") not in sorts:
        sort = default
    return [f"-{name}" if sort.startswith("-") else name for name in sorts[sort.lstrip("-")]]


#: The sort keys every list offers (URL value -> model fields), each backed by an index.
SORTS: dict[str, tuple[str, ...]] = {
    "depot": ("deposit_date", "invoice_id"),
    "date": ("invoice_date", "invoice_id"),
    "numero": ("invoice_number", "invoice_id"),
}

#: The columns every list page reads (a workspace's list adds its own).
LIST_FIELDS = (
    "id",
    "connection_id",
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "status",
    "invoice_date",
    "deposit_date",
    "total_excl_tax",
    "total_incl_tax",
    "net_excl_tax",
    "net_incl_tax",
    "currency",
    "recipient_name",
    "service_code",
    "service_name",
)


@dataclass(frozen=True)
class TabCount:
    """A work-queue tab and how many invoices it holds under the current filters."""

    tab: Any
    count: int | None  # None: not counted (too many rows under the filters: see `bounded`)


@dataclass(frozen=True)
class GroupedCounts:
    """A list's rows under its filters counted by status in one grouped query: each tab's count,
    and the sums of the statuses a tab holds (amounts, credit notes)."""

    rows: dict[str, dict]  # status -> its grouped row: `n`, its count, and the sums asked for

    @classmethod
    def of(cls, grouped: Iterable[dict], key: str = "status") -> GroupedCounts:
        return cls({row[key]: row for row in grouped})

    @classmethod
    def query(cls, qs: QuerySet, key: str = "status", **sums) -> GroupedCounts:
        """Count the rows of `qs` by `key` (and compute `sums`, aggregates by name) in one query."""
        return cls.of(qs.order_by().values(key).annotate(n=Count("id"), **sums), key)

    @property
    def by_status(self) -> dict[str, int]:
        return {status: row["n"] for status, row in self.rows.items()}

    def count(self, tab: Tab, name: str = "n") -> int:
        """The rows the tab holds (or the sum of another count, `name`)."""
        return sum(row[name] or 0 for status, row in self.rows.items() if tab.holds(status))

    def total(self, tab: Tab, name: str) -> Decimal:
        """The sum `name` over the statuses the tab holds."""
        return sum((Decimal(row[name] or 0) for status, row in self.rows.items() if tab.holds(status)), Decimal(0))

    def tab_counts(self, every: Iterable[Tab]) -> list[TabCount]:
        return [TabCount(tab, self.count(tab)) for tab in every]


def tab_page(rows: QuerySet, counts: GroupedCounts, tab: Tab, *, page: int | str, per_page: int) -> Page:
    """The page `page` of the active tab's `rows`, counted from the grouped counts (no COUNT(*))."""
    return KnownCountPaginator(rows, per_page, counts.count(tab)).get_page(page)


def first_ids(qs: QuerySet, limit: int) -> tuple[list[int], int]:
    """The pks of the first `limit` rows of a view, and how many it holds (counted up to
    `limit` + 1: over it means "too many")."""
    pks = list(qs.values_list("pk", flat=True)[: limit + 1])
    return pks[:limit], len(pks)


def visible_row(qs: QuerySet, pk: int) -> Any:
    """The row `pk` of a user's scope, with its connection; 404 otherwise (never reveal others')."""
    row = qs.select_related("connection").filter(pk=pk).first()
    if row is None:
        raise Http404(_("Facture introuvable."))
    return row


def in_order(qs: QuerySet, ids: list[int]) -> list:
    """The rows of `qs` among `ids` (pks), in the order of `ids`."""
    found = {row.pk: row for row in qs.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def selection_of(
    scope: Callable[..., QuerySet], *, user, ids: list[int], excl_tax=None, incl_tax=None
) -> SelectionSummary:
    """The count and net totals of the selected rows the user sees (`scope(user=)`): one aggregate.

    `excl_tax` / `incl_tax`: the signed amounts (a column or an expression); by default the
    amounts as received with a credit note's negative (`net_amount`).
    """
    if not ids:
        return SelectionSummary()
    excl_tax = net_amount("total_excl_tax") if excl_tax is None else excl_tax
    incl_tax = net_amount("total_incl_tax") if incl_tax is None else incl_tax
    return summarize(scope(user=user).filter(pk__in=ids), excl_tax=excl_tax, incl_tax=incl_tax)


#: Filtered counts stop here: beyond it a list says "plus de 10 000" instead of counting.
COUNT_BOUND = 10_000


@dataclass(frozen=True)
class AtLeast:
    """A count that stopped at its bound: shown as "plus de 10 000", never as an exact figure."""

    bound: int

    def __str__(self) -> str:
        n = formats.number_format(self.bound, 0, use_l10n=True, force_grouping=True)
        return gettext("plus de %(n)s") % {"n": n}


#: A count found beyond COUNT_BOUND is taken as still beyond it for this long (seconds), without
#: reading its COUNT_BOUND + 1 index entries again on every view of the list: a few milliseconds
#: of the database per request for the large views that every visitor opens. A count within the
#: bound is never remembered (it is read again, exact, on every request).
BEYOND_BOUND_SECONDS = 30


@dataclass(frozen=True)
class Bounded:
    """The first COUNT_BOUND + 1 rows of a view, counted (`n`) and, when asked, one column summed."""

    n: int
    total: Decimal | None = None


def bounded_read(qs: QuerySet, bound: int, *, sum_of: str | None = None) -> Bounded | None:
    """`Bounded` over the first `bound` + 1 rows of `qs` (n > bound: beyond it), or None when this
    view was found beyond the bound less than BEYOND_BOUND_SECONDS ago (not read again).

    One statement, compiled once: its SQL and parameters (the scope and the filters) are also
    the cache key. `SELECT COUNT(*)[, SUM(column)] FROM (<the rows, LIMIT bound + 1>)`, the
    statement Django's `count()`/`aggregate()` of the sliced queryset run, which would compile
    the rows a second time.
    """
    limited = qs.order_by().values(sum_of or "pk")[: bound + 1]
    db = connections[limited.db]
    try:
        sql, params = limited.query.get_compiler(connection=db).as_sql()
    except EmptyResultSet:  # a filter that can match nothing (`pk__in=[]`): no statement to run
        return Bounded(n=0)
    key = "chorusweb:beyond:" + hashlib.sha256(repr((limited.db, sql, params)).encode()).hexdigest()
    if cache.get(key):
        return None
    column = qs.model._meta.get_field(sum_of) if sum_of else None
    select = f"COUNT(*), SUM({db.ops.quote_name(column.column)})" if column else "COUNT(*)"
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM ({sql}) subquery", params)  # noqa: S608 (compiled by the ORM, values as parameters)
        n, *summed = cursor.fetchone()
    found = Bounded(n=n, total=_converted(db, column, summed[0]) if column else None)
    if n > bound:
        cache.set(key, True, BEYOND_BOUND_SECONDS)
    return found


def _converted(db, field, value):
    """A column's value read by a raw statement, as the ORM returns it (a Decimal on SQLite too)."""
    expression = field.get_col(field.model._meta.db_table)
    for converter in [*db.ops.get_db_converters(expression), *expression.get_db_converters(db)]:
        value = converter(value, expression, db)
    return value


def bounded_count(qs, bound: int | None = None) -> tuple[int, bool]:
    """(count, exact): the rows of `qs` counted up to `bound`; `exact` is False beyond it."""
    bound = COUNT_BOUND if bound is None else bound
    found = bounded_read(qs, bound)
    return (bound, False) if found is None or found.n > bound else (found.n, True)


def counted(qs, bound: int | None = None) -> int | AtLeast:
    """The rows of `qs` counted up to `bound`: the count, or `AtLeast(bound)` beyond it."""
    n, exact = bounded_count(qs, bound)
    return n if exact else AtLeast(n)


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
        return bounded_count(qs)[0]
