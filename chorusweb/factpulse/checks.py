"""System checks for the FactPulse settings, with messages that say how to fix them.

Registered when `chorusweb.checks` imports this module (from ChoruswebConfig.ready()).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _positive_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


@register()
def check_factpulse_settings(app_configs=None, **kwargs):
    errors = []
    url = getattr(settings, "FACTPULSE_API_URL", "")
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(
            Error(
                f"FACTPULSE_API_URL is not an http(s) URL: {url!r}.",
                hint="Set FACTPULSE_API_URL to https://factpulse.fr or to the sandbox's URL.",
                id="chorusweb.E010",
            )
        )
    elif parts.scheme == "http" and not settings.DEBUG and parts.hostname not in _LOCAL_HOSTS:
        errors.append(
            Warning(
                "FACTPULSE_API_URL uses plain http outside development.",
                hint="Use https:// so that credentials and invoices are encrypted in transit.",
                id="chorusweb.W010",
            )
        )

    timeouts = {}
    for name in ("FACTPULSE_CONNECT_TIMEOUT", "FACTPULSE_READ_TIMEOUT", "FACTPULSE_DOWNLOAD_TIMEOUT"):
        value = getattr(settings, name, None)
        if not _positive_number(value):
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds (got {value!r}).",
                    hint=f"Set {name} to e.g. 5 (connect), 30 (read) or 300 (download).",
                    id="chorusweb.E011",
                )
            )
        else:
            timeouts[name] = value
    if len(timeouts) == 3 and timeouts["FACTPULSE_DOWNLOAD_TIMEOUT"] < timeouts["FACTPULSE_READ_TIMEOUT"]:
        errors.append(
            Warning(
                "FACTPULSE_DOWNLOAD_TIMEOUT is shorter than FACTPULSE_READ_TIMEOUT.",
                hint="Downloads reach 160 MB of JSON: set FACTPULSE_DOWNLOAD_TIMEOUT to 300 or more.",
                id="chorusweb.W011",
            )
        )

    retries = getattr(settings, "FACTPULSE_MAX_RETRIES", None)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
        errors.append(
            Error(
                f"FACTPULSE_MAX_RETRIES must be an integer from 0 to 10 (got {retries!r}).",
                hint="Set FACTPULSE_MAX_RETRIES=3.",
                id="chorusweb.E012",
            )
        )
    backoff = getattr(settings, "FACTPULSE_RETRY_BACKOFF", None)
    if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or not 0 <= backoff <= 30:
        errors.append(
            Error(
                f"FACTPULSE_RETRY_BACKOFF must be a number of seconds from 0 to 30 (got {backoff!r}).",
                hint="Set FACTPULSE_RETRY_BACKOFF=0.5 (the first wait; each retry doubles it).",
                id="chorusweb.E013",
            )
        )
    agent = getattr(settings, "FACTPULSE_USER_AGENT", None)
    if not isinstance(agent, str) or not agent.strip() or any(c in agent for c in "\r\n"):
        errors.append(
            Error(
                f"FACTPULSE_USER_AGENT must be a non-empty single-line string (got {agent!r}).",
                hint="Set FACTPULSE_USER_AGENT to e.g. 'chorusweb/0.1 (+https://your.site)'.",
                id="chorusweb.E014",
            )
        )

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not settings.DEBUG and backend in _PER_PROCESS_CACHES:
        errors.append(
            Warning(
                "The default cache is per process: each worker logs in to FactPulse on its own.",
                hint="Set CACHE_URL to a shared cache (redis://..., or a database cache) so that "
                "FactPulse tokens are shared by every worker.",
                id="chorusweb.W012",
            )
        )
    return errors
