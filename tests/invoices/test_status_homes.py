"""Every status has a home: a tab, a filter, a glossary entry reachable from each badge."""

from __future__ import annotations

import pytest

from chorusweb import lifecycle as lc
from invoices.selectors import InvoiceFilters, invoice_list
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def odd_statuses(connection):
    ReceivedInvoiceFactory(connection=connection, invoice_number="N-TODO")
    ReceivedInvoiceFactory(connection=connection, invoice_number="N-PEC", status=lc.PRISE_EN_COMPTE_DESTINATAIRE)
    ReceivedInvoiceFactory(connection=connection, invoice_number="N-NEW", status="STATUT_INEDIT")


def test_other_statuses_tab_counts_and_lists_them(recipient, recipient_client, odd_statuses):
    result = invoice_list(user=recipient, filters=InvoiceFilters(tab="autres"))
    assert {t.tab.slug: t.count for t in result.tabs}["autres"] == 2
    assert result.total_count == 2
    html = recipient_client.get("/factures/?onglet=autres", **HTMX).content.decode()
    assert 'Autres statuts <span class="count">2</span>' in html
    assert "N-PEC" in html and "N-NEW" in html and "N-TODO" not in html


def test_every_status_is_in_some_tab_other_than_all(recipient, odd_statuses):
    result = invoice_list(user=recipient, filters=InvoiceFilters(tab="toutes"))
    counts = {t.tab.slug: t.count for t in result.tabs}
    assert sum(n for slug, n in counts.items() if slug != "toutes") == counts["toutes"] == 3


def test_prise_en_compte_is_filterable(recipient_client, odd_statuses):
    html = recipient_client.get(f"/factures/?onglet=toutes&statut={lc.PRISE_EN_COMPTE_DESTINATAIRE}").content.decode()
    assert f'value="{lc.PRISE_EN_COMPTE_DESTINATAIRE}"' in html
    assert "N-PEC" in html and "N-TODO" not in html


def test_each_badge_links_to_its_glossary_entry(recipient_client, odd_statuses):
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert 'href="/aide/statuts/#statut-MISE_A_DISPOSITION"' in html
    assert 'href="/aide/statuts/#statut-PRISE_EN_COMPTE_DESTINATAIRE"' in html
    assert 'href="/aide/statuts/#statut-inconnu"' in html  # a status unknown to us


def test_glossary_page_has_an_anchor_per_status_and_says_who_acts(recipient_client):
    html = recipient_client.get("/aide/statuts/").content.decode()
    for code in (*lc.RECIPIENT_STATUSES, lc.PRISE_EN_COMPTE_DESTINATAIRE, lc.A_VALIDER_1):
        assert f'id="statut-{code}"' in html
    assert 'id="statut-inconnu"' in html
    suspended = html[html.index('id="statut-SUSPENDUE"') : html.index('id="statut-REJETEE"')]
    assert "Qui agit ensuite" in suspended and "Le fournisseur" in suspended and "Complétée" in suspended


def test_glossary_is_data_with_every_recipient_status():
    for code in (*lc.RECIPIENT_STATUSES, lc.PRISE_EN_COMPTE_DESTINATAIRE):
        entry = lc.status_help(code)
        assert entry is not lc.UNKNOWN_STATUS_HELP and entry.meaning and entry.then
    assert lc.status_help("NOUVEAU") is lc.UNKNOWN_STATUS_HELP
    assert lc.status_anchor("a-recycler") == "statut-A_RECYCLER"


@pytest.mark.parametrize(("status", "who"), [(lc.SUSPENDUE, "Le fournisseur"), (lc.A_RECYCLER, "réadresser")])
def test_suspended_and_recycled_pages_say_who_acts_next(recipient_client, connection, status, who):
    invoice = ReceivedInvoiceFactory(connection=connection, status=status)
    html = recipient_client.get(f"/factures/{invoice.pk}/").content.decode()
    assert "Qui agit ensuite" in html and who in html
    assert f'href="/aide/statuts/#statut-{status}"' in html
