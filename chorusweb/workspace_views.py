"""Views every workspace shares, given its `WorkspaceSpec` by the URLconf."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from chorusweb.access import access_for
from chorusweb.forms import SelectionForm
from chorusweb.http import render_fragment, safe_next
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


@require_POST
def selection_update(request: HttpRequest, *, workspace: WorkspaceSpec) -> HttpResponse:
    """Add or remove rows from the workspace's selection; htmx gets the selection bar back."""
    _require(request, workspace)
    workspace.selection.update(
        request,
        SelectionForm(request.POST),
        visible=lambda pks: {row.pk for row in workspace.by_ids(user=request.user, ids=pks)},
    )
    if not request.htmx:
        return redirect(safe_next(request, reverse(workspace.list_url)))
    context = {
        "selected_count": len(workspace.selection.get(request)),
        "list_url": request.htmx.current_url_abs_path or reverse(workspace.list_url),
        **workspace.action_flags(request.user),
    }
    return render_fragment(request, workspace.list_template, context, partial="selection-bar")
