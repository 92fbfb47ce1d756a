"""One outcome model for every upstream write: applied, refused, not sent, or unknown.

Under a timeout, a garbled answer or a connection dropped after sending, each write (process,
validate, download) is *unknown*: the user is told so and not invited to resend, nothing more
is sent on the invoice, the reconciliation finds the applied write, and the sandbox's call
counters show exactly one write.
"""

from __future__ import annotations

import re

import pytest

from chorusweb import lifecycle as lc
from chorusweb.audit import OutcomeUnknown
from chorusweb.models import AuditEntry, Role, SyncRun
from chorusweb.recovery import entries_reconcile
from invoices import services as received
from invoices.models import ReceivedInvoice
from tests.factories import MembershipFactory, UserFactory
from validators import services as validation
from validators.models import ValidationInvoice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.waits]

PROCESS = "factures/traiter-facture-recue"
SEARCH = "factures/rechercher-destinataire"
VALIDATE = "factures/valideur/traiter"
VALIDATOR_SEARCH = "factures/valideur/rechercher"
DOWNLOAD = "factures/telecharger-groupe"

#: The read timeout while a fault is on, and the sandbox's delay past it (a timeout fault).
FAULT_READ_TIMEOUT = 0.3
FAULTS = {
    "timeout": {"timeout_seconds": 0.8},
    "malformed": {"malformed": True},
    "dropped": {"dropped": True},
}


@pytest.fixture
def people(sandbox_connection, settings):
    settings.FACTPULSE_READ_TIMEOUT = 1.0
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = 1.0
    settings.CHORUSWEB_UNCONFIRMED_AFTER_MINUTES = 10
    accountant = UserFactory(username="claire")
    MembershipFactory(user=accountant, connection=sandbox_connection, role=Role.RECIPIENT)
    validator = UserFactory(username="victor")
    MembershipFactory(user=validator, connection=sandbox_connection, role=Role.VALIDATOR)
    assert received.sync_received(connection=sandbox_connection).state == SyncRun.State.SUCCEEDED
    assert validation.sync_validation(connection=sandbox_connection).state == SyncRun.State.SUCCEEDED
    return {"accountant": accountant, "validator": validator}


def _fault(sandbox_control, settings, kind: str, write: str, check: str) -> None:
    """The write's answer is spoiled, and so is the immediate check that follows it (with its
    one retry, a read): the outcome stays unknown until the reconciliation job. Only the spoiled
    calls run under the short timeouts (the others keep the fixture's, safe on a busy machine)."""
    settings.FACTPULSE_READ_TIMEOUT = FAULT_READ_TIMEOUT
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = FAULT_READ_TIMEOUT
    sandbox_control.faults(**FAULTS[kind], endpoints=[write, check], count=3)


def _faults_off(sandbox_control, settings) -> None:
    sandbox_control.faults()
    settings.FACTPULSE_READ_TIMEOUT = 1.0
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = 1.0


@pytest.mark.parametrize("kind", FAULTS)
def test_process_outcome_unknown_then_reconciled(sandbox_connection, people, sandbox_control, settings, kind):
    invoice = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()
    _fault(sandbox_control, settings, kind, PROCESS, SEARCH)
    with pytest.raises(OutcomeUnknown) as caught:
        received.invoice_process(
            user=people["accountant"], invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="k1"
        )
    entry = caught.value.entry
    assert entry.state == AuditEntry.State.UNKNOWN and "peut-être été appliquée" in caught.value.message
    # Nothing more is sent on this invoice while its outcome is unknown, whatever the form.
    with pytest.raises(OutcomeUnknown):
        received.invoice_process(
            user=people["accountant"], invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="k2"
        )
    _faults_off(sandbox_control, settings)
    report = entries_reconcile()
    entry.refresh_from_db()
    assert report["done"] == 1
    assert entry.state == AuditEntry.State.DONE and entry.checked_at is not None
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT
    assert sandbox_control.calls(PROCESS) == 1


@pytest.mark.parametrize("kind", FAULTS)
def test_validation_outcome_unknown_then_reconciled(sandbox_connection, people, sandbox_control, settings, kind):
    invoice = ValidationInvoice.objects.filter(status=lc.A_VALIDER_1).order_by("invoice_id").first()
    _fault(sandbox_control, settings, kind, VALIDATE, VALIDATOR_SEARCH)
    with pytest.raises(OutcomeUnknown) as caught:
        validation.invoice_decide(
            user=people["validator"], invoice=invoice, action=lc.VALIDATION_ACTION_APPROVE, idempotency_key="v1"
        )
    entry = caught.value.entry
    assert entry.state == AuditEntry.State.UNKNOWN
    with pytest.raises(OutcomeUnknown):
        validation.invoice_decide(
            user=people["validator"], invoice=invoice, action=lc.VALIDATION_ACTION_APPROVE, idempotency_key="v2"
        )
    _faults_off(sandbox_control, settings)
    entries_reconcile()
    entry.refresh_from_db()
    assert entry.state == AuditEntry.State.DONE
    invoice.refresh_from_db()
    assert invoice.status != lc.A_VALIDER_1
    assert sandbox_control.calls(VALIDATE) == 1


@pytest.mark.parametrize("kind", FAULTS)
def test_download_outcome_unknown_then_reconciled(sandbox_connection, people, sandbox_control, settings, kind):
    invoice = ReceivedInvoice.objects.filter(downloaded=False).order_by("pk").first()
    _fault(sandbox_control, settings, kind, DOWNLOAD, SEARCH)
    with pytest.raises(OutcomeUnknown) as caught:
        received.invoices_download(user=people["accountant"], invoices=[invoice], file_format="PDF")
    entry = caught.value.entry
    assert entry.state == AuditEntry.State.UNKNOWN
    assert sandbox_control.calls(DOWNLOAD) == 1  # never retried like a read
    _faults_off(sandbox_control, settings)
    entries_reconcile()
    entry.refresh_from_db()
    assert entry.state == AuditEntry.State.DONE
    invoice.refresh_from_db()
    assert invoice.downloaded is True
    assert sandbox_control.calls(DOWNLOAD) == 1


def test_answer_lost_but_check_at_once_confirms(sandbox_connection, people, sandbox_control):
    """Only the write's answer is spoiled: the immediate check finds it applied."""
    invoice = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()
    sandbox_control.faults(malformed=True, endpoints=[PROCESS], count=1)
    outcome = received.invoice_process(user=people["accountant"], invoice=invoice, target=lc.SERVICE_FAIT)
    assert outcome.entry.state == AuditEntry.State.DONE
    assert outcome.invoice.status == lc.SERVICE_FAIT
    assert "réponse perdue" in outcome.message
    assert sandbox_control.calls(PROCESS) == 1


def test_not_sent_is_told_apart(sandbox_connection, people, sandbox_control):
    """A 503 answered before processing: not sent, the user may try again."""
    invoice = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()
    sandbox_control.faults(error_status=503, error_rate=1, endpoints=[PROCESS], count=1)
    with pytest.raises(Exception) as caught:
        received.invoice_process(user=people["accountant"], invoice=invoice, target=lc.SERVICE_FAIT)
    assert not isinstance(caught.value, OutcomeUnknown)
    entry = AuditEntry.objects.get(invoice_id=invoice.invoice_id, action="process")
    assert entry.state == AuditEntry.State.FAILED and entry.get_state_display() == "non envoyée"
    outcome = received.invoice_process(user=people["accountant"], invoice=invoice, target=lc.SERVICE_FAIT)
    assert outcome.entry.state == AuditEntry.State.DONE


def test_unconfirmed_after_grace_then_a_person_resends(sandbox_connection, people, sandbox_control, client, settings):
    """Not applied and never confirmed: "non confirmée", shown with a Renvoyer button; only
    that person's click sends it again, once."""
    invoice = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()
    # Lost before processing (the connection breaks before the write is applied): simulated by
    # an unknown entry that upstream does not show.
    entry = AuditEntry.objects.create(
        workspace="received",
        connection=sandbox_connection,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        user=people["accountant"],
        action="process",
        target=lc.SERVICE_FAIT,
        state=AuditEntry.State.UNKNOWN,
    )
    client.force_login(people["accountant"])
    page = client.get(f"/factures/{invoice.pk}/").content.decode()
    assert "Issue inconnue" in page and "Envoyer à Chorus Pro" not in page
    settings.CHORUSWEB_UNCONFIRMED_AFTER_MINUTES = 0
    entries_reconcile()
    entry.refresh_from_db()
    assert entry.state == AuditEntry.State.UNCONFIRMED and entry.awaits_decision
    assert sandbox_control.calls(PROCESS) == 0  # never resent automatically
    page = client.get(f"/factures/{invoice.pk}/").content.decode()
    assert "Action non confirmée" in page
    resend = re.search(r'action="(/actions/\d+/renvoyer/)"', page).group(1)
    response = client.post(resend, {"next": f"/factures/{invoice.pk}/"})
    assert response.status_code == 302
    assert sandbox_control.calls(PROCESS) == 1
    entry.refresh_from_db()
    assert entry.resent_as is not None and entry.resent_as.state == AuditEntry.State.DONE
    client.post(resend, {"next": f"/factures/{invoice.pk}/"})  # a second click sends nothing
    assert sandbox_control.calls(PROCESS) == 1


def test_process_form_under_unknown_outcome_is_not_offered_again(
    sandbox_connection, people, sandbox_control, client, settings
):
    invoice = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()
    client.force_login(people["accountant"])
    page = client.get(f"/factures/{invoice.pk}/").content.decode()
    key = re.search(r'name="cle" value="(\w+)"', page).group(1)
    seen = re.search(r'name="statut_vu" value="(\w*)"', page).group(1)
    _fault(sandbox_control, settings, "dropped", PROCESS, SEARCH)
    response = client.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": seen},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 504
    assert "Issue inconnue" in html
    assert "Envoyer à Chorus Pro" not in html  # no invitation to resend
    assert sandbox_control.calls(PROCESS) == 1
