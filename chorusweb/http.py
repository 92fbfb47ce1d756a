"""Small HTTP helpers shared by the views: partial rendering, error statuses, query strings."""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Callable, Container, Iterable
from typing import Any
from urllib.parse import quote, unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme

from chorusweb.factpulse import FactPulseError


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
) -> TemplateResponse:
    """`template_name#partial` for an htmx request aimed at it, the full page otherwise.

    The partial's name, its DOM id and the htmx target are the same kebab-case noun, so an
    htmx request whose `HX-Target` is `partial` gets only that region. (HtmxVaryMiddleware
    makes every response vary on HX-Request, so caches never mix the two.)
    """
    name = f"{template_name}#{partial}" if is_partial_request(request, partial) else template_name
    return TemplateResponse(request, name, context or {}, status=status)


def render_fragment(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str,
    status: int | None = None,
) -> TemplateResponse:
    """Only the region `partial` of `template_name`: the answer of an htmx action."""
    return TemplateResponse(request, f"{template_name}#{partial}", context or {}, status=status)


def http_status_for(error: Exception) -> int:
    """The one rule for the status of a failure: the same for pages, fragments and alerts.

    422: refused by Chorus Pro (shown on the form); 409: not sent (double submit, concurrent
    action, stale form, rules); 503: upstream unavailable; 502: any other upstream error.
    """
    if isinstance(error, FactPulseError):
        return 503 if error.http_status == 503 else 502
    return getattr(error, "http_status", 500)


def is_local_path(target: object) -> bool:
    """True for a path of this site (`/factures/?page=2`): never a URL name, a scheme or a host."""
    return (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    )


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it is a local path, else `default` (no open redirect).

    Anything else (`x`, `logout`, `//host`, `https://...`) is ignored: the answer is a plain
    URL, never reversed as a URL name.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_local_path(target) else default


def query_with(request: HttpRequest, **changes) -> str:
    """The current query string with some parameters changed; `None` removes one."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


def sort_links(
    request: HttpRequest, current: str, keys: Iterable[str], *, desc_first: Container[str]
) -> dict[str, dict]:
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


def no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page read from the mirror (list, detail, bulk, queue): the browser keeps no copy.

    `Cache-Control: no-store` (with `no-cache, must-revalidate, private, max-age=0`): Back and
    the back/forward cache show the page as it is now, never the copy from before an action.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


#: The cookie that keeps the last list view of each workspace (see `list_url_remember`).
LAST_LIST_COOKIE = "chorusweb-liste-%s"


def list_url_remember(request: HttpRequest, response: HttpResponse, workspace: str) -> HttpResponse:
    """Keep the list view the user is looking at (tab, filters, sort, page) for its back links.

    One per workspace, in a cookie of this site (no database write on a list page); read back
    by `list_url_back`, which trusts it only as a path of that list.
    """
    path = request.get_full_path()
    name = LAST_LIST_COOKIE % workspace
    if unquote(request.COOKIES.get(name, "")) != path and len(path) < 2000:
        response.set_cookie(
            name,
            quote(path, safe=""),
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def list_url_back(request: HttpRequest, workspace: str, list_url: str) -> str:
    """The exact list view to go back to: the `retour` parameter when it is a path of that list,
    else the last one seen in this session, else the list's first view (`list_url`: a URL name)."""
    default = reverse(list_url)
    base = default.split("?", 1)[0]
    asked = request.POST.get("retour") or request.GET.get("retour") or ""
    for candidate in (asked, unquote(request.COOKIES.get(LAST_LIST_COOKIE % workspace, ""))):
        if is_local_path(candidate) and candidate.split("?", 1)[0] == base:
            return candidate
    return default


def csp_frames_self(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page that shows one of our documents in a frame: the strict policy, plus
    `frame-src 'self'` (nothing else may be framed; scripts and styles stay as strict)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._csp_config = {**settings.SECURE_CSP, "frame-src": [CSP.SELF]}
        return response

    return wrapped


def csv_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A CSV file streamed line by line (an export of every page of a list), downloaded."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bytes_response(data: bytes, filename: str, *, inline: bool = False, type_of: str = "") -> HttpResponse:
    """A file held in memory, named `filename`, downloaded (or shown `inline`); its content type
    is guessed from `type_of` (a name), else from `filename`."""
    response = HttpResponse(
        data, content_type=mimetypes.guess_type(type_of or filename)[0] or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response


def framed_by_self(response: HttpResponse) -> HttpResponse:
    """A document shown in a frame of our own pages (a PDF served inline): it may be framed by
    this site only (`frame-ancestors 'self'`, `X-Frame-Options: SAMEORIGIN`), and the browser's
    PDF viewer may run in it (`object-src 'self'`). Every other response stays unframeable."""
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF], "object-src": [CSP.SELF]}
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
