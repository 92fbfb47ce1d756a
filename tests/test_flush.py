"""The suite's own plumbing: a transactional test's flush leaves the database as migrated."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from invoices.models import InterestRate
from tests.factories import ConnectionFactory


@pytest.mark.django_db(transaction=True)
def test_a_flush_puts_back_the_rows_migrations_ship():
    shipped = sorted(InterestRate.objects.values_list("year", "half", "rate"))
    assert shipped  # the interest rates of the data migration
    types, permissions = ContentType.objects.count(), Permission.objects.count()
    ConnectionFactory()
    call_command("flush", interactive=False, verbosity=0)  # what ends a transactional test
    assert sorted(InterestRate.objects.values_list("year", "half", "rate")) == shipped
    assert (ContentType.objects.count(), Permission.objects.count()) == (types, permissions)
    assert not ConnectionFactory._meta.model.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_tables_whose_rows_reference_each_other():
    """The flush deletes on PostgreSQL (tests/conftest.py): rows that reference each other, in
    any table order, all go; PostgreSQL's sequences go on, as after TRUNCATE without RESTART."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chorusweb.models import Membership, Role
    from tests.factories import MembershipFactory, UserFactory

    membership = MembershipFactory(user=UserFactory(), connection=ConnectionFactory(), role=Role.RECIPIENT)
    with CaptureQueriesContext(connection) as flushed:
        call_command("flush", interactive=False, verbosity=0, reset_sequences=False)  # as a test's teardown
    statements = " ".join(query["sql"] for query in flushed.captured_queries)
    assert "DELETE FROM" in statements and "TRUNCATE" not in statements
    assert not Membership.objects.exists() and not ConnectionFactory._meta.model.objects.exists()
    if connection.vendor == "postgresql":
        assert ConnectionFactory().pk > membership.connection_id
