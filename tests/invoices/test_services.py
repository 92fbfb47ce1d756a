"""Services of the received invoices workspace against the sandbox over real HTTP."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.audit import ActionInProgress, ActionRejected, AlreadySubmitted
from chorusweb.bulk import bulk_results
from chorusweb.factpulse import FactPulseError, FactPulseUnavailable
from chorusweb.models import AuditEntry, Role, SyncRun, Workspace
from invoices import services
from invoices.models import InvoiceDocument, InvoiceEvent, ReceivedInvoice
from sandbox import services as sandbox_services
from tests.factories import MembershipFactory, UserFactory

TRAITER = "factures/traiter-facture-recue"
SEARCH = "factures/rechercher-destinataire"
DOWNLOAD = "factures/telecharger-groupe"


@pytest.fixture
def accountant(sandbox_connection):
    user = UserFactory(username="claire")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.RECIPIENT)
    return user


@pytest.fixture
def synced(sandbox_connection):
    run = services.sync_received(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return run


def _one(connection, status=lc.MISE_A_DISPOSITION, **filters) -> ReceivedInvoice:
    return ReceivedInvoice.objects.filter(connection=connection, status=status, **filters).order_by("pk").first()


def test_full_then_incremental_sync(sandbox_connection, sandbox_seed, sandbox_control):
    run = services.sync_received(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.full is True
    count = ReceivedInvoice.objects.filter(connection=sandbox_connection).count()
    assert count == run.rows_seen == run.rows_created > 0
    assert InvoiceEvent.objects.filter(invoice__connection=sandbox_connection).count() == count
    statuses = set(ReceivedInvoice.objects.values_list("status", flat=True))
    assert {lc.MISE_A_DISPOSITION, lc.SUSPENDUE, lc.REJETEE, lc.MISE_EN_PAIEMENT} <= statuses
    assert ReceivedInvoice.objects.exclude(raw={}).count() == count

    new_ids = sandbox_services.deposit(3)
    assert len(new_ids) == 3
    again = services.sync_received(connection=sandbox_connection)
    assert again.state == SyncRun.State.SUCCEEDED
    assert again.full is False and again.since is not None
    assert again.rows_seen < count  # incremental: only what changed since the last run
    assert ReceivedInvoice.objects.filter(connection=sandbox_connection).count() >= count  # never loses rows


def test_sync_failure_is_recorded_and_mirror_kept(sandbox_connection, synced, sandbox_control):
    before = ReceivedInvoice.objects.count()
    sandbox_control.faults(error_status=503, error_rate=1.0, endpoints=[SEARCH])
    run = services.sync_received(connection=sandbox_connection, full=True)
    assert run.state == SyncRun.State.FAILED
    assert "ne répond pas" in run.error
    assert ReceivedInvoice.objects.count() == before


def test_process_suspend_updates_mirror_timeline_and_audit(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    outcome = services.invoice_process(
        user=accountant,
        invoice=invoice,
        target=lc.SUSPENDUE,
        reason="Bon de livraison manquant",
        idempotency_key="k-1",
        expected_status=invoice.status,
    )
    invoice.refresh_from_db()
    assert invoice.status == lc.SUSPENDUE
    assert outcome.entry.state == AuditEntry.State.DONE
    event = invoice.events.filter(source=InvoiceEvent.Source.ACTION).get()
    assert event.status == lc.SUSPENDUE and event.previous_status == lc.MISE_A_DISPOSITION
    assert event.audit == outcome.entry
    assert sandbox_control.calls(TRAITER) == 1


def test_double_submit_sends_once(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="same")
    with pytest.raises(AlreadySubmitted):
        services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="same")
    assert sandbox_control.calls(TRAITER) == 1
    assert AuditEntry.objects.filter(idempotency_key="same").count() == 1


def test_two_users_at_once_second_is_told(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    other = UserFactory(username="bob")
    MembershipFactory(user=other, connection=sandbox_connection, role=Role.RECIPIENT)
    AuditEntry.objects.create(  # the first user's action, still being sent
        workspace=Workspace.RECEIVED,
        connection=sandbox_connection,
        invoice_id=invoice.invoice_id,
        user=other,
        action="process",
        target=lc.SERVICE_FAIT,
        idempotency_key="first",
    )
    with pytest.raises(ActionInProgress) as info:
        services.invoice_process(user=accountant, invoice=invoice, target=lc.SUSPENDUE, reason="x", idempotency_key="2")
    assert "déjà en cours" in info.value.message
    assert sandbox_control.calls(TRAITER) == 0


def test_stale_form_is_rejected(sandbox_connection, synced, accountant):
    invoice = _one(sandbox_connection)
    with pytest.raises(ActionRejected):
        services.invoice_process(
            user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, expected_status=lc.SERVICE_FAIT
        )


def test_refusal_is_recorded_and_mirror_refreshed(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    # Someone else rejects it directly in Chorus Pro: our mirror still says MISE_A_DISPOSITION.
    from chorusweb.factpulse import get_client

    get_client(sandbox_connection).traiter_facture_recue(
        invoice_id=invoice.invoice_id, new_status=lc.REJETEE, reason="Doublon"
    )
    with pytest.raises(services.ProcessRefused) as info:
        services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="r")
    assert info.value.entry.state == AuditEntry.State.REFUSED
    assert info.value.entry.outcome
    invoice.refresh_from_db()
    assert invoice.status == lc.REJETEE  # refreshed from upstream


def test_sync_page_fetched_before_an_action_settled_keeps_the_action_state(
    sandbox_connection, synced, accountant, sandbox_control, monkeypatch
):
    """The action settles while a sync's page is on its way: the older page never reverts it."""
    from django.db import connection as db

    from chorusweb.factpulse import FactPulseClient

    invoice = _one(sandbox_connection)
    search = FactPulseClient.rechercher_factures_destinataire
    acted = []

    def search_then_act(self, **kwargs):
        page = search(self, **kwargs)  # the page says MISE_A_DISPOSITION
        if not acted and kwargs.get("page") == 1:
            try:
                acted.append(
                    services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, refresh=False)
                )
            finally:
                db.close()  # this runs in the sync's prefetch thread
        return page

    monkeypatch.setattr(FactPulseClient, "rechercher_factures_destinataire", search_then_act)
    run = services.sync_received(connection=sandbox_connection, full=True)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert acted
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT
    events = list(InvoiceEvent.objects.filter(invoice=invoice).order_by("pk").values_list("status", "source"))
    assert events == [
        (lc.MISE_A_DISPOSITION, InvoiceEvent.Source.SYNC),
        (lc.SERVICE_FAIT, InvoiceEvent.Source.ACTION),
    ]
    # A later sync reads the new state upstream: nothing changes, no entry is added.
    monkeypatch.setattr(FactPulseClient, "rechercher_factures_destinataire", search)
    services.sync_received(connection=sandbox_connection, full=True)
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == 2


