"""Issue #13, points 5-8 and 15 in the validation workspace (fast double): Back shows the truth,
bulk approval asks with a summary, one message per problem, the validator's comment and every
attempt in "Nos actions" at once, the queue as cards with a skip link."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import AuditEntry, BulkRun
from validators import services
from validators.models import ValidationInvoice

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def queue(db, fake_factpulse, connection):
    fake_factpulse.add_validation(invoice_id=1, total_incl_tax=Decimal("1000.00"))
    fake_factpulse.add_validation(invoice_id=2, total_incl_tax=Decimal("200.00"), invoice_type="AVOIR")
    fake_factpulse.add_validation(invoice_id=3, status=lc.VALIDEE_1)  # no longer awaiting
    services.sync_validation(connection=connection)
    return {inv.invoice_id: inv for inv in ValidationInvoice.objects.filter(connection=connection)}


@pytest.fixture
def logged(client, validator):
    client.force_login(validator)
    return client


def _keys(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="decision" value="(\w+)".*?name="cle" value="(\w+)"', html, re.S))


def _decide(client, invoice, decision, **data):
    key = _keys(client.get(f"/validation/{invoice.pk}/").content.decode())[decision]
    payload = {"decision": decision, "cle": key, "statut_vu": invoice.status, **data}
    return client.post(f"/validation/{invoice.pk}/decision/", payload, HTTP_HX_TARGET="decision-form", **HTMX)


@pytest.mark.parametrize("path", ["/validation/", "/validation/lot/", "/validation/{pk}/"])
def test_validation_pages_are_never_stored_by_the_browser(logged, queue, path):
    response = logged.get(path.format(pk=queue[1].pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_back_links_return_to_the_exact_queue_view(logged, queue):
    view = "/validation/?onglet=toutes&tri=-ttc&page=1"
    logged.get(view)
    link = 'href="/validation/?onglet=toutes&amp;tri=-ttc&amp;page=1" class="back-link"'
    assert link in logged.get(f"/validation/{queue[1].pk}/").content.decode()
    assert link in logged.get("/validation/lot/").content.decode()


def test_bulk_approval_shows_its_net_summary_and_the_ineligible_first(logged, queue, fake_factpulse):
    logged.post("/validation/selection/", {"ids": [inv.pk for inv in queue.values()], "operation": "add"})
    html = re.sub(r"[\u202f\xa0]", " ", logged.get("/validation/lot/").content.decode())
    assert "Valider 2 factures pour 800,00 € ?" in html  # 1000 - 200 (the credit note)
    assert "dont 1 avoir de -200,00 €" in html
    assert "1 facture sera écartée" in html and queue[3].invoice_number in html
    assert fake_factpulse.count("valideur_traiter_facture") == 0
    assert not BulkRun.objects.exists()


def test_refusal_without_reason_gives_one_message(logged, queue):
    html = _decide(logged, queue[1], lc.VALIDATION_ACTION_REFUSE).content.decode()
    assert "Un motif est obligatoire pour refuser" in html
    assert "Cochez « Je confirme le refus »" not in html


def test_validator_comment_on_an_approval_is_in_the_action_history(logged, queue):
    response = _decide(logged, queue[1], lc.VALIDATION_ACTION_APPROVE, complement="Travaux réceptionnés")
    assert response.status_code == 200
    html = logged.get(f"/validation/{queue[1].pk}/").content.decode()
    assert "Commentaire : Travaux réceptionnés" in html


def test_failed_decision_shows_in_nos_actions_at_once(logged, queue, fake_factpulse):
    fake_factpulse.fail("valideur_traiter_facture", FactPulseUnavailable(), times=5)
    response = _decide(logged, queue[1], lc.VALIDATION_ACTION_APPROVE)
    html = response.content.decode()
    assert response.status_code >= 400
    entry = AuditEntry.objects.get(invoice_id=1, action="validate")
    oob = re.search(r'<div id="audit-table"[^>]*hx-swap-oob="true".*?</div>\s*$', html, re.S)
    assert oob and entry.get_state_display() in oob.group(0)


def test_queue_is_cards_on_phones_with_a_skip_link(logged, queue):
    html = logged.get("/validation/?onglet=toutes").content.decode()
    assert 'class="data data--cards validation-queue"' in html
    assert 'data-label="Fournisseur"' in html
    assert re.search(r'<a class="skip-results" href="#results-table">Aller aux résultats</a>', html)


def test_validation_zip_download_has_the_same_layout(logged, queue, fake_factpulse):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("V-1.pdf", b"%PDF-1.4 x")
    fake_factpulse.document = buffer.getvalue()
    response = logged.post(f"/validation/{queue[1].pk}/document/", {"format": "ZIP"})
    assert response.status_code == 200
    name = re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
    assert re.fullmatch(rf"facture-{queue[1].invoice_number}-\d{{8}}-\d{{6}}-[0-9a-f]{{4}}\.zip", name)
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert "manifest.csv" in archive.namelist()
        assert all(info.date_time[0] >= 2026 for info in archive.infolist())
        assert queue[1].invoice_number in archive.read("manifest.csv").decode("utf-8-sig")
