"""Views every workspace shares, given its `WorkspaceSpec` by the URLconf, and the pieces of
its own views that are the same in every workspace (list page, back link, bulk run start)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from chorusweb.access import access_for
from chorusweb.audit import ActionRejected, outcome_context
from chorusweb.bulk import BulkAlreadyStarted, bulk_results
from chorusweb.forms import SelectionForm
from chorusweb.http import (
    list_url_back,
    list_url_remember,
    no_store,
    render_fragment,
    render_partial,
    safe_next,
    sort_links,
)
from chorusweb.models import BulkRun
from chorusweb.selection import SELECTION_MAX, view_of
from chorusweb.view_helpers import require
from chorusweb.workspace import WorkspaceSpec


def _require(request: HttpRequest, workspace: WorkspaceSpec) -> None:
    require(request, workspace.view_action)


def back_url(request: HttpRequest, workspace: WorkspaceSpec) -> str:
    """The list view the user came from (tab, filters, sort, page), for every back link."""
    return list_url_back(request, workspace.name, workspace.list_url)


def invoice_outcome(workspace: WorkspaceSpec, invoice) -> dict:
    """What an invoice's page shows about the outcome of our last actions on it."""
    return outcome_context(connection_id=invoice.connection_id, workspace=workspace.name, invoice_id=invoice.invoice_id)


@require_http_methods(["GET", "POST"])
def sync_refresh(request: HttpRequest, *, workspace: WorkspaceSpec) -> HttpResponse:
    """POST: start a background sync of the user's connections. GET: its progress (polled)."""
    _require(request, workspace)
    if request.method == "POST":
        runs = workspace.sync_enqueue(user=request.user)
        if not request.htmx:
            messages.info(request, workspace.sync_started_message)
            return redirect(safe_next(request, reverse(workspace.list_url)))
        polling = bool(runs)
    else:
        polling = None
    statuses = workspace.sync_statuses(user=request.user)
    running = any(s.running for s in statuses)
    context = {"sync_statuses": statuses, "polling": running if polling is None else polling}
    response = render_fragment(request, workspace.list_template, context, partial="sync-status")
    if polling is None and not running and request.htmx:
        trigger_client_event(response, workspace.synced_event)
    return response


#: The client event sent when a selection changed as a whole: the list's results reload.
SELECTION_CHANGED = "selection-changed"


def selection_limit() -> int:
    """At most this many rows are selected at once: what one bulk run takes."""
    return min(settings.CHORUSWEB_BULK_MAX, SELECTION_MAX)


def selection_context(request: HttpRequest, workspace: WorkspaceSpec, *, list_url: str, message: str = "") -> dict:
    """What the selection bar shows: count and net total, and the views the rows were selected in."""
    pks = workspace.selection.get(request)
    current = view_of(list_url)
    views = workspace.selection.views(request)
    return {
        "selected": set(pks),
        "selected_count": len(pks),
        "selection": workspace.selection_summary(user=request.user, ids=pks) if pks else None,
        "selection_views": views,
        # Rows picked under another tab or other filters: said, with a way back to that view.
        "selection_elsewhere": [v for v in views if v != current],
        "selection_message": message,
        "selection_limit": selection_limit(),
        "list_url": list_url,
        **workspace.action_flags(request.user),
    }


@require_POST
def selection_update(request: HttpRequest, *, workspace: WorkspaceSpec) -> HttpResponse:
    """Add or remove rows from the workspace's selection; htmx gets the selection bar back."""
    _require(request, workspace)
    limit = selection_limit()

    def view_ids(url: str) -> tuple[list[int], int]:
        return workspace.view_ids(user=request.user, query=QueryDict(urlsplit(url).query), limit=limit)

    outcome = workspace.selection.update(
        request,
        SelectionForm(request.POST),
        visible=lambda pks: {row.pk for row in workspace.by_ids(user=request.user, ids=pks)},
        view_ids=view_ids,
        limit=limit,
        too_many=lambda n: (
            _(
                "Cette vue compte plus de %(n)s factures, le maximum d'un traitement par lot : "
                "précisez les filtres pour tout sélectionner."
            )
            % {"n": n}
        ),
    )
    if not request.htmx:
        if outcome.message:
            messages.warning(request, outcome.message)
        return redirect(safe_next(request, reverse(workspace.list_url)))
    list_url = request.htmx.current_url_abs_path or reverse(workspace.list_url)
    context = selection_context(request, workspace, list_url=list_url, message=outcome.message)
    response = render_fragment(request, workspace.list_template, context, partial="selection-bar")
    if request.POST.get("operation") in ("view", "clear"):
        # The page's checkboxes follow a selection changed as a whole.
        trigger_client_event(response, SELECTION_CHANGED)
    return response


