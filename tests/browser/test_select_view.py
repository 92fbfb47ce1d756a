"""Journey: select every result of a view, see its count and net total, keep track of the view."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.utils import translation
from playwright.sync_api import expect

from chorusweb.money import format_money
from invoices.models import ReceivedInvoice
from invoices.selectors import TABS_BY_SLUG
from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, PAGE_SIZE, login, screenshot, settle

pytestmark = pytest.mark.browser


def _a_view_to_select(limit: int) -> tuple[str, int, str]:
    """A tab of the demo with more rows than a page and no more than a bulk run takes."""
    for slug in ("a-traiter", "service-fait", "mandatees", "payees", "suspendues", "rejetees", "renvoyees"):
        rows = ReceivedInvoice.objects.filter(status__in=TABS_BY_SLUG[slug].statuses)
        n = rows.count()
        if PAGE_SIZE < n <= limit:
            with translation.override("fr"):
                total = format_money(rows.aggregate(t=Sum("net_incl_tax"))["t"])
            return slug, n, total
    pytest.fail("the demo has no tab between one page and a bulk run")


def test_select_all_results_of_a_view_then_see_it_from_another_tab(page, settings):
    slug, n, total = _a_view_to_select(settings.CHORUSWEB_BULK_MAX)
    login(page, ACCOUNTANT, "/factures/")
    page.goto(f"/factures/?onglet={slug}")
    bar = page.locator("#selection-bar")
    expect(bar).to_contain_text("0 facture sélectionnée")

    page.get_by_role("button", name=f"Sélectionner les {n} résultats de cette vue").click()
    expect(bar).to_contain_text(f"{n} factures sélectionnées")
    expect(bar.locator(".selection-bar__total")).to_have_text(f"total net TTC {total}")
    # The rows of the page follow (the list reloads on the selection change): all ticked,
    # and the page's own box too.
    rows = page.locator("#results-table tbody input[name=ids]")
    expect(rows.first).to_be_checked()
    settle(page)
    assert rows.count() == PAGE_SIZE and all(rows.nth(i).is_checked() for i in range(rows.count()))
    expect(page.locator("input.js-select-page")).to_be_checked()
    screenshot(page, "selection-whole-view")
    # One row unticked leaves the selection alone (the page's box unticks with it).
    rows.nth(1).uncheck()
    expect(bar).to_contain_text(f"{n - 1} factures sélectionnées")
    expect(page.locator("input.js-select-page")).not_to_be_checked()

    # Another tab: the selection is still there, said to belong to another view, with a way back.
    other = "toutes"
    page.locator("#results-table .tabs a", has_text="Toutes").click()
    expect(page.locator("#results-table .tabs a[aria-current=page]")).to_contain_text("Toutes")
    expect(bar).to_contain_text("dans une autre vue")
    assert other in page.url
    bar.get_by_role("link", name="revenir à cette vue").click()
    expect(page.locator("#results-table .tabs a[aria-current=page]")).to_contain_text(str(TABS_BY_SLUG[slug].label))
    expect(bar).not_to_contain_text("dans une autre vue")


def test_select_view_and_selection_bar_are_accessible(axe_page, settings):
    slug, n, _ = _a_view_to_select(settings.CHORUSWEB_BULK_MAX)
    page = axe_page
    login(page, ACCOUNTANT, "/factures/")
    page.goto(f"/factures/?onglet={slug}")
    page.get_by_role("button", name=f"Sélectionner les {n} résultats de cette vue").click()
    expect(page.locator("#selection-bar")).to_contain_text(f"{n} factures sélectionnées")
    page.goto("/factures/?onglet=toutes")
    expect(page.locator("#selection-bar")).to_contain_text("dans une autre vue")
    settle(page)
    assert not axe_violations(page)
    # The statuses glossary every badge links to, reached from a badge of the list.
    page.locator("#results-table tbody a.badge").first.click()
    page.wait_for_url(lambda url: "/aide/statuts/#statut-" in url)
    expect(page.locator("h1")).to_have_text("Les statuts de Chorus Pro")
    settle(page)
    assert not axe_violations(page)


def test_page_checkbox_and_select_view_without_javascript(nojs_page, settings):
    slug, n, total = _a_view_to_select(settings.CHORUSWEB_BULK_MAX)
    page = nojs_page
    login(page, ACCOUNTANT, "/factures/")
    page.goto(f"/factures/?onglet={slug}")
    bar = page.locator("#selection-bar")
    # The page's own box, then the visible update button: the whole page.
    page.get_by_label("Sélectionner toute la page").check()
    page.get_by_role("button", name="Mettre à jour la sélection").click()
    expect(bar).to_contain_text(f"{PAGE_SIZE} factures sélectionnées")
    expect(page.get_by_label("Sélectionner toute la page")).to_be_checked()
    # Every result of the view: a plain form post.
    page.get_by_role("button", name=f"Sélectionner les {n} résultats de cette vue").click()
    expect(bar).to_contain_text(f"{n} factures sélectionnées")
    expect(bar.locator(".selection-bar__total")).to_have_text(f"total net TTC {total}")
