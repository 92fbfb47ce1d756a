"""Journey of the validator: approve one invoice, refuse another (a reason is required)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from tests.browser.conftest import VALIDATOR, login, screenshot, settle
from validators.models import ValidationInvoice

pytestmark = pytest.mark.browser

TRAITER = "factures/valideur/traiter"


def awaiting():
    return ValidationInvoice.objects.filter(status=lc.A_VALIDER_1).order_by("deadline", "invoice_id")


def test_validator_approves_one_and_refuses_one(page, sandbox_control):
    first, second = list(awaiting()[:2])
    login(page, VALIDATOR, "/validation/")
    page.goto("/validation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Factures à valider")
    # Deadlines are written out, never shown by colour alone.
    for urgency in page.locator("#results-table .urgency").all():
        assert urgency.inner_text().strip()
    screenshot(page, "validation-queue")

    # Approve the first.
    page.get_by_role("link", name=first.invoice_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first.invoice_number)
    page.get_by_role("button", name="Valider la facture").click()
    expect(page.locator("#whereabouts")).to_contain_text("Où est la facture ?")
    expect(page.locator("#messages")).to_contain_text("validée")
    expect(page.locator("#announcer")).not_to_be_empty()
    assert sandbox_control.calls(TRAITER) == 1

    # Refuse the second: without a reason, refused with a visible message and nothing sent.
    page.goto(f"/validation/{second.pk}/")
    page.get_by_text("Refuser la facture…").click()
    page.get_by_role("button", name="Refuser la facture").click()
    error = page.locator("#decision-form .error", has_text="Un motif est obligatoire")
    expect(error).to_be_visible()
    expect(page.locator("#decision-form #id_motif, #decision-form textarea[name=motif]").first).to_be_focused()
    assert sandbox_control.calls(TRAITER) == 1
    screenshot(page, "validation-refusal-blocked")

    page.locator("#decision-form textarea[name=motif]").fill("Montant non conforme au devis")
    page.get_by_role("button", name="Refuser la facture").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Refuser cette facture ?")
    dialog.get_by_role("button", name="Refuser la facture").click()
    expect(page.locator("#whereabouts")).to_contain_text("Montant non conforme au devis")
    expect(page.locator("#messages")).to_contain_text("refusée")
    settle(page)
    assert sandbox_control.calls(TRAITER) == 2
    second.refresh_from_db()
    first.refresh_from_db()
    assert not second.awaiting and not first.awaiting
    screenshot(page, "validation-refused")
