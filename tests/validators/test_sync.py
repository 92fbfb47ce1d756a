"""The validation queue mirror: synchronised from the sandbox's valideur/rechercher."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from chorusweb import lifecycle as lc
from chorusweb.factpulse import get_client
from chorusweb.models import SyncRun, Workspace
from sandbox.models import Invoice
from validators import services
from validators.models import QueueState, ValidationInvoice

SEARCH = "factures/valideur/rechercher"


def test_full_sync_mirrors_queue_and_history(sandbox_connection, sandbox_control):
    run = services.sync_validation(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED and run.full and run.workspace == Workspace.VALIDATION
    upstream = list(get_client(sandbox_connection).iter_factures_valideur(page_size=100))
    assert run.rows_seen == run.rows_created == len(upstream) == ValidationInvoice.objects.count()
    awaiting = ValidationInvoice.objects.filter(state=QueueState.AWAITING)
    assert awaiting.count() == sum(1 for r in upstream if r.status in lc.AWAITING_VALIDATION) >= 10
    assert set(awaiting.values_list("level", flat=True)) == {1, 2}
    assert ValidationInvoice.objects.filter(state=QueueState.VALIDATED).exists()
    assert ValidationInvoice.objects.filter(state=QueueState.REFUSED).exists()
    assert ValidationInvoice.objects.filter(state=QueueState.TACIT).exists()
    for row in ValidationInvoice.objects.all():
        assert row.deadline == row.deposit_date + timedelta(days=lc.VALIDATION_DELAY_DAYS)
        assert row.framework in ("A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT")
        assert row.supplier_name and row.recipient_name and row.total_incl_tax is not None
        assert row.raw["idFacture"] == row.invoice_id


def test_incremental_sync_sees_tacit_validation_with_shifted_sandbox_clock(
    sandbox_connection, sandbox_control, settings
):
    services.sync_validation(connection=sandbox_connection)
    before = ValidationInvoice.objects.filter(state=QueueState.AWAITING).count()
    # Five days later (sandbox clock), the invoices deposited 11+ days ago are tacitly validated.
    settings.SANDBOX_CLOCK_OFFSET_DAYS = 5
    run = services.sync_validation(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED and not run.full
    tacit = ValidationInvoice.objects.filter(status__startswith="ABSENCE_VALIDATION", state=QueueState.TACIT)
    expired = Invoice.objects.filter(statut_validation__startswith="ABSENCE_VALIDATION").count()
    assert run.rows_changed >= 1
    assert tacit.count() == expired
    assert ValidationInvoice.objects.filter(state=QueueState.AWAITING).count() == before - run.rows_changed


def test_sync_failure_is_recorded_and_mirror_kept(sandbox_connection, sandbox_control):
    services.sync_validation(connection=sandbox_connection)
    count = ValidationInvoice.objects.count()
    sandbox_control.faults(error_status=503, error_rate=1.0, endpoints=[SEARCH])
    run = services.sync_validation(connection=sandbox_connection)
    assert run.state == SyncRun.State.FAILED and run.error
    assert ValidationInvoice.objects.count() == count


@pytest.mark.usefixtures("sandbox_control")
def test_sync_chorus_command_syncs_the_validation_queue(sandbox_connection):
    call_command("sync_chorus", "--connection", sandbox_connection.name)
    assert SyncRun.objects.filter(workspace=Workspace.VALIDATION, state=SyncRun.State.SUCCEEDED).count() == 1
    assert ValidationInvoice.objects.filter(state=QueueState.AWAITING).exists()
