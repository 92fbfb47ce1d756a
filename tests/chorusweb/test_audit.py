"""The single-send guarantee of chorusweb/audit.py, through a service, against FakeFactPulse."""

from __future__ import annotations

import pytest

from chorusweb import lifecycle as lc
from chorusweb.audit import ActionInProgress, AlreadySubmitted, OutcomeUnknown, audit_begin, new_idempotency_key
from chorusweb.factpulse import FactPulseTimeout, FactPulseUnavailable
from chorusweb.models import AuditEntry, Workspace
from invoices import services
from invoices.models import ReceivedInvoice


@pytest.fixture
def invoice(db, fake_factpulse, connection, recipient):
    fake_factpulse.add_received(invoice_id=501)
    services.sync_received(connection=connection)
    return ReceivedInvoice.objects.get(connection=connection, invoice_id=501)


def _process(user, invoice, **kwargs):
    return services.invoice_process(user=user, invoice=invoice, target=lc.SERVICE_FAIT, refresh=False, **kwargs)


def test_a_write_is_audited_then_settled(fake_factpulse, recipient, invoice):
    outcome = _process(recipient, invoice)
    assert outcome.entry.state == AuditEntry.State.DONE
    assert outcome.invoice.status == lc.SERVICE_FAIT
    assert fake_factpulse.count("traiter_facture_recue") == 1


def test_the_same_form_is_never_sent_twice(fake_factpulse, recipient, invoice):
    key = new_idempotency_key()
    _process(recipient, invoice, idempotency_key=key)
    with pytest.raises(AlreadySubmitted):
        _process(recipient, invoice, idempotency_key=key)
    assert fake_factpulse.count("traiter_facture_recue") == 1


def test_a_pending_action_blocks_a_second_one(fake_factpulse, recipient, invoice):
    audit_begin(
        workspace=Workspace.RECEIVED,
        connection=invoice.connection,
        user=recipient,
        action="process",
        invoice_id=invoice.invoice_id,
    )
    with pytest.raises(ActionInProgress):
        _process(recipient, invoice)
    assert fake_factpulse.count("traiter_facture_recue") == 0


@pytest.mark.parametrize(
    ("error", "raised", "state"),
    [
        (FactPulseUnavailable(), FactPulseUnavailable, AuditEntry.State.FAILED),
        # Maybe applied: checked upstream at once (not applied here), the user is told it is unknown.
        (FactPulseTimeout(), OutcomeUnknown, AuditEntry.State.UNKNOWN),
    ],
)
def test_an_upstream_failure_settles_the_entry(fake_factpulse, recipient, invoice, error, raised, state):
    fake_factpulse.fail("traiter_facture_recue", error)
    with pytest.raises(raised):
        _process(recipient, invoice)
    entry = AuditEntry.objects.get(invoice_id=invoice.invoice_id)
    assert entry.state == state
    invoice.refresh_from_db()
    assert invoice.status == lc.MISE_A_DISPOSITION  # the mirror is not changed by a failed write


def test_a_refusal_is_recorded_as_refused(fake_factpulse, recipient, invoice):
    fake_factpulse.add_received(invoice_id=501, status=lc.MANDATEE)  # upstream moved on meanwhile
    with pytest.raises(services.ProcessRefused):
        _process(recipient, invoice)
    assert AuditEntry.objects.get(invoice_id=501).state == AuditEntry.State.REFUSED
