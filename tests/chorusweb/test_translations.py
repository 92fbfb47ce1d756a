"""Languages: French by default, English on request (remembered), amounts and dates in the active locale."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from chorusweb.management.commands.check_translations import GETTEXT_PROGRAMS, parse_po
from chorusweb.templatetags.chorusweb import money
from tests.factories import ReceivedInvoiceFactory
from tests.validators.factories import ValidationInvoiceFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
# A day above 12 tells 25/03/2026 (French) from 03/25/2026 (English).
DEPOSITED = date(2026, 3, 25)


@pytest.fixture
def invoice(connection):
    return ReceivedInvoiceFactory(
        connection=connection,
        invoice_number="LANG-001",
        total_excl_tax=Decimal("1028.80"),
        total_incl_tax=Decimal("1234.56"),
        amount_due=Decimal("1234.56"),
        deposit_date=DEPOSITED,
        invoice_date=date(2026, 3, 20),
    )


def _english(client):
    client.cookies[COOKIE] = "en"
    return client


def test_money_filter_follows_the_active_language():
    with translation.override("fr"):
        assert money(Decimal("1234.56")) == "1\u00a0234,56\u00a0€"
        assert money(Decimal("-20")) == "-20,00\u00a0€"
    with translation.override("en"):
        assert money(Decimal("1234.56")) == "€1,234.56"
        assert money(Decimal("-1234.5")) == "-€1,234.50"
        assert money(None) == ""


def test_french_is_the_default_whatever_the_browser_says(recipient_client, invoice):
    response = recipient_client.get("/factures/?onglet=toutes", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Factures reçues" in html and "Se déconnecter" in html and "Toutes" in html
    assert "1\u00a0234,56\u00a0€" in html
    assert "25/03/2026" in html
    assert "Mise à disposition" in html
    assert "Received invoices" not in html and "€1,234.56" not in html


def test_english_list_with_the_cookie(recipient_client, invoice):
    response = _english(recipient_client).get("/factures/?onglet=toutes")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Received invoices" in html and "Log out" in html and "Made available" in html
    assert "Export the list (CSV)" in html and "Submission date" in html
    assert "€1,234.56" in html
    assert "03/25/2026" in html
    for french in ("Factures reçues", "Se déconnecter", "Mise à disposition", "Date de dépôt", "1\u00a0234,56"):
        assert french not in html, french


def test_english_plural_forms(recipient_client, connection, invoice):
    html = _english(recipient_client).get("/factures/?onglet=toutes").content.decode()
    assert "1 invoice" in html and "1 invoices" not in html
    ReceivedInvoiceFactory(connection=connection)
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert "2 invoices" in html


def test_english_invoice_detail(recipient_client, invoice):
    html = _english(recipient_client).get(f"/factures/{invoice.pk}/").content.decode()
    assert "Invoice LANG-001" in html
    assert "Amount incl. VAT" in html and "€1,234.56" in html and "€1,028.80" in html
    assert "March 25, 2026" in html  # DATE_FORMAT in English
    assert "Status:" in html and "Made available" in html
    recipient_client.cookies.pop(COOKIE)
    html = recipient_client.get(f"/factures/{invoice.pk}/").content.decode()
    assert "Facture LANG-001" in html and "25 mars 2026" in html and "1\u00a0234,56\u00a0€" in html


def test_english_validation_queue(client, validator, connection):
    ValidationInvoiceFactory(connection=connection, invoice_number="VAL-001", total_incl_tax=Decimal("98765.43"))
    client.force_login(validator)
    html = _english(client).get("/validation/").content.decode()
    assert "To validate" in html and "Validation queues" in html
    assert "€98,765.43" in html
    assert "À valider" not in html and "98\u00a0765,43" not in html


def test_login_page_in_both_languages(client):
    assert "Se connecter" in client.get("/connexion/").content.decode()
    html = _english(client).get("/connexion/").content.decode()
    assert "Log in" in html and '<html lang="en">' in html


def test_language_switch_is_remembered_across_requests(recipient_client, invoice):
    response = recipient_client.post("/langue/", {"language": "en", "next": "/factures/"})
    assert response.status_code == 302 and response["Location"] == "/factures/"
    assert recipient_client.cookies[COOKIE].value == "en"
    for url in ("/factures/", f"/factures/{invoice.pk}/", "/"):
        html = recipient_client.get(url, follow=True).content.decode()
        assert '<html lang="en">' in html, url
        assert "Received invoices" in html, url
    # The switch itself says which language is active, in English.
    assert '<option value="en" selected>English</option>' in html
    recipient_client.post("/langue/", {"language": "fr", "next": "/"})
    html = recipient_client.get("/factures/").content.decode()
    assert '<html lang="fr">' in html and "Factures reçues" in html and "1\u00a0234,56\u00a0€" in html


def test_unknown_language_falls_back_to_french(recipient_client, invoice):
    recipient_client.cookies[COOKIE] = "de"
    html = recipient_client.get("/factures/").content.decode()
    assert '<html lang="fr">' in html and "Factures reçues" in html


def test_english_catalog_is_really_english():
    """No msgstr left as a copy of the French msgid, except words that are the same in both languages."""
    same_in_both = {
        "chorusweb", "Français", "English", "PISTE client id", "PISTE client secret", "mode", "services",
        "Validation", "action", "document", "documents", "date", "source", "service", "type", "minute",
        "kg", "km", "m²", "m³", "kWh", "Type %(code)s", "Format", "PDF", "XML", "Administration", "Service",
        "Type", "Date", "Notes", "Pages", "Document", "litre", "tonne", "active", "page", "Page %(n)s",
        "Justification", "structure", "Suspension", "Structure", "Structure (SIRET)", "Total", "Volumes",
        "notification", "notifications", "Notifications", "Test", "SIRET", "Services",
    }  # fmt: skip
    _header, entries = parse_po(Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po")
    copied = [e.msgid for e in entries if e.msgstr.get(0) == e.msgid and e.msgid not in same_in_both]
    assert not copied, copied


@pytest.mark.skipif(
    any(shutil.which(program) is None for program in GETTEXT_PROGRAMS),
    reason="GNU gettext is not installed (sudo apt-get install gettext); `make test` installs or asks for it",
)
def test_catalogs_are_complete_and_compiled():
    call_command("check_translations", verbosity=0)
