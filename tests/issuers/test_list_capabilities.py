"""The issued list has what every list of chorusweb has: net totals with credit notes, French
amounts and messages on fields, a home for every status, the whole view selectable, no stale
copy on Back and back links to the exact view, cards on phones."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.models import SyncRun
from issuers import services
from issuers.models import IssuedInvoice

pytestmark = pytest.mark.django_db


def _sync(connection):
    assert services.sync_issued(connection=connection).state == SyncRun.State.SUCCEEDED


def test_credit_notes_count_with_their_sign(fake, connection, issuer_client):
    fake.add_issued(total_excl_tax=Decimal("100.00"), total_incl_tax=Decimal("120.00"))
    credit = fake.add_issued(invoice_type="AVOIR", total_excl_tax=Decimal("25.00"), total_incl_tax=Decimal("30.00"))
    _sync(connection)
    page = issuer_client.get("/factures-emises/?onglet=toutes&tri=ttc")
    assert page.context["result"].total_incl_tax == Decimal("90.00")
    assert "total net TTC" in page.text
    rows = page.context["rows"]
    assert rows[0]["invoice_id"] == credit.invoice_id and rows[0]["net_incl_tax"] == Decimal(
        "-30.00"
    )  # first ascending
    detail = issuer_client.get(f"/factures-emises/{IssuedInvoice.objects.get(invoice_id=credit.invoice_id).pk}/")
    assert "Avoir E-" in detail.text and "-30,00" in detail.text.replace("\u202f", "").replace("\u00a0", "")


def test_amounts_typed_the_french_way_and_errors_on_their_field(fake, connection, issuer_client):
    fake.add_issued(total_incl_tax=Decimal("1000.50"))
    fake.add_issued(total_incl_tax=Decimal("50.00"))
    _sync(connection)
    page = issuer_client.get("/factures-emises/", {"onglet": "toutes", "montant_min": "1 000,50"})
    assert page.context["result"].total_count == 1
    page = issuer_client.get("/factures-emises/", {"onglet": "toutes", "montant_min": "500", "montant_max": "100"})
    # the maximum below the minimum is shown back on its field; the minimum still applies
    assert page.status_code == 200 and page.context["result"].total_count == 1
    assert re.search(r'id="error-montant_max"[^>]*>[^<]*\w', page.text)
    page = issuer_client.get("/factures-emises/", {"onglet": "toutes", "montant_min": "douze"})
    assert re.search(r'id="error-montant_min"[^>]*>[^<]*\w', page.text)


def test_a_status_no_tab_holds_has_its_own_tab(fake, connection, issuer_client):
    fake.add_issued(status="STATUT_NOUVEAU")
    fake.add_issued(status=lc.DEPOSEE)
    _sync(connection)
    page = issuer_client.get("/factures-emises/?onglet=autres")
    counts = {t.tab.slug: t.count for t in page.context["tabs"]}
    assert counts["autres"] == 1 and counts["toutes"] == 2
    assert [r["status"] for r in page.context["rows"]] == ["STATUT_NOUVEAU"]
    assert 'href="/aide/statuts/#statut-inconnu"' in page.text  # the badge leads to the glossary


def test_select_every_result_of_the_view_with_its_net_total(fake, connection, issuer_client):
    for _ in range(3):
        fake.add_issued(status=lc.SUSPENDUE)
    fake.add_issued(status=lc.DEPOSEE)
    _sync(connection)
    view = "/factures-emises/?onglet=suspendues"
    issuer_client.get(view)
    response = issuer_client.post("/factures-emises/selection/", {"operation": "view", "next": view})
    assert response.status_code in (200, 302)
    ids = issuer_client.session["issued_selection"]
    assert sorted(ids) == sorted(IssuedInvoice.objects.filter(status=lc.SUSPENDUE).values_list("pk", flat=True))
    page = issuer_client.get(view)
    assert "3 factures sélectionnées" in page.text and "360,00" in page.text


def test_pages_are_never_stored_and_back_returns_to_the_exact_view(fake, connection, issuer_client):
    fake.add_issued(status=lc.SUSPENDUE)
    _sync(connection)
    view = "/factures-emises/?onglet=suspendues&tri=ttc"
    listing = issuer_client.get(view)
    assert "no-store" in listing["Cache-Control"]
    invoice = IssuedInvoice.objects.get()
    detail = issuer_client.get(f"/factures-emises/{invoice.pk}/")
    assert "no-store" in detail["Cache-Control"]
    assert 'href="/factures-emises/?onglet=suspendues&amp;tri=ttc">← Factures émises' in detail.text


def test_list_is_cards_on_phones_with_a_skip_link(fake, connection, issuer_client):
    fake.add_issued()
    _sync(connection)
    page = issuer_client.get("/factures-emises/")
    assert 'class="data data--cards issued-list"' in page.text
    assert 'data-label="TTC"' in page.text and 'href="#results-table">Aller aux résultats' in page.text