# --- List page ----------------------------------------------------------------------------------


def filter_form(request: HttpRequest, workspace: WorkspaceSpec):
    """The list's filter form, bound to the query string, offering the connections the user sees."""
    connections = access_for(request.user).connections(workspace.view_action)
    return workspace.filter_form(request.GET or None, connections=connections)


def _row_id(row: Any) -> int:
    return row["id"] if isinstance(row, Mapping) else row.id


def list_context(
    request: HttpRequest, workspace: WorkspaceSpec, *, rows: Callable[[Any], Sequence[Any]] = attrgetter("rows")
) -> dict:
    """What every list page shows: filters, tabs, rows, selection bar, sync status, sort links.

    The page of results is `workspace.list_read` for the query string's filters; `rows(result)`
    are its rows (dicts or objects with an `id`). The view adds what is its own.
    """
    form = filter_form(request, workspace)
    filters = form.to_filters()
    # Before the read: a mirror never synchronised starts filling now.
    sync_statuses, polling = workspace.first_visit(user=request.user)
    result = workspace.list_read(
        user=request.user, filters=filters, page=request.GET.get("page", 1), per_page=settings.CHORUSWEB_PAGE_SIZE
    )
    page_rows = rows(result)
    selection = selection_context(request, workspace, list_url=request.get_full_path())
    return {
        "form": form,
        "result": result,
        "rows": page_rows,
        "filters": filters,
        "tabs": result.tabs,
        **selection,
        "page_selected": bool(page_rows) and all(_row_id(r) in selection["selected"] for r in page_rows),
        "page_ids": ",".join(str(_row_id(r)) for r in page_rows),
        "sync_statuses": sync_statuses,
        "polling": polling,
        "sort_links": sort_links(request, filters.sort, workspace.sorts, desc_first=workspace.desc_first),
    }


def list_response(request: HttpRequest, workspace: WorkspaceSpec, context: dict) -> HttpResponse:
    """The list page (or its results region for htmx), remembered for the back links."""
    response = render_partial(request, workspace.list_template, context, partial="results-table")
    return list_url_remember(request, response, workspace.name)


# --- Bulk runs ----------------------------------------------------------------------------------


def bulk_run_page(request: HttpRequest, workspace: WorkspaceSpec, started: BulkAlreadyStarted) -> HttpResponse:
    """A run the same form had already started (Back, double click): its page, saying so."""
    messages.info(request, started.message)
    return redirect(workspace.bulk_detail_url, run_id=started.run.pk)


def bulk_start(
    request: HttpRequest, workspace: WorkspaceSpec, *, form, start: Callable[[], BulkRun]
) -> HttpResponse | None:
    """Start a bulk run with `start()`: the run's page, the selection emptied.

    None when it is refused: the reason is then on the form (shown back with a 422).
    """
    try:
        run = start()
    except BulkAlreadyStarted as exc:
        return bulk_run_page(request, workspace, exc)
    except ActionRejected as exc:
        form.add_error(None, exc.message)
        return None
    workspace.selection.save(request, [])
    return redirect(workspace.bulk_detail_url, run_id=run.pk)


@require_GET
@no_store
def bulk_detail(request: HttpRequest, run_id, *, workspace: WorkspaceSpec) -> HttpResponse:
    """A bulk run's progress (polled while it runs), then its results; its starter's only."""
    run = get_object_or_404(BulkRun, pk=run_id, workspace=workspace.name)
    if run.user_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied
    results = bulk_results(run)
    done = sum(1 for entry in results if entry.state != "pending")
    context = {
        "run": run,
        "back_url": back_url(request, workspace),
        "results": results,
        "done": done,
        "percent": round(100 * done / run.total) if run.total else 100,
        "counts": dict(Counter(entry.state for entry in results)),
    }
    return render_partial(request, workspace.bulk_detail_template, context, partial="bulk-progress")
