"""The validation queue shares the received list's rules: French amounts, errors shown, net totals, select all."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.validators.factories import ValidationInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def queue(client):
    from chorusweb.models import Role, SyncRun, Workspace
    from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    SyncRun.objects.create(connection=connection, workspace=Workspace.VALIDATION, state=SyncRun.State.SUCCEEDED)
    rows = {
        "big": ValidationInvoiceFactory(
            connection=connection, invoice_number="V-BIG", total_incl_tax=Decimal("1000.50")
        ),
        "small": ValidationInvoiceFactory(
            connection=connection, invoice_number="V-SMALL", total_incl_tax=Decimal("10")
        ),
        "credit": ValidationInvoiceFactory(
            connection=connection,
            invoice_number="V-AVOIR",
            invoice_type="AVOIR",
            total_excl_tax=Decimal("100"),
            total_incl_tax=Decimal("120"),
        ),
    }
    client.force_login(user)
    return rows


def test_french_amount_filters_the_queue(client, queue):
    html = client.get("/validation/", {"montant_min": "1 000,50"}, **HTMX).content.decode()
    assert "V-BIG" in html and "V-SMALL" not in html


def test_unreadable_amount_and_inverted_dates_are_shown_back(client, queue):
    html = client.get("/validation/", {"montant_min": "beaucoup", "date_du": "2026-05-02", "date_au": "2026-05-01"})
    html = html.content.decode()
    assert "Montant illisible" in html and "précède son début" in html
    assert "V-BIG" in html and "V-SMALL" in html  # the list stays usable


def test_queue_totals_are_net_with_the_credit_notes_part(client, queue):
    html = client.get("/validation/").content.decode()
    # 1000,50 + 10 − 120: the credit note, sent positive, counts negative.
    assert "total net TTC 890,50\u00a0€" in html
    assert "dont 1 avoir : -120,00\u00a0€ TTC" in html


def test_queue_sorted_by_amount_puts_credit_notes_first(client, queue):
    import re

    html = client.get("/validation/?tri=ttc", **HTMX).content.decode()
    assert re.findall(r">(V-BIG|V-SMALL|V-AVOIR)<", html) == ["V-AVOIR", "V-SMALL", "V-BIG"]


def test_select_all_results_of_the_queue_view(client, queue, settings):
    settings.CHORUSWEB_PAGE_SIZE = 2
    page = client.get("/validation/?onglet=a-valider").content.decode()
    assert "Sélectionner les 3 résultats de cette vue" in page
    response = client.post(
        "/validation/selection/",
        {"operation": "view", "next": "/validation/?onglet=a-valider&montant_min=50"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="selection-bar",
        HTTP_HX_CURRENT_URL="http://testserver/validation/?onglet=a-valider&montant_min=50",
    )
    html = response.content.decode()
    assert "2 factures sélectionnées" in html  # V-BIG and V-AVOIR (120 ≥ 50), not V-SMALL
    assert "total net TTC 880,50\u00a0€" in html


def test_other_statuses_have_a_tab_in_the_queue(client, queue):
    from validators.models import QueueState

    ValidationInvoiceFactory(
        connection=queue["big"].connection, invoice_number="V-ODD", status="STATUT_INEDIT", state=QueueState.OTHER
    )
    html = client.get("/validation/?onglet=autres", **HTMX).content.decode()
    assert 'Autres statuts <span class="count">1</span>' in html
    assert "V-ODD" in html and "V-BIG" not in html
    assert 'href="/aide/statuts/#statut-inconnu"' in html


def test_queue_results_carry_the_menu_count_of_the_moment(client, queue):
    html = client.get("/validation/", **HTMX).content.decode()
    assert '<span id="nav-validation-count" class="count-badge" hx-swap-oob="true">3' in html


def test_credit_note_detail_says_avoir_with_amounts_to_deduct(client, queue, fake_factpulse):
    credit = queue["credit"]
    fake_factpulse.add_validation(invoice_id=credit.invoice_id, invoice_type="AVOIR")
    html = client.get(f"/validation/{credit.pk}/").content.decode()
    assert "Avoir V-AVOIR" in html
    assert "Montant TTC (avoir, en déduction)" in html and "-120,00\u00a0€" in html


def test_a_queue_beyond_the_count_bound_is_not_recounted_and_says_so(client, queue, monkeypatch, settings):
    """Beyond COUNT_BOUND invoices under the filters the queue reads no grouped count: the tabs
    show no number, the count stops at the bound and the totals are said not computed."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from chorusweb import workspace

    settings.CHORUSWEB_PAGE_SIZE = 2  # pages no longer than the bound below
    with CaptureQueriesContext(db) as exact_run:
        exact = client.get("/validation/", **HTMX).content.decode()
    monkeypatch.setattr(workspace, "COUNT_BOUND", 2)
    with CaptureQueriesContext(db) as bounded_run:
        html = client.get("/validation/", **HTMX).content.decode()
    assert "plus de 2 factures" in html and "nombre et totaux non calculés au-delà de 2 factures" in html
    assert "total net TTC" not in html and 'class="count count--unknown"' in html
    assert html.count('name="ids"') == exact.count('name="ids"') == 2  # the same page
    assert not [q for q in bounded_run.captured_queries if "GROUP BY" in q["sql"] and "validationinvoice" in q["sql"]]
    assert len(bounded_run.captured_queries) <= len(exact_run.captured_queries)
    # Under the bound: exact again, with its totals.
    html = client.get("/validation/", {"montant_min": "1 000,50"}, **HTMX).content.decode()
    assert "1 facture" in html and "total net TTC 1\u00a0000,50" in html


def test_the_menu_count_stops_at_the_bound_and_says_so(client, queue, monkeypatch):
    from chorusweb import workspace
    from validators.selectors import queue_count

    user = queue["big"].connection.memberships.get().user
    exact = queue_count(user)
    assert exact >= 2
    monkeypatch.setattr(workspace, "COUNT_BOUND", 1)
    assert str(queue_count(user)) == "plus de 1"
    assert "plus de 1" in client.get("/validation/").content.decode()
