"""Detail, approve / refuse, document and bulk approval of the validation workspace.

They run on the in-memory gateway (`fake_factpulse`): an approval there routes the invoice on to
its recipient, as the sandbox does (`tests/sandbox/test_validator.py` pins that down over HTTP).
"""

from __future__ import annotations

import re

import pytest

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import AuditEntry, BulkRun, Role, Workspace
from invoices.models import ReceivedInvoice
from tests.factories import MembershipFactory, UserFactory
from tests.validators.conftest import HTMX
from validators import services
from validators.models import QueueState, ValidationDetail, ValidationInvoice

DECIDE = "valideur_traiter_facture"
CONSULT = "valideur_consulter_facture"
DOWNLOAD = "telecharger_groupe_factures"


@pytest.fixture
def synced(db, fake_factpulse, connection):
    """The queue: four invoices awaiting a first validation, one a second, one already refused."""
    for _ in range(4):
        fake_factpulse.add_validation()
    fake_factpulse.add_validation(status=lc.A_VALIDER_2)
    fake_factpulse.add_validation(status=lc.REFUSEE_1)
    services.sync_validation(connection=connection)
    fake_factpulse.calls.clear()  # the tests count the calls of what they do


@pytest.fixture
def logged(client, validator, synced):
    client.force_login(validator)
    return client


def _awaiting(level: int = 1) -> ValidationInvoice:
    status = lc.A_VALIDER_2 if level == 2 else lc.A_VALIDER_1
    return ValidationInvoice.objects.filter(status=status).order_by("deadline", "invoice_id").first()


def _keys(html: str) -> dict[str, str]:
    """The idempotency key of each decision form on the page."""
    return dict(re.findall(r'name="decision" value="(\w+)".*?name="cle" value="(\w+)"', html, re.S))


def _recipient_rows(fake, number):
    """The invoice as its recipient sees it upstream."""
    return list(fake.rechercher_factures_destinataire(invoice_number=number).items)


# --- detail ----------------------------------------------------------------------------------


