"""Settings: production configuration passes `check --deploy`; the embedded one has sane defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests import launcher

pytestmark = pytest.mark.waits  # each test waits on a fresh process

ROOT = Path(__file__).resolve().parents[2]


def _run_check(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANDBOX_", "FIELD_"))}
    env.update(extra_env)
    return launcher.run([sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, timeout=120)


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-" + "Zq8#" * 8,
    "DJANGO_ALLOWED_HOSTS": "chorusweb.example.fr",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "FACTPULSE_API_URL": "https://factpulse.fr",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def test_production_settings_pass_check_deploy_without_warning():
    result = _run_check(PRODUCTION_ENV, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_refuses_development_keys_and_sandbox():
    env = dict(PRODUCTION_ENV)
    env["FIELD_ENCRYPTION_KEY"] = "ZGV2LW9ubHktY2hvcnVzd2ViLWZpZWxkLWtleS0wMDA="
    env["SANDBOX_ENABLED"] = "true"
    result = _run_check(env, "--deploy")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "chorusweb.E003" in output
    assert "chorusweb.W001" in output


def test_production_requires_secret_key():
    env = dict(PRODUCTION_ENV)
    env.pop("DJANGO_SECRET_KEY")
    result = _run_check(env, "--deploy")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_bad_factpulse_url_is_reported_with_a_fix():
    result = _run_check({"DJANGO_DEBUG": "true", "FACTPULSE_API_URL": "factpulse.fr"})
    assert result.returncode != 0
    assert "chorusweb.E010" in result.stderr
    assert "https://factpulse.fr" in result.stderr


def test_debug_is_off_unless_asked_for():
    """An unset DJANGO_DEBUG is production: no development keys, so start-up asks for real ones."""
    result = _run_check({}, "--deploy")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_DEBUG"}
    probe = launcher.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.SANDBOX_ENABLED, settings.SESSION_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANDBOX_", "FIELD_"))},
            "DJANGO_SETTINGS_MODULE": "chorusweb.settings",
            **env,
        },
        timeout=120,
    )
    assert probe.stdout.split() == ["False", "False", "True"], probe.stderr


def test_embedded_defaults():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _ in settings.LANGUAGES] == ["fr", "en"]
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ is True
    assert settings.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert settings.FACTPULSE_CONNECT_TIMEOUT > 0 and settings.FACTPULSE_READ_TIMEOUT > 0


def test_commands_that_need_no_key_run_without_one_and_servers_refuse():
    """A fresh clone runs makemigrations without any setting; the WSGI start-up refuses to serve."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANDBOX_", "FIELD_"))}
    migrations = launcher.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT, env=env, timeout=120
    )
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    assert "chorusweb.W104" in migrations.stderr  # told, not refused
    server = launcher.run([sys.executable, "-c", "import chorusweb.wsgi"], cwd=ROOT, env=env, timeout=120)
    assert server.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in server.stderr
