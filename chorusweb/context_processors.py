"""Navigation state for base.html: which workspaces the user may open."""

from __future__ import annotations

from django.http import HttpRequest

from chorusweb.access import Action, access_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_for(user)
    return {
        "nav_received": access.can(Action.VIEW_RECEIVED),
        "nav_validation": access.can(Action.VIEW_VALIDATION),
        "nav_admin": user.is_staff,
    }
