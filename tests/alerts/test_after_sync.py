"""The hook at the end of a sync: the connection's notices are recorded and the immediate ones sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import Channel, Kind, Notice, Preferences
from chorusweb import lifecycle as lc
from chorusweb.models import Role, SyncRun
from invoices import services as received
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(connection):
    user = UserFactory(username="agent-sync", email="agent-sync@example.test")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    Preferences.objects.create(
        user=user, channels={Kind.TO_PROCESS: Channel.IMMEDIATE, Kind.COMPLETED: Channel.IMMEDIATE}
    )
    return user


def sync(connection, capture):
    with capture(execute=True):
        run = received.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return run


def test_a_sync_tells_new_invoices_and_a_second_sync_sends_nothing_new(
    smtp, fake_factpulse, connection, agent, django_capture_on_commit_callbacks
):
    fake_factpulse.add_received(invoice_number="NEW-1", service_code="FIN")
    fake_factpulse.add_received(invoice_number="NEW-2", service_code="FIN")

    sync(connection, django_capture_on_commit_callbacks)
    (first,) = smtp.to("agent-sync@example.test")
    assert first["Subject"].startswith("2 à traiter")
    assert "NEW-1" in smtp.text(first) and "NEW-2" in smtp.text(first)
    recorded = Notice.objects.count()

    sync(connection, django_capture_on_commit_callbacks)  # nothing changed upstream
    sync(connection, django_capture_on_commit_callbacks)
    assert len(smtp.to("agent-sync@example.test")) == 1
    assert Notice.objects.count() == recorded

    # A supplier completes a suspended invoice: the next sync tells that, and only that.
    row = fake_factpulse.add_received(invoice_number="DONE-1", status=lc.COMPLETEE, status_changed_at=timezone.now())
    sync(connection, django_capture_on_commit_callbacks)
    second = smtp.to("agent-sync@example.test")[1]
    assert "1 facture complétée" in second["Subject"]
    assert "DONE-1" in smtp.text(second) and "NEW-1" not in smtp.text(second)
    assert "le délai de paiement repart" in smtp.text(second)
    assert Notice.objects.get(invoice_id=row.invoice_id).kind == Kind.COMPLETED


def test_the_daily_job_tells_what_the_calendar_brought(smtp, connection, agent):
    from tests.alerts.conftest import late_invoice

    late_invoice(connection, "FIN", invoice_number="LATE-DAILY", days_late=1)
    result = tasks.alerts_daily.call()
    assert result["recorded"] == 1 and result["mails"] == 1
    assert "LATE-DAILY" in smtp.text(smtp.to("agent-sync@example.test")[0])
    assert tasks.alerts_daily.call()["recorded"] == 0


def test_a_validator_hears_of_an_invoice_to_validate_and_of_its_deadline(smtp, connection):
    from validators.models import QueueState, ValidationInvoice

    user = UserFactory(username="valideuse-sync", email="valideuse-sync@example.test")
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    Preferences.objects.create(user=user, last_digest_at=timezone.now())  # today's digest went out
    today = timezone.localdate()
    ValidationInvoice.objects.create(
        connection=connection,
        invoice_id=555,
        invoice_number="VAL-555",
        status=lc.A_VALIDER_1,
        state=QueueState.AWAITING,
        deposit_date=today - timedelta(days=13),
        deadline=today + timedelta(days=2),
        service_code="FIN",
        synced_at=timezone.now(),
    )
    tasks.alerts_daily.call()
    # The deadline is immediate for a validator; the invoice to validate waits for the digest.
    (urgent,) = smtp.to("valideuse-sync@example.test")
    assert urgent["Subject"].startswith("1 validation urgente")
    assert "VAL-555" in smtp.text(urgent)
    assert Notice.objects.filter(user=user, kind=Kind.TO_VALIDATE, status=Notice.Status.PENDING).exists()


def test_a_failing_listener_never_fails_the_sync(fake_factpulse, connection):
    from chorusweb.sync import sync_succeeded

    def broken(sender, run, **kwargs):
        raise RuntimeError("alerts down")

    sync_succeeded.connect(broken, dispatch_uid="test-broken-listener")
    try:
        fake_factpulse.add_received()
        run = received.sync_received(connection=connection)
    finally:
        sync_succeeded.disconnect(dispatch_uid="test-broken-listener")
    assert run.state == SyncRun.State.SUCCEEDED


def test_old_notices_are_purged_but_never_those_waiting_for_their_mail(connection, agent):
    from alerts import services
    from tests.alerts.conftest import late_invoice

    late_invoice(connection, "FIN", invoice_number="OLD-SENT")
    late_invoice(connection, "FIN", invoice_number="OLD-WAITING", days_late=2)
    services.notices_compute()
    Notice.objects.filter(data__number="OLD-SENT").update(status=Notice.Status.SENT)
    Notice.objects.update(created_at=timezone.now() - timedelta(days=services.RETENTION_DAYS + 1))
    assert services.notices_purge() == 1
    assert list(Notice.objects.values_list("data__number", flat=True)) == ["OLD-WAITING"]
    assert services.RETENTION_DAYS > services.LATE_WINDOW_DAYS  # a purged notice is never told again
