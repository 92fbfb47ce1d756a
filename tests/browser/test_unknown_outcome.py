"""Journey: an action whose answer never came. The page says the outcome is unknown, offers no
second send, checks upstream, and shows what happened once it is known."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb.models import AuditEntry
from chorusweb.recovery import entries_reconcile
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser

TRAITER = "factures/traiter-facture-recue"
SEARCH = "factures/rechercher-destinataire"


def test_lost_answer_is_an_unknown_outcome_checked_not_resent(page, sandbox_control, settings):
    settings.FACTPULSE_READ_TIMEOUT = 1.0
    invoice = received().filter(status=lc.MISE_A_DISPOSITION).first()
    login(page, ACCOUNTANT, f"/factures/{invoice.pk}/")
    page.goto(f"/factures/{invoice.pk}/")
    # The write is applied upstream but its answer is lost; the check that follows at once is lost too.
    sandbox_control.faults(timeout_seconds=1.5, endpoints=[TRAITER, SEARCH], count=3)
    page.get_by_role("radio", name="Service fait").check()
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()

    unknown = page.get_by_text("Issue inconnue", exact=True)
    expect(unknown).to_be_visible()
    expect(page.get_by_text("aucun envoi n'est possible sur cette facture")).to_be_visible()
    # No way to send again on this invoice while its outcome is unknown.
    expect(page.get_by_role("button", name="Envoyer à Chorus Pro")).to_have_count(0)
    entry = AuditEntry.objects.get(action="process", invoice_id=invoice.invoice_id)
    assert entry.state == AuditEntry.State.UNKNOWN
    screenshot(page, "unknown-outcome")

    # A reload does not offer the form either (Back, F5: the same truth).
    page.reload()
    expect(page.get_by_text("Issue inconnue", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Envoyer à Chorus Pro")).to_have_count(0)

    # Chorus Pro answers again; the reconciliation finds the status reached: the page, which
    # polls while the outcome is unknown, shows what happened without a click.
    sandbox_control.faults()
    entries_reconcile()
    expect(page.get_by_text("Issue vérifiée", exact=True)).to_be_visible(timeout=15_000)
    settle(page)
    entry.refresh_from_db()
    assert entry.state == AuditEntry.State.DONE
    assert sandbox_control.calls(TRAITER) == 1  # sent once, never resent
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT
