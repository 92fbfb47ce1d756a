"""The sandbox clock: real time shifted by a number of days (settings + control API)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def offset_days() -> float:
    """The total shift: `SANDBOX_CLOCK_OFFSET_DAYS` plus the one set by `_control/clock`."""
    from sandbox.models import SandboxState

    stored = SandboxState.objects.filter(pk=1).values_list("clock_offset_days", flat=True).first() or 0.0
    return float(settings.SANDBOX_CLOCK_OFFSET_DAYS) + float(stored)


def now() -> datetime:
    """The sandbox's current time (aware, UTC)."""
    return timezone.now() + timedelta(days=offset_days())


def localnow() -> datetime:
    """The sandbox's current time in Europe/Paris."""
    return timezone.localtime(now())
