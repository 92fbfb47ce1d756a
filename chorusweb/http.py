"""Small HTTP helpers shared by the views: partial rendering and typed requests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """An HttpRequest as seen by views, with django-htmx's details (for type checkers)."""

    htmx: HtmxDetails


def is_partial_request(request: HttpRequest, partial: str) -> bool:
    """True when htmx asked for the region `partial` (its hx-target is the partial's id)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return htmx.target == partial


def render_partial(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str,
    status: int | None = None,
    force_partial: bool = False,
) -> HttpResponse:
    """Render `template_name#partial` for an htmx request aimed at it, the full page otherwise.

    The partial's name, its DOM id and the htmx target are the same kebab-case noun, so an
    htmx request whose `HX-Target` is `partial` gets only that region. Every response varies
    on HX-Request (see HtmxVaryMiddleware) so caches never mix the two.
    """
    if force_partial or is_partial_request(request, partial):
        name = f"{template_name}#{partial}"
    else:
        name = template_name
    response = render(request, name, context or {}, status=status)
    response.headers["Vary"] = _add_vary(response.headers.get("Vary"), "HX-Request")
    return response


def _add_vary(existing: str | None, header: str) -> str:
    values = [v.strip() for v in (existing or "").split(",") if v.strip()]
    if header.lower() not in {v.lower() for v in values}:
        values.append(header)
    return ", ".join(values)


class HttpResponseUnprocessable(HttpResponse):
    status_code = 422


class HttpResponseConflict(HttpResponse):
    status_code = 409


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it points to this site, else `default` (no open redirect)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def query_with(request: HttpRequest, **changes) -> str:
    """The current query string with some parameters changed; `None` removes one."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


def sort_links(request: HttpRequest, current: str, keys: Iterable[str], *, desc_first: set[str]) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (or reverses it) and its `aria-sort`.

    A column in `desc_first` (dates, amounts) sorts newest/largest first on the first click.
    """
    links = {}
    desc = current.startswith("-")
    for key in keys:
        active = current.lstrip("-") == key
        if active:
            next_sort = key if desc else f"-{key}"
        else:
            next_sort = f"-{key}" if key in desc_first else key
        links[key] = {
            "url": "?" + query_with(request, tri=next_sort, page=None),
            "aria": ("descending" if desc else "ascending") if active else "none",
        }
    return links
