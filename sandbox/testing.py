"""Helpers for tests of any app that need a seeded sandbox (no HTTP involved).

    from sandbox.testing import DEMO, OTHER, seed_small

    @pytest.fixture
    def sandbox_seed(db):
        return seed_small()          # ~0.1 s: ~80 invoices, every status, two accounts

With `live_server`, the API is at `f"{live_server.url}/sandbox"` (token URL
`.../sandbox/api/token/`). Use `seed_full()` for the data set of `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.crypto import get_random_string

from sandbox import seed_data, services
from sandbox.seed import SeedSummary


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    client_uid: str


#: The demo account (the one `chorusweb.demo` connects with): the bulk of the data.
DEMO = Credentials(seed_data.DEMO_EMAIL, seed_data.DEMO_PASSWORD, str(seed_data.DEMO_UID))
#: A second account, whose invoices the demo's default client cannot see.
OTHER = Credentials(seed_data.OTHER_EMAIL, seed_data.OTHER_PASSWORD, str(seed_data.OTHER_UID))

#: Public structures of the demo account (recipients) and its private ones (validators).
DEMO_PUBLIC_IDS = tuple(spec[0] for spec in seed_data.DEMO_PUBLIC)
DEMO_PRIVATE_IDS = tuple(spec[0] for spec in seed_data.DEMO_PRIVATE)
OTHER_PUBLIC_IDS = tuple(spec[0] for spec in seed_data.OTHER_PUBLIC)


def seed_small(*, seed: int = 2026, large: bool = False) -> SeedSummary:
    """A small deterministic data set (~80 invoices): every status, both accounts."""
    return services.reset(seed_number=seed, size="small", large=large)


def seed_full(*, seed: int = 2026, large: bool = False) -> SeedSummary:
    """The full data set of `make run` (~630 invoices)."""
    return services.reset(seed_number=seed, size="full", large=large)


def api_url(live_server_url: str) -> str:
    """The FactPulse base URL of a sandbox served by `live_server`."""
    return f"{live_server_url.rstrip('/')}/sandbox"


@dataclass(frozen=True)
class ControlAuth:
    """What an HTTP client sends to use the control API: a staff session and a CSRF token."""

    cookies: dict[str, str]
    headers: dict[str, str]


def control_auth(username: str = "sandbox-control") -> ControlAuth:
    """Log a staff user in (in the database) and return the cookies and headers of that session.

    For tests and scripts that call `/sandbox/_control/*` over HTTP: send `auth.cookies` and
    `auth.headers` with each call of the HTTP client they use.
    """
    user, _ = get_user_model().objects.update_or_create(username=username, defaults={"is_staff": True})
    client = Client()
    client.force_login(user)
    token = get_random_string(32)
    return ControlAuth(
        cookies={
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: token,
        },
        headers={"X-CSRFToken": token},
    )
