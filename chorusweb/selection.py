"""A selection of rows that survives paging, kept in the user's session (one per workspace)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest

from chorusweb.forms import SelectionForm

#: At most this many rows stay selected.
SELECTION_MAX = 1000


@dataclass(frozen=True)
class SessionSelection:
    key: str

    def get(self, request: HttpRequest) -> list[int]:
        return [int(v) for v in request.session.get(self.key, [])]

    def save(self, request: HttpRequest, pks: Iterable[int]) -> None:
        request.session[self.key] = list(dict.fromkeys(pks))[:SELECTION_MAX]

    def discard(self, request: HttpRequest, pk: int) -> None:
        self.save(request, [p for p in self.get(request) if p != pk])

    def update(self, request: HttpRequest, form: SelectionForm, *, visible: Callable[[list[int]], set[int]]) -> None:
        """Apply a submitted SelectionForm, keeping only the rows `visible` says the user may see.

        `set` replaces the current page's part of the selection by the rows ticked on it, so
        that unticking works without JavaScript; `add`, `remove` and `clear` do what they say.
        """
        if not form.is_valid():
            return
        current = self.get(request)
        checked = form.cleaned_data["ids"]
        operation = form.cleaned_data["operation"]
        if operation == "clear":
            current = []
        elif operation == "add":
            current = current + checked
        elif operation == "remove":
            current = [pk for pk in current if pk not in set(checked)]
        else:
            page = set(form.page_pks())
            current = [pk for pk in current if pk not in page] + checked
        allowed = visible(current)
        self.save(request, [pk for pk in current if pk in allowed])
