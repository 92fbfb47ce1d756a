"""Safety: the sandbox exists only when SANDBOX_ENABLED; method and path details."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import resolve

from tests import launcher

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup();"
    "from django.conf import settings; from django.urls import resolve, Resolver404;\n"
    "try:\n    resolve('/sandbox/api/token/'); mounted = True\n"
    "except Resolver404:\n    mounted = False\n"
    "print(settings.SANDBOX_ENABLED, mounted)"
)


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "DJANGO_"))}
    clean.update(DJANGO_SETTINGS_MODULE="chorusweb.settings", **env)
    result = launcher.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, timeout=60)
    result.check_returncode()
    return result.stdout.strip()


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 60,
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "example.test",
}


def test_off_in_production_by_default():
    assert _probe(**PRODUCTION) == "False False"


def test_on_in_production_only_when_set():
    assert _probe(**PRODUCTION, SANDBOX_ENABLED="true") == "True True"


def test_on_in_the_embedded_configuration():
    assert _probe(DJANGO_DEBUG="true") == "True True"


@pytest.mark.django_db
def test_disabled_at_run_time_answers_404(client, settings, sandbox_seed):
    # the URLconf is loaded with the sandbox mounted; switching the setting off still hides it
    resolve("/sandbox/api/token/")
    settings.SANDBOX_ENABLED = False
    assert client.post("/sandbox/api/token/", {}, content_type="application/json").status_code == 404
    assert client.get("/sandbox/_control/calls").status_code == 404
    assert (
        client.post(
            "/sandbox/api/v1/chorus-pro/factures/rechercher-destinataire", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_wrong_method_is_405(api):
    assert api.raw("factures/rechercher-destinataire", method="GET").status_code == 405
    assert api.control("PUT", "faults").status_code == 405


def test_trailing_slash_is_optional(api):
    assert api.raw("factures/rechercher-destinataire/", {}).status_code == 200


def test_control_api_answers_logged_in_staff_only(api):
    """The control API shows the sandbox passwords: never to anonymous or non-staff users."""
    from django.contrib.auth import get_user_model

    from sandbox.testing import control_auth
    from tests.sandbox.http import IN_PROCESS, http

    url = f"{IN_PROCESS}/sandbox/_control/state"
    requests = http(url)
    anonymous = requests.get(url, timeout=10)
    assert anonymous.status_code == 403 and "password" not in anonymous.text
    assert requests.post(f"{IN_PROCESS}/sandbox/_control/reset", json={}, timeout=10).status_code == 403
    agent = control_auth("agent")
    get_user_model().objects.filter(username="agent").update(is_staff=False)
    assert requests.get(url, cookies=agent.cookies, timeout=10).status_code == 403
    staff = control_auth()
    assert requests.get(url, cookies=staff.cookies, timeout=10).status_code == 200
    # A staff session is not enough to change anything without the CSRF token.
    assert (
        requests.delete(f"{IN_PROCESS}/sandbox/_control/faults", cookies=staff.cookies, timeout=10).status_code == 403
    )
    assert api.control("DELETE", "faults").status_code == 200
