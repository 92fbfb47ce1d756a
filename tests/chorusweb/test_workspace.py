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
