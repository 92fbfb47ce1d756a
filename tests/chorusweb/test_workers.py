"""Background processes yield the processor to pages: they lower their priority once."""

from __future__ import annotations

import pytest

from chorusweb import workers


@pytest.fixture
def niced(monkeypatch):
    calls = []
    monkeypatch.setattr(workers, "_niced", False)
    monkeypatch.setattr(workers.os, "nice", lambda n: calls.append(n) or n)
    return calls


def test_a_worker_lowers_its_priority_once(niced, settings):
    settings.CHORUSWEB_WORKER_NICENESS = 10
    workers.yield_to_pages()
    workers.yield_to_pages()
    assert niced == [10]


def test_no_niceness_keeps_the_priority(niced, settings):
    settings.CHORUSWEB_WORKER_NICENESS = 0
    workers.yield_to_pages()
    assert niced == []


def test_a_refused_niceness_is_logged_and_the_work_goes_on(monkeypatch, settings, caplog):
    def refuse(n):
        raise PermissionError("not allowed")

    monkeypatch.setattr(workers, "_niced", False)
    monkeypatch.setattr(workers.os, "nice", refuse)
    settings.CHORUSWEB_WORKER_NICENESS = 5
    workers.yield_to_pages()
    assert "Could not lower the worker's priority" in caplog.text