def test_sync_row_with_an_older_status_change_never_overwrites_the_mirror(sandbox_connection, synced, accountant):
    import dataclasses
    from datetime import timedelta

    from chorusweb.factpulse import get_client

    invoice = _one(sandbox_connection)
    services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT)
    invoice.refresh_from_db()
    page = get_client(sandbox_connection).rechercher_factures_destinataire(invoice_number=invoice.invoice_number)
    fresh = next(row for row in page.items if row.invoice_id == invoice.invoice_id)
    assert fresh.status == lc.SERVICE_FAIT
    older = dataclasses.replace(
        fresh, status=lc.MISE_A_DISPOSITION, status_changed_at=invoice.status_changed_at - timedelta(minutes=5)
    )
    events = InvoiceEvent.objects.filter(invoice=invoice).count()
    stats = services.upsert_received_rows(sandbox_connection, [older])
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT and stats.changed == 0
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == events
    # A genuinely newer change upstream still comes in.
    newer = dataclasses.replace(
        fresh, status=lc.MANDATEE, status_changed_at=invoice.status_changed_at + timedelta(minutes=5)
    )
    services.upsert_received_rows(sandbox_connection, [newer])
    invoice.refresh_from_db()
    assert invoice.status == lc.MANDATEE


def test_write_failure_is_not_retried(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    sandbox_control.faults(error_status=503, error_rate=1.0, endpoints=[TRAITER])
    with pytest.raises(FactPulseUnavailable):
        services.invoice_process(user=accountant, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="f")
    assert sandbox_control.calls(TRAITER) == 1
    entry = AuditEntry.objects.get(idempotency_key="f")
    assert entry.state == AuditEntry.State.FAILED and entry.settled_at is not None
    invoice.refresh_from_db()
    assert invoice.status == lc.MISE_A_DISPOSITION


def test_rules_checked_before_sending(sandbox_connection, synced, accountant, sandbox_control):
    invoice = _one(sandbox_connection)
    with pytest.raises(ActionRejected):
        services.invoice_process(user=accountant, invoice=invoice, target=lc.REJETEE, reason="")
    paid = _one(sandbox_connection, status=lc.MISE_EN_PAIEMENT)
    with pytest.raises(ActionRejected):
        services.invoice_process(user=accountant, invoice=paid, target=lc.SERVICE_FAIT)
    assert sandbox_control.calls(TRAITER) == 0
    assert not AuditEntry.objects.exists()


def test_viewer_cannot_process(sandbox_connection, synced, sandbox_control):
    from django.core.exceptions import PermissionDenied

    viewer = UserFactory(username="lecteur")
    MembershipFactory(user=viewer, connection=sandbox_connection, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.invoice_process(user=viewer, invoice=_one(sandbox_connection), target=lc.SERVICE_FAIT)
    assert sandbox_control.calls(TRAITER) == 0


def test_bulk_skips_disallowed_and_reports_each(sandbox_connection, synced, accountant, sandbox_control):
    todo = list(ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:4])
    paid = _one(sandbox_connection, status=lc.MISE_EN_PAIEMENT)
    run = services.bulk_process_start(user=accountant, invoices=[*todo, paid], target=lc.SERVICE_FAIT)
    run.refresh_from_db()
    assert run.state == run.State.FINISHED
    assert [s["pk"] for s in run.skipped] == [paid.pk]
    results = bulk_results(run)
    assert [e.state for e in results] == [AuditEntry.State.DONE] * 4
    assert sandbox_control.calls(TRAITER) == 4
    assert set(ReceivedInvoice.objects.filter(pk__in=[i.pk for i in todo]).values_list("status", flat=True)) == {
        lc.SERVICE_FAIT
    }


def test_refusal_inside_a_bulk_run_refreshes_the_invoice(sandbox_connection, synced, accountant, sandbox_control):
    from chorusweb.factpulse import get_client

    first, second = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:2]
    # Someone rejects the first one directly in Chorus Pro: our mirror still says MISE_A_DISPOSITION.
    get_client(sandbox_connection).traiter_facture_recue(
        invoice_id=first.invoice_id, new_status=lc.REJETEE, reason="Doublon"
    )
    run = services.bulk_process_start(user=accountant, invoices=[first, second], target=lc.SERVICE_FAIT)
    states = {e.invoice_id: e.state for e in bulk_results(run)}
    assert states == {first.invoice_id: AuditEntry.State.REFUSED, second.invoice_id: AuditEntry.State.DONE}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == lc.REJETEE  # refreshed from upstream after the refusal
    assert second.status == lc.SERVICE_FAIT


