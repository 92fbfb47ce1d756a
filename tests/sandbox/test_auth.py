"""Authentication: tokens, refresh, expiry, 401 bodies, client_uid selecting the account."""

from __future__ import annotations

import time

import pytest

from sandbox.testing import DEMO, OTHER, OTHER_PUBLIC_IDS
from tests.sandbox.conftest import SandboxApi
from tests.sandbox.http import http

SEARCH = "factures/rechercher-destinataire"


def test_token_pair_and_lifetime(sandbox_url):
    response = http(sandbox_url).post(
        f"{sandbox_url}/api/token/", json={"username": DEMO.email, "password": DEMO.password}, timeout=10
    )
    assert response.status_code == 200
    data = response.json()
    assert isinstance(data["access"], str) and data["access"].count(".") == 2
    assert isinstance(data["refresh"], str) and data["refresh"] != data["access"]
    assert data["access_lifetime"] == 1800


def test_token_without_trailing_slash_and_with_client_uid(sandbox_url):
    response = http(sandbox_url).post(
        f"{sandbox_url}/api/token",
        json={"username": DEMO.email, "password": DEMO.password, "client_uid": DEMO.client_uid},
        timeout=10,
    )
    assert response.status_code == 200
    assert "access" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"username": DEMO.email, "password": "wrong"},
        {"username": "nobody@example.test", "password": DEMO.password},
        {"username": OTHER.email, "password": OTHER.password, "client_uid": DEMO.client_uid},
        {"username": DEMO.email, "password": DEMO.password, "client_uid": "not-a-uuid"},
    ],
)
def test_bad_credentials_answer_401(sandbox_url, body):
    response = http(sandbox_url).post(f"{sandbox_url}/api/token/", json=body, timeout=10)
    assert response.status_code == 401
    data = response.json()
    assert isinstance(data["detail"], str) and data["detail"]
    assert "access" not in data


def test_missing_credentials_answer_400(sandbox_url):
    response = http(sandbox_url).post(f"{sandbox_url}/api/token/", json={"username": DEMO.email}, timeout=10)
    assert response.status_code == 400
    assert "password" in response.json()


def test_token_body_not_an_object_is_422(sandbox_url):
    response = http(sandbox_url).post(f"{sandbox_url}/api/token/", json=["x"], timeout=10)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Token abc"},
    ],
)
def test_api_without_valid_token_is_401(sandbox_url, headers):
    response = http(sandbox_url).post(f"{sandbox_url}/api/v1/chorus-pro/{SEARCH}", json={}, headers=headers, timeout=10)
    assert response.status_code == 401
    data = response.json()
    assert isinstance(data["detail"], str)
    assert isinstance(data["errorCode"], str) and isinstance(data["errorMessage"], str)
    assert "codeRetour" not in data


def test_refresh_token_is_not_an_access_token(api):
    response = api.raw(SEARCH, {}, headers={"Authorization": f"Bearer {api.refresh}"})
    assert response.status_code == 401


def test_tampered_token_is_401(api):
    header, payload, signature = api.access.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}AA"
    assert api.raw(SEARCH, {}, headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_refresh_gives_a_working_access_token(api):
    response = http(api.base_url).post(f"{api.base_url}/api/token/refresh/", json={"refresh": api.refresh}, timeout=10)
    assert response.status_code == 200
    access = response.json()["access"]
    assert access != api.access
    assert api.raw(SEARCH, {}, headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_refresh_with_access_token_is_401(api):
    response = http(api.base_url).post(f"{api.base_url}/api/token/refresh/", json={"refresh": api.access}, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_access_token_expires(sandbox_url, settings):
    settings.SANDBOX_TOKEN_LIFETIME = 0.6
    client = SandboxApi(sandbox_url)
    assert client.raw(SEARCH, {}).status_code == 200
    time.sleep(0.7)
    response = client.raw(SEARCH, {})
    assert response.status_code == 401
    assert "expir" in response.json()["detail"]


def test_another_account_invoice_is_invisible(api, sandbox_url):
    other = SandboxApi(sandbox_url, OTHER)
    other_rows = other.received()
    demo_rows = api.received()
    assert other_rows and demo_rows
    assert {r["idDestinataire"] for r in other_rows} <= set(OTHER_PUBLIC_IDS)
    assert not {r["idFacture"] for r in other_rows} & {r["idFacture"] for r in demo_rows}
    foreign = other_rows[0]["idFacture"]
    answer = api.post("factures/valideur/consulter", {"idFacture": foreign})
    assert answer["codeRetour"] != 0
    typed = api.post("factures/consulter", {"chorusInvoiceId": foreign})
    assert typed["returnCode"] != 0
    assert api.search(numeroFacture=other_rows[0]["numeroFacture"])["codeRetour"] == 20000


def test_client_uid_selects_the_chorus_account(sandbox_url):
    # the demo user also holds the other Chorus Pro account: client_uid picks which one
    default = SandboxApi(sandbox_url, DEMO)
    selected = SandboxApi(sandbox_url, DEMO, client_uid=OTHER.client_uid)
    selected_ids = {r["idDestinataire"] for r in selected.received()}
    default_ids = {r["idDestinataire"] for r in default.received()}
    assert selected_ids <= set(OTHER_PUBLIC_IDS)
    assert not default_ids & set(OTHER_PUBLIC_IDS)
