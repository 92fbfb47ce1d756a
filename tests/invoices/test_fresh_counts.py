"""Every count a page shows is the count of that moment: after a bulk run, after a sync."""

from __future__ import annotations

import re

import pytest

from chorusweb import lifecycle as lc
from invoices import services
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def nav_count(html: str) -> str:
    """The text of the out-of-band menu badge of the received queue in an htmx answer."""
    match = re.search(r'<span id="nav-received-count" class="count-badge" hx-swap-oob="true">(\d*)', html)
    assert match, "no out-of-band menu count in the answer"
    return match.group(1)


def test_bulk_run_finished_refreshes_the_menu_count(
    recipient_client, connection, fake_factpulse, django_capture_on_commit_callbacks
):
    invoices = []
    for _ in range(3):
        row = fake_factpulse.add_received()
        invoices.append(ReceivedInvoiceFactory(connection=connection, invoice_id=row.invoice_id))
    page = recipient_client.get("/factures/").content.decode()
    assert re.search(r'id="nav-received-count" class="count-badge">3<', page)
    recipient_client.post("/factures/selection/", {"operation": "add", "ids": [i.pk for i in invoices[:2]]})
    key = re.search(r'name="cle" value="([^"]+)"', recipient_client.get("/factures/lot/").content.decode()).group(1)
    summary = recipient_client.post("/factures/lot/", {"cible": lc.SERVICE_FAIT, "cle": key}).content.decode()
    lot = re.findall(r'name="lot" value="(\d+)"', summary)  # the check step, before anything is sent
    send = {"cible": lc.SERVICE_FAIT, "cle": key, "etape": "envoyer", "lot": lot}
    with django_capture_on_commit_callbacks(execute=True):
        response = recipient_client.post("/factures/lot/", send)
    assert response.status_code == 302
    progress = recipient_client.get(response["Location"], HTTP_HX_TARGET="bulk-progress", **HTMX).content.decode()
    assert "Traitement terminé" in progress
    assert nav_count(progress) == "1"
    # And the list's tabs, read again, say the same.
    html = recipient_client.get("/factures/", HTTP_HX_TARGET="results-table", **HTMX).content.decode()
    assert 'À traiter <span class="count">1</span>' in html and 'Service fait <span class="count">2</span>' in html
    assert nav_count(html) == "1"


def test_results_reloaded_after_a_sync_carry_the_menu_count(recipient_client, connection, fake_factpulse):
    rows = [fake_factpulse.add_received() for _ in range(2)]
    services.sync_received(connection=connection)
    html = recipient_client.get("/factures/", HTTP_HX_TARGET="results-table", **HTMX).content.decode()
    assert nav_count(html) == "2"
    # Upstream moves one invoice on; the sync brings it; the list reloaded on `invoices-synced`
    # (its hx-trigger) shows the new counts, the menu badge included.
    import dataclasses

    from django.utils import timezone

    fake_factpulse.received[rows[0].invoice_id] = dataclasses.replace(
        rows[0], status=lc.MISE_EN_PAIEMENT, status_changed_at=timezone.now()
    )
    services.sync_received(connection=connection)
    html = recipient_client.get("/factures/", HTTP_HX_TARGET="results-table", **HTMX).content.decode()
    assert 'hx-trigger="invoices-synced from:body' in html
    assert nav_count(html) == "1"
    assert 'Payées <span class="count">1</span>' in html


def test_full_page_menu_count_is_read_each_time(recipient_client, connection):
    ReceivedInvoiceFactory(connection=connection)
    assert re.search(
        r'id="nav-received-count" class="count-badge">1<', recipient_client.get("/factures/").content.decode()
    )
    ReceivedInvoiceFactory(connection=connection)
    assert re.search(
        r'id="nav-received-count" class="count-badge">2<', recipient_client.get("/factures/").content.decode()
    )


def test_menu_count_comes_from_the_list_counts_without_a_query_of_its_own(recipient, connection):
    from invoices.selectors import InvoiceFilters, invoice_list, to_process_count

    ReceivedInvoiceFactory(connection=connection)
    ReceivedInvoiceFactory(connection=connection, status=lc.SUSPENDUE)
    assert (
        invoice_list(user=recipient, filters=InvoiceFilters(tab="toutes")).to_process
        == 1
        == to_process_count(recipient)
    )
    # Under a filter the list's counts are not the menu's: the menu reads its own.
    assert invoice_list(user=recipient, filters=InvoiceFilters(tab="toutes", number="F")).to_process is None
    assert invoice_list(user=recipient, filters=InvoiceFilters(service_code="FIN")).to_process is None
