"""Accessibility: axe-core on every page (WCAG 2.1 AA), keyboard use, announcements, colour."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, VALIDATOR, login, received, screenshot, settle

pytestmark = pytest.mark.browser


def _check(page, url: str, found: dict[str, list[str]], label: str | None = None) -> None:
    if url:
        page.goto(url)
    settle(page)
    problems = axe_violations(page)
    if problems:
        found[label or url] = problems


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(lines) for page, lines in found.items())


def test_accountant_pages_have_no_serious_violation(axe_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = axe_page
    found: dict[str, list[str]] = {}
    _check(page, "/connexion/", found)
    login(page, ACCOUNTANT)
    _check(page, "/", found)
    _check(page, "/factures/", found)
    _check(page, "/factures/?onglet=toutes&tri=-ttc&page=2", found)
    # With a selection: the selection bar and its actions.
    page.goto("/factures/")
    page.locator("input.js-select-page").check()
    expect(page.locator("#selection-bar")).to_contain_text("10 factures sélectionnées")
    _check(page, "", found, "list with a selection")
    invoice = received().first()
    _check(page, f"/factures/{invoice.pk}/", found)
    page.get_by_role("button", name="Récupérer et afficher le document").click()
    expect(page.locator("#document-content")).to_contain_text("Lignes")
    _check(page, "", found, "detail with its Factur-X content")
    # A form with errors.
    page.get_by_label("Rejetée").check()
    page.locator("#process-form button[type=submit]").click()
    _check(page, "", found, "process form with errors")
    page.get_by_label("Motif").fill("Doublon")
    page.locator("#process-form button[type=submit]").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    _check(page, "", found, "rejection confirmation dialog")
    page.keyboard.press("Escape")
    _check(page, "/factures/lot/", found)
    paid = received(lc.MISE_EN_PAIEMENT).first()
    _check(page, f"/factures/{paid.pk}/", found)
    assert not found, _report(found)


def test_validator_pages_have_no_serious_violation(axe_page):
    from validators.models import ValidationInvoice

    page = axe_page
    found: dict[str, list[str]] = {}
    login(page, VALIDATOR)
    _check(page, "/validation/", found)
    _check(page, "/validation/?onglet=toutes", found)
    invoice = ValidationInvoice.objects.filter(status=lc.A_VALIDER_1).order_by("pk").first()
    _check(page, f"/validation/{invoice.pk}/", found)
    _check(page, "/validation/lot/", found)
    assert not found, _report(found)


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never received the keyboard focus")


def _focus_ring(page) -> bool:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""
    )


def test_keyboard_only_list_selection_and_rejection_dialog(page, sandbox_control):
    invoice = received().first()
    login(page, ACCOUNTANT, "/factures/")
    page.goto(f"/factures/?numero={invoice.invoice_number}")

    # The skip link comes first and leads to the content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    assert _focus_ring(page)

    # Select a row with the keyboard; the count is announced.
    _tab_to(page, "#results-table tbody input[name=ids]")
    assert _focus_ring(page)
    page.keyboard.press("Space")
    expect(page.locator("#selection-bar")).to_contain_text("1 facture sélectionnée")
    expect(page.locator("#announcer")).to_contain_text("1 facture sélectionnée")
    # Actions of the selection bar are reachable too.
    _tab_to(page, "#results-table tbody a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.invoice_number)

    # Rejection: the confirmation dialog keeps the focus inside and gives it back.
    _tab_to(page, "#process-form input[name=cible]")
    for _ in range(10):  # a radio group: arrows move the choice
        if page.locator("#process-form input[value=REJETEE]").is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("#process-form input[value=REJETEE]")).to_be_checked()
    _tab_to(page, "#process-form textarea[name=motif]")
    page.keyboard.type("Facture en double")
    _tab_to(page, "#process-form button[type=submit]")
    page.keyboard.press("Enter")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Rejeter définitivement cette facture ?")
    for _ in range(5):
        page.keyboard.press("Tab")
        inside = page.evaluate("() => document.getElementById('confirm-dialog').contains(document.activeElement)")
        assert inside, "the focus left the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#process-form button[type=submit]")).to_be_focused()
    assert sandbox_control.calls("factures/traiter-facture-recue") == 0

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    _tab_to(page, "#confirm-dialog .js-confirm-ok")
    page.keyboard.press("Enter")
    expect(page.locator("#status-badge .badge")).to_have_text("Rejetée")
    expect(page.locator("#announcer")).to_contain_text("Rejetée")
    assert sandbox_control.calls("factures/traiter-facture-recue") == 1
    screenshot(page, "keyboard-rejection")


def test_status_and_deadline_never_by_colour_alone(page):
    login(page, ACCOUNTANT, "/factures/?onglet=toutes")
    page.goto("/factures/?onglet=toutes")
    badges = page.locator(".badge").all_inner_texts()
    assert badges and all(text.strip() for text in badges)
    page.goto(f"/factures/{received().first().pk}/")
    for text in page.locator(".badge").all_inner_texts():
        assert text.strip()
    # Regions that announce changes stay in the page.
    for region in ("#messages", "#alerts", "#announcer"):
        assert page.locator(region).get_attribute("aria-live") in ("polite", "assertive")
