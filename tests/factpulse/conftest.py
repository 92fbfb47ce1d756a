"""Fixtures of the gateway's tests: a clean token cache, fast retries, the sandbox over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests
from django.core.cache import cache

from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
from chorusweb.factpulse.client import FactPulseClient
from tests.factories import ConnectionFactory


@pytest.fixture(autouse=True)
def _clean_cache_and_fast_retries(settings):
    cache.clear()
    settings.FACTPULSE_RETRY_BACKOFF = 0.01
    settings.FACTPULSE_MAX_RETRIES = 2
    settings.FACTPULSE_CONNECT_TIMEOUT = 2.0
    settings.FACTPULSE_READ_TIMEOUT = 10.0
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = 30.0
    yield
    cache.clear()


@dataclass
class Sandbox:
    """The sandbox's control API (faults and call counters), over HTTP like the client."""

    url: str  # ends with /sandbox
    http: requests.Session = field(default_factory=requests.Session)

    def faults(self, **config) -> None:
        answer = self.http.post(f"{self.url}/_control/faults", json=config, timeout=5)
        assert answer.status_code == 200, answer.text

    def clear_faults(self) -> None:
        self.http.delete(f"{self.url}/_control/faults", timeout=5).raise_for_status()

    def calls(self) -> dict[str, int]:
        answer = self.http.get(f"{self.url}/_control/calls", timeout=5)
        answer.raise_for_status()
        return answer.json()["calls"]

    def count(self, path: str) -> int:
        return self.calls().get(path, 0)

    def clear_calls(self) -> None:
        self.http.delete(f"{self.url}/_control/calls", timeout=5).raise_for_status()


@pytest.fixture
def sandbox(transactional_db, live_server, settings):
    """The sandbox seeded with its small data set, served over real HTTP."""
    from sandbox.testing import control_auth
    from tests.reseed import reseed

    settings.SANDBOX_ENABLED = True
    reseed(seed_number=settings.SANDBOX_SEED, size="small", large=False)
    box = Sandbox(f"{live_server.url}/sandbox")
    auth = control_auth()  # the control API answers staff only
    box.http.cookies.update(auth.cookies)
    box.http.headers.update(auth.headers)
    yield box
    box.http.close()


@pytest.fixture
def sandbox_connection(sandbox):
    return ConnectionFactory(
        api_base_url=sandbox.url,
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
    )


@dataclass
class Recorder:
    """Every HTTP exchange of a client: method, path, headers and body sent, status."""

    exchanges: list[dict] = field(default_factory=list)

    def hook(self, response, *args, **kwargs):
        request = response.request
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        self.exchanges.append(
            {
                "method": request.method,
                "url": request.url,
                "headers": dict(request.headers),
                "body": json.loads(body) if body else None,
                "status": response.status_code,
            }
        )

    def to(self, suffix: str) -> list[dict]:
        return [e for e in self.exchanges if e["url"].endswith(suffix)]


@pytest.fixture
def client_and_recorder(sandbox_connection):
    """A client with its own session whose every request is recorded (for header/body checks)."""
    session = requests.Session()
    recorder = Recorder()
    session.hooks["response"].append(recorder.hook)
    client = FactPulseClient(sandbox_connection, session=session)
    yield client, recorder
    session.close()


@pytest.fixture
def fp(sandbox_connection):
    return FactPulseClient(sandbox_connection, session=requests.Session())
