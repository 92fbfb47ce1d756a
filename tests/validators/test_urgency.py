"""Days left before tacit validation: the computation, the labels, the queue order, a shifted clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, UserFactory
from tests.validators.factories import ValidationInvoiceFactory
from validators import selectors
from validators.models import QueueState, ValidationInvoice
from validators.selectors import QueueFilters, urgency

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("deposit_days_ago", "days_left", "state", "label", "css"),
    [
        (17, -2, "overdue", "En retard de 2 j", "danger"),
        (16, -1, "overdue", "En retard de 1 j", "danger"),
        (15, 0, "today", "Dernier jour", "danger"),
        (14, 1, "soon", "1 j restant", "waiting"),
        (12, 3, "soon", "3 j restants", "waiting"),
        (11, 4, "later", "4 j restants", "todo"),
        (1, 14, "later", "14 j restants", "todo"),
    ],
)
def test_urgency_of_a_deposit(deposit_days_ago, days_left, state, label, css):
    deposit = TODAY - timedelta(days=deposit_days_ago)
    u = urgency(lc.validation_deadline(deposit), on=TODAY)
    assert u.days_left == days_left == lc.days_left(deposit, TODAY)
    assert (u.state, u.label, u.css) == (state, label, css)


def test_urgency_without_deposit_date():
    assert urgency(None, on=TODAY).label == "Date de dépôt inconnue"


def test_urgency_uses_the_single_clock(shift_today):
    deposit = timezone.localdate() - timedelta(days=5)
    assert urgency(lc.validation_deadline(deposit)).label == "10 j restants"
    shift_today(10)
    assert urgency(lc.validation_deadline(deposit)).label == "Dernier jour"
    shift_today(13)
    assert urgency(lc.validation_deadline(deposit)).label == "En retard de 3 j"


@pytest.mark.django_db
def test_queue_sorted_by_urgency_with_a_shifted_clock(shift_today):
    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    today = shift_today(30)  # the whole scenario happens a month from now
    rows = {
        name: ValidationInvoiceFactory(
            connection=connection, invoice_number=name, deposit_date=today - timedelta(days=ago)
        )
        for name, ago in (("J-14", 1), ("J-3", 12), ("J-0", 15), ("RETARD-2", 17), ("J-7", 8))
    }
    ValidationInvoiceFactory(
        connection=connection,
        invoice_number="DEJA-VALIDEE",
        deposit_date=today - timedelta(days=20),
        status=lc.VALIDEE_1,
        state=QueueState.VALIDATED,
    )
    page = selectors.queue_list(user=user, filters=QueueFilters())
    assert [r.invoice_number for r in page.rows] == ["RETARD-2", "J-0", "J-3", "J-7", "J-14"]
    assert [r.urgency.label for r in page.rows] == [
        "En retard de 2 j",
        "Dernier jour",
        "3 j restants",
        "7 j restants",
        "14 j restants",
    ]
    assert {t.tab.slug: t.count for t in page.tabs} == {
        "a-valider": 5,
        "validees": 1,
        "refusees": 0,
        "autres": 0,
        "toutes": 6,
    }
    # The urgency filter works on the same clock.
    urgent = selectors.queue_list(user=user, filters=QueueFilters(urgency="urgent"))
    assert [r.invoice_number for r in urgent.rows] == ["J-0", "J-3"]
    late = selectors.queue_list(user=user, filters=QueueFilters(urgency="retard"))
    assert [r.invoice_number for r in late.rows] == ["RETARD-2"]
    assert selectors.queue_urgent_count(user) == 3
    assert rows["J-14"].deadline == today + timedelta(days=14)


@pytest.mark.django_db
def test_queue_count_is_one_indexed_count(django_assert_num_queries):
    connection, other = ConnectionFactory(), ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    ValidationInvoiceFactory.create_batch(3, connection=connection)
    ValidationInvoiceFactory(connection=connection, status=lc.REFUSEE_1, state=QueueState.REFUSED)
    ValidationInvoiceFactory.create_batch(2, connection=other)
    with django_assert_num_queries(2):  # the user's memberships, then one COUNT
        assert selectors.queue_count(user) == 3
    recipient = UserFactory()
    MembershipFactory(user=recipient, connection=connection, role=Role.RECIPIENT)
    assert selectors.queue_count(recipient) == 0
    assert ValidationInvoice.objects.count() == 6
