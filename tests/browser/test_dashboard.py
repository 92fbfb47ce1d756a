"""The dashboard in a browser: charts drawn under the strict CSP, axe clean, figures lead to lists."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, SCREENSHOTS, login, screenshot, settle

pytestmark = pytest.mark.browser


def test_dashboard_draws_its_charts_and_is_accessible(axe_page, page):
    login(page, ACCOUNTANT)  # the accountant's home is the dashboard
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    settle(page)
    # Chart.js drew a canvas from each chart's data (json_script), with no CSP violation.
    charts = page.locator(".dashboard-chart__canvas canvas")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3
    expect(page.locator("#table-volumes")).to_be_visible()
    screenshot(page, "dashboard")
    # The top of the page (filters, delays, trend), for the README: docs/screenshots/tableau-de-bord.png.
    page.set_viewport_size({"width": 1280, "height": 1900})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-top.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # A figure is a link to the list of exactly the invoices it counts.
    cell = page.locator("#table-volumes tfoot td a").first
    figure = int(re.sub(r"\D", "", cell.inner_text()))
    cell.click()
    page.wait_for_url(re.compile(r"/factures/\?"))
    expect(page.locator("#results-title")).to_contain_text("factur")
    title = page.locator("#results-title").inner_text()
    assert int(re.sub(r"\D", "", title.split("factur")[0])) == figure, title

    login(axe_page, ACCOUNTANT, "/tableau-de-bord/")
    settle(axe_page)
    found = axe_violations(axe_page)
    assert not found, "\n".join(found)


def test_dashboard_without_javascript_shows_every_table(nojs_page):
    page = nojs_page
    login(page, ACCOUNTANT, "/tableau-de-bord/")
    for slug in ("delais", "tendance", "retards", "stock", "volumes", "fournisseurs"):
        expect(page.locator(f"#table-{slug}")).to_be_visible()
    assert page.locator(".dashboard-chart__canvas canvas").count() == 0
    page.get_by_label("Période", exact=True).select_option("mois")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"periode=mois"))
    expect(page.locator(".dashboard__period")).to_contain_text("Période")
