"""Issue #13, points 5, 9 and 15 in a real browser: Back shows the truth and the back link returns
to the exact view; the invoice's PDF in its page; a phone (390 px) and a keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_back_after_an_action_shows_the_truth_and_the_back_link_returns_to_the_view(page):
    view = "/factures/?onglet=toutes&tri=-ttc&page=2"
    login(page, ACCOUNTANT, view)
    page.goto(view)
    todo = page.locator(".badge", has_text=re.compile(r"^Mise à disposition$"))
    row = page.locator("#results-table tbody tr").filter(has=todo).first
    number = row.locator("td").nth(1).locator("a").inner_text()
    row.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)

    page.get_by_label("Service fait", exact=True).check()
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    expect(page.locator("#status-badge .badge")).to_have_text("Service fait")
    settle(page)
    # Focus goes to the message that reports the action; "Nos actions" has it already.
    expect(page.locator("#messages .message").first).to_be_focused()
    expect(page.locator("#audit-table tbody tr").filter(has_text="Service fait")).to_have_count(1)

    # Back: the list as it is now, not the copy from before the action.
    page.go_back()
    page.wait_for_url(f"**{view}")
    expect(page.locator("#results-table tbody tr").filter(has_text=number)).to_contain_text("Service fait")

    # The back link of the invoice page returns to that exact view: tab, sort, page.
    page.go_forward()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    page.get_by_role("link", name="← Factures reçues").click()
    page.wait_for_url(f"**{view}")
    expect(page.locator(".pagination")).to_contain_text("Page 2 sur")
    assert page.url.endswith(view)


def test_failed_action_shows_in_nos_actions_at_once(page, sandbox_control):
    invoice = received().first()
    login(page, ACCOUNTANT, f"/factures/{invoice.pk}/")
    marker = page.evaluate("() => (window.__noReload = Math.random())")
    sandbox_control.faults(error_rate=1.0, error_status=503, endpoints=["factures/traiter-facture-recue"])
    page.get_by_label("Service fait", exact=True).check()
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    expect(page.locator("#audit-table tbody tr").filter(has_text="Service fait")).to_have_count(1)
    expect(page.locator("#process-form .alert[role=alert]").first).to_be_focused()
    assert page.evaluate("() => window.__noReload") == marker


def test_invoice_pdf_is_shown_in_the_page(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = received().first()
    login(page, ACCOUNTANT, f"/factures/{invoice.pk}/")
    page.get_by_role("button", name="Récupérer et afficher le document").click()
    page.get_by_text("Voir le PDF de la facture").click()
    frame = page.locator("iframe.document-pdf__frame")
    expect(frame).to_be_visible()
    src = frame.get_attribute("src")
    assert src == f"/factures/{invoice.pk}/document/pdf/"
    box = frame.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    answer = page.request.get(src)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.body().startswith(b"%PDF")
    expect(page.frame_locator("iframe.document-pdf__frame").locator("body")).to_be_attached()
    assert any(f.url.endswith(src) for f in page.frames), [f.url for f in page.frames]
    screenshot(page, "invoice-pdf-in-page")


def test_phone_list_is_cards_and_invoice_page_does_not_scroll_sideways(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page.set_viewport_size(PHONE)
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/?onglet=toutes")
    settle(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    first = page.locator("#results-table tbody tr").first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"  # one card per invoice
    label = first.locator("td[data-label]").nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert "Fournisseur" in label
    screenshot(page, "phone-list")

    # The skip link after the filters takes the keyboard to the results.
    skip = page.get_by_role("link", name="Aller aux résultats")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "results-table"

    invoice = received().first()
    page.goto(f"/factures/{invoice.pk}/")
    page.get_by_role("button", name="Récupérer et afficher le document").click()
    expect(page.locator("#document-content")).to_contain_text("Lignes")
    settle(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "phone-invoice")


def test_phone_validation_queue_does_not_scroll_sideways(page):
    from tests.browser.conftest import VALIDATOR

    page.set_viewport_size(PHONE)
    login(page, VALIDATOR, "/validation/")
    page.goto("/validation/?onglet=toutes")
    settle(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    first = page.locator("#results-table tbody tr").first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
    screenshot(page, "phone-validation-queue")


def test_phone_pages_have_no_serious_violation(axe_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = axe_page
    page.set_viewport_size(PHONE)
    login(page, ACCOUNTANT, "/factures/")
    found = {}
    invoice = received(lc.MISE_A_DISPOSITION).first()
    for url in ("/factures/?onglet=toutes", f"/factures/{invoice.pk}/"):
        page.goto(url)
        settle(page)
        if problems := axe_violations(page):
            found[url] = problems
    assert not found, found
