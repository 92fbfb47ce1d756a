"""The outcome of a write from what the gateway raised: refused, unknown or not sent.

Here, beside the gateway's own tests, because the HTTP statuses go through the gateway's
own error builder (`errors.build_error`), as an answer does."""

from __future__ import annotations

import pytest

from chorusweb.audit import audit_begin, settle_error
from chorusweb.factpulse import errors as e
from chorusweb.factpulse.errors import build_error
from chorusweb.models import AuditEntry

CASES = [
    (e.FactPulseRefused("no", upstream_message="Transition interdite"), AuditEntry.State.REFUSED),
    (e.FactPulseTimeout("read timeout"), AuditEntry.State.UNKNOWN),
    (e.FactPulseTimeout("connect timeout", may_have_applied=False), AuditEntry.State.FAILED),
    (e.FactPulseNoAnswer("dropped"), AuditEntry.State.UNKNOWN),
    (e.FactPulseMalformed("garbled"), AuditEntry.State.UNKNOWN),
    (build_error(500), AuditEntry.State.UNKNOWN),
    (build_error(502), AuditEntry.State.UNKNOWN),
    (build_error(504), AuditEntry.State.UNKNOWN),
    (build_error(503), AuditEntry.State.FAILED),
    (build_error(429), AuditEntry.State.FAILED),
    (build_error(401), AuditEntry.State.FAILED),
    (e.FactPulseUnavailable("connection refused"), AuditEntry.State.FAILED),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("error", "state"), CASES, ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(CASES)])
def test_each_gateway_error_has_one_outcome(connection, error, state):
    entry = audit_begin(workspace="received", connection=connection, user=None, action="process", invoice_id=1)
    settle_error(entry, error)
    entry.refresh_from_db()
    assert entry.state == state
    if state == AuditEntry.State.REFUSED:
        assert "Transition interdite" in entry.outcome
    if state == AuditEntry.State.FAILED:
        assert entry.outcome.startswith("Non envoyée")


@pytest.mark.django_db
def test_a_settled_entry_is_never_overwritten(connection):
    entry = audit_begin(workspace="received", connection=connection, user=None, action="process", invoice_id=2)
    settle_error(entry, e.FactPulseRefused("no"))
    late = AuditEntry.objects.get(pk=entry.pk)
    settle_error(late, e.FactPulseTimeout("late"))
    assert AuditEntry.objects.get(pk=entry.pk).state == AuditEntry.State.REFUSED
