"""A selection of rows that survives paging, kept in the user's session (one per workspace).

The selection remembers the views (list URLs without the page) it was made in, so that a
page can say when rows were selected in another tab or under other filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import HttpRequest

from chorusweb.forms import SelectionForm


@dataclass(frozen=True)
class SelectionSummary:
    """A selection's count and net totals (credit notes negative), with the credit notes' part."""

    count: int = 0
    total_excl_tax: Decimal = Decimal(0)
    total_incl_tax: Decimal = Decimal(0)
    credit_count: int = 0
    credit_incl_tax: Decimal = Decimal(0)


def summarize(rows, *, excl_tax, incl_tax) -> SelectionSummary:
    """The summary of `rows` (a queryset already narrowed to the selection the user sees) in one
    aggregate; `excl_tax` / `incl_tax` are the signed amounts (a field name or an expression)."""
    from django.db.models import Count, Q, Sum

    from chorusweb.money import CREDIT_NOTE

    credit = Q(invoice_type__iexact=CREDIT_NOTE)
    row = rows.aggregate(
        n=Count("id"),
        ht=Sum(excl_tax),
        ttc=Sum(incl_tax),
        cn=Count("id", filter=credit),
        cttc=Sum(incl_tax, filter=credit),
    )
    zero = Decimal(0)
    return SelectionSummary(row["n"], row["ht"] or zero, row["ttc"] or zero, row["cn"], row["cttc"] or zero)


#: At most this many rows stay selected.
SELECTION_MAX = 1000
#: At most this many views are remembered for one selection.
VIEWS_MAX = 5


def view_of(url: str | None) -> str:
    """A list URL as a view: its path and query without the page, parameters in a stable order."""
    parts = urlsplit(url or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""  # only a page of this site is a view
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k != "page")
    return parts.path + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class SelectionOutcome:
    """What an update did, for the selection bar: a message when the view had too many rows."""

    message: str = ""


@dataclass(frozen=True)
class SessionSelection:
    key: str

    @property
    def views_key(self) -> str:
        return f"{self.key}_views"

    def get(self, request: HttpRequest) -> list[int]:
        return [int(v) for v in request.session.get(self.key, [])]

    def views(self, request: HttpRequest) -> list[str]:
        """The views the current selection was made in (empty with no selection)."""
        return list(request.session.get(self.views_key, [])) if request.session.get(self.key) else []

    def save(self, request: HttpRequest, pks: Iterable[int], *, view: str | None = None, replace: bool = False) -> None:
        pks = list(dict.fromkeys(pks))[:SELECTION_MAX]
        request.session[self.key] = pks
        if not pks:
            request.session.pop(self.views_key, None)
        elif view is not None:
            views = [] if replace else [v for v in request.session.get(self.views_key, []) if v != view_of(view)]
            request.session[self.views_key] = [*views, view_of(view)][-VIEWS_MAX:]

    def discard(self, request: HttpRequest, pk: int) -> None:
        self.save(request, [p for p in self.get(request) if p != pk])

    def update(
        self,
        request: HttpRequest,
        form: SelectionForm,
        *,
        visible: Callable[[list[int]], set[int]],
        view_ids: Callable[[str], tuple[list[int], int]] | None = None,
        limit: int = SELECTION_MAX,
        too_many: Callable[[int], str] | None = None,
    ) -> SelectionOutcome:
        """Apply a submitted SelectionForm, keeping only the rows `visible` says the user may see.

        `set` replaces the current page's part of the selection by the rows ticked on it (every
        row of the page when its own box is ticked), so that unticking works without
        JavaScript; `add`, `remove` and `clear` do what they say; `view` selects every result
        of the view the form came from (`view_ids(url)` -> (ids up to `limit`, count up to
        `limit` + 1)), or nothing with a message when it holds more than `limit`.
        """
        if not form.is_valid():
            return SelectionOutcome()
        current = self.get(request)
        checked = form.cleaned_data["ids"]
        operation = form.cleaned_data["operation"]
        view = form.cleaned_data.get("next") or None
        replace = False
        if operation == "clear":
            current = []
        elif operation == "view":
            if view_ids is None:
                return SelectionOutcome()
            pks, count = view_ids(view or "")
            if count > limit:
                return SelectionOutcome(too_many(limit) if too_many else "")
            current, replace = pks, True
        elif operation == "add":
            current = current + checked
        elif operation == "remove":
            current = [pk for pk in current if pk not in set(checked)]
        else:
            page = form.page_pks()
            if form.cleaned_data.get("page_all"):
                checked = page
            current = [pk for pk in current if pk not in set(page)] + checked
        allowed = visible(current)
        self.save(request, [pk for pk in current if pk in allowed], view=view, replace=replace)
        return SelectionOutcome()
