"""Secrets are encrypted at rest, decrypt back, and never appear in admin pages or logs."""

from __future__ import annotations

import logging

import pytest
from django.db import connection as db
from django.urls import reverse

from chorusweb import crypto
from chorusweb.models import Connection
from tests.factories import ConnectionFactory

SECRETS = {
    "password": "pw-Factpulse-4242",
    "piste_client_id": "piste-id-9911",
    "piste_client_secret": "piste-secret-7788",
    "chorus_login": "login-cpro-5566",
    "chorus_password": "cpro-password-3344",
}


def _raw_row(pk: int) -> dict:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT password, piste_client_id, piste_client_secret, chorus_login, chorus_password "
            "FROM chorusweb_connection WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return dict(zip(SECRETS, row, strict=True))


def test_round_trip():
    token = crypto.encrypt("s3cret")
    assert token.startswith(crypto.PREFIX)
    assert "s3cret" not in token
    assert crypto.decrypt(token) == "s3cret"
    assert crypto.encrypt("") == ""


@pytest.mark.django_db
def test_raw_columns_hold_no_plain_secret():
    conn = ConnectionFactory(**SECRETS)
    raw = _raw_row(conn.pk)
    for name, plain in SECRETS.items():
        assert plain not in raw[name]
        assert raw[name].startswith(crypto.PREFIX)
    fresh = Connection.objects.get(pk=conn.pk)
    for name, plain in SECRETS.items():
        assert getattr(fresh, name) == plain
    assert fresh.zero_trust is True
    assert "pw-Factpulse" not in repr(fresh.password)


@pytest.mark.django_db
def test_admin_add_connection_encrypts_and_never_shows_secrets(admin_client_, caplog):
    caplog.set_level(logging.DEBUG)
    url = reverse("admin:chorusweb_connection_add")
    response = admin_client_.post(
        url,
        {
            "name": "Commune de Test",
            "api_base_url": "https://factpulse.fr",
            "account_email": "compta@commune.test",
            "client_uid": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e40",
            "is_active": "on",
            "chorus_sandbox": "on",
            **SECRETS,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    conn = Connection.objects.get(name="Commune de Test")
    raw = _raw_row(conn.pk)
    for name, plain in SECRETS.items():
        assert plain not in raw[name]
        assert getattr(conn, name) == plain

    change = admin_client_.get(reverse("admin:chorusweb_connection_change", args=[conn.pk]))
    html = change.content.decode()
    assert change.status_code == 200
    for plain in SECRETS.values():
        assert plain not in html
    assert "Valeur enregistrée (chiffrée)" in html
    for record in caplog.records:
        for plain in SECRETS.values():
            assert plain not in record.getMessage()


@pytest.mark.django_db
def test_admin_blank_secret_keeps_value_and_clear_removes_it(admin_client_):
    conn = ConnectionFactory(password="keep-me-123")
    version = conn.credentials_version
    url = reverse("admin:chorusweb_connection_change", args=[conn.pk])
    base = {
        "name": conn.name,
        "api_base_url": conn.api_base_url,
        "account_email": conn.account_email,
        "client_uid": str(conn.client_uid),
        "is_active": "on",
        "chorus_sandbox": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    assert admin_client_.post(url, base).status_code == 302
    conn.refresh_from_db()
    assert conn.password == "keep-me-123"
    assert conn.credentials_version == version

    assert admin_client_.post(url, {**base, "password": "new-pass-456"}).status_code == 302
    conn.refresh_from_db()
    assert conn.password == "new-pass-456"
    assert conn.credentials_version != version


@pytest.mark.django_db
def test_incomplete_zero_trust_credentials_are_refused(admin_client_):
    response = admin_client_.post(
        reverse("admin:chorusweb_connection_add"),
        {
            "name": "Incomplète",
            "api_base_url": "https://factpulse.fr",
            "account_email": "a@b.test",
            "password": "x-pass-1",
            "piste_client_id": "only-this",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "quatre identifiants" in response.content.decode()
    assert not Connection.objects.filter(name="Incomplète").exists()
