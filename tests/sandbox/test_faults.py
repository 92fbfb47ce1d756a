"""Faults on demand through the control API, call counting, settings-level faults."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sandbox.testing import DEMO
from tests.sandbox.conftest import SandboxApi
from tests.sandbox.http import http

SEARCH = "factures/rechercher-destinataire"
PROCESS = "factures/traiter-facture-recue"


def _faults(api, **config):
    response = api.control("POST", "faults", config)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_error_status_for_the_next_calls_then_off(api, status):
    _faults(api, error_status=status, error_rate=1.0, count=2, endpoints=[SEARCH])
    for _ in range(2):
        response = api.raw(SEARCH, {})
        assert response.status_code == status
        body = response.json()
        assert isinstance(body["errorCode"], str) and isinstance(body["errorMessage"], str)
    assert api.raw(SEARCH, {}).status_code == 200
    calls = api.control("GET", "calls").json()["calls"]
    assert calls[SEARCH] == 3


def test_faults_only_hit_listed_endpoints(api):
    _faults(api, error_status=503, error_rate=1.0, endpoints=["factures/valideur/*"])
    assert api.raw(SEARCH, {}).status_code == 200
    assert api.raw("factures/valideur/rechercher", {}).status_code == 503
    assert api.raw("factures/valideur/consulter", {"idFacture": 1}).status_code == 503
    # token endpoints are left alone unless listed (login asserts a 200)
    api.login(DEMO)


def test_token_endpoint_faults_only_when_listed(api):
    _faults(api, error_status=503, error_rate=1.0, count=1, endpoints=["token"])
    response = http(api.base_url).post(
        f"{api.base_url}/api/token/", json={"username": DEMO.email, "password": DEMO.password}, timeout=10
    )
    assert response.status_code == 503
    assert api.raw(SEARCH, {}).status_code == 200
    api.login(DEMO)


def test_error_rate_is_a_share(api):
    _faults(api, error_status=500, error_rate=0.5, endpoints=[SEARCH])
    statuses = [api.raw(SEARCH, {}).status_code for _ in range(40)]
    assert set(statuses) == {200, 500}
    assert 8 <= statuses.count(500) <= 32


def test_rate_limit(api):
    _faults(api, rate_limit_retry_after=7, count=1)
    response = api.raw(SEARCH, {})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errorCode"]
    assert api.raw(SEARCH, {}).status_code == 200


def test_malformed_json(api):
    _faults(api, malformed=True, count=1, endpoints=[SEARCH])
    response = api.raw(SEARCH, {})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert api.raw(SEARCH, {}).json()["codeRetour"] == 0


def test_latency(api):
    _faults(api, latency_ms=400, endpoints=[SEARCH])
    started = time.perf_counter()
    assert api.raw(SEARCH, {}).status_code == 200
    assert time.perf_counter() - started >= 0.4


def test_timeout_after_the_write_is_done(live_api):
    api = live_api  # an answer that never comes needs a socket
    row = api.received(statutCourant=["MISE_A_DISPOSITION"])[0]
    _faults(api, timeout_seconds=0.8, count=1, endpoints=[PROCESS])
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.raw(PROCESS, {"idFacture": row["idFacture"], "nouveauStatut": "SERVICE_FAIT"}, timeout=0.3)
    time.sleep(0.6)
    # the write happened once; only its answer was lost
    assert api.received(numeroFacture=row["numeroFacture"])[0]["statut"] == "SERVICE_FAIT"
    assert api.control("GET", "calls").json()["calls"][PROCESS] == 1


def test_tokens_expire_early(api, sandbox_url):
    _faults(api, token_lifetime=0.6)
    client = SandboxApi(sandbox_url)
    assert client.raw(SEARCH, {}).status_code == 200
    time.sleep(0.7)
    assert client.raw(SEARCH, {}).status_code == 401
    # the token obtained before the fault still works
    assert api.raw(SEARCH, {}).status_code == 200


def test_reset_and_read_faults(api):
    state = _faults(api, error_status=502, error_rate=1.0)
    assert state["faults"]["error_status"] == 502 and state["remaining"] is None
    assert api.raw(SEARCH, {}).status_code == 502
    assert api.control("DELETE", "faults").status_code == 200
    assert api.control("GET", "faults").json()["faults"] == {}
    assert api.raw(SEARCH, {}).status_code == 200


@pytest.mark.parametrize(
    "config", [{"error_status": 418}, {"error_rate": 2}, {"count": 0}, {"endpoints": "all"}, {"bogus": 1}]
)
def test_invalid_fault_config_is_400(api, config):
    assert api.control("POST", "faults", config).status_code == 400


def test_calls_are_counted_per_path(api):
    api.control("DELETE", "calls")
    api.raw(SEARCH, {})
    api.raw(SEARCH, {})
    api.raw("factures/valideur/rechercher", {})
    api.raw(SEARCH, {}, headers={"Authorization": "Bearer nope"})
    calls = api.control("GET", "calls").json()["calls"]
    assert calls == {SEARCH: 3, "factures/valideur/rechercher": 1}
    assert api.control("DELETE", "calls").json() == {"calls": {}}


def test_settings_level_faults(api, settings):
    settings.SANDBOX_ERROR_RATE = 1.0
    settings.SANDBOX_ERROR_STATUS = 502
    assert api.raw(SEARCH, {}).status_code == 502
    settings.SANDBOX_ERROR_RATE = 0.0
    settings.SANDBOX_LATENCY_MS = 300
    started = time.perf_counter()
    assert api.raw(SEARCH, {}).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_control_deposit_and_clock(api):
    before = api.search()["total"]
    response = api.control("POST", "deposit", {"count": 5})
    assert response.status_code == 200 and response.json()["count"] == 5
    rows = api.received(factureTelechargeeParDestinataire=False, statutCourant=["MISE_A_DISPOSITION"])
    assert set(response.json()["ids"]) <= {r["idFacture"] for r in rows}
    assert api.search()["total"] == before + 5
    clock = api.control("POST", "clock", {"offset_days": 3}).json()
    assert clock["offset_days"] == 3
    assert api.control("POST", "deposit", {"count": 0}).status_code == 400


def test_control_reset(api):
    api.control("POST", "deposit", {"count": 3})
    summary = api.control("POST", "reset", {"seed": 7, "size": "small"}).json()
    assert summary["seed"] == 7 and summary["received_demo"] > 0
    assert api.search()["total"] == summary["received_demo"]
