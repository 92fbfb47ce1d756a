"""Sync runs (chorusweb/sync.py) of both workspaces against FakeFactPulse: full, incremental, failed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import SyncRun, Workspace
from invoices import services as received
from invoices.models import ReceivedInvoice
from validators import services as validation
from validators.models import ValidationInvoice

pytestmark = pytest.mark.django_db


def test_first_sync_fills_the_mirror_then_follows_changes(fake_factpulse, connection, settings):
    settings.CHORUSWEB_SYNC_PAGE_SIZE = 2  # several pages
    rows = [fake_factpulse.add_received() for _ in range(5)]
    run = received.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert (run.rows_seen, run.rows_created) == (5, 5)
    assert ReceivedInvoice.objects.filter(connection=connection).count() == 5

    fake_factpulse.add_received(invoice_id=rows[0].invoice_id, status=lc.SERVICE_FAIT, status_changed_at=timezone.now())
    run = received.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert ReceivedInvoice.objects.get(invoice_id=rows[0].invoice_id).status == lc.SERVICE_FAIT


def test_a_failed_sync_keeps_the_mirror_and_says_why(fake_factpulse, connection):
    fake_factpulse.add_received()
    received.sync_received(connection=connection)
    fake_factpulse.fail("rechercher_factures_destinataire", FactPulseUnavailable(), times=5)
    run = received.sync_received(connection=connection)
    assert run.state == SyncRun.State.FAILED
    assert run.error
    assert ReceivedInvoice.objects.filter(connection=connection).count() == 1


def test_validation_queue_sync(fake_factpulse, connection):
    fake_factpulse.add_validation()
    fake_factpulse.add_validation(status=lc.A_VALIDER_2)
    run = validation.sync_validation(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert ValidationInvoice.objects.filter(connection=connection).count() == 2


def test_first_visit_starts_one_sync_only(fake_factpulse, recipient, django_capture_on_commit_callbacks):
    fake_factpulse.add_received()
    with django_capture_on_commit_callbacks(execute=True):
        statuses, polling = received.sync_received_first_visit(user=recipient)
    assert polling  # the mirror was never synchronised: a run started (the task runs after commit)
    assert [s.last_run.state for s in statuses] == [SyncRun.State.RUNNING]
    statuses, polling = received.sync_received_first_visit(user=recipient)
    assert not polling
    assert SyncRun.objects.filter(workspace=Workspace.RECEIVED).count() == 1
    assert fake_factpulse.count("rechercher_factures_destinataire") == 1


def test_sync_statuses_give_each_connection_its_last_run_and_last_success(recipient, connection):
    from chorusweb.access import Action
    from chorusweb.models import Role
    from chorusweb.sync import sync_statuses
    from tests.factories import ConnectionFactory, MembershipFactory

    second, third, unseen = ConnectionFactory(), ConnectionFactory(), ConnectionFactory()
    for other in (second, third):
        MembershipFactory(user=recipient, connection=other, role=Role.RECIPIENT)

    def run(conn, state, workspace=Workspace.RECEIVED):
        return SyncRun.objects.create(connection=conn, workspace=workspace, state=state)

    ok = run(connection, SyncRun.State.SUCCEEDED)
    failed = run(connection, SyncRun.State.FAILED)
    run(connection, SyncRun.State.SUCCEEDED, workspace=Workspace.VALIDATION)  # another workspace's
    running = run(second, SyncRun.State.RUNNING)
    run(unseen, SyncRun.State.SUCCEEDED)

    statuses = {
        s.connection_id: s
        for s in sync_statuses(user=recipient, workspace=Workspace.RECEIVED, action=Action.VIEW_RECEIVED)
    }
    assert set(statuses) == {connection.pk, second.pk, third.pk}
    assert (statuses[connection.pk].last_run, statuses[connection.pk].last_success) == (failed, ok)
    assert statuses[connection.pk].failed and not statuses[connection.pk].running
    assert (statuses[second.pk].last_run, statuses[second.pk].last_success) == (running, None)
    assert statuses[second.pk].running
    assert (statuses[third.pk].last_run, statuses[third.pk].last_success) == (None, None)