def test_bulk_limit(sandbox_connection, synced, accountant, settings):
    settings.CHORUSWEB_BULK_MAX = 2
    with pytest.raises(ActionRejected):
        services.bulk_process_start(
            user=accountant, invoices=list(ReceivedInvoice.objects.all()[:3]), target=lc.SERVICE_FAIT
        )


def test_group_download_split_and_merged_with_manifest(sandbox_connection, synced, accountant, sandbox_control):
    chosen = list(ReceivedInvoice.objects.order_by("pk")[:12])
    result = services.invoices_download(user=accountant, invoices=chosen, file_format="ZIP")
    try:
        assert sandbox_control.calls(DOWNLOAD) == 2  # 10 + 2
        assert result.filename.endswith(".zip") and result.count == 12
        with zipfile.ZipFile(result.path) as archive:
            names = archive.namelist()
            manifest = archive.read("manifest.csv").decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(manifest), delimiter=";"))
        assert len(rows) == 13
        assert {r[0] for r in rows[1:]} == {inv.invoice_number for inv in chosen}
        assert all(r[4] for r in rows[1:]), rows  # every invoice has its files listed
        assert sum(1 for n in names if n.endswith(".pdf")) >= 12
    finally:
        result.path.unlink(missing_ok=True)
    assert ReceivedInvoice.objects.filter(pk__in=[c.pk for c in chosen], downloaded=True).count() == 12
    assert AuditEntry.objects.filter(action="download", state=AuditEntry.State.DONE).count() == 2


