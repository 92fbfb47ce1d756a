"""The sandbox-only control API used by tests and demos (JSON, staff only).

`/sandbox/_control/faults` (GET, POST, DELETE), `/calls` (GET, DELETE), `/reset` (POST),
`/deposit` (POST), `/clock` (GET, POST), `/state` (GET). See docs/sandbox.md.

It shows the sandbox's passwords and can reset its data: even in development it answers
only a logged-in staff user (session cookie, and the CSRF token for POST and DELETE).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse

from sandbox import clock, faults, seed_data, services
from sandbox.models import SandboxState
from sandbox.views import json_response


def control_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_not_required  # answers 403 in JSON rather than redirecting to the login page
        @wraps(func)
        def view(request: HttpRequest) -> HttpResponse:
            if not settings.SANDBOX_ENABLED:
                raise Http404("sandbox disabled")
            if not _staff(request):
                return json_response(
                    {"detail": "Réservé au personnel (is_staff) connecté : connectez-vous sur /connexion/ d'abord."},
                    403,
                )
            if request.method not in methods:
                return json_response({"detail": "Method Not Allowed"}, 405, Allow=", ".join(methods))
            data: dict[str, Any] = {}
            if request.method == "POST" and request.body.strip():
                try:
                    data = json.loads(request.body)
                except ValueError:
                    return json_response({"detail": "Corps JSON invalide."}, 400)
                if not isinstance(data, dict):
                    return json_response({"detail": "Le corps doit être un objet JSON."}, 400)
            return func(request, data)

        return view

    return decorator


@control_view("GET", "POST", "DELETE")
def faults_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    if request.method == "DELETE":
        faults.faults_reset()
    elif request.method == "POST":
        try:
            faults.faults_set(config=data)
        except faults.FaultConfigError as exc:
            return json_response({"detail": str(exc)}, 400)
    return json_response(faults.faults_get())


@control_view("GET", "DELETE")
def calls_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    if request.method == "DELETE":
        faults.calls_reset()
    return json_response({"calls": faults.calls_get()})


@control_view("POST")
def reset_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    size = data.get("size", "full")
    if size not in ("full", "small"):
        return json_response({"detail": "size vaut full ou small."}, 400)
    seed_number = data.get("seed")
    if seed_number is not None and (isinstance(seed_number, bool) or not isinstance(seed_number, int)):
        return json_response({"detail": "seed doit être un entier."}, 400)
    summary = services.reset(seed_number=seed_number, size=size, large=data.get("large"))
    return json_response(_summary(summary))


@control_view("POST")
def deposit_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= 100_000:
        return json_response({"detail": "count doit être un entier entre 1 et 100000."}, 400)
    ids = services.deposit(count, client_uid=data.get("client_uid"))
    return json_response({"count": len(ids), "ids": ids[:1000]})


@control_view("GET", "POST")
def clock_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    if request.method == "POST":
        offset = data.get("offset_days", 0)
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            return json_response({"detail": "offset_days doit être un nombre."}, 400)
        state, _ = SandboxState.objects.get_or_create(pk=1)
        state.clock_offset_days = float(offset)
        state.save(update_fields=["clock_offset_days"])
    return json_response({"offset_days": clock.offset_days(), "now": clock.localnow().isoformat()})


@control_view("GET")
def state_view(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    state = SandboxState.objects.filter(pk=1).values("seed", "seed_size").first() or {}
    return json_response(
        {
            **state,
            "accounts": [
                {
                    "email": seed_data.DEMO_EMAIL,
                    "password": seed_data.DEMO_PASSWORD,
                    "client_uid": str(seed_data.DEMO_UID),
                },
                {
                    "email": seed_data.OTHER_EMAIL,
                    "password": seed_data.OTHER_PASSWORD,
                    "client_uid": str(seed_data.OTHER_UID),
                },
            ],
            "faults": faults.faults_get(),
            "clock": {"offset_days": clock.offset_days(), "now": clock.localnow().isoformat()},
        }
    )


def _staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return False
    from chorusweb.security import second_factor_missing

    return not second_factor_missing(request)


def _summary(summary: Any) -> dict[str, Any]:
    return {
        "seed": summary.seed,
        "size": summary.size,
        "invoices": summary.invoices,
        "received_demo": summary.received_demo,
        "awaiting_validation_demo": summary.awaiting_validation_demo,
        "other_account": summary.other_account,
        "large_invoice_ids": list(summary.large_invoice_ids),
    }
