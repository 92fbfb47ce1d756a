"""The list engine of both workspaces: tab counts, pagination, scoping, over a mirror filled by sync."""

from __future__ import annotations

import pytest

from chorusweb import lifecycle as lc
from chorusweb.models import Role
from invoices import selectors as received_selectors
from invoices import services as received
from tests.factories import MembershipFactory, UserFactory
from validators import selectors as validation_selectors
from validators import services as validation

pytestmark = pytest.mark.django_db


def test_received_list_counts_tabs_and_pages(fake_factpulse, connection, recipient):
    for _ in range(3):
        fake_factpulse.add_received()
    fake_factpulse.add_received(status=lc.SERVICE_FAIT)
    received.sync_received(connection=connection)
    result = received_selectors.invoice_list(
        user=recipient, filters=received_selectors.InvoiceFilters(), page=1, per_page=2
    )
    counts = {t.tab.slug: t.count for t in result.tabs}
    assert counts["a-traiter"] == 3 and counts["service-fait"] == 1 and counts["toutes"] == 4
    assert result.total_count == 3
    assert result.page.num_pages == 2 and result.page.has_next
    assert len(result.page.object_list) == 2


def test_received_list_is_scoped_to_the_users_connections(fake_factpulse, connection):
    fake_factpulse.add_received()
    received.sync_received(connection=connection)
    stranger = UserFactory()
    MembershipFactory(user=stranger, role=Role.RECIPIENT)  # another connection
    result = received_selectors.invoice_list(user=stranger, filters=received_selectors.InvoiceFilters())
    assert result.total_count == 0


def test_validation_queue_counts(fake_factpulse, connection, validator):
    fake_factpulse.add_validation()
    fake_factpulse.add_validation()
    validation.sync_validation(connection=connection)
    result = validation_selectors.queue_list(user=validator, filters=validation_selectors.QueueFilters())
    assert {t.tab.slug: t.count for t in result.tabs}["a-valider"] == 2
    assert result.page.paginator.count == 2


def test_bounded_read_counts_sums_as_the_orm_and_remembers_beyond(connection, django_assert_num_queries):
    """One statement per read; the sum is the Decimal the ORM gives (on SQLite too); a view found
    beyond the bound is not read again, a view within it always is."""
    from decimal import Decimal

    from django.db.models import Sum

    from chorusweb import workspace
    from invoices.models import ReceivedInvoice
    from tests.factories import ReceivedInvoiceFactory

    for interest in ("1.10", "2.25", "0.05"):
        ReceivedInvoiceFactory(connection=connection, clock_interest=Decimal(interest))
    rows = ReceivedInvoice.objects.filter(connection=connection)
    with django_assert_num_queries(1):
        within = workspace.bounded_read(rows, 3, sum_of="clock_interest")
    assert within == workspace.Bounded(n=3, total=rows.aggregate(s=Sum("clock_interest"))["s"])
    assert within.total == Decimal("3.40") and isinstance(within.total, Decimal)
    with django_assert_num_queries(1):
        assert workspace.bounded_read(rows, 3, sum_of="clock_interest") == within  # within: read again
    assert workspace.bounded_read(rows.none(), 3, sum_of="clock_interest") == workspace.Bounded(n=0, total=None)
    assert workspace.bounded_read(rows, 1) == workspace.Bounded(n=2)  # bound + 1 rows read, no more
    with django_assert_num_queries(0):
        assert workspace.bounded_read(rows, 1) is None  # beyond a moment ago: not read again
        assert workspace.bounded_count(rows, 1) == (1, False)
    assert workspace.bounded_count(rows.filter(clock_interest__gt=1), 1) == (1, False)  # 2 rows: beyond 1
    assert workspace.bounded_count(rows.filter(clock_interest__gt=2), 1) == (1, True)  # 1 row: exact
    assert workspace.bounded_count(rows.filter(clock_interest__gt=9), 1) == (0, True)
