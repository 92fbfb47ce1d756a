"""System checks for chorusweb's own settings, with messages that say how to fix them."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from chorusweb import crypto
from chorusweb.devkeys import DEV_FIELD_KEY, DEV_SECRET_KEY


@register()
def check_encryption_key(app_configs=None, **kwargs):
    try:
        crypto.get_fernet()
    except Exception as exc:  # ImproperlyConfigured with the fix in its text
        return [Error(str(exc), id="chorusweb.E001")]
    return []


@register(Tags.security, deploy=True)
def check_production_keys(app_configs=None, **kwargs):
    errors = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is the development key.",
                hint="Set DJANGO_SECRET_KEY to a long random value in the environment.",
                id="chorusweb.E002",
            )
        )
    if DEV_FIELD_KEY in list(settings.FIELD_ENCRYPTION_KEY):
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEY holds the development key.",
                hint="Generate a key with Fernet.generate_key() and set FIELD_ENCRYPTION_KEY.",
                id="chorusweb.E003",
            )
        )
    if settings.SANDBOX_ENABLED:
        errors.append(
            Warning(
                "The FactPulse sandbox is enabled in a deployment.",
                hint="Set SANDBOX_ENABLED=false unless this is a demonstration server.",
                id="chorusweb.W001",
            )
        )
    return errors


@register()
def check_factpulse_settings(app_configs=None, **kwargs):
    errors = []
    url = settings.FACTPULSE_API_URL
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(
            Error(
                f"FACTPULSE_API_URL is not an http(s) URL: {url!r}.",
                hint="Set FACTPULSE_API_URL to https://factpulse.fr or to the sandbox's URL.",
                id="chorusweb.E010",
            )
        )
    elif (
        parts.scheme == "http"
        and not settings.DEBUG
        and parts.hostname
        not in (
            "127.0.0.1",
            "localhost",
        )
    ):
        errors.append(
            Warning(
                "FACTPULSE_API_URL uses plain http outside development.",
                hint="Use https:// so that credentials and invoices are encrypted in transit.",
                id="chorusweb.W010",
            )
        )
    for name in ("FACTPULSE_CONNECT_TIMEOUT", "FACTPULSE_READ_TIMEOUT", "FACTPULSE_DOWNLOAD_TIMEOUT"):
        value = getattr(settings, name)
        if not isinstance(value, (int, float)) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds (got {value!r}).",
                    hint=f"Set {name} to e.g. 5 (connect) or 30 (read).",
                    id="chorusweb.E011",
                )
            )
    retries = settings.FACTPULSE_MAX_RETRIES
    if not isinstance(retries, int) or not 0 <= retries <= 10:
        errors.append(
            Error(
                f"FACTPULSE_MAX_RETRIES must be an integer from 0 to 10 (got {retries!r}).",
                hint="Set FACTPULSE_MAX_RETRIES=3.",
                id="chorusweb.E012",
            )
        )
    return errors
