"""Navigation state for base.html: which workspaces the user may open."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from chorusweb.access import Action, access_for
from invoices.selectors import to_process_count
from validators.selectors import queue_count


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from chorusweb.security import idle_timeout_seconds, second_factor_missing

    session = {"idle_timeout": idle_timeout_seconds()}
    if second_factor_missing(request):
        # Before the second factor: no menu, nothing of the workspaces.
        return {**session, "second_factor_pending": True}
    access = access_for(user)
    nav_received = access.can(Action.VIEW_RECEIVED)
    nav_validation = access.can(Action.VIEW_VALIDATION)
    return {
        "nav_received": nav_received,
        # Invoices waiting in the user's "To process" queue, kept current after each action.
        "nav_received_count": SimpleLazyObject(lambda: to_process_count(user)) if nav_received else 0,
        "nav_validation": nav_validation,
        # Invoices waiting for this user's decision: shown in the menu, so a user who holds
        # both roles sees at once when the validation queue needs them.
        "nav_validation_count": SimpleLazyObject(lambda: queue_count(user)) if nav_validation else 0,
        "nav_issued": access.can(Action.VIEW_ISSUED),
        "nav_admin": user.is_staff,
        **session,
    }
