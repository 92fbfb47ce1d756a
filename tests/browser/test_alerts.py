"""Alerts in the browser: an agent sets what they are told, then reads the bell's notices."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alerts import services
from alerts.models import Channel, Kind, Notice, Preferences
from tests.browser.axe import axe_violations
from tests.browser.conftest import ACCOUNTANT, login, screenshot, settle

pytestmark = pytest.mark.browser


def test_an_agent_sets_the_preferences_and_reads_the_notices_in_the_app(page):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=ACCOUNTANT[0])
    services.notices_compute()  # as after the demo's sync (idempotent)
    unread = Notice.objects.filter(user=user, read_at__isnull=True).count()
    assert unread > 0

    login(page, ACCOUNTANT)
    bell = page.locator("a.bell")
    expect(bell.locator(".bell__count")).to_contain_text(str(unread))

    page.get_by_role("link", name="Notifications", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    kind = page.get_by_role("group", name=str(Kind.TO_PROCESS.label))
    kind.get_by_label("Dans l'application seulement").check()
    page.get_by_role("group", name=str(Kind.DUE_SOON.label)).get_by_label("Jamais").check()
    page.get_by_label("Heure du récapitulatif quotidien").select_option("17")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Vos préférences de notification sont enregistrées.")
    expect(kind.get_by_label("Dans l'application seulement")).to_be_checked()
    prefs = Preferences.objects.get(user=user)
    assert prefs.digest_hour == 17
    assert prefs.channels[Kind.TO_PROCESS] == Channel.APP and prefs.channels[Kind.DUE_SOON] == Channel.NEVER
    screenshot(page, "alerts-preferences")

    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes notifications")
    items = page.locator(".notice-list__item")
    expect(items.first).to_be_visible()
    assert items.count() == min(unread, 50)
    first_link = items.first.get_by_role("link")
    href = first_link.get_attribute("href")
    assert href.startswith("/factures/") or href.startswith("/validation/")

    items.first.get_by_role("button", name="Marquer comme lue").click()
    expect(page.locator(".notice-list__item--unread")).to_have_count(min(unread, 50) - 1)
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.locator(".notice-list__item--unread")).to_have_count(0)
    expect(page.locator("a.bell .bell__count")).to_have_count(0)
    settle(page)
    screenshot(page, "alerts-notices")
    assert not Notice.objects.filter(user=user, read_at__isnull=True).exists()


def test_alert_pages_have_no_serious_violation(axe_page):
    services.notices_compute()
    page = axe_page
    login(page, ACCOUNTANT)
    found = {}
    for url in ("/compte/notifications/", "/compte/notices/"):
        page.goto(url)
        problems = axe_violations(page)
        if problems:
            found[url] = problems
    token = services.unsubscribe_token(Notice.objects.first().user_id, [Kind.LATE])
    page.goto(f"/notifications/desabonnement/{token}/")
    expect(page.get_by_role("button", name="Me désabonner")).to_be_visible()
    if problems := axe_violations(page):
        found["unsubscribe"] = problems
    assert not found, found
