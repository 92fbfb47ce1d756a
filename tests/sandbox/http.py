"""The sandbox's endpoints called in-process, with the call shape of `requests`.

`http(url)` is `requests` itself for a URL of a real server (`live_server`), and for a URL of
`IN_PROCESS` an object with `requests`' `request`/`get`/`post` that goes through Django's test
client: the same URLconf, middleware and views, without a socket, a server thread or a second
database connection. Its answers have what the tests read of a `requests.Response`.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import requests
from django.test import Client

#: The origin of a sandbox called in-process (Django's test client serves `testserver`).
IN_PROCESS = "http://testserver"


class Answer:
    """What the tests read of a `requests.Response`, from a Django response."""

    def __init__(self, response) -> None:
        self._response = response
        self.status_code: int = response.status_code
        self.headers = response.headers
        self._content: bytes | None = None if response.streaming else response.content

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = b"".join(self._response.streaming_content)
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode(self._response.charset or "utf-8")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def iter_content(self, chunk_size: int = 1) -> Iterator[bytes]:
        if self._content is not None:
            for start in range(0, len(self._content), chunk_size):
                yield self._content[start : start + chunk_size]
            return
        for chunk in self._response.streaming_content:
            yield from (chunk[i : i + chunk_size] for i in range(0, len(chunk), chunk_size))


class InProcess:
    """`requests.request` over Django's test client (no cookie kept between calls)."""

    def __init__(self) -> None:
        # one client (its handler loads the middleware once), CSRF checked as a real client meets it
        self._client = Client(enforce_csrf_checks=True)

    def request(
        self,
        method: str,
        url: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        timeout: float | None = None,
        stream: bool = False,
        data: Any = None,
    ) -> Answer:
        parts = urlsplit(url)
        client = self._client
        client.cookies = SimpleCookie(cookies or {})
        body = jsonlib.dumps(json) if json is not None else (data or "")
        response = client.generic(
            method.upper(),
            parts.path + (f"?{parts.query}" if parts.query else ""),
            data=body,
            content_type="application/json" if json is not None else "application/octet-stream",
            headers=headers or {},
        )
        return Answer(response)

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Answer:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Answer:
        return self.request("DELETE", url, **kwargs)


_in_process = InProcess()


def http(url: str):
    """`requests` for a real server's URL, the in-process client for an `IN_PROCESS` one."""
    return _in_process if url.startswith(IN_PROCESS) else requests
