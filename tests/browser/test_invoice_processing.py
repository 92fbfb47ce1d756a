"""Journeys of the accountant on invoices: detail, Factur-X, processing, group download, bulk."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb.models import AuditEntry, BulkRun
from chorusweb.money import format_money
from invoices.models import ReceivedInvoice
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser

TRAITER = "factures/traiter-facture-recue"


def test_open_invoice_view_facturx_and_suspend_once(page, sandbox_control, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = received().first()
    login(page, ACCOUNTANT, "/factures/")
    page.goto(f"/factures/?numero={invoice.invoice_number}")
    page.get_by_role("link", name=invoice.invoice_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.invoice_number)
    expect(page.locator("#status-badge")).to_contain_text("Mise à disposition")
    to_process = int(page.locator("#nav-received-count").inner_text().split()[0])
    marker = page.evaluate("() => (window.__noReload = Math.random())")

    # The Factur-X content, read from the downloaded document.
    page.get_by_role("button", name="Récupérer et afficher le document").click()
    content = page.locator("#document-content")
    expect(content).to_contain_text("Lignes")
    expect(content).to_contain_text("Ventilation de la TVA")
    expect(content.get_by_role("link", name="Télécharger le fichier")).to_be_visible()
    screenshot(page, "invoice-detail")

    # Suspend with a reason; a double click sends one action only.
    page.get_by_label("Suspendue").check()
    page.get_by_label("Motif").fill("Bon de livraison manquant")
    page.get_by_role("button", name="Envoyer à Chorus Pro").dblclick()
    expect(page.locator("#status-badge .badge")).to_have_text("Suspendue")
    settle(page)
    expect(page.locator("#timeline")).to_contain_text("Suspendue")
    expect(page.locator("#timeline")).to_contain_text("Bon de livraison manquant")
    audit = page.locator("#audit tbody tr")
    expect(audit.filter(has_text="Suspendue")).to_have_count(1)
    # The menu's count of invoices to process follows, without a reload.
    expect(page.locator("#nav-received-count")).to_contain_text(str(to_process - 1))
    # Announced to screen readers through the live regions that stay in the page.
    expect(page.locator("#announcer")).to_contain_text("Suspendue")
    expect(page.locator("#messages")).not_to_be_empty()
    assert page.evaluate("() => window.__noReload") == marker  # no full reload
    assert sandbox_control.calls(TRAITER) == 1
    assert AuditEntry.objects.filter(action="process", invoice_id=invoice.invoice_id).count() == 1
    invoice.refresh_from_db()
    assert invoice.status == lc.SUSPENDUE
    screenshot(page, "invoice-suspended")

    # The queue counts follow: one more suspended invoice.
    page.get_by_role("link", name="Factures reçues").first.click()
    expect(page.locator(".tabs a", has_text="Suspendues").locator(".count")).to_have_text(
        str(ReceivedInvoice.objects.filter(status=lc.SUSPENDUE).count())
    )


def test_select_twelve_across_two_pages_and_download_one_zip(page, tmp_path):
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/")
    bar = page.locator("#selection-bar")
    page.get_by_label("Sélectionner toute la page").check()
    expect(bar).to_contain_text("10 factures sélectionnées")
    page.locator(".pagination a[rel=next]").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 sur 2")
    rows = page.locator("#results-table tbody input[name=ids]")
    rows.nth(0).check()
    expect(bar).to_contain_text("11 factures sélectionnées")
    rows.nth(1).check()
    expect(bar).to_contain_text("12 factures sélectionnées")
    expect(page.locator("#announcer")).to_contain_text("12 factures sélectionnées")
    screenshot(page, "selection-two-pages")

    bar.get_by_label("Format").select_option("ZIP")
    with page.expect_download() as download_info:
        bar.get_by_role("button", name="Télécharger").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")), delimiter=";"))
    assert len(manifest) == 13, manifest  # a header and 12 invoices
    assert sum(1 for n in names if n.lower().endswith(".pdf")) >= 12, names
    assert ReceivedInvoice.objects.filter(downloaded=True).count() >= 12


def test_bulk_process_five_with_one_not_allowed(page, sandbox_control):
    todo = list(received()[:4])
    paid = received(lc.MISE_EN_PAIEMENT).first()
    login(page, ACCOUNTANT, "/factures/")
    for invoice in [*todo, paid]:
        page.goto(f"/factures/?onglet=toutes&numero={invoice.invoice_number}")
        page.get_by_label(f"Sélectionner la facture {invoice.invoice_number}").check()
        settle(page)
    expect(page.locator("#selection-bar")).to_contain_text("5 factures sélectionnées")
    page.get_by_role("link", name="Traiter la sélection…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Traiter la sélection")
    # No status chosen beforehand; only those allowed for at least one selected invoice.
    status = page.get_by_label("Nouveau statut")
    expect(status).to_have_value("")
    expect(status.locator("option[value=COMPLETEE]")).to_have_count(0)
    status.select_option(lc.SERVICE_FAIT)
    expect(page.get_by_label("Numéro de mandat")).to_be_hidden()  # only for « Mandatée »
    page.get_by_role("button", name="Vérifier avant l'envoi").click()
    # A summary first, with the invoice that cannot take the status; nothing is sent yet.
    net = sum((inv.total_incl_tax * (-1 if inv.is_credit_note else 1) for inv in todo), Decimal(0))
    question = page.locator("#bulk-question")
    expect(question).to_contain_text("Certifier le service fait de 4 factures pour")
    with translation.override("fr"):
        expect(question).to_contain_text(f"Certifier le service fait de 4 factures pour {format_money(net)} ?")
    expect(question).to_be_focused()
    ineligible = page.locator(".bulk-ineligible")
    expect(ineligible).to_contain_text("1 facture ne peut pas prendre ce statut")
    expect(ineligible).to_contain_text(paid.invoice_number)
    assert sandbox_control.calls(TRAITER) == 0 and not BulkRun.objects.exists()
    screenshot(page, "bulk-summary")
    page.get_by_role("button", name="Envoyer les 4 factures à Chorus Pro").dblclick()
    page.wait_for_url("**/factures/lot/*/")
    progress = page.locator("#bulk-progress")
    expect(progress).to_contain_text("Traitement terminé")
    rows = progress.locator("tbody tr")
    expect(rows).to_have_count(5)
    skipped = rows.filter(has_text=paid.invoice_number)
    expect(skipped).to_contain_text("écartée")
    for invoice in todo:
        expect(rows.filter(has_text=invoice.invoice_number)).to_contain_text("effectuée")
    screenshot(page, "bulk-result")
    assert BulkRun.objects.count() == 1  # the double click started one run
    assert sandbox_control.calls(TRAITER) == 4
