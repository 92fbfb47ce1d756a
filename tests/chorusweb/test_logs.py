"""Quieter logs: a refused page is one WARNING line without a traceback."""

from __future__ import annotations

import logging

import pytest

from chorusweb.logs import RefusalWithoutTraceback

pytestmark = pytest.mark.django_db


def test_refused_pages_are_warnings_without_traceback(client, recipient, caplog):
    client.force_login(recipient)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/validation/").status_code == 403  # no validator role
        assert client.get("/factures/99999999/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert {r.status_code for r in records} == {403, 404}
    refusal = RefusalWithoutTraceback()
    for record in records:
        assert refusal.filter(record) is True
        assert record.levelno == logging.WARNING
        assert record.exc_info is None and record.exc_text is None


def test_the_console_handler_drops_tracebacks_of_refusals():
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert any(isinstance(f, RefusalWithoutTraceback) for h in handlers for f in h.filters)


def test_a_server_error_keeps_its_traceback():
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "boom", (), (ValueError, ValueError(), None)
    )
    record.status_code = 500
    assert RefusalWithoutTraceback().filter(record) is True
    assert record.exc_info is not None and record.levelno == logging.ERROR
