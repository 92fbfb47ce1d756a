"""Views every workspace shares, given its `WorkspaceSpec` by the URLconf."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from chorusweb.access import access_for
from chorusweb.forms import SelectionForm
from chorusweb.http import render_fragment, safe_next
from chorusweb.selection import SELECTION_MAX, view_of
from chorusweb.workspace import WorkspaceSpec


def _require(request: HttpRequest, workspace: WorkspaceSpec) -> None:
    if not access_for(request.user).can(workspace.view_action):
        raise PermissionDenied


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
