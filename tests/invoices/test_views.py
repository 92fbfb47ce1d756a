"""Views of the received invoices workspace that act upstream: full page, htmx, upstream failure.

They run on the in-memory gateway (`fake_factpulse`); one test, two posts of one bulk form
really at once, runs on the sandbox over HTTP (see there why).
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import AuditEntry, BulkRun, Role, SyncRun
from invoices import services
from invoices.models import ReceivedInvoice
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

PROCESS = "traiter_facture_recue"
SEARCH = "rechercher_factures_destinataire"
DOWNLOAD = "telecharger_groupe_factures"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def synced(db, fake_factpulse, connection):
    """Ten invoices to process, and one in each later status, in the mirror."""
    for _ in range(10):
        fake_factpulse.add_received()
    for status in (lc.MANDATEE, lc.MISE_EN_PAIEMENT, lc.SUSPENDUE, lc.REJETEE):
        fake_factpulse.add_received(status=status)
    assert services.sync_received(connection=connection).state == SyncRun.State.SUCCEEDED
    fake_factpulse.calls.clear()  # the tests count the calls of what they do


@pytest.fixture
def logged(recipient_client, synced):
    return recipient_client


def _todo():
    return ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk").first()


def _form(client, invoice):
    html = client.get(f"/factures/{invoice.pk}/").content.decode()
    key = re.search(r'name="cle" value="([^"]+)"', html).group(1)
    return html, key


def test_detail_full_page_offers_only_allowed_targets(logged):
    invoice = _todo()
    html, _ = _form(logged, invoice)
    assert "<!DOCTYPE html>" in html
    assert invoice.invoice_number in html
    for target in lc.allowed_targets(lc.MISE_A_DISPOSITION):
        assert f'value="{target}"' in html
    assert 'value="COMPLETEE"' not in html
    assert "marque la facture comme téléchargée" in html


def test_detail_htmx_partial(logged):
    invoice = _todo()
    response = logged.get(f"/factures/{invoice.pk}/", HTTP_HX_TARGET="invoice-body", **HTMX)
    html = response.content.decode()
    assert "<!DOCTYPE html>" not in html and html.lstrip().startswith('<div id="invoice-body"')


def test_process_full_page_post_redirects_and_applies(logged):
    invoice = _todo()
    _, key = _form(logged, invoice)
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.SUSPENDUE, "motif": "Pièce manquante", "cle": key, "statut_vu": invoice.status},
    )
    assert response.status_code == 302
    page = logged.get(response["Location"]).content.decode()
    assert "Suspendue" in page and "Pièce manquante" in page
    invoice.refresh_from_db()
    assert invoice.status == lc.SUSPENDUE


def test_process_htmx_swaps_body_and_double_submit_sends_once(logged, fake_factpulse):
    invoice = _todo()
    _, key = _form(logged, invoice)
    data = {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": invoice.status}
    first = logged.post(f"/factures/{invoice.pk}/traiter/", data, HTTP_HX_TARGET="process-form", **HTMX)
    assert first.status_code == 200
    assert first["HX-Retarget"] == "#invoice-body"
    assert "Service fait" in first.content.decode()
    second = logged.post(f"/factures/{invoice.pk}/traiter/", data, HTTP_HX_TARGET="process-form", **HTMX)
    assert second.status_code == 409
    assert "ne sera pas envoyé une seconde fois" in second.content.decode()
    assert fake_factpulse.count(PROCESS) == 1


def test_reject_without_reason_or_confirmation_is_422(logged, fake_factpulse):
    invoice = _todo()
    _, key = _form(logged, invoice)
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.REJETEE, "motif": "", "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="process-form",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Un motif est obligatoire" in html and "confirmer le rejet" not in html  # one problem at a time
    assert fake_factpulse.count(PROCESS) == 0


def test_target_not_offered_is_422(logged, fake_factpulse):
    invoice = ReceivedInvoice.objects.filter(status=lc.MANDATEE).first()
    _, key = _form(logged, invoice)
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/", {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": invoice.status}
    )
    assert response.status_code == 422
    assert fake_factpulse.count(PROCESS) == 0


def test_upstream_outage_on_process_shows_clear_error_and_keeps_audit(logged, fake_factpulse):
    invoice = _todo()
    _, key = _form(logged, invoice)
    fake_factpulse.fail(PROCESS, FactPulseUnavailable())
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="process-form",
        **HTMX,
    )
    assert response.status_code == 503
    assert "ne répond pas" in response.content.decode()
    entry = AuditEntry.objects.get(idempotency_key=key)
    assert entry.state == AuditEntry.State.FAILED
    assert fake_factpulse.count(PROCESS) == 1
    # A fresh key is offered, so the user can retry once upstream is back.
    assert f'value="{key}"' not in response.content.decode()


def test_refusal_shown_on_form_with_libelle(logged, fake_factpulse):
    invoice = _todo()
    _, key = _form(logged, invoice)
    # Someone else rejects it directly in Chorus Pro: our mirror still says MISE_A_DISPOSITION.
    fake_factpulse.traiter_facture_recue(invoice_id=invoice.invoice_id, new_status=lc.REJETEE, reason="Doublon")
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="process-form",
        **HTMX,
    )
    assert response.status_code == 422
    assert "Chorus Pro a refusé" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == lc.REJETEE


def test_list_still_served_from_mirror_when_upstream_is_down(logged, fake_factpulse):
    fake_factpulse.fail(SEARCH, FactPulseUnavailable())
    response = logged.get("/factures/")
    assert response.status_code == 200
    assert _todo().invoice_number in response.content.decode()
    assert fake_factpulse.count(SEARCH) == 0


def test_refresh_button_full_and_htmx(logged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/factures/synchronisation/", {"next": "/factures/"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/factures/synchronisation/", HTTP_HX_TARGET="sync-status", **HTMX)
    assert response.status_code == 200
    assert 'id="sync-status"' in response.content.decode()
    status = logged.get("/factures/synchronisation/", **HTMX)
    assert "dernière synchronisation" in status.content.decode()
    assert "invoices-synced" in json.loads(status["HX-Trigger"])


def test_refresh_failure_shows_notice(logged, fake_factpulse, django_capture_on_commit_callbacks):
    fake_factpulse.fail(SEARCH, FactPulseUnavailable())
    with django_capture_on_commit_callbacks(execute=True):
        logged.post("/factures/synchronisation/", HTTP_HX_TARGET="sync-status", **HTMX)
    html = logged.get("/factures/").content.decode()
    assert "La dernière synchronisation a échoué" in html


def test_bulk_views(logged, fake_factpulse, django_capture_on_commit_callbacks):
    todo = list(ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:4])
    paid = ReceivedInvoice.objects.filter(status=lc.MISE_EN_PAIEMENT).first()
    logged.post("/factures/selection/", {"operation": "add", "ids": [i.pk for i in [*todo, paid]]})
    page = logged.get("/factures/lot/")
    assert page.status_code == 200 and "5 factures sélectionnées" in page.content.decode()
    key = re.search(r'name="cle" value="([^"]+)"', page.content.decode()).group(1)
    assert logged.post("/factures/lot/", {"cible": lc.REJETEE, "motif": "", "cle": key}).status_code == 422
    summary = logged.post("/factures/lot/", {"cible": lc.SERVICE_FAIT, "cle": key}).content.decode()
    assert "Certifier le service fait de 4 factures" in summary and paid.invoice_number in summary
    lot = re.findall(r'name="lot" value="(\d+)"', summary)
    assert fake_factpulse.count(PROCESS) == 0
    send = {"cible": lc.SERVICE_FAIT, "cle": key, "etape": "envoyer", "lot": [*lot, str(paid.pk)]}
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/factures/lot/", send)
    assert response.status_code == 302
    run = BulkRun.objects.get()
    detail = logged.get(response["Location"]).content.decode()
    assert "Traitement terminé" in detail
    assert "écartée" in detail and paid.invoice_number in detail
    assert detail.count("effectuée") >= 4
    partial = logged.get(response["Location"], HTTP_HX_TARGET="bulk-progress", **HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="bulk-progress"')
    assert run.total == 4 and fake_factpulse.count(PROCESS) == 4
    # The same form sent again (back button, replay): the run it started, nothing sent again.
    again = logged.post("/factures/lot/", send)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert BulkRun.objects.count() == 1 and fake_factpulse.count(PROCESS) == 4


# Sandbox over HTTP: two threads post at once, each with its own database connection, so the
# test needs committed rows (transactional_db) and a real upstream that answers with latency
# while the other request is in flight; the in-memory gateway could not show that the database
# lets one run start.
@pytest.fixture
def sandbox_logged(client, sandbox_connection):
    user = UserFactory(username="claire")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.RECIPIENT)
    assert services.sync_received(connection=sandbox_connection).state == SyncRun.State.SUCCEEDED
    client.force_login(user)
    return client


def test_same_bulk_form_posted_twice_at_once_starts_one_run(sandbox_logged, sandbox_control):
    """Two POSTs of one bulk form in flight together (threads, real database): one run, one write each."""
    import threading

    from django.db import connections
    from django.test import Client

    traiter = "factures/traiter-facture-recue"
    logged = sandbox_logged
    todo = list(ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:10])
    assert len(todo) == 10
    logged.post("/factures/selection/", {"operation": "add", "ids": [i.pk for i in todo]})
    key = re.search(r'name="cle" value="([^"]+)"', logged.get("/factures/lot/").content.decode()).group(1)
    sandbox_control.faults(latency_ms=50, endpoints=[traiter])
    barrier = threading.Barrier(2)
    answers: list = []

    def post():
        browser = Client()
        browser.cookies = logged.cookies  # the same session: the same user, tab and selection
        try:
            barrier.wait()
            data = {"cible": lc.SERVICE_FAIT, "cle": key, "etape": "envoyer", "lot": [i.pk for i in todo]}
            answers.append(browser.post("/factures/lot/", data))
        except Exception as exc:  # pragma: no cover - shows up in the assertion below
            answers.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    run = BulkRun.objects.get()
    assert [getattr(a, "status_code", a) for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {f"/factures/lot/{run.pk}/"}
    assert run.total == 10 and sandbox_control.calls(traiter) == 10
    for invoice in todo:
        assert AuditEntry.objects.filter(invoice_id=invoice.invoice_id, action="process").count() == 1


@pytest.mark.parametrize("key", ["x" * 65, "abc\x00def", "é" * 10, ""])
def test_bulk_form_with_a_malformed_key_is_refused_not_500(logged, fake_factpulse, key):
    todo = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).first()
    logged.post("/factures/selection/", {"operation": "add", "ids": [todo.pk]})
    response = logged.post("/factures/lot/", {"cible": lc.SERVICE_FAIT, "cle": key})
    assert response.status_code == 422
    assert "Ce formulaire est invalide ou incomplet" in response.content.decode()
    fresh = re.search(r'name="cle" value="([^"]+)"', response.content.decode()).group(1)
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert not BulkRun.objects.exists() and fake_factpulse.count(PROCESS) == 0


def test_group_download_view_streams_a_zip(logged):
    chosen = list(ReceivedInvoice.objects.order_by("pk")[:12])
    logged.post("/factures/selection/", {"operation": "add", "ids": [i.pk for i in chosen]})
    response = logged.post("/factures/telechargement/", {"format": "ZIP"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "manifest.csv" in archive.namelist()


def test_group_download_upstream_failure_is_explained(logged, fake_factpulse):
    logged.post("/factures/selection/", {"operation": "add", "ids": [_todo().pk]})
    fake_factpulse.fail(DOWNLOAD, FactPulseUnavailable())
    response = logged.post("/factures/telechargement/", {"format": "ZIP"}, follow=True)
    assert "Le téléchargement a échoué" in response.content.decode()


def test_document_view_full_htmx_and_failure(logged, fake_factpulse, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = _todo()
    fake_factpulse.fail(DOWNLOAD, FactPulseUnavailable())
    failed = logged.post(f"/factures/{invoice.pk}/document/", HTTP_HX_TARGET="document-content", **HTMX)
    assert failed.status_code == 502 and "ne répond pas" in failed.content.decode()
    response = logged.post(f"/factures/{invoice.pk}/document/", HTTP_HX_TARGET="document-content", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="document-content"')
    assert "Ventilation de la TVA" in html and "Lignes" in html
    full = logged.get(f"/factures/{invoice.pk}/").content.decode()
    assert "Ventilation de la TVA" in full
    file = logged.get(f"/factures/{invoice.pk}/document/fichier/")
    assert file.status_code == 200


def test_other_connection_invoice_cannot_be_processed(client, synced, fake_factpulse):
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, connection=ConnectionFactory(), role=Role.RECIPIENT)
    client.force_login(outsider)
    invoice = _todo()
    response = client.post(f"/factures/{invoice.pk}/traiter/", {"cible": lc.SERVICE_FAIT, "cle": "x"})
    assert response.status_code == 404
    assert fake_factpulse.count(PROCESS) == 0


def test_menu_count_of_invoices_to_process_updates_after_an_action(logged):
    invoice = _todo()
    before = logged.get("/factures/").content.decode()
    count = int(re.search(r'id="nav-received-count" class="count-badge">(\d+)', before).group(1))
    _, key = _form(logged, invoice)
    response = logged.post(
        f"/factures/{invoice.pk}/traiter/",
        {"cible": lc.SERVICE_FAIT, "cle": key, "statut_vu": invoice.status},
        HTTP_HX_TARGET="process-form",
        **HTMX,
    )
    html = response.content.decode()
    assert f'id="nav-received-count" class="count-badge" hx-swap-oob="true">{count - 1}<' in html
