"""The list's filter form: French amounts read, unreadable input shown back, the list kept usable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def amounts(connection):
    ReceivedInvoiceFactory(connection=connection, invoice_number="SMALL", total_incl_tax=Decimal("999.99"))
    ReceivedInvoiceFactory(connection=connection, invoice_number="MIDDLE", total_incl_tax=Decimal("1000.50"))
    ReceivedInvoiceFactory(connection=connection, invoice_number="LARGE", total_incl_tax=Decimal("1200.00"))


@pytest.mark.parametrize("typed", ["1000,50", "1 000,50", "1\u202f000,50", "1\u00a0000,50"])
def test_french_amounts_filter_the_list(recipient_client, amounts, typed):
    html = recipient_client.get("/factures/", {"montant_min": typed, "montant_max": "1 100"}).content.decode()
    assert "MIDDLE" in html and "SMALL" not in html and "LARGE" not in html
    assert "Montant illisible" not in html


def test_unreadable_amount_is_shown_back_and_the_list_stays_usable(recipient_client, amounts):
    response = recipient_client.get("/factures/", {"montant_min": "mille", "numero": "MID"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-montant_min"' in html and "Montant illisible" in html
    assert 'value="mille"' in html  # the typed value, shown back
    assert "MIDDLE" in html and "SMALL" not in html  # the other filters still apply


def test_date_range_ending_before_it_starts_is_shown_on_the_field(recipient_client, amounts):
    html = recipient_client.get("/factures/", {"depot_du": "2026-03-10", "depot_au": "2026-03-01"}).content.decode()
    assert "La fin de la période précède son début" in html
    assert "SMALL" in html  # the inverted bound is left out, not applied silently


def test_htmx_filtering_refreshes_the_field_messages_out_of_band(recipient_client, amounts):
    html = recipient_client.get("/factures/", {"montant_max": "??"}, **HTMX).content.decode()
    assert '<span id="error-montant_max" class="error field-error" aria-live="polite" hx-swap-oob="true">' in html
    assert "Montant illisible" in html
    # Corrected: the message slot comes back empty, so the old message goes away.
    html = recipient_client.get("/factures/", {"montant_max": "1 000"}, **HTMX).content.decode()
    assert 'id="error-montant_max" class="error field-error" aria-live="polite" hx-swap-oob="true"></span>' in html
    assert "SMALL" in html and "MIDDLE" not in html
