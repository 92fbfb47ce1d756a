"""The list, the filters, the selection and a processing form with JavaScript disabled (plain page loads)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot

pytestmark = pytest.mark.browser


def test_list_filters_selection_and_processing_without_javascript(nojs_page, sandbox_control):
    page = nojs_page
    invoice = received().first()
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))  # app.js did not run

    # Filters: a plain GET form.
    page.get_by_label("Fournisseur (nom ou SIRET)").fill(invoice.supplier_name)
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    assert parse_qs(urlparse(page.url).query)["fournisseur"] == [invoice.supplier_name]
    suppliers = page.locator("#results-table tbody tr td:nth-child(3)").all_inner_texts()
    assert suppliers and all(invoice.supplier_name in s for s in suppliers)

    # Tabs, sorting and paging: plain links.
    page.goto("/factures/?onglet=toutes")
    page.locator("#results-table thead a", has_text="TTC").click()
    expect(page.locator("#results-table th[aria-sort=descending]")).to_contain_text("TTC")
    page.locator(".pagination a[rel=next]").click()
    expect(page.locator(".pagination")).to_contain_text("Page 2 sur")
    query = parse_qs(urlparse(page.url).query)
    assert query["tri"] == ["-ttc"] and query["page"][0] not in ("", "1") and query["onglet"] == ["toutes"]

    # Selection: tick, then the visible "update" button.
    page.locator("#results-table tbody input[name=ids]").nth(0).check()
    page.locator("#results-table tbody input[name=ids]").nth(1).check()
    page.get_by_role("button", name="Mettre à jour la sélection").click()
    expect(page.locator("#selection-bar")).to_contain_text("2 factures sélectionnées")
    expect(page.locator(".pagination")).to_contain_text("Page 2 sur")  # back where we were
    screenshot(page, "nojs-list")

    # A processing form: rejection needs the visible confirmation checkbox.
    page.goto(f"/factures/{invoice.pk}/")
    page.get_by_label("Rejetée").check()
    page.get_by_label("Motif").fill("Facture en double")
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    confirm = page.get_by_label("Je confirme le rejet définitif de cette facture.")
    expect(confirm).to_be_visible()
    expect(page.locator("#process-form .error")).to_contain_text("Cochez la case pour confirmer le rejet")
    assert sandbox_control.calls("factures/traiter-facture-recue") == 0
    confirm.check()
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    expect(page.locator("#status-badge .badge")).to_have_text("Rejetée")
    expect(page.locator("#messages")).to_contain_text("Rejetée")
    invoice.refresh_from_db()
    assert invoice.status == lc.REJETEE
    screenshot(page, "nojs-processing")
