"""System checks for chorusweb's own settings, with messages that say how to fix them."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from chorusweb import crypto
from chorusweb.devkeys import DEV_FIELD_KEY, DEV_SECRET_KEY
from chorusweb.factpulse import check_factpulse_settings  # noqa: F401 (registers the FactPulse checks)

#: What to do about each key production must set: (hint, id as an error, id as a warning).
_MISSING_KEYS = {
    "DJANGO_SECRET_KEY": ("Set DJANGO_SECRET_KEY to a long random value.", "chorusweb.E004", "chorusweb.W104"),
    "FIELD_ENCRYPTION_KEY": (
        "Generate a key with Fernet.generate_key() and set FIELD_ENCRYPTION_KEY.",
        "chorusweb.E001",
        "chorusweb.W101",
    ),
}


def _missing_keys(level: type[Error] | type[Warning]) -> list:
    return [
        level(
            f"{name} must be set when DJANGO_DEBUG is off.",
            hint=f"{_MISSING_KEYS[name][0]} For development, set DJANGO_DEBUG=true instead.",
            id=_MISSING_KEYS[name][1 if level is Error else 2],
        )
        for name in settings.CHORUSWEB_MISSING_KEYS
    ]


@register()
def check_keys(app_configs=None, **kwargs):
    """A missing key is told here; commands that need none (makemigrations) still run, and the
    servers refuse to start without it (require_keys, check --deploy)."""
    errors = _missing_keys(Warning)
    if "FIELD_ENCRYPTION_KEY" not in settings.CHORUSWEB_MISSING_KEYS:
        try:
            crypto.get_fernet()
        except Exception as exc:  # ImproperlyConfigured with the fix in its text
            errors.append(Error(str(exc), id="chorusweb.E001"))
    return errors


@register(Tags.security, deploy=True)
def check_keys_set(app_configs=None, **kwargs):
    return _missing_keys(Error)


def require_keys() -> None:
    """Refuse to serve without keys (WSGI/ASGI start-up, runserver): a server runs no check."""
    errors = _missing_keys(Error)
    if errors:
        raise ImproperlyConfigured(" ".join(f"{error.msg} {error.hint}" for error in errors))


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
    if not settings.CHORUSWEB_REQUIRE_2FA:
        errors.append(
            Warning(
                "Two-factor authentication is not required (CHORUSWEB_REQUIRE_2FA is off).",
                hint="Set CHORUSWEB_REQUIRE_2FA=true: staff and users who can act on a connection "
                "then log in with an authenticator app.",
                id="chorusweb.W002",
            )
        )
    if not settings.CHORUSWEB_IDLE_TIMEOUT_MINUTES:
        errors.append(
            Warning(
                "Sessions never end for inactivity (CHORUSWEB_IDLE_TIMEOUT_MINUTES is 0).",
                hint="Set CHORUSWEB_IDLE_TIMEOUT_MINUTES, e.g. 30.",
                id="chorusweb.W003",
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
