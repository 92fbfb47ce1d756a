"""Doors: login protection (django-axes), two-factor authentication (django-otp), session hygiene."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chorusweb.models import Membership, Role
from chorusweb.security import LAST_SEEN
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "secret-password-123"
#: A wrong code throttles the next try for OTP_TOTP_THROTTLE_FACTOR seconds (1 in production).
THROTTLE = 0.1


@pytest.fixture(autouse=True)
def _short_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = THROTTLE


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/connexion/", {"username": username, "password": password}, **extra)


# --- 6. Login protection ----------------------------------------------------------------------


def test_failed_logins_lock_the_account_with_a_french_message_then_admin_unlocks(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="claire")
    for _ in range(2):
        assert _login(client, "claire", "wrong").status_code == 200  # the form says the pair is wrong
    assert _login(client, "claire", "wrong").status_code == 429  # the third failure locks
    locked = _login(client, "claire")  # even the right password, while locked
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Connexion temporairement bloquée" in page and "15 minutes" in page
    assert "_auth_user_id" not in client.session

    admin = Client()
    admin.force_login(UserFactory(username="chef", is_staff=True, is_superuser=True))
    user = get_user_model().objects.get(username="claire")
    answer = admin.post("/admin/auth/user/", {"action": "unlock_login", "_selected_action": [user.pk]}, follow=True)
    assert "Connexion débloquée" in answer.content.decode()
    assert _login(client, "claire").status_code == 302


def test_failed_logins_from_one_address_lock_that_address_for_every_account(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="victime")
    for name in ("a", "b", "c"):
        _login(client, name, "wrong", REMOTE_ADDR="203.0.113.9")
    assert _login(client, "victime", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert _login(Client(), "victime", REMOTE_ADDR="198.51.100.7").status_code == 302  # another address


def test_behind_a_proxy_the_address_is_the_last_forwarded_one(rf, settings):
    from chorusweb.security import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    settings.CHORUSWEB_BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.CHORUSWEB_BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.9"


# --- 7. Two-factor authentication -------------------------------------------------------------


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/compte/double-authentification/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/compte/double-authentification/qr.svg"' in html and "<script>" not in html
    qr = client.get("/compte/double-authentification/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content and b"<script" not in qr.content
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post("/compte/double-authentification/", {"code": "000000"})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.content.decode()
    time.sleep(THROTTLE + 0.05)  # a wrong code throttles the next try
    done = client.post("/compte/double-authentification/", {"code": _code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


@pytest.fixture
def required(settings):
    settings.CHORUSWEB_REQUIRE_2FA = True


def test_a_user_who_can_act_must_enrol_then_logs_in_with_a_code(client, connection, required):
    user = UserFactory(username="comptable2")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    assert _login(client, "comptable2").status_code == 302
    blocked = client.get("/factures/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/compte/double-authentification/")
    device, codes = _enrol(client)
    assert client.get("/factures/").status_code == 200  # verified in this session

    other = Client()
    assert _login(other, "comptable2").status_code == 302
    step = other.get("/factures/")
    assert step["Location"] == "/connexion/verification/?next=%2Ffactures%2F"
    assert other.get("/admin/").status_code == 302
    # A password alone cannot replace the enrolled device.
    assert other.get("/compte/double-authentification/")["Location"] == "/connexion/verification/"
    wrong = other.post("/connexion/verification/", {"code": "123456", "next": "/factures/"})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.content.decode()
    time.sleep(THROTTLE + 0.05)
    ok = other.post("/connexion/verification/", {"code": _code(device, offset=1), "next": "/factures/"})
    assert ok.status_code == 302 and ok["Location"] == "/factures/"
    assert other.get("/factures/").status_code == 200

    third = Client()
    _login(third, "comptable2")
    used = third.post("/connexion/verification/", {"code": codes[0], "next": "//evil.example/"})
    assert used.status_code == 302 and used["Location"] == "/"  # a recovery code, a next that is not local
    fourth = Client()
    _login(fourth, "comptable2")
    assert fourth.post("/connexion/verification/", {"code": codes[0]}).status_code == 422  # single use


def test_staff_must_use_a_second_factor_and_readers_need_not(client, connection, required):
    staff = UserFactory(username="admin2", is_staff=True)
    _login(client, "admin2")
    assert client.get("/admin/")["Location"].startswith("/compte/double-authentification/")
    reader = UserFactory(username="lecteur2")
    MembershipFactory(user=reader, connection=connection, role=Role.VIEWER)
    other = Client()
    _login(other, "lecteur2")
    assert other.get("/factures/").status_code == 200
    assert staff.is_staff


def test_second_factor_is_optional_when_not_required(client, connection, settings):
    settings.CHORUSWEB_REQUIRE_2FA = False
    user = UserFactory(username="comptable3")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    _login(client, "comptable3")
    assert client.get("/factures/").status_code == 200
    page = client.get("/compte/securite/").content.decode()
    assert "Désactivée" in page
    _enrol(client)
    # Once enrolled, it is asked at every login even though it is optional; it can be switched off.
    other = Client()
    _login(other, "comptable3")
    assert other.get("/factures/")["Location"].startswith("/connexion/verification/")
    assert client.post("/compte/securite/", {"operation": "disable"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_admin_resets_a_lost_second_factor(client, connection, required):
    user = UserFactory(username="perdu")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    _login(client, "perdu")
    _enrol(client)
    admin = Client()
    chef = UserFactory(username="chef2", is_staff=True, is_superuser=True)
    admin.force_login(chef)
    TOTPDevice.objects.create(user=chef, name="a", confirmed=True)
    device = TOTPDevice.objects.get(user=chef)
    admin.post("/connexion/verification/", {"code": _code(device)})
    answer = admin.post(
        "/admin/auth/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]}, follow=True
    )
    assert "Double authentification réinitialisée" in answer.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_system_check_warns_when_2fa_is_off_in_production(settings):
    from chorusweb.checks import check_production_keys

    settings.CHORUSWEB_REQUIRE_2FA = False
    assert "chorusweb.W002" in {issue.id for issue in check_production_keys()}
    settings.CHORUSWEB_REQUIRE_2FA = True
    assert "chorusweb.W002" not in {issue.id for issue in check_production_keys()}


# --- 8. Session hygiene -----------------------------------------------------------------------


def test_idle_session_ends_with_a_notice_shown_before(client, connection, settings):
    settings.CHORUSWEB_IDLE_TIMEOUT_MINUTES = 30
    user = UserFactory(username="idle")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    _login(client, "idle")
    page = client.get("/factures/").content.decode()
    assert 'data-idle-timeout="1800"' in page and 'id="idle-notice"' in page
    assert client.post("/session/prolonger/").status_code == 204
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/factures/").status_code == 200  # 29 minutes: still there, and renewed
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    ended = client.get("/factures/?onglet=tous")
    assert ended.status_code == 302 and ended["Location"] == "/connexion/?next=%2Ffactures%2F%3Fonglet%3Dtous"
    login_page = client.get(ended["Location"]).content.decode()
    assert "expiré après 30 minutes d&#x27;inactivité" in login_page or "expiré après 30 minutes" in login_page
    assert client.get("/factures/").status_code == 302


def test_password_change_ends_the_other_sessions(client, connection):
    user = UserFactory(username="pw")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    elsewhere = Client()
    _login(elsewhere, "pw")
    _login(client, "pw")
    assert elsewhere.get("/factures/").status_code == 200
    changed = client.post(
        "/mot-de-passe/",
        {"old_password": PASSWORD, "new_password1": "Nouveau-mot-2026!", "new_password2": "Nouveau-mot-2026!"},
    )
    assert changed.status_code == 302
    assert client.get("/factures/").status_code == 200  # this session goes on
    assert elsewhere.get("/factures/")["Location"].startswith("/connexion/")


def test_removing_a_membership_ends_the_user_sessions(client, connection):
    user = UserFactory(username="role")
    membership = MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    _login(client, "role")
    assert client.get("/factures/").status_code == 200
    Membership.objects.filter(pk=membership.pk).delete()
    ended = client.get("/validation/")
    assert ended.status_code == 302 and ended["Location"].startswith("/connexion/")
    assert "Vos habilitations ont changé" in client.get(ended["Location"]).content.decode()


def test_a_new_membership_keeps_the_session(client, connection):
    user = UserFactory(username="plus")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    _login(client, "plus")
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    assert client.get("/validation/").status_code == 200
