"""Fixtures of the validation workspace tests: a validator on the sandbox, a movable clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chorusweb.models import Role, SyncRun
from tests.factories import MembershipFactory, UserFactory
from validators import services

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shift_today(monkeypatch):
    """Move the validators' clock (`validators.selectors.today`) by some days."""

    def shift(days: int):
        day = timezone.localdate() + timedelta(days=days)
        monkeypatch.setattr("validators.selectors.today", lambda: day)
        return day

    return shift


@pytest.fixture
def victor(sandbox_connection):
    user = UserFactory(username="victor")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.VALIDATOR)
    return user


@pytest.fixture
def synced(sandbox_connection):
    run = services.sync_validation(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return run


@pytest.fixture
def logged(client, victor, synced):
    client.force_login(victor)
    return client
