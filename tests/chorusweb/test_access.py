"""The access helper: which connections, services and actions a user may use."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from chorusweb.access import Action, access_for, build_access
from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_recipient_can_process_only_on_its_connection():
    a, b = ConnectionFactory(), ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=a, role=Role.RECIPIENT)
    access = access_for(user)
    assert access.can(Action.PROCESS_RECEIVED, a.pk)
    assert not access.can(Action.PROCESS_RECEIVED, b.pk)
    assert not access.can(Action.VALIDATE, a.pk)
    assert [c.pk for c in access.connections()] == [a.pk]
    with pytest.raises(PermissionDenied):
        access.require(Action.PROCESS_RECEIVED, b.pk)


def test_viewer_is_read_only():
    conn = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=conn, role=Role.VIEWER)
    access = access_for(user)
    assert access.actions(conn.pk) == {Action.VIEW_RECEIVED, Action.VIEW_VALIDATION}


def test_service_codes_limit_the_scope():
    conn = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=conn, role=Role.RECIPIENT, service_codes=["FIN", "RH"])
    access = access_for(user)
    assert access.can(Action.PROCESS_RECEIVED, conn.pk, "FIN")
    assert not access.can(Action.PROCESS_RECEIVED, conn.pk, "TECH")
    assert not access.can(Action.PROCESS_RECEIVED, conn.pk, None)
    assert access.services(Action.VIEW_RECEIVED, conn.pk) == frozenset({"FIN", "RH"})


def test_several_memberships_combine():
    conn = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=conn, role=Role.RECIPIENT, service_codes=["FIN"])
    MembershipFactory(user=user, connection=conn, role=Role.VIEWER)
    MembershipFactory(user=user, connection=conn, role=Role.VALIDATOR)
    access = access_for(user)
    assert access.can(Action.VIEW_RECEIVED, conn.pk, "TECH")  # viewer: every service
    assert not access.can(Action.PROCESS_RECEIVED, conn.pk, "TECH")
    assert access.can(Action.VALIDATE, conn.pk)
    assert access.services(Action.VIEW_RECEIVED, conn.pk) is None


def test_inactive_connection_gives_nothing():
    conn = ConnectionFactory(is_active=False)
    user = UserFactory()
    MembershipFactory(user=user, connection=conn, role=Role.RECIPIENT)
    access = build_access(user)
    assert not access.has_any
    assert not access.can(Action.VIEW_RECEIVED, conn.pk)


def test_superuser_sees_every_active_connection():
    a, b = ConnectionFactory(), ConnectionFactory()
    ConnectionFactory(is_active=False)
    access = build_access(UserFactory(is_superuser=True))
    assert {c.pk for c in access.connections(Action.VALIDATE)} == {a.pk, b.pk}
    assert access.services(Action.PROCESS_RECEIVED, a.pk) is None


def test_scope_filters_querysets():
    from django.contrib.auth import get_user_model

    from chorusweb.models import Membership

    a, b = ConnectionFactory(), ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=a, role=Role.RECIPIENT, service_codes=["FIN"])
    MembershipFactory(user=user, connection=b, role=Role.RECIPIENT)
    access = access_for(user)
    q = access.scope(Action.VIEW_RECEIVED, connection_field="connection_id", service_field="role")
    # Use Membership rows as a stand-in table with (connection_id, role) columns.
    rows = Membership.objects.filter(q)
    assert set(rows.values_list("connection_id", flat=True)) == {b.pk}
    nobody = access_for(UserFactory())
    assert not Membership.objects.filter(nobody.scope(Action.VIEW_RECEIVED)).exists()
    assert get_user_model().objects.count() == 2


def test_anonymous_has_no_access():
    from django.contrib.auth.models import AnonymousUser

    access = access_for(AnonymousUser())
    assert not access.has_any
    assert access.connections() == []


def test_one_query_and_the_secrets_stay_encrypted_until_asked(django_assert_num_queries):
    conn = ConnectionFactory(password="s3cret", chorus_password="cp-s3cret")
    other = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=conn, role=Role.RECIPIENT, service_codes=["FIN"])
    MembershipFactory(user=user, connection=other, role=Role.VALIDATOR)
    with django_assert_num_queries(1):
        access = build_access(user)
        connections = {c.pk: c for c in access.connections()}
        assert [connections[conn.pk].name, connections[other.pk].name] == [conn.name, other.name]
        assert access.services(Action.VIEW_RECEIVED, conn.pk) == frozenset({"FIN"})
    loaded = connections[conn.pk]
    assert {"password", "chorus_password", "piste_client_secret"} <= loaded.get_deferred_fields()
    # the gateway asking for a secret reads it then, decrypted
    assert loaded.password == "s3cret" and loaded.chorus_password == "cp-s3cret"
