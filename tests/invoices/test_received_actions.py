"""Issue #13, points 5-8 in the received workspace: Back shows the truth, bulk processing asks,
the processing form accepts only what the status means, every action shows in "Nos actions"."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import AuditEntry, BulkRun
from invoices import services
from invoices.models import ReceivedInvoice

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def mirror(db, fake_factpulse, connection):
    fake_factpulse.add_received(invoice_id=1, total_incl_tax=Decimal("1000.00"))
    fake_factpulse.add_received(invoice_id=2, total_incl_tax=Decimal("500.50"))
    fake_factpulse.add_received(invoice_id=3, invoice_type="AVOIR", total_incl_tax=Decimal("300.00"))
    fake_factpulse.add_received(invoice_id=4, status=lc.MISE_EN_PAIEMENT)  # nothing more can be done
    fake_factpulse.add_received(invoice_id=5, status=lc.MANDATEE)
    services.sync_received(connection=connection)
    return {inv.invoice_id: inv for inv in ReceivedInvoice.objects.filter(connection=connection)}


def _key(client, invoice) -> str:
    html = client.get(f"/factures/{invoice.pk}/").content.decode()
    return re.search(r'name="cle" value="([^"]+)"', html).group(1)


def _process(client, invoice, **data):
    payload = {"cle": _key(client, invoice), "statut_vu": invoice.status, **data}
    return client.post(f"/factures/{invoice.pk}/traiter/", payload, HTTP_HX_TARGET="process-form", **HTMX)


def _select(client, *invoices):
    client.post("/factures/selection/", {"operation": "clear"})
    client.post("/factures/selection/", {"ids": [inv.pk for inv in invoices], "operation": "add"})


# --- 5. Back shows the truth ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/factures/", "/factures/lot/", "/factures/{pk}/", "/factures/{pk}/traiter/"])
def test_mirror_pages_are_never_stored_by_the_browser(recipient_client, mirror, path):
    response = recipient_client.get(path.format(pk=mirror[1].pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_back_link_returns_to_the_exact_list_view(recipient_client, mirror):
    view = "/factures/?onglet=toutes&tri=-ttc&fournisseur=Fournisseur&page=1"
    recipient_client.get(view)
    link = 'href="/factures/?onglet=toutes&amp;tri=-ttc&amp;fournisseur=Fournisseur&amp;page=1" class="back-link"'
    assert link in recipient_client.get(f"/factures/{mirror[1].pk}/").content.decode()
    assert link in recipient_client.get("/factures/lot/").content.decode()


def test_back_link_never_leaves_the_list(recipient_client, mirror):
    for retour in ("https://evil.example/factures/", "//evil.example/", "/admin/"):
        html = recipient_client.get(f"/factures/{mirror[1].pk}/", {"retour": retour}).content.decode()
        assert 'href="/factures/" class="back-link"' in html
    html = recipient_client.get(f"/factures/{mirror[1].pk}/", {"retour": "/factures/?page=2"}).content.decode()
    assert 'href="/factures/?page=2" class="back-link"' in html


# --- 6. Bulk processing asks ----------------------------------------------------------------


def test_bulk_offers_only_targets_allowed_for_one_invoice_and_none_chosen(recipient_client, mirror):
    _select(recipient_client, mirror[4], mirror[5])  # paid, and mandated
    html = recipient_client.get("/factures/lot/").content.decode()
    offered = set(re.findall(r'<option value="([A-Z_]+)"', html))
    assert offered == set(lc.allowed_targets(lc.MANDATEE))
    assert not re.search(r'<option value="[A-Z_]+" selected', html)


def test_bulk_summary_lists_ineligible_before_anything_is_sent(recipient_client, mirror, fake_factpulse):
    _select(recipient_client, mirror[1], mirror[2], mirror[3], mirror[4])
    key = re.search(r'name="cle" value="([^"]+)"', recipient_client.get("/factures/lot/").content.decode()).group(1)
    response = recipient_client.post("/factures/lot/", {"cible": lc.SERVICE_FAIT, "cle": key})
    html = response.content.decode()
    assert response.status_code == 200, re.findall(r'class="error"[^>]*>([^<]*)', html)
    # Net amount: 1000 + 500,50 - 300 (the credit note counts with its sign).
    text = re.sub(r"[\u202f\xa0]", " ", html)
    assert "Certifier le service fait de 3 factures pour 1 200,50 € ?" in text
    assert "dont 1 avoir de -300,00 €" in text
    assert "1 facture ne peut pas prendre ce statut" in html and mirror[4].invoice_number in html
    assert fake_factpulse.count("traiter_facture_recue") == 0
    assert not BulkRun.objects.exists()
    sent = set(re.findall(r'name="lot" value="(\d+)"', html))
    assert sent == {str(mirror[i].pk) for i in (1, 2, 3)}


def test_bulk_sends_only_the_confirmed_eligible_invoices(
    recipient_client, mirror, fake_factpulse, django_capture_on_commit_callbacks
):
    _select(recipient_client, mirror[1], mirror[2], mirror[4])
    key = re.search(r'name="cle" value="([^"]+)"', recipient_client.get("/factures/lot/").content.decode()).group(1)
    data = {"cible": lc.SERVICE_FAIT, "cle": key, "etape": "envoyer", "lot": [mirror[1].pk, mirror[4].pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = recipient_client.post("/factures/lot/", data)
    assert response.status_code == 302
    run = BulkRun.objects.get()
    assert run.invoice_pks == [mirror[1].pk]  # 2 was not confirmed; 4 cannot take the status
    assert sorted(s["pk"] for s in run.skipped) == [mirror[2].pk, mirror[4].pk]
    assert fake_factpulse.count("traiter_facture_recue") == 1


def test_bulk_mandate_number_only_with_mandatee(recipient_client, mirror):
    _select(recipient_client, mirror[1])
    key = re.search(r'name="cle" value="([^"]+)"', recipient_client.get("/factures/lot/").content.decode()).group(1)
    response = recipient_client.post("/factures/lot/", {"cible": lc.SERVICE_FAIT, "numero_mandat": "DP-1", "cle": key})
    assert response.status_code == 422
    assert "ne s&#x27;indique que pour « Mandatée »" in response.content.decode()


# --- 7. The processing form accepts only what the status means ------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"cible": lc.SERVICE_FAIT, "numero_mandat": "DP-1"}, "numero_mandat", "ne s&#x27;indique que pour"),
        ({"cible": lc.MANDATEE}, "numero_mandat", "Indiquez le numéro de mandat"),
        ({"cible": lc.SERVICE_FAIT, "motif": "pourquoi pas"}, "motif", "Un motif ne s&#x27;indique que"),
        ({"cible": lc.SERVICE_FAIT, "pieces": ["RIB"]}, "pieces", "ne s&#x27;indiquent que pour une suspension"),
        ({"cible": lc.REJETEE}, "motif", "Un motif est obligatoire"),
    ],
)
def test_process_form_rejects_what_the_status_does_not_take(
    recipient_client, mirror, fake_factpulse, data, field, message
):
    response = _process(recipient_client, mirror[1], **data)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.count(message) == 1
    assert fake_factpulse.count("traiter_facture_recue") == 0


def test_reject_without_reason_gives_one_message_not_two(recipient_client, mirror):
    html = _process(recipient_client, mirror[1], cible=lc.REJETEE).content.decode()
    assert "Un motif est obligatoire" in html
    assert "Cochez la case pour confirmer le rejet" not in html  # asked once the reason is there
    html = _process(recipient_client, mirror[1], cible=lc.REJETEE, motif="Doublon").content.decode()
    assert html.count("Cochez la case pour confirmer le rejet") == 1


def test_confirmation_checkbox_is_for_pages_without_javascript_only(recipient_client, mirror):
    html = _process(recipient_client, mirror[1], cible=lc.REJETEE, motif="Doublon").content.decode()
    box = re.search(r'<div class="field field--checkbox([^"]*)">\s*<input type="checkbox" name="confirme"', html)
    assert box and "js-hide" in box.group(1)


def test_mandate_with_its_number_is_sent(recipient_client, mirror, fake_factpulse):
    response = _process(recipient_client, mirror[1], cible=lc.MANDATEE, numero_mandat="DP-2026-7")
    assert response.status_code == 200
    assert fake_factpulse.count("traiter_facture_recue") == 1


def test_comment_shows_in_the_action_history(recipient_client, mirror):
    _process(recipient_client, mirror[1], cible=lc.SERVICE_FAIT, commentaire="Livraison vérifiée")
    html = recipient_client.get(f"/factures/{mirror[1].pk}/").content.decode()
    assert "Commentaire : Livraison vérifiée" in html


# --- 8. Every action appears in "Nos actions" at once ---------------------------------------


def test_failed_action_updates_nos_actions_out_of_band(recipient_client, mirror, fake_factpulse):
    fake_factpulse.fail("traiter_facture_recue", FactPulseUnavailable(), times=5)
    response = _process(recipient_client, mirror[1], cible=lc.SERVICE_FAIT)
    html = response.content.decode()
    assert response.status_code >= 400
    entry = AuditEntry.objects.get(invoice_id=1, action="process")
    oob = re.search(r'<div id="audit-table"[^>]*hx-swap-oob="true".*?</div>\s*$', html, re.S)
    assert oob, html
    assert entry.get_state_display() in oob.group(0)


def test_successful_action_answer_carries_nos_actions(recipient_client, mirror):
    html = _process(recipient_client, mirror[1], cible=lc.SERVICE_FAIT).content.decode()
    assert 'id="audit-table"' in html and "Service fait" in html


def test_outcome_poll_refreshes_nos_actions_too(recipient_client, mirror):
    url = f"/factures/{mirror[1].pk}/traiter/"
    polled = recipient_client.get(url, HTTP_HX_TARGET="process-form", **HTMX).content.decode()
    assert re.search(r'<div id="audit-table"[^>]*hx-swap-oob="true"', polled)
    page = recipient_client.get(url).content.decode()  # a full page: the table once, in its place
    assert page.count('id="audit-table"') == 1
