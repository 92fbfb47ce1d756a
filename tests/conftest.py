"""Fixtures shared by the whole suite."""

from __future__ import annotations

import fcntl

import pytest
from django.conf import settings
from django.core.management import call_command

from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _collected_static():
    """Pages are rendered with the production static storage (hashed names): collect once."""
    root = settings.STATIC_ROOT
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def recipient(db, connection):
    user = UserFactory(username="comptable-test")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    return user


@pytest.fixture
def validator(db, connection):
    user = UserFactory(username="valideur-test")
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    return user


@pytest.fixture
def viewer(db, connection):
    user = UserFactory(username="lecteur-test")
    MembershipFactory(user=user, connection=connection, role=Role.VIEWER)
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root-test", is_staff=True, is_superuser=True)


@pytest.fixture
def recipient_client(client, recipient):
    client.force_login(recipient)
    return client


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client
