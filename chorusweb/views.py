"""Core pages: the home page (or the 'no access yet' page) and a health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chorusweb.access import Action, access_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the workspace they use; a user without membership gets a clear page."""
    access = access_for(request.user)
    if not access.has_any:
        return render(request, "no_access.html", status=403)
    for action, url_name in (
        (Action.VIEW_RECEIVED, "invoices:list"),
        (Action.VIEW_VALIDATION, "validators:queue"),
    ):
        if access.can(action):
            try:
                return redirect(reverse(url_name))
            except NoReverseMatch:
                continue
    return render(request, "home.html", {"connections": access.connections()})


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers; reveals nothing else."""
    try:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # pragma: no cover - only when the database is down
        return JsonResponse({"status": "database unavailable"}, status=503)
