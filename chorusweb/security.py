"""Doors: the client address seen by the login protection, session hygiene and the second factor.

* `client_ip()`: the address django-axes counts failed logins by (behind a reverse proxy, the
  last address of `X-Forwarded-For`, the one the proxy itself appended).
* `SessionHygieneMiddleware`: a session ends after `CHORUSWEB_IDLE_TIMEOUT_MINUTES` without
  activity, and as soon as one of the roles it was opened with is removed. (A password change
  ends the user's other sessions by itself: Django ties sessions to the password hash.)
* `SecondFactorMiddleware`: a logged-in user who has a second factor, or must have one
  (`CHORUSWEB_REQUIRE_2FA`: staff and anyone who can act on a connection), reaches no page
  but the verification or enrolment pages until the second factor is given.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from chorusweb.access import access_for

LAST_SEEN = "chorusweb_last_seen"
GRANTS = "chorusweb_grants"
#: Whether the session's user has enrolled a second factor (asked once per session, kept
#: current by the enrolment and security pages): no query on every page.
HAS_SECOND_FACTOR = "chorusweb_2fa"
#: Activity is written to the session at most this often (seconds): not a write per request.
LAST_SEEN_RESOLUTION = 15
#: URL names (no namespace) reachable before the second factor is given.
SECOND_FACTOR_EXEMPT = {
    "login",
    "logout",
    "set_language",
    "healthz",
    "otp_verify",
    "otp_setup",
    "otp_qr",
    "session_keepalive",
}


class LoginProtectionBackend(AxesStandaloneBackend):
    """django-axes' backend for web logins; an authentication without a request (a script,
    the test client's `login()`) is not a web login attempt and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a proxy the last X-Forwarded-For entry."""
    if settings.CHORUSWEB_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1][:64]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page of a locked-out login (django-axes): why, for how long, and who can unlock (429)."""
    from django.shortcuts import render

    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, int(cooloff.total_seconds() // 60)) if cooloff else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


# --- Second factor ------------------------------------------------------------------------


def second_factor_required(user) -> bool:
    """Must this user use a second factor (setting on, and staff or able to act upstream)?"""
    if not settings.CHORUSWEB_REQUIRE_2FA or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or access_for(user).can_act)


def has_second_factor(user) -> bool:
    """Has the user enrolled an authenticator app (a confirmed TOTP device)? Asks the database."""
    if not user.is_authenticated:
        return False
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_has_second_factor(request: HttpRequest, *, refresh: bool = False) -> bool:
    """`has_second_factor` for the session's user, asked once per session (or when `refresh`)."""
    session = getattr(request, "session", None)
    if session is None:
        return has_second_factor(request.user)
    if refresh or not isinstance(session.get(HAS_SECOND_FACTOR), bool):
        session[HAS_SECOND_FACTOR] = has_second_factor(request.user)
    return session[HAS_SECOND_FACTOR]


def second_factor_missing(request: HttpRequest) -> bool:
    """True when this session must still give the second factor before using the site."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or is_verified():
        return False
    return second_factor_required(user) or session_has_second_factor(request)


def second_factor_exempt(view):
    """Mark a view as reachable before the second factor is given (enrolment, verification)."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if getattr(view_func, "second_factor_exempt", False):
            return None
        match = request.resolver_match
        if match is not None and (
            (not match.namespace and match.url_name in SECOND_FACTOR_EXEMPT) or match.namespace == "sandbox"
        ):
            return None
        if not second_factor_missing(request):
            return None
        target = reverse("otp_verify" if session_has_second_factor(request) else "otp_setup")
        if request.method == "GET" and not getattr(request, "htmx", False):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


# --- Session hygiene ------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="chorusweb_session_start")
def _remember_session_start(sender, request, user, **kwargs) -> None:
    """What the session was opened with: its roles (to end it when one goes) and the time."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[GRANTS] = access_for(user).fingerprint()
    request.session[LAST_SEEN] = int(time.time())


def idle_timeout_seconds() -> int:
    return max(0, int(settings.CHORUSWEB_IDLE_TIMEOUT_MINUTES)) * 60


class SessionHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = int(time.time())
        timeout = idle_timeout_seconds()
        last_seen = session.get(LAST_SEEN)
        if timeout and isinstance(last_seen, int) and now - last_seen > timeout:
            return self._end(
                request,
                _("Votre session a expiré après %(minutes)d minutes d'inactivité : reconnectez-vous.")
                % {"minutes": timeout // 60},
            )
        granted = session.get(GRANTS)
        if isinstance(granted, list):
            current = access_for(user).fingerprint()
            if not set(granted) <= set(current):
                return self._end(request, _("Vos habilitations ont changé : reconnectez-vous pour continuer."))
            if current != granted:
                session[GRANTS] = current
        if not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN] = now
        return None

    @staticmethod
    def _end(request: HttpRequest, message: str) -> HttpResponse:
        next_url = request.get_full_path() if request.method == "GET" and not getattr(request, "htmx", False) else ""
        logout(request)
        messages.info(request, message)
        target = reverse("login")
        if next_url:
            target += "?" + urlencode({"next": next_url})
        return HttpResponseRedirect(target)
