"""Client logic that needs no server: token lifetimes, backoff, Retry-After, settings, checks."""

from __future__ import annotations

import base64
import json
import time
from email.utils import formatdate

import pytest
from django.core.cache import cache

from chorusweb.factpulse import auth
from chorusweb.factpulse import client as c
from chorusweb.factpulse.checks import check_factpulse_settings
from chorusweb.factpulse.errors import FactPulseAuthError, FactPulseMalformed, FactPulseUnavailable
from tests.factories import ConnectionFactory


def _jwt(claims: dict) -> str:
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'HS256'})}.{enc(claims)}.c2ln"


def test_jwt_expiry():
    assert auth.jwt_expiry(_jwt({"exp": 1234.5})) == 1234.5
    assert auth.jwt_expiry(_jwt({"sub": 1})) is None
    assert auth.jwt_expiry("opaque-token") is None
    assert auth.jwt_expiry("a.!!!.c") is None


def test_token_lifetime_sources():
    now = time.time()
    entry = auth.read_token({"access": _jwt({"exp": now + 500}), "refresh": "r", "access_lifetime": 90})
    assert entry["expires_at"] == pytest.approx(now + 90, abs=2)  # access_lifetime wins
    entry = auth.read_token({"access": _jwt({"exp": now + 500}), "refresh": "r"})
    assert entry["expires_at"] == pytest.approx(now + 500, abs=1)  # then the JWT's exp
    entry = auth.read_token({"access": "opaque"}, previous_refresh="old")
    assert entry["expires_at"] == pytest.approx(now + auth.DEFAULT_ACCESS_LIFETIME, abs=2)  # then 28 min
    assert entry["refresh"] == "old"  # a refresh answer without a new refresh keeps the old one
    with pytest.raises(FactPulseMalformed):
        auth.read_token({"refresh": "r"})


@pytest.mark.django_db
def test_token_cache_key_follows_credentials_and_is_encrypted():
    connection = ConnectionFactory()
    client = c.get_client(connection)
    assert client.token_cache_key == f"factpulse:token:{connection.pk}:{connection.credentials_version}"
    client._store_tokens({"access": "ACCESS-SECRET", "refresh": "REFRESH-SECRET", "expires_at": time.time() + 600})
    stored = cache.get(client.token_cache_key)
    assert "ACCESS-SECRET" not in stored and "REFRESH-SECRET" not in stored
    assert client.access_token() == "ACCESS-SECRET"  # still valid: no network needed
    cache.set(client.token_cache_key, "garbage")
    assert client._load_tokens() is None


def test_parse_retry_after():
    assert c.parse_retry_after("3") == 3
    assert c.parse_retry_after("0.5") == 0.5
    assert c.parse_retry_after(None) is None
    assert c.parse_retry_after("soon") is None
    in_five = formatdate(time.time() + 5, usegmt=True)
    assert 3 <= c.parse_retry_after(in_five) <= 5.5


@pytest.mark.django_db
def test_backoff_is_exponential_bounded_and_jittered(settings):
    settings.FACTPULSE_RETRY_BACKOFF = 1.0
    client = c.get_client(ConnectionFactory())
    for attempt in range(6):
        base = min(c.MAX_BACKOFF, 2**attempt)
        delays = {client._backoff_delay(attempt) for _ in range(20)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jitter


@pytest.mark.django_db
def test_retry_after_is_honoured_or_too_long(settings):
    client = c.get_client(ConnectionFactory())

    class Answer:
        status_code = 429
        headers = {"Retry-After": "2"}

    assert client._backoff_delay(0, Answer()) == 2
    Answer.headers = {"Retry-After": str(int(c.MAX_RETRY_AFTER) + 50)}
    assert client._backoff_delay(0, Answer()) is None  # give up: the caller sees FactPulseRateLimited


@pytest.mark.django_db
def test_unreachable_host_is_unavailable_after_bounded_read_retries(settings):
    settings.FACTPULSE_MAX_RETRIES = 2
    sleeps = []
    client = c.FactPulseClient(ConnectionFactory(api_base_url="http://127.0.0.1:9/sandbox"), sleep=sleeps.append)
    with pytest.raises(FactPulseUnavailable) as info:
        client._request("GET", "/x", endpoint="x", retryable=True, authenticated=False)
    assert len(sleeps) == 2
    assert info.value.request_id
    sleeps.clear()
    with pytest.raises(FactPulseUnavailable):
        client._request("POST", "/x", body={}, endpoint="x", retryable=False, authenticated=False)
    assert sleeps == []  # a write is never retried


@pytest.mark.django_db
def test_a_connection_without_password_cannot_log_in():
    client = c.get_client(ConnectionFactory(password=""))
    with pytest.raises(FactPulseAuthError):
        client.access_token()


@pytest.mark.django_db
def test_zero_trust_credentials():
    plain = c.get_client(ConnectionFactory())
    assert plain._credentials() is None
    zero = c.get_client(
        ConnectionFactory(
            piste_client_id="pid", piste_client_secret="psecret", chorus_login="login", chorus_password="cpw"
        )
    )
    assert zero._credentials() == {
        "pisteClientId": "pid",
        "pisteClientSecret": "psecret",
        "chorusProLogin": "login",
        "chorusProPassword": "cpw",
        "sandbox": True,
    }


def test_session_is_pooled_per_thread_and_host():
    assert c._session_for("http://a") is c._session_for("http://a")
    assert c._session_for("http://a") is not c._session_for("http://b")


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("FACTPULSE_API_URL", "ftp://x", "chorusweb.E010"),
        ("FACTPULSE_READ_TIMEOUT", 0, "chorusweb.E011"),
        ("FACTPULSE_CONNECT_TIMEOUT", "5", "chorusweb.E011"),
        ("FACTPULSE_DOWNLOAD_TIMEOUT", 1, "chorusweb.W011"),
        ("FACTPULSE_MAX_RETRIES", 11, "chorusweb.E012"),
        ("FACTPULSE_RETRY_BACKOFF", -1, "chorusweb.E013"),
        ("FACTPULSE_USER_AGENT", "", "chorusweb.E014"),
    ],
)
def test_system_checks(settings, name, value, check_id):
    assert check_id not in {m.id for m in check_factpulse_settings()}
    setattr(settings, name, value)
    messages = {m.id: m for m in check_factpulse_settings()}
    assert check_id in messages
    assert messages[check_id].hint  # says how to fix it


def test_checks_are_registered():
    from django.core.checks import registry

    assert check_factpulse_settings in registry.registry.get_checks()


def test_system_checks_in_production(settings):
    settings.DEBUG = False
    settings.FACTPULSE_API_URL = "http://factpulse.example"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ids = {m.id for m in check_factpulse_settings()}
    assert {"chorusweb.W010", "chorusweb.W012"} <= ids
