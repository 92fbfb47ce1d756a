"""Select what you mean: every result of the view, count and net total, scoped views, no-JS page box."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.selection import view_of
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

BAR = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "selection-bar"}


@pytest.fixture
def many(connection, settings):
    settings.CHORUSWEB_PAGE_SIZE = 5
    todo = [
        ReceivedInvoiceFactory(connection=connection, invoice_number=f"T-{i:02d}", total_incl_tax=Decimal("100"))
        for i in range(12)
    ]
    suspended = [
        ReceivedInvoiceFactory(connection=connection, invoice_number=f"S-{i:02d}", status=lc.SUSPENDUE)
        for i in range(3)
    ]
    return todo, suspended


def selected(client) -> list[int]:
    return client.session.get("invoices_selection", [])


def test_list_offers_to_select_every_result_of_the_view(recipient_client, many):
    html = recipient_client.get("/factures/").content.decode()
    assert "Sélectionner les 12 résultats de cette vue" in html
    assert 'name="operation" value="view"' in html


def test_select_every_result_of_the_view_without_javascript(recipient_client, many):
    todo, _suspended = many
    response = recipient_client.post(
        "/factures/selection/", {"operation": "view", "next": "/factures/?onglet=a-traiter"}
    )
    assert response.status_code == 302 and response["Location"] == "/factures/?onglet=a-traiter"
    assert sorted(selected(recipient_client)) == sorted(i.pk for i in todo)
    html = recipient_client.get(response["Location"]).content.decode()
    assert "12 factures sélectionnées" in html and "total net TTC 1\u00a0200,00\u00a0€" in html


def test_select_view_follows_its_filters(recipient_client, many):
    todo, _ = many
    response = recipient_client.post(
        "/factures/selection/",
        {"operation": "view", "next": "/factures/?onglet=toutes&numero=T-0&page=2"},
        HTTP_HX_CURRENT_URL="http://testserver/factures/?onglet=toutes&numero=T-0&page=2",
        **BAR,
    )
    assert sorted(selected(recipient_client)) == sorted(i.pk for i in todo[:10])
    html = response.content.decode()
    assert "10 factures sélectionnées" in html and "total net TTC 1\u00a0000,00\u00a0€" in html
    assert "selection-changed" in response["HX-Trigger"]  # the page's checkboxes follow


def test_a_view_over_the_bulk_limit_is_not_selected_and_says_why(recipient_client, many, settings):
    settings.CHORUSWEB_BULK_MAX = 10
    recipient_client.post("/factures/selection/", {"operation": "add", "ids": [many[1][0].pk]})
    response = recipient_client.post("/factures/selection/", {"operation": "view", "next": "/factures/"}, **BAR)
    html = response.content.decode()
    assert "plus de 10 factures" in html and "précisez les filtres" in html
    assert selected(recipient_client) == [many[1][0].pk]  # nothing half-selected
    page = recipient_client.get("/factures/").content.decode()
    assert "Plus de 10 résultats" in page and 'value="view"' not in page


def test_selection_made_in_another_view_is_said_with_a_way_back(recipient_client, many):
    _, suspended = many
    recipient_client.post(
        "/factures/selection/",
        {
            "operation": "set",
            "ids": [suspended[0].pk],
            "page_ids": str(suspended[0].pk),
            "next": "/factures/?onglet=suspendues",
        },
    )
    here = recipient_client.get("/factures/?onglet=suspendues").content.decode()
    assert "1 facture sélectionnée" in here and "autre vue" not in here
    elsewhere = recipient_client.get("/factures/?onglet=a-traiter").content.decode()
    assert "Cette sélection a été faite dans une autre vue" in elsewhere
    assert 'href="/factures/?onglet=suspendues"' in elsewhere


def test_tab_change_by_htmx_refreshes_the_selection_bar(recipient_client, many):
    _, suspended = many
    recipient_client.post(
        "/factures/selection/",
        {
            "operation": "set",
            "ids": [suspended[0].pk],
            "page_ids": str(suspended[0].pk),
            "next": "/factures/?onglet=suspendues",
        },
    )
    html = recipient_client.get(
        "/factures/?onglet=a-traiter", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results-table"
    ).content.decode()
    assert '<section id="selection-bar" class="selection-bar panel" hx-swap-oob="true"' in html
    assert "autre vue" in html


def test_page_checkbox_selects_the_page_without_javascript(recipient_client, many):
    page = recipient_client.get("/factures/").content.decode()
    assert 'class="js-select-page" name="page_all" value="1"' in page
    todo, _ = many
    page_ids = [i.pk for i in sorted(todo, key=lambda i: i.pk, reverse=True)[:5]]
    # The page's box ticked, no row ticked (no script ran): the whole page is selected.
    recipient_client.post(
        "/factures/selection/",
        {"operation": "set", "page_all": "1", "page_ids": ",".join(map(str, page_ids)), "next": "/factures/"},
    )
    assert sorted(selected(recipient_client)) == sorted(page_ids)
    page = recipient_client.get("/factures/").content.decode()
    assert 'name="page_all" value="1" checked' in page
    # Unticked with its rows: the page leaves the selection.
    recipient_client.post("/factures/selection/", {"operation": "set", "page_ids": ",".join(map(str, page_ids))})
    assert selected(recipient_client) == []


def test_view_of_ignores_the_page_and_foreign_urls():
    assert view_of("/factures/?tri=ttc&onglet=toutes&page=3") == "/factures/?onglet=toutes&tri=ttc"
    assert view_of("https://evil.example/factures/") == ""
    assert view_of("//evil.example/") == ""


def test_select_view_only_selects_what_the_user_may_see(client, many):
    from chorusweb.models import Role
    from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

    other = UserFactory()
    MembershipFactory(user=other, connection=ConnectionFactory(), role=Role.RECIPIENT)
    client.force_login(other)
    client.post("/factures/selection/", {"operation": "view", "next": "/factures/?onglet=toutes"})
    assert client.session.get("invoices_selection", []) == []
