"""Faults on demand and call counting, stored in the database so every process sees them.

A fault configuration (`faults_set`) applies to the API calls whose path matches `endpoints`
(suffixes after `api/v1/chorus-pro/`, `*` wildcards allowed; `null` = every `/api/v1` call;
the token endpoints only when `"token"` or `"token/refresh"` is listed). With `count`, it
applies to the next N matching calls and then switches off.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from sandbox.models import CallCount, SandboxState

TOKEN_PATHS = ("token", "token/refresh")
ERROR_STATUSES = (500, 502, 503, 504)

_rng = random.Random(20260101)
_rng_lock = threading.Lock()


class FaultConfigError(ValueError):
    """An invalid fault configuration (answered 400 by the control API)."""


@dataclass(frozen=True)
class Fault:
    """What to do to one call."""

    latency_ms: int = 0
    error_status: int | None = None
    timeout_seconds: float = 0.0
    rate_limit_retry_after: int = 0
    malformed: bool = False
    dropped: bool = False


DEFAULTS: dict[str, Any] = {
    "latency_ms": 0,
    "error_status": 503,
    "error_rate": 0.0,
    "count": None,
    "timeout_seconds": 0,
    "rate_limit_retry_after": 0,
    "malformed": False,
    "dropped": False,
    "token_lifetime": None,
    "endpoints": None,
}


def _number(config: dict[str, Any], key: str, *, minimum: float = 0, maximum: float | None = None) -> float:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultConfigError(f"{key} doit être un nombre.")
    if value < minimum or (maximum is not None and value > maximum):
        raise FaultConfigError(f"{key} hors limites.")
    return value


def normalise_config(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a configuration from the control API; missing keys take their defaults."""
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise FaultConfigError(f"Clés inconnues : {', '.join(sorted(unknown))}.")
    config = {**DEFAULTS, **raw}
    _number(config, "latency_ms")
    _number(config, "timeout_seconds")
    _number(config, "rate_limit_retry_after")
    _number(config, "error_rate", maximum=1)
    if config["error_status"] is not None and config["error_status"] not in ERROR_STATUSES:
        raise FaultConfigError("error_status doit valoir 500, 502, 503 ou 504.")
    if config["count"] is not None:
        _number(config, "count", minimum=1)
        config["count"] = int(config["count"])
    if config["token_lifetime"] is not None:
        _number(config, "token_lifetime", minimum=0)
    if not isinstance(config["malformed"], bool):
        raise FaultConfigError("malformed doit être un booléen.")
    if not isinstance(config["dropped"], bool):
        raise FaultConfigError("dropped doit être un booléen.")
    endpoints = config["endpoints"]
    if endpoints is not None and (not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints)):
        raise FaultConfigError("endpoints doit être une liste de chemins ou null.")
    if endpoints is not None:
        config["endpoints"] = [e.strip("/").removeprefix("api/v1/chorus-pro/") for e in endpoints]
    return config


def _state() -> SandboxState:
    state, _ = SandboxState.objects.get_or_create(pk=1)
    return state


def faults_set(*, config: dict[str, Any]) -> dict[str, Any]:
    """Replace the fault configuration."""
    config = normalise_config(config)
    state = _state()
    state.faults = config
    state.fault_remaining = config["count"]
    state.save(update_fields=["faults", "fault_remaining"])
    return faults_get()


def faults_reset() -> None:
    """Switch every fault off (settings-level faults stay)."""
    SandboxState.objects.filter(pk=1).update(faults={}, fault_remaining=None)


def faults_get() -> dict[str, Any]:
    state = SandboxState.objects.filter(pk=1).values("faults", "fault_remaining").first()
    faults = (state or {}).get("faults") or {}
    return {
        "faults": {**DEFAULTS, **faults} if faults else {},
        "remaining": (state or {}).get("fault_remaining"),
        "settings": {
            "latency_ms": settings.SANDBOX_LATENCY_MS,
            "error_rate": settings.SANDBOX_ERROR_RATE,
            "error_status": settings.SANDBOX_ERROR_STATUS,
        },
    }


def token_lifetime() -> float:
    """Lifetime of access tokens issued now: the fault override, else the setting."""
    faults = SandboxState.objects.filter(pk=1).values_list("faults", flat=True).first() or {}
    override = faults.get("token_lifetime")
    return float(override) if override is not None else float(settings.SANDBOX_TOKEN_LIFETIME)


def _matches(endpoints: list[str] | None, path: str) -> bool:
    if endpoints is None:
        return path not in TOKEN_PATHS
    for pattern in endpoints:
        if pattern == "token" and path in TOKEN_PATHS:
            return True
        if fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def _roll(rate: float) -> bool:
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    with _rng_lock:
        return _rng.random() < rate


def fault_for_call(path: str) -> Fault | None:
    """The fault to apply to this call (consuming one of `count`), or None."""
    state = SandboxState.objects.filter(pk=1).values("faults", "fault_remaining").first()
    config = (state or {}).get("faults") or {}
    fault: Fault | None = None
    if config and _matches(config.get("endpoints"), path):
        remaining = state["fault_remaining"]
        consumed = True
        if remaining is not None:
            consumed = bool(
                SandboxState.objects.filter(pk=1, fault_remaining__gt=0).update(
                    fault_remaining=F("fault_remaining") - 1
                )
            )
        if consumed:
            fault = Fault(
                latency_ms=int(config.get("latency_ms") or 0),
                error_status=config.get("error_status") if _roll(config.get("error_rate") or 0) else None,
                timeout_seconds=float(config.get("timeout_seconds") or 0),
                rate_limit_retry_after=int(config.get("rate_limit_retry_after") or 0),
                malformed=bool(config.get("malformed")),
                dropped=bool(config.get("dropped")),
            )
    if fault is None and path not in TOKEN_PATHS:
        latency = settings.SANDBOX_LATENCY_MS
        failing = _roll(settings.SANDBOX_ERROR_RATE)
        if latency or failing:
            fault = Fault(latency_ms=latency, error_status=settings.SANDBOX_ERROR_STATUS if failing else None)
    return fault


def call_record(path: str) -> None:
    """Count one call received on `path`."""
    if CallCount.objects.filter(path=path).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            CallCount.objects.create(path=path, count=1)
    except IntegrityError:
        CallCount.objects.filter(path=path).update(count=F("count") + 1)


def calls_get() -> dict[str, int]:
    return dict(CallCount.objects.order_by("path").values_list("path", "count"))


def calls_reset() -> None:
    CallCount.objects.all().delete()
