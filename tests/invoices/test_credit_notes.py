"""Credit notes (AVOIR) count with their sign: list and tab totals, sorting, selection, detail page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.money import signed_amount
from invoices.models import QueueStat, ReceivedInvoice
from invoices.selectors import InvoiceFilters, invoice_list
from invoices.stats import stats_rebuild
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def mixed(connection):
    """Two invoices and two credit notes, one sent with a positive amount (as Chorus Pro does), one negative."""
    return {
        "big": ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="F-BIG",
            total_excl_tax=Decimal("1000"),
            total_incl_tax=Decimal("1200"),
        ),
        "small": ReceivedInvoiceFactory(
            connection=connection, invoice_number="F-SMALL", total_excl_tax=Decimal("50"), total_incl_tax=Decimal("60")
        ),
        "credit_pos": ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="AV-POS",
            invoice_type="AVOIR",
            total_excl_tax=Decimal("100"),
            total_incl_tax=Decimal("120"),
            amount_due=Decimal("120"),
        ),
        "credit_neg": ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="AV-NEG",
            invoice_type="AVOIR",
            total_excl_tax=Decimal("-10"),
            total_incl_tax=Decimal("-12"),
            amount_due=Decimal("-12"),
        ),
    }


def test_signed_amount_makes_a_credit_note_negative_whatever_its_sign():
    assert signed_amount(Decimal("120"), "AVOIR") == Decimal("-120")
    assert signed_amount(Decimal("-120"), "avoir") == Decimal("-120")
    assert signed_amount(Decimal("120"), "FACTURE") == Decimal("120")
    assert signed_amount(None, "AVOIR") is None


def test_stored_net_amounts_follow_the_type(mixed):
    row = ReceivedInvoice.objects.get(pk=mixed["credit_pos"].pk)
    assert (row.net_excl_tax, row.net_incl_tax) == (Decimal("-100"), Decimal("-120"))
    row.invoice_type = "FACTURE"
    row.save(update_fields=["invoice_type"])
    row.refresh_from_db()
    assert row.net_incl_tax == Decimal("120")


def test_list_totals_are_net_and_show_the_credit_notes_part(recipient, mixed):
    result = invoice_list(user=recipient, filters=InvoiceFilters(tab="a-traiter"))
    assert result.total_count == 4
    assert result.total_incl_tax == Decimal("1200") + Decimal("60") - Decimal("120") - Decimal("12")
    assert result.total_excl_tax == Decimal("1000") + Decimal("50") - Decimal("100") - Decimal("10")
    assert result.credit_count == 2
    assert result.credit_incl_tax == Decimal("-132")


def test_totals_under_other_filters_are_net_too(recipient, mixed):
    """Filters outside the counters read the mirror's net columns: the same figures."""
    result = invoice_list(user=recipient, filters=InvoiceFilters(tab="a-traiter", number="-"))
    assert result.total_incl_tax == Decimal("1128")
    assert result.credit_count == 2 and result.credit_incl_tax == Decimal("-132")


def test_list_page_says_net_and_shows_credit_notes_apart(recipient_client, mixed):
    html = recipient_client.get("/factures/").content.decode()
    assert "total net TTC 1\u00a0128,00\u00a0€" in html
    assert "dont 2 avoirs : -132,00\u00a0€ TTC" in html
    # The credit note sent positive is shown negative in its row, like its part in the total.
    assert "-120,00\u00a0€" in html


def test_queue_counters_keep_net_totals_through_a_status_change(recipient, mixed, connection):
    from invoices.stats import Contribution, stats_apply

    row = ReceivedInvoice.objects.get(pk=mixed["credit_pos"].pk)
    previous, row.status = row.status, lc.SERVICE_FAIT
    row.save(update_fields=["status"])
    stats_apply(connection.pk, removed=[Contribution.of(row, status=previous)], added=[Contribution.of(row)])
    done = QueueStat.objects.get(connection=connection, status=lc.SERVICE_FAIT)
    assert (done.count, done.total_incl_tax, done.credit_count, done.credit_incl_tax) == (
        1,
        Decimal("-120"),
        1,
        Decimal("-120"),
    )
    kept = {(q.status, q.count, q.total_incl_tax, q.credit_count) for q in QueueStat.objects.all()}
    stats_rebuild(connection.pk)  # the counters moved as a rebuild from the mirror says
    assert {(q.status, q.count, q.total_incl_tax, q.credit_count) for q in QueueStat.objects.all()} == kept


def test_tab_totals_are_net(recipient, mixed):
    ReceivedInvoice.objects.filter(pk=mixed["credit_pos"].pk).update(status=lc.SUSPENDUE)
    stats_rebuild(mixed["big"].connection_id)
    result = invoice_list(user=recipient, filters=InvoiceFilters(tab="suspendues"))
    assert result.total_incl_tax == Decimal("-120") and result.credit_count == 1


def test_sort_by_amount_puts_credit_notes_first_ascending_and_last_descending(recipient_client, mixed):
    html = recipient_client.get("/factures/?onglet=toutes&tri=ttc", **HTMX).content.decode()
    order = list(re.findall(r">(F-BIG|F-SMALL|AV-POS|AV-NEG)<", html))
    assert order == ["AV-POS", "AV-NEG", "F-SMALL", "F-BIG"]
    html = recipient_client.get("/factures/?onglet=toutes&tri=-ht", **HTMX).content.decode()
    order = list(re.findall(r">(F-BIG|F-SMALL|AV-POS|AV-NEG)<", html))
    assert order == ["F-BIG", "F-SMALL", "AV-NEG", "AV-POS"]


def test_selection_total_is_net(recipient_client, mixed):
    ids = [mixed["big"].pk, mixed["credit_pos"].pk]
    response = recipient_client.post(
        "/factures/selection/", {"operation": "add", "ids": ids}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="selection-bar"
    )
    html = response.content.decode()
    assert "2 factures sélectionnées" in html
    assert "total net TTC 1\u00a0080,00\u00a0€" in html
    assert "dont 1 avoir : -120,00\u00a0€" in html


def test_credit_note_page_says_avoir_and_amount_to_deduct(recipient_client, mixed):
    html = recipient_client.get(f"/factures/{mixed['credit_pos'].pk}/").content.decode()
    assert "Avoir AV-POS" in html
    assert "Montant à déduire" in html and "Montant à payer" not in html
    assert "120,00\u00a0€" in html and "-120,00\u00a0€" in html
    invoice_page = recipient_client.get(f"/factures/{mixed['big'].pk}/").content.decode()
    assert "Montant à payer" in invoice_page and "Montant à déduire" not in invoice_page


def test_export_writes_signed_amounts_so_that_a_column_sum_is_the_net_total(recipient_client, mixed):
    body = b"".join(recipient_client.get("/factures/export.csv?onglet=toutes").streaming_content).decode("utf-8-sig")
    line = next(row for row in body.splitlines() if row.startswith("AV-POS"))
    assert "-100,00" in line and "-120,00" in line
