"""Journey: the accountant finds invoices in the received list (filters, sorting, paging, URL)."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from invoices.models import ReceivedInvoice
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser


def amount(text: str) -> Decimal:
    """'8 059,78 €' (French format, narrow spaces) -> Decimal('8059.78')."""
    return Decimal(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def numbers(page) -> list[str]:
    return page.locator("#results-table tbody tr td:nth-child(2) a").all_inner_texts()


def test_filter_sort_page_and_reload(page):
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/")
    tabs = page.locator("#results-table .tabs")
    expect(tabs.locator("a[aria-current=page]")).to_contain_text("À traiter")
    todo = received()
    to_process = ReceivedInvoice.objects.filter(status__in=[lc.MISE_A_DISPOSITION, lc.COMPLETEE]).count()
    expect(page.locator("#results-title")).to_contain_text(f"{to_process} factures")

    # Filter by supplier: typing is enough (htmx, after a short pause); every row matches.
    supplier = todo.first().supplier_name
    marker = page.evaluate("() => (window.__noReload = Math.random())")
    with page.expect_response(lambda r: "fournisseur=" in r.url):
        page.get_by_label("Fournisseur (nom ou SIRET)").fill(supplier)
    settle(page)
    suppliers = page.locator("#results-table tbody tr td:nth-child(3)").all_inner_texts()
    assert suppliers and all(supplier in s for s in suppliers), suppliers
    assert page.evaluate("() => window.__noReload") == marker  # swapped, not reloaded

    # Clear the supplier, take every invoice deposited since a date, sort by amount, page forward.
    page.get_by_label("Fournisseur (nom ou SIRET)").fill("")
    page.locator("#results-table .tabs a", has_text="Toutes").click()
    expect(tabs.locator("a[aria-current=page]")).to_contain_text("Toutes")
    with page.expect_response(lambda r: "depot_du=2025-01-01" in r.url):
        page.locator("#id_depot_du").fill("2025-01-01")
    settle(page)
    page.locator("#results-table thead a", has_text="TTC").click()
    expect(page.locator("#results-table th[aria-sort=descending]")).to_contain_text("TTC")
    first_page = [amount(t) for t in page.locator("#results-table tbody td:nth-child(9)").all_inner_texts()]
    assert first_page == sorted(first_page, reverse=True) and len(first_page) == 10
    page.locator("#results-table .pagination a[rel=next]").click()
    expect(page.locator("#results-table .pagination")).to_contain_text("Page 2 sur")
    second_page = [amount(t) for t in page.locator("#results-table tbody td:nth-child(9)").all_inner_texts()]
    assert second_page == sorted(second_page, reverse=True) and max(second_page) <= min(first_page)
    shown = numbers(page)
    assert page.evaluate("() => window.__noReload") == marker

    query = parse_qs(urlparse(page.url).query)
    assert query["onglet"] == ["toutes"] and query["tri"] == ["-ttc"] and query["page"][0] not in ("", "1")
    assert query["depot_du"] == ["2025-01-01"]
    screenshot(page, "received-list")

    # The URL is the view: a reload shows the same rows, filters, tab and sort order.
    page.reload()
    assert page.evaluate("() => window.__noReload") is None
    assert numbers(page) == shown
    expect(page.locator("#id_depot_du")).to_have_value("2025-01-01")
    expect(tabs.locator("a[aria-current=page]")).to_contain_text("Toutes")
    expect(page.locator("#results-table th[aria-sort=descending]")).to_contain_text("TTC")
    expect(page.locator("#results-table .pagination")).to_contain_text("Page 2 sur")

    # Back in history restores the previous view (htmx pushes every step).
    page.go_back()
    expect(page.locator("#results-table .pagination")).to_contain_text("Page 1 sur")


def test_search_from_any_page_forgives_case_accents_and_word_order(page):
    """One search box in the top bar; `mercier librairie` and `batir` find their suppliers."""
    invoice = received().first()
    login(page, ACCOUNTANT, f"/factures/{invoice.pk}/")
    page.goto(f"/factures/{invoice.pk}/")
    page.get_by_label(
        "Rechercher une facture (numéro, fournisseur, SIRET, id Chorus Pro, engagement, marché, montant)"
    ).fill("mercier librairie")
    page.get_by_role("search", name="Rechercher une facture").get_by_role("button", name="Rechercher").click()
    expect(page.locator("#results-title")).to_be_visible()
    suppliers = set(page.locator("#results-table tbody tr td:nth-child(3)").all_inner_texts())
    assert suppliers and all("Librairie Mercier" in s for s in suppliers)
    expect(page.locator("#id_q")).to_have_value("mercier librairie")

    # The supplier filter forgives the same way, without a reload.
    page.locator("#id_q").fill("")
    with page.expect_response(lambda r: "fournisseur=batir" in r.url):
        page.get_by_label("Fournisseur (nom ou SIRET)").fill("batir")
    settle(page)
    suppliers = set(page.locator("#results-table tbody tr td:nth-child(3)").all_inner_texts())
    assert suppliers and all("Bâtir Ensemble" in s for s in suppliers)
    # Service codes are offered from the existing ones.
    assert page.locator("#service-codes option").count() > 0


def test_a_tab_clicked_before_the_typing_pause_ends_keeps_the_cleared_filter(page):
    """The supplier cleared, a tab clicked at once, its answer slow: the filter sent after the
    typing pause carries that tab, and the answers show in the order asked (Toutes, unfiltered)."""
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/")
    supplier = received().first().supplier_name
    with page.expect_response(lambda r: "fournisseur=" in r.url):
        page.get_by_label("Fournisseur (nom ou SIRET)").fill(supplier)
    settle(page)
    filtered = page.locator("#results-title").inner_text()

    def slow(route):
        time.sleep(1.0)  # the tab's answer comes after the typing pause (500 ms)
        route.continue_()

    page.route(re.compile(r"onglet=toutes.*fournisseur=.+|fournisseur=.+.*onglet=toutes"), slow)
    page.get_by_label("Fournisseur (nom ou SIRET)").fill("")
    page.locator("#results-table .tabs a", has_text="Toutes").click()
    page.wait_for_timeout(1500)
    settle(page)
    tabs = page.locator("#results-table .tabs")
    expect(tabs.locator("a[aria-current=page]")).to_contain_text("Toutes")
    query = parse_qs(urlparse(page.url).query)
    assert query.get("onglet") == ["toutes"] and not query.get("fournisseur", [""])[0]
    total = ReceivedInvoice.objects.count()
    expect(page.locator("#results-title")).to_contain_text(f"{total} factures")
    assert page.locator("#results-title").inner_text() != filtered
