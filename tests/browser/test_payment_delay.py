"""The payment-delay clock in the demo: an invoice walked from availability to a late payment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.templatetags.chorusweb import money
from invoices.models import StructureProfile
from sandbox.models import SandboxState
from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, login, received, screenshot, settle

pytestmark = pytest.mark.browser


def _process(page, label: str, status_text: str) -> None:
    page.get_by_label(label, exact=True).check()
    if label == "Mandatée":  # the mandate number is asked for there (and only there)
        page.get_by_label("Numéro de mandat").fill("DP-2026-0042")
    page.get_by_role("button", name="Envoyer à Chorus Pro").click()
    expect(page.locator("#status-badge .badge")).to_have_text(status_text)
    settle(page)


def test_walk_from_availability_to_a_late_payment(page):
    today = timezone.localdate()
    invoice = (
        received()
        .exclude(invoice_type="AVOIR")
        .exclude(amount_due=0)
        .exclude(recipient_code__in=StructureProfile.objects.values("structure_code"))  # 30 days
        .filter(clock_start__gte=today - timedelta(days=25))
        .first()
    )
    # Seen by the sync at its availability: the start is observed, not estimated.
    assert invoice.clock_start_origin == pd.Origin.OBSERVED
    start = invoice.clock_start
    login(page, ACCOUNTANT, f"/factures/{invoice.pk}/")
    panel = page.locator("#clock-panel")
    expect(panel).to_contain_text("R2192-12")
    expect(panel).to_contain_text("restant")

    _process(page, "Mandatée", "Mandatée")
    expect(page.locator("#clock-panel")).to_contain_text("mandatée le")

    # Time passes: the sandbox's clock moves to 45 days after the start, the invoice is paid then.
    offset = (start + timedelta(days=45) - timezone.localdate()).days
    SandboxState.objects.update_or_create(pk=1, defaults={"clock_offset_days": offset})
    try:
        _process(page, "Mise en paiement", "Mise en paiement")
    finally:
        SandboxState.objects.filter(pk=1).update(clock_offset_days=0)

    # By hand: due 30 days after the start, paid on day 45: 15 days late, interest at the
    # rate of the half-year of the day after the due date (the last known one if missing).
    due = start + timedelta(days=30)
    rates = {pd.HalfYear(2024, 1): Decimal("12.50"), pd.HalfYear(2024, 2): Decimal("12.25")}
    rates |= {pd.HalfYear(2025, 1): Decimal("11.15"), pd.HalfYear(2025, 2): Decimal("10.15")}
    rates |= {pd.HalfYear(2026, 1): Decimal("10.15")}
    half = pd.HalfYear.of(due + timedelta(days=1))
    rate = rates.get(half, Decimal("10.15"))
    interest = (invoice.amount_due * 15 * rate / 100 / 365).quantize(Decimal("0.01"))
    panel = page.locator("#clock-panel")
    expect(panel).to_contain_text("Payée en 45 jours")
    expect(panel).to_contain_text("15 jours de retard")
    with translation.override("fr"):
        expect(panel.locator(".clock-interest")).to_contain_text(money(interest))
        expect(panel).to_contain_text(money(Decimal("40.00")))
    expect(panel.locator(".clock-interest")).to_contain_text(f"{rate} %".replace(".", ","))
    expect(panel).to_contain_text("R2192-31")
    if half not in rates:
        expect(panel).to_contain_text("taux à confirmer")
    screenshot(page, "payment-delay-late-payment")

    invoice.refresh_from_db()
    assert (invoice.clock_state, invoice.clock_days_late, invoice.clock_paid_in) == (pd.State.PAID, 15, 45)
    assert invoice.clock_interest == interest

    # The list: the "Délai" column says it, and the CSV carries it.
    page.goto(f"/factures/?onglet=toutes&numero={invoice.invoice_number}")
    expect(page.locator("#results-table")).to_contain_text("Payée en 45 j (15 j de retard)")


def test_late_tab_and_clock_panel_are_accessible(axe_page):
    page = axe_page
    late = received(lc.MISE_A_DISPOSITION).filter(clock_days_late__gt=0).first() or received().first()
    login(page, ACCOUNTANT, f"/factures/{late.pk}/")
    expect(page.locator("#clock-panel")).to_be_visible()
    settle(page)
    page.locator("#clock-panel details summary").click()
    assert axe_violations(page) == []
    page.get_by_label("Suspendue", exact=True).check()
    expect(page.locator(".suspension-fields")).to_be_visible()
    expect(page.locator(".rejection-cost")).to_be_hidden()
    assert axe_violations(page) == []
    page.goto("/factures/?onglet=toutes&delai=retard")
    expect(page.locator(".clock-filter--retard")).to_have_attribute("aria-current", "true")
    settle(page)
    assert axe_violations(page) == []