def test_detail_full_page(logged):
    invoice = _awaiting()
    response = logged.get(f"/validation/{invoice.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "<!DOCTYPE html>" in html
    for text in (
        invoice.invoice_number,
        invoice.supplier_name,
        invoice.recipient_name,
        "Récapitulatif de la TVA",
        "Lignes",
        "Pièces jointes",
        "Nos actions",
        "Valider la facture",
        "Je confirme le refus",
        "j restant",
    ):
        assert text in html, text
    assert set(_keys(html)) == {"VALIDATION", "REFUS"}
    assert ValidationDetail.objects.filter(invoice=invoice).exists()


def test_detail_htmx_partial(logged):
    invoice = _awaiting()
    response = logged.get(f"/validation/{invoice.pk}/", HTTP_HX_TARGET="invoice-body", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="invoice-body"') and "<!DOCTYPE" not in html


def test_detail_upstream_failure_uses_cache_or_says_so(logged, fake_factpulse):
    cached, fresh = ValidationInvoice.objects.filter(state=QueueState.AWAITING).order_by("pk")[:2]
    assert logged.get(f"/validation/{cached.pk}/").status_code == 200
    fake_factpulse.fail(CONSULT, FactPulseUnavailable(), times=2)
    stale = logged.get(f"/validation/{cached.pk}/")
    assert stale.status_code == 200
    assert "voici celui lu le" in stale.content.decode() and "Récapitulatif de la TVA" in stale.content.decode()
    missing = logged.get(f"/validation/{fresh.pk}/")
    html = missing.content.decode()
    assert missing.status_code == 503
    assert "Le détail n'a pas pu être lu" in html and fresh.supplier_name in html  # the mirror is still shown


# --- approve / refuse ------------------------------------------------------------------------


def test_approve_moves_invoice_to_recipient(logged, fake_factpulse):
    invoice = _awaiting()
    assert _recipient_rows(fake_factpulse, invoice.invoice_number) == []
    key = _keys(logged.get(f"/validation/{invoice.pk}/").content.decode())["VALIDATION"]
    response = logged.post(
        f"/validation/{invoice.pk}/decision/",
        {"decision": "VALIDATION", "complement": "Conforme", "cle": key, "statut_vu": invoice.status},
    )
    assert response.status_code == 302 and response["Location"] == f"/validation/{invoice.pk}/"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.state) == (lc.VALIDEE_1, QueueState.VALIDATED)
    page = logged.get(response["Location"]).content.decode()
    assert f"Facture {invoice.invoice_number} validée" in page and invoice.recipient_name in page
    assert "Où est la facture ?" in page and "Mise à disposition" in page
    # It left the queue.
    queue = logged.get("/validation/").content.decode()
    assert f">{invoice.invoice_number}<" not in queue
    # Its recipient now has it upstream, made available.
    rows = _recipient_rows(fake_factpulse, invoice.invoice_number)
    assert [r.status for r in rows] == [lc.MISE_A_DISPOSITION]
    entry = AuditEntry.objects.get(idempotency_key=key)
    assert (entry.workspace, entry.target, entry.state) == (Workspace.VALIDATION, "VALIDATION", "done")
    assert fake_factpulse.count(DECIDE) == 1


def test_approve_for_a_user_with_both_roles_links_to_received(client, validator, synced, connection):
    MembershipFactory(user=validator, connection=connection, role=Role.RECIPIENT)
    client.force_login(validator)
    invoice = _awaiting()
    key = _keys(client.get(f"/validation/{invoice.pk}/").content.decode())["VALIDATION"]
    response = client.post(
        f"/validation/{invoice.pk}/decision/",
        {"decision": "VALIDATION", "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="decision-form",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#invoice-body"
    received = ReceivedInvoice.objects.get(connection=connection, invoice_id=invoice.invoice_id)
    assert received.status == lc.MISE_A_DISPOSITION
    assert f'href="/factures/{received.pk}/"' in html
    assert "validée" in html  # the message travels out of band


def test_refuse_needs_reason_and_confirmation(logged, fake_factpulse):
    invoice = _awaiting(level=2)
    key = _keys(logged.get(f"/validation/{invoice.pk}/").content.decode())["REFUS"]
    data = {"decision": "REFUS", "motif": "", "confirme": "on", "cle": key, "statut_vu": invoice.status}
    no_reason = logged.post(f"/validation/{invoice.pk}/decision/", data, HTTP_HX_TARGET="decision-form", **HTMX)
    assert no_reason.status_code == 422
    assert "Un motif est obligatoire" in no_reason.content.decode()
    assert no_reason.content.decode().lstrip().startswith('<div id="decision-form"')
    no_confirm = logged.post(
        f"/validation/{invoice.pk}/decision/", {**data, "motif": "Travaux non réalisés", "confirme": ""}
    )
    assert no_confirm.status_code == 422 and "Je confirme le refus" in no_confirm.content.decode()
    assert "<!DOCTYPE html>" in no_confirm.content.decode()  # without JavaScript: the whole page
    too_long = logged.post(f"/validation/{invoice.pk}/decision/", {**data, "motif": "x" * 256})
    assert too_long.status_code == 422
    assert fake_factpulse.count(DECIDE) == 0
    done = logged.post(f"/validation/{invoice.pk}/decision/", {**data, "motif": "Travaux non réalisés"})
    assert done.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.state) == (lc.REFUSEE_2, QueueState.REFUSED)
    assert invoice.status_comment == "Travaux non réalisés"
    assert _recipient_rows(fake_factpulse, invoice.invoice_number) == []
    page = logged.get(done["Location"]).content.decode()
    assert "renvoyée au fournisseur" in page and "Travaux non réalisés" in page


def test_double_submit_sends_once(logged, fake_factpulse):
    invoice = _awaiting()
    key = _keys(logged.get(f"/validation/{invoice.pk}/").content.decode())["VALIDATION"]
    data = {"decision": "VALIDATION", "cle": key, "statut_vu": invoice.status}
    first = logged.post(f"/validation/{invoice.pk}/decision/", data, HTTP_HX_TARGET="decision-form", **HTMX)
    second = logged.post(f"/validation/{invoice.pk}/decision/", data, HTTP_HX_TARGET="decision-form", **HTMX)
    assert first.status_code == 200
    assert second.status_code == 409 and "ne sera pas envoyé une seconde fois" in second.content.decode()
    assert fake_factpulse.count(DECIDE) == 1
    assert AuditEntry.objects.filter(workspace=Workspace.VALIDATION, action="validate").count() == 1


def test_decision_upstream_failure(logged, fake_factpulse):
    invoice = _awaiting()
    key = _keys(logged.get(f"/validation/{invoice.pk}/").content.decode())["VALIDATION"]
    fake_factpulse.fail(DECIDE, FactPulseUnavailable())
    response = logged.post(
        f"/validation/{invoice.pk}/decision/",
        {"decision": "VALIDATION", "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="decision-form",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 503 and "ne répond pas" in html
    assert key not in html  # a fresh key lets the user retry
    assert AuditEntry.objects.get(idempotency_key=key).state == AuditEntry.State.FAILED
    invoice.refresh_from_db()
    assert invoice.state == QueueState.AWAITING


def test_refusal_by_chorus_pro_shown_on_form(logged, fake_factpulse):
    invoice = _awaiting()
    key = _keys(logged.get(f"/validation/{invoice.pk}/").content.decode())["VALIDATION"]
    # Someone else approved it in Chorus Pro meanwhile.
    fake_factpulse.valideur_traiter_facture(invoice_id=invoice.invoice_id, action="VALIDATION")
    response = logged.post(
        f"/validation/{invoice.pk}/decision/",
        {"decision": "VALIDATION", "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="decision-form",
        **HTMX,
    )
    assert response.status_code == 422
    assert "Chorus Pro a refusé" in response.content.decode()
    assert "pas en attente de validation" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == lc.VALIDEE_1  # re-read after the refusal
    assert AuditEntry.objects.get(idempotency_key=key).state == AuditEntry.State.REFUSED


def test_decision_not_offered_once_decided(logged, fake_factpulse):
    invoice = ValidationInvoice.objects.filter(state=QueueState.REFUSED).first()
    html = logged.get(f"/validation/{invoice.pk}/").content.decode()
    assert "Valider la facture" not in html and "n'attend plus de validation" in html
    response = logged.post(
        f"/validation/{invoice.pk}/decision/",
        {"decision": "VALIDATION", "cle": "k" * 32, "statut_vu": invoice.status},
    )
    assert response.status_code == 409
    assert fake_factpulse.count(DECIDE) == 0


def test_viewer_cannot_decide(client, viewer, synced, fake_factpulse):
    client.force_login(viewer)
    invoice = _awaiting()
    html = client.get(f"/validation/{invoice.pk}/").content.decode()
    assert "mais pas la valider" in html and "Valider la facture" not in html
    response = client.post(f"/validation/{invoice.pk}/decision/", {"decision": "VALIDATION", "cle": "x"})
    assert response.status_code == 403
    assert fake_factpulse.count(DECIDE) == 0


# --- document --------------------------------------------------------------------------------


def test_document_through_group_download(logged, fake_factpulse):
    invoice = _awaiting()
    response = logged.post(f"/validation/{invoice.pk}/document/", {"format": "PDF"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert invoice.invoice_number in response["Content-Disposition"]
    entry = AuditEntry.objects.get(workspace=Workspace.VALIDATION, action="download")
    assert entry.state == AuditEntry.State.DONE
    fake_factpulse.fail(DOWNLOAD, FactPulseUnavailable())
    failed = logged.post(f"/validation/{invoice.pk}/document/", {"format": "PDF"})
    assert failed.status_code == 302
    assert "Le téléchargement a échoué" in logged.get(failed["Location"]).content.decode()


# --- bulk approval ---------------------------------------------------------------------------


def test_bulk_approve(logged, fake_factpulse, django_capture_on_commit_callbacks):
    todo = list(ValidationInvoice.objects.filter(state=QueueState.AWAITING).order_by("deadline")[:3])
    refused = ValidationInvoice.objects.filter(state=QueueState.REFUSED).first()
    logged.post("/validation/selection/", {"operation": "add", "ids": [i.pk for i in [*todo, refused]]})
    page = logged.get("/validation/lot/")
    assert page.status_code == 200 and "4 factures sélectionnées" in page.content.decode()
    assert "1 facture sera écartée" in page.content.decode()
    key = re.search(r'name="cle" value="([^"]+)"', page.content.decode()).group(1)
    assert logged.post("/validation/lot/", {"cle": key}).status_code == 422  # confirmation required
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/validation/lot/", {"confirme": "on", "cle": key})
    assert response.status_code == 302
    run = BulkRun.objects.get(workspace=Workspace.VALIDATION)
    assert run.state == BulkRun.State.FINISHED and run.total == 3
    detail = logged.get(response["Location"]).content.decode()
    assert "Validation terminée" in detail and "3 validée(s)" in detail
    assert refused.invoice_number in detail and "écartée" in detail
    assert fake_factpulse.count(DECIDE) == 3
    for invoice in todo:
        invoice.refresh_from_db()
        assert invoice.state == QueueState.VALIDATED
        assert [r.status for r in _recipient_rows(fake_factpulse, invoice.invoice_number)] == [lc.MISE_A_DISPOSITION]


@pytest.mark.django_db
def test_bulk_approve_limit(client):
    from tests.factories import ConnectionFactory
    from tests.validators.factories import ValidationInvoiceFactory

    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    invoices = ValidationInvoiceFactory.create_batch(101, connection=connection)
    client.force_login(user)
    client.post("/validation/selection/", {"operation": "add", "ids": [i.pk for i in invoices]})
    response = client.post("/validation/lot/", {"confirme": "on", "cle": "0123456789abcdef"})
    assert response.status_code == 422 and "100 factures au plus" in response.content.decode()
    assert not BulkRun.objects.exists()
