"""Fixtures of the sandbox's contract tests: a seeded sandbox, its endpoints called in-process.

The sandbox is a Django app of the project: its own tests call its views through Django's
test client (`tests.sandbox.http`, with the call shape of `requests`), in a transaction rolled
back after each test. What only a socket shows (an answer that never comes, a streamed
download's memory) goes through `live_api`, the sandbox served over real HTTP; the gateway's
contract tests and the workspace journeys (tests/factpulse, tests/chorusweb) use that too.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.seed import SeedSummary
from sandbox.testing import DEMO, Credentials, api_url
from tests.reseed import reseed
from tests.sandbox.http import IN_PROCESS, http

CP = "/api/v1/chorus-pro/"


class SandboxApi:
    """A tiny HTTP client for the tests: token handling and the control API."""

    def __init__(self, base_url: str, credentials: Credentials | None = DEMO, client_uid: str | None = None):
        self.base_url = base_url
        # over HTTP, no shared session: each call opens and closes its connection, so no
        # keep-alive server thread outlives the test's database
        self.session = http(base_url)
        self.access: str | None = None
        self.refresh: str | None = None
        if credentials is not None:
            self.login(credentials, client_uid=client_uid)

    def login(self, credentials: Credentials, client_uid: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"username": credentials.email, "password": credentials.password}
        if client_uid:
            body["client_uid"] = client_uid
        response = self.session.post(f"{self.base_url}/api/token/", json=body, timeout=10)
        assert response.status_code == 200, response.text
        data = response.json()
        self.access, self.refresh = data["access"], data["refresh"]
        return data

    def raw(self, endpoint: str, json: Any = None, method: str = "POST", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.access and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.access}"
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.base_url}{CP}{endpoint}", json=json, headers=headers, **kwargs)

    def post(self, endpoint: str, json: Any = None, **kwargs: Any) -> dict[str, Any]:
        """POST and return the JSON body, asserting HTTP 200."""
        response = self.raw(endpoint, json, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response.json()

    def control(self, method: str, name: str, json: Any = None) -> requests.Response:
        """Call the control API as a logged-in staff user (it answers nobody else)."""
        from sandbox.testing import control_auth

        if getattr(self, "_control_auth", None) is None:
            self._control_auth = control_auth()
        auth = self._control_auth
        return self.session.request(
            method,
            f"{self.base_url}/_control/{name}",
            json=json,
            timeout=30,
            cookies=auth.cookies,
            headers=auth.headers,
        )

    def search(self, **body: Any) -> dict[str, Any]:
        body.setdefault("paramRecherche", {"pageResultatDemandee": 1, "nbResultatsParPage": 1000})
        return self.post("factures/rechercher-destinataire", body)

    def received(self, **filters: Any) -> list[dict[str, Any]]:
        answer = self.search(**filters)
        return answer["listeFactures"]


@pytest.fixture
def sandbox_seed(db) -> SeedSummary:
    """The small deterministic sandbox data set (reusable by any test): `seed_small()`."""
    return reseed(seed_number=2026, size="small", large=False)


@pytest.fixture
def sandbox_url(sandbox_seed) -> str:
    """The base URL of the seeded sandbox, called in-process (`tests.sandbox.http`)."""
    return api_url(IN_PROCESS)


@pytest.fixture
def api(sandbox_url) -> SandboxApi:
    """A client logged in as the demo account, against the seeded sandbox (in-process)."""
    return SandboxApi(sandbox_url)


@pytest.fixture
def live_api(live_server, sandbox_seed) -> SandboxApi:
    """A client logged in as the demo account, against the seeded sandbox over real HTTP."""
    return SandboxApi(api_url(live_server.url))