def test_download_that_timed_out_is_reported_once_not_retried(
    sandbox_connection, synced, accountant, sandbox_control, settings
):
    """A group download marks invoices downloaded upstream: it is never sent again by retries."""
    settings.FACTPULSE_MAX_RETRIES = 3
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = 0.5
    sandbox_control.faults(timeout_seconds=1.5, endpoints=[DOWNLOAD])
    with pytest.raises(FactPulseError):
        services.invoices_download(user=accountant, invoices=[_one(sandbox_connection)], file_format="PDF")
    assert sandbox_control.calls(DOWNLOAD) == 1
    entry = AuditEntry.objects.get(action="download")
    # Its outcome was unknown, then checked upstream at once: the invoice shows as downloaded.
    assert entry.state == AuditEntry.State.DONE and entry.checked_at is not None


def test_single_download_is_passed_through(sandbox_connection, synced, accountant):
    invoice = _one(sandbox_connection)
    result = services.invoices_download(user=accountant, invoices=[invoice], file_format="PDF")
    try:
        assert result.content_type == "application/pdf"
        assert result.path.read_bytes()[:4] == b"%PDF"
    finally:
        result.path.unlink(missing_ok=True)


def test_document_fetched_once_parsed_and_stored(
    sandbox_connection, synced, accountant, sandbox_control, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    invoice = _one(sandbox_connection)
    stored = services.invoice_document_fetch(user=accountant, invoice=invoice)
    assert stored.kind == "zip"
    assert stored.content["invoice_number"] == invoice.invoice_number
    assert stored.content["mismatches"] == []
    assert stored.content["lines"]
    again = services.invoice_document_fetch(user=accountant, invoice=invoice)
    assert again.pk == stored.pk
    assert sandbox_control.calls(DOWNLOAD) == 1
    invoice.refresh_from_db()
    assert invoice.downloaded is True
    assert InvoiceDocument.objects.count() == 1


def test_upstream_outage_on_download_is_explained(sandbox_connection, synced, accountant, sandbox_control):
    sandbox_control.faults(error_status=503, error_rate=1.0, endpoints=[DOWNLOAD])
    with pytest.raises(FactPulseError):
        services.invoices_download(user=accountant, invoices=[_one(sandbox_connection)])
    assert AuditEntry.objects.get(action="download").state == AuditEntry.State.FAILED


def test_sync_enqueue_runs_in_background_task(sandbox_connection, accountant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.sync_received_enqueue(user=accountant)
    assert len(runs) == 1
    run = SyncRun.objects.get(pk=runs[0].pk)
    assert run.state == SyncRun.State.SUCCEEDED
    assert run.finished_at <= timezone.now()


def test_two_users_really_at_once_send_once(sandbox_connection, synced, accountant, sandbox_control):
    """Two requests in flight together (threads, real database): exactly one upstream call."""
    import threading

    from django.db import connections

    invoice = _one(sandbox_connection)
    other = UserFactory(username="bob")
    MembershipFactory(user=other, connection=sandbox_connection, role=Role.RECIPIENT)
    sandbox_control.faults(latency_ms=600, endpoints=[TRAITER])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(user, key):
        try:
            barrier.wait()
            services.invoice_process(
                user=user,
                invoice=ReceivedInvoice.objects.get(pk=invoice.pk),
                target=lc.SERVICE_FAIT,
                idempotency_key=key,
                refresh=False,
            )
            outcomes.append("done")
        except ActionInProgress:
            outcomes.append("in-progress")
        except Exception as exc:  # pragma: no cover - shows up in the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(u, k)) for u, k in ((accountant, "t-1"), (other, "t-2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["done", "in-progress"], outcomes
    assert sandbox_control.calls(TRAITER) == 1
