"""Pages of a long sorted list without OFFSET: keyset ("seek") pagination, bookmarkable.

A page link carries the sort key of the row it starts after (or ends before), so that the
database starts its index walk there instead of counting every row before it: the 20,000th page
costs what the first costs. The `page` parameter holds either a page number (small numbers
still work, with OFFSET) or a token:

    page=fin                    the last page (the list read backwards)
    page=<token>                after / before a row, with the page's number when it is known

The token is opaque to users (base64 of a small JSON array) and safe to bookmark; a token that
cannot be read falls back to the first page.

Rows whose sort value is NULL come last in both directions (read as a second segment), so that
every condition stays a range the index can start from, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection as db
from django.db.models import F, Q, QuerySet

LAST = "fin"


@dataclass(frozen=True)
class Order:
    """A two-key order: `field` (may be NULL) then `tiebreak` (never NULL), both one direction."""

    field: str
    tiebreak: str
    descending: bool

    @classmethod
    def of(cls, ordering: list[str]) -> Order:
        first, second = ordering[0], ordering[1]
        return cls(first.lstrip("-"), second.lstrip("-"), first.startswith("-"))

    def reversed(self) -> Order:
        return Order(self.field, self.tiebreak, not self.descending)

    def nulls_last(self) -> list:
        first = F(self.field).desc(nulls_last=True) if self.descending else F(self.field).asc(nulls_last=True)
        return [first, self.order_by()[1]]

    def order_by(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [f"{sign}{self.field}", f"{sign}{self.tiebreak}"]


@dataclass
class KeysetPage:
    """One page and its links (tokens for the `page` parameter; None when there is none)."""

    object_list: list
    number: int | None
    num_pages: int | None
    first: str | None
    previous: str | None
    next: str | None
    last: str | None

    @property
    def has_previous(self) -> bool:
        return self.previous is not None

    @property
    def has_next(self) -> bool:
        return self.next is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode(direction: str, number: int | None, row: dict, order: Order) -> str:
    data = [direction, number, _plain(row[order.field]), _plain(row[order.tiebreak])]
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str) -> tuple[str, int | None, Any, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, number, value, tiebreak = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if direction not in ("a", "b") or tiebreak is None:
        return None
    if number is not None and not isinstance(number, int):
        number = None
    return direction, number, value, tiebreak


def _after(order: Order, value: Any, tiebreak: Any) -> tuple[Q, bool]:
    """Rows after (value, tiebreak) in `order`: (condition on the non-NULL segment, NULLs follow)."""
    f, t = order.field, order.tiebreak
    past, past_t = ("lt", "lt") if order.descending else ("gt", "gt")
    if value is None:  # inside the trailing NULL segment
        return Q(**{f"{f}__isnull": True, f"{t}__{past_t}": tiebreak}), False
    start = "lte" if order.descending else "gte"
    condition = Q(**{f"{f}__{start}": value}) & (Q(**{f"{f}__{past}": value}) | Q(**{f"{t}__{past_t}": tiebreak}))
    return condition, True


def _nulls_first(descending: bool) -> bool:
    """Whether the database itself puts NULLs first when reading in this direction."""
    return descending if db.vendor == "postgresql" else not descending


def _null_segment(qs: QuerySet, order: Order) -> QuerySet:
    return qs.filter(**{f"{order.field}__isnull": True}).order_by(order.order_by()[1])


def _read(qs: QuerySet, order: Order, condition: Q | None, nulls: bool, limit: int) -> list:
    """Up to `limit` rows from `condition` on, non-NULL sort values first, then the NULL segment.

    The NULL segment is read only when the page is not full (a second, small query).
    """
    if condition is not None:  # a range from a non-NULL point: it leaves NULLs out by itself
        rows = list(qs.filter(condition).order_by(*order.order_by())[:limit])
    elif _nulls_first(order.descending):
        rows = list(qs.filter(**{f"{order.field}__isnull": False}).order_by(*order.order_by())[:limit])
    else:  # NULLs come last by themselves, in tiebreak order: one query reads both segments
        return list(qs.order_by(*order.order_by())[:limit])
    if nulls and len(rows) < limit:
        rows += list(_null_segment(qs, order)[: limit - len(rows)])
    return rows


def _read_backwards(qs: QuerySet, order: Order, point, limit: int) -> list:
    """Up to `limit` rows before `point` (value, tiebreak), or the last rows, in `order`'s direction."""
    back = order.reversed()
    if point is not None and point[0] is not None:  # before a non-NULL point: one range
        condition, _ = _after(back, *point)
        rows = list(qs.filter(condition).order_by(*back.order_by())[:limit])
    elif point is None and _nulls_first(back.descending):  # the last rows: NULLs first going back
        rows = list(qs.order_by(*back.order_by())[:limit])
    else:
        nulls = qs.filter(**{f"{order.field}__isnull": True})
        if point is not None:
            nulls = nulls.filter(**{f"{order.tiebreak}__{'gt' if order.descending else 'lt'}": point[1]})
        rows = list(nulls.order_by(back.order_by()[1])[:limit])
        if len(rows) < limit:
            non_null = qs.filter(**{f"{order.field}__isnull": False}).order_by(*back.order_by())
            rows += list(non_null[: limit - len(rows)])
    rows.reverse()
    return rows


def keyset_page(qs: QuerySet, ordering: list[str], page: Any, per_page: int, count: int | None) -> KeysetPage:
    """The page `page` of `qs` sorted by `ordering` (two keys); `count`: the rows in all, if known."""
    order = Order.of(ordering)
    num_pages = max(1, -(-count // per_page)) if count is not None else None
    token = str(page or "1").strip()
    if token == LAST:
        rows = _read_backwards(qs, order, None, per_page + 1)
        more_before = len(rows) > per_page
        rows = rows[-per_page:]
        number = num_pages
        has_next = False
    elif token.isdigit():
        number = max(1, int(token))
        if num_pages is not None:
            number = min(number, num_pages)
        if number == 1:
            rows = _read(qs, order, None, True, per_page + 1)
        else:  # a page number typed or bookmarked: OFFSET, NULL sort values last as everywhere
            offset = (number - 1) * per_page
            rows = list(qs.order_by(*order.nulls_last())[offset : offset + per_page + 1])
        if not rows and number > 1:
            return keyset_page(qs, ordering, 1, per_page, count)
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        more_before = number > 1
    else:
        decoded = decode(token)
        if decoded is None:
            return keyset_page(qs, ordering, 1, per_page, count)
        direction, number, value, tiebreak = decoded
        if direction == "a":
            condition, nulls = _after(order, value, tiebreak)
            if value is None:  # inside the NULL segment: the rest of it
                rows = list(qs.filter(condition).order_by(order.order_by()[1])[: per_page + 1])
            else:
                rows = _read(qs, order, condition, nulls, per_page + 1)
            has_next = len(rows) > per_page
            rows = rows[:per_page]
            more_before = True
        else:
            rows = _read_backwards(qs, order, (value, tiebreak), per_page + 1)
            more_before = len(rows) > per_page
            rows = rows[-per_page:]
            has_next = True
        if not rows:
            return keyset_page(qs, ordering, 1, per_page, count)
        if not more_before:
            number = 1
    if num_pages is not None and number is not None:
        number = min(number, num_pages)
    on_first = not more_before
    return KeysetPage(
        object_list=rows,
        number=number,
        num_pages=num_pages,
        first=None if on_first else "1",
        previous=None if on_first else encode("b", number - 1 if number else None, rows[0], order),
        next=encode("a", number + 1 if number else None, rows[-1], order) if has_next and rows else None,
        last=LAST if has_next else None,
    )
