"""Journey: Chorus Pro is down. The list still shows (from the mirror), actions fail clearly, nothing is lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb.models import AuditEntry
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser

TRAITER = "factures/traiter-facture-recue"


def test_upstream_outage_list_from_mirror_and_clear_action_error(page, sandbox_control):
    invoice = received().first()
    login(page, ACCOUNTANT, "/factures/")
    page.goto("/factures/")
    sandbox_control.faults(error_status=503, error_rate=1.0)

    # Refreshing fails: a clear notice, and the list stays, from the last successful sync.
    page.get_by_role("button", name="Actualiser depuis Chorus Pro").click()
    notice = page.locator("#sync-status .sync-status__failure")
    expect(notice).to_contain_text("La dernière synchronisation a échoué")
    expect(notice).to_contain_text("dernière synchronisation réussie")
    settle(page)
    expect(page.locator("#results-table tbody tr").first).to_be_visible()
    page.reload()
    expect(page.locator("#sync-status .sync-status__failure")).to_be_visible()
    expect(page.get_by_role("link", name=invoice.invoice_number, exact=True)).to_be_visible()
    screenshot(page, "outage-list")

    # An action: a clear error on the form, which keeps what was typed; nothing applied.
    page.goto(f"/factures/{invoice.pk}/")
    page.get_by_label("Suspendue").check()
    page.get_by_label("Motif").fill("Attestation URSSAF manquante")
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    error = page.locator("#process-form .alert--error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("ne répond pas")
    expect(page.get_by_label("Motif")).to_have_value("Attestation URSSAF manquante")
    expect(page.get_by_label("Suspendue")).to_be_checked()
    expect(page.locator("#status-badge .badge")).to_have_text("Mise à disposition")
    screenshot(page, "outage-action")
    failed = AuditEntry.objects.get(action="process", invoice_id=invoice.invoice_id)
    assert failed.state == AuditEntry.State.FAILED  # recorded, not lost

    # Back up: the same form, sent again, goes through once.
    sandbox_control.clear()
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    expect(page.locator("#status-badge .badge")).to_have_text("Suspendue")
    settle(page)
    assert sandbox_control.calls(TRAITER) == 1
    invoice.refresh_from_db()
    assert invoice.status == lc.SUSPENDUE
    expect(page.locator("#audit tbody tr")).to_have_count(2)  # the failure and the success
