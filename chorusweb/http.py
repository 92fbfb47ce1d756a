"""Small HTTP helpers shared by the views: partial rendering and typed requests."""

from __future__ import annotations

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
