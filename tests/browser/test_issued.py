"""Journey of the issuer: submit an invoice by SIRET to a structure that requires a service code
and find it in the list; complete a suspended invoice; recycle one. axe-clean pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb.models import SyncRun
from issuers.models import IssuedInvoice
from tests.browser.axe import axe_violations
from tests.browser.conftest import login, screenshot
from tests.fakes import FAKE_PDF

pytestmark = pytest.mark.browser

ISSUER = ("emetteur", "chorusweb-demo")
HOSPITAL = 25100002  # service code required


@pytest.fixture
def issued(demo):
    from issuers import services

    run = services.sync_issued(connection=demo)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return demo


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": FAKE_PDF}


def test_issuer_submits_completes_and_recycles(page, issued, sandbox_control):
    from sandbox.models import Structure

    hospital = Structure.objects.get(pk=HOSPITAL)
    login(page, ISSUER, "/factures-emises/")
    page.goto("/factures-emises/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Factures émises")

    # Submit by SIRET to the hospital, which requires a service code.
    page.get_by_role("link", name="Déposer une facture").click()
    page.get_by_label("Destinataire : SIRET ou nom").fill(hospital.identifier)
    page.get_by_role("button", name="Rechercher dans l'annuaire").click()
    page.get_by_role("link", name=hospital.name).click()
    expect(page.locator("#submit-form")).to_contain_text("Code service obligatoire.")
    page.get_by_label("Numéro de facture").fill("EMIS-NAV-1")
    page.get_by_label("Date de facture").fill("2026-11-20")
    page.get_by_label("Service destinataire").select_option("RESTAURATION")
    page.set_input_files("#id_fichier", files=[_pdf("emis-nav-1.pdf")])
    page.get_by_label("Montant HT (€)").fill("1000.00")
    page.get_by_label("Montant TVA (€)").fill("200.00")
    page.get_by_label("Montant TTC (€)").fill("1200.00")
    screenshot(page, "issued-submit-form")
    page.get_by_role("button", name="Déposer la facture").click()
    expect(page.locator("#messages")).to_contain_text("EMIS-NAV-1 déposée")
    assert sandbox_control.calls("factures/soumettre") == 1
    page.get_by_role("link", name="Factures émises").first.click()
    expect(page.locator("#results-table")).to_contain_text("EMIS-NAV-1")
    screenshot(page, "issued-list")

    # Complete a suspended invoice.
    suspended = IssuedInvoice.objects.filter(status=lc.SUSPENDUE).order_by("pk").first()
    page.goto("/factures-emises/?onglet=suspendues")
    page.get_by_role("link", name=suspended.invoice_number, exact=True).click()
    page.set_input_files("#id_pieces", files=[_pdf("bon-livraison.pdf")])
    page.get_by_label("Commentaire pour le destinataire").fill("Bon de livraison signé joint.")
    page.get_by_role("button", name="Envoyer le complément").click()
    expect(page.locator("#messages")).to_contain_text("complétée")
    expect(page.locator("#status-badge")).to_contain_text("Complétée")
    screenshot(page, "issued-detail")
    assert sandbox_control.calls("factures/completer") == 1

    # Recycle an invoice to the hospital's pharmacy.
    to_recycle = IssuedInvoice.objects.filter(status=lc.A_RECYCLER).order_by("pk").first()
    page.goto("/factures-emises/?onglet=a-recycler")
    page.get_by_role("link", name=to_recycle.invoice_number, exact=True).click()
    page.get_by_role("link", name="Recycler la facture").click()
    page.get_by_label("Destinataire : SIRET ou nom").fill("Centre hospitalier")
    page.get_by_role("button", name="Rechercher dans l'annuaire").click()
    page.get_by_role("link", name=hospital.name).click()
    page.get_by_label("Service destinataire").select_option("PHARMACIE")
    page.get_by_role("button", name="Recycler vers cette structure").click()
    expect(page.locator("#messages")).to_contain_text("recyclée")
    assert sandbox_control.calls("factures/recycler") == 1
    to_recycle.refresh_from_db()
    assert to_recycle.service_code == "PHARMACIE" and to_recycle.recipient_name == hospital.name


def test_issuer_pages_have_no_serious_violation(axe_page, issued):
    page = axe_page
    login(page, ISSUER, "/factures-emises/")
    suspended = IssuedInvoice.objects.filter(status=lc.SUSPENDUE).order_by("pk").first()
    recycle = IssuedInvoice.objects.filter(status=lc.A_RECYCLER).order_by("pk").first()
    for url in (
        "/factures-emises/",
        "/factures-emises/?onglet=suspendues",
        "/factures-emises/soumettre/?q=Centre+hospitalier",
        f"/factures-emises/soumettre/?structure={HOSPITAL}",
        f"/factures-emises/{suspended.pk}/",
        f"/factures-emises/{recycle.pk}/recycler/?structure={HOSPITAL}",
    ):
        page.goto(url)
        problems = axe_violations(page)
        assert not problems, f"{url}:\n" + "\n".join(problems)


def test_issuer_builds_a_facturx_from_typed_lines(page, issued, sandbox_control):
    from sandbox.models import Attachment

    login(page, ISSUER, "/factures-emises/")
    page.goto("/factures-emises/soumettre/?structure=25100001")  # a commune: no service code needed
    lines = page.locator("fieldset[data-for-mode=saisie]")
    expect(lines).to_be_hidden()  # the upload mode is chosen: only its part shows
    page.get_by_label("Saisir les lignes (Factur-X généré)").check()
    expect(lines).to_be_visible()
    expect(page.locator("fieldset[data-for-mode=fichier]")).to_be_hidden()
    expect(page.get_by_label("Service destinataire")).to_have_count(0)
    page.get_by_label("Numéro de facture").fill("EMIS-FX-1")
    page.get_by_label("Date de facture").fill("2026-11-21")
    page.get_by_label("Votre raison sociale").fill("Commune de Saint-Égrève")
    page.get_by_label("Votre SIRET").fill("21380382000012")
    line = page.locator("fieldset.invoice-line").first
    line.get_by_label("Désignation").fill("Mise à disposition d'un agent")
    line.get_by_label("Quantité").fill("3")
    line.get_by_label("Prix unitaire HT (€)").fill("250.00")
    page.get_by_role("button", name="Déposer la facture").click()
    expect(page.locator("#messages")).to_contain_text("EMIS-FX-1 déposée")
    expect(page.locator("#invoice-body")).to_contain_text("900,00")
    import io

    from facturx import get_xml_from_pdf, xml_check_xsd

    uploaded = Attachment.objects.get(name="facture-EMIS-FX-1.pdf")
    _name, xml = get_xml_from_pdf(io.BytesIO(bytes(uploaded.content)), check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") and b"EMIS-FX-1" in xml
    assert sandbox_control.calls("factures/soumettre") == 1


def test_issuer_submits_without_javascript(nojs_page, issued, sandbox_control):
    page = nojs_page
    login(page, ISSUER, "/factures-emises/")
    page.goto("/factures-emises/soumettre/")
    page.get_by_label("Destinataire : SIRET ou nom").fill("Saint-Aubin")
    page.get_by_role("button", name="Rechercher dans l'annuaire").click()
    page.get_by_role("link", name="Commune de Saint-Aubin-sur-Loire").click()
    expect(page.locator("fieldset[data-for-mode=saisie]")).to_be_visible()  # both parts, no script
    page.get_by_label("Numéro de facture").fill("EMIS-NOJS-1")
    page.get_by_label("Date de facture").fill("2026-11-22")
    page.set_input_files("#id_fichier", files=[_pdf("emis-nojs-1.pdf")])
    page.get_by_label("Montant HT (€)").fill("100.00")
    page.get_by_label("Montant TVA (€)").fill("20.00")
    page.get_by_label("Montant TTC (€)").fill("121.00")
    page.get_by_role("button", name="Déposer la facture").click()
    expect(page.locator("#id_montant_ttc_error")).to_contain_text("doit être égal au HT")
    assert sandbox_control.calls("factures/soumettre") == 0
    page.set_input_files("#id_fichier", files=[_pdf("emis-nojs-1.pdf")])  # a browser never keeps a file
    page.get_by_label("Montant TTC (€)").fill("120.00")
    page.get_by_role("button", name="Déposer la facture").click()
    expect(page.locator("#messages")).to_contain_text("EMIS-NOJS-1 déposée")
    assert sandbox_control.calls("factures/soumettre") == 1


def test_issued_list_and_invoice_on_a_phone(page, issued):
    from tests.browser.test_back_and_phones import NO_SIDEWAYS_SCROLL, PHONE

    page.set_viewport_size(PHONE)
    login(page, ISSUER, "/factures-emises/")
    page.goto("/factures-emises/?onglet=toutes")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    first = page.locator("#results-table tbody tr").first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"  # one card per invoice
    first.locator("a").first.click()
    expect(page.get_by_role("button", name="Vérifier le statut")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # Back to the exact view it came from.
    page.get_by_role("link", name="← Factures émises").click()
    expect(page).to_have_url("/factures-emises/?onglet=toutes")
    screenshot(page, "phone-issued-list")
