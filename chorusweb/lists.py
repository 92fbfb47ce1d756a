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
    count: int


class KnownCountPaginator(Paginator):
    """A paginator told its count in advance (from a grouped query): no COUNT(*) query."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count
