"""Journey: an amount typed the French way filters the list; an unreadable one is said on its field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, login, settle

pytestmark = pytest.mark.browser


def test_amount_messages_come_and_go_with_htmx(axe_page):
    page = axe_page
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/?onglet=toutes")
    marker = page.evaluate("() => (window.__noReload = Math.random())")
    message = page.locator("#error-montant_min")
    with page.expect_response(lambda r: "montant_min=" in r.url):
        page.locator("#id_montant_min").fill("mille")
        page.locator("#id_montant_min").press("Enter")
    settle(page)
    expect(message).to_contain_text("Montant illisible")
    expect(page.locator("#results-table tbody tr").first).to_be_visible()  # the list stays usable
    assert not axe_violations(page)
    with page.expect_response(lambda r: "montant_min=1" in r.url):
        page.locator("#id_montant_min").fill("1 000,50")
        page.locator("#id_montant_min").press("Enter")
    settle(page)
    expect(message).to_have_text("")
    assert page.evaluate("() => window.__noReload") == marker  # swapped, not reloaded
