"""Core pages: the home page (or the 'no access yet' page) and a health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection as db_connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.http import safe_next


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the workspace they use; a user without membership gets a clear page.

    Accountants land on the dashboard; validators keep their queue (the menu links the dashboard).
    """
    access = access_for(request.user)
    if not access.has_any:
        return render(request, "no_access.html", status=403)
    for action, url_name in (
        (Action.VIEW_RECEIVED, "dashboard:page"),
        (Action.VIEW_VALIDATION, "validators:queue"),
        (Action.VIEW_ISSUED, "issuers:list"),
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


#: The action a person needs on an entry's invoice to resend it.
RESEND_ACTIONS = {"received": Action.PROCESS_RECEIVED, "validation": Action.VALIDATE}


@require_POST
def audit_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """A person decides to resend an action that could not be confirmed (never automatic)."""
    from chorusweb.audit import ActionRejected, action_failure
    from chorusweb.factpulse import FactPulseError
    from chorusweb.models import AuditEntry
    from chorusweb.recovery import entry_resend

    access = access_for(request.user)
    entry = AuditEntry.objects.select_related("connection").filter(pk=pk).first()
    action = RESEND_ACTIONS.get(entry.workspace) if entry is not None else None
    if entry is None or action is None or not access.can(action, entry.connection_id):
        raise Http404
    try:
        outcome = entry_resend(user=request.user, entry=entry)
    except (ActionRejected, FactPulseError) as exc:
        messages.error(request, action_failure(exc)[1])
    else:
        messages.success(request, _("Action renvoyée : %(outcome)s") % {"outcome": outcome.message})
    return redirect(safe_next(request, reverse("home")))


@require_GET
def status_glossary(request: HttpRequest) -> HttpResponse:
    """The Chorus Pro statuses: what each means, who must act next and what happens then."""
    entries = [
        {"code": code, "label": lc.status_label(code), "anchor": lc.status_anchor(code), "help": help}
        for code, help in lc.STATUS_HELP.items()
    ]
    unknown = {"anchor": "statut-inconnu", "help": lc.UNKNOWN_STATUS_HELP}
    return render(request, "help/statuses.html", {"entries": entries, "unknown": unknown})
