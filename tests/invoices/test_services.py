"""Services of the received invoices workspace: sync, processing, bulk runs, downloads.

They run on the in-memory gateway (`fake_factpulse`); two tests run on the sandbox over HTTP,
at the end of this file (see there why).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.audit import ActionInProgress, ActionRejected, AlreadySubmitted
from chorusweb.bulk import bulk_results
from chorusweb.factpulse import FactPulseError, FactPulseUnavailable
from chorusweb.models import AuditEntry, Role, SyncRun, Workspace
from invoices import services
from invoices.models import InvoiceDocument, InvoiceEvent, ReceivedInvoice
from tests.factories import MembershipFactory, UserFactory

PROCESS = "traiter_facture_recue"
SEARCH = "rechercher_factures_destinataire"
DOWNLOAD = "telecharger_groupe_factures"

#: What the mirror holds after the first sync: twelve invoices to process and one of each later status.
STATUSES = [lc.MISE_A_DISPOSITION] * 12 + [lc.SUSPENDUE, lc.REJETEE, lc.MANDATEE, lc.MISE_EN_PAIEMENT]


@pytest.fixture
def upstream(db, fake_factpulse):
    """The invoices upstream (each with its native row), their status set ten days ago (before any
    incremental window)."""
    changed = timezone.now() - timedelta(days=10)
    for status in STATUSES:
        fake_factpulse.add_received(status=status, status_changed_at=changed, raw={"statut": status})
    return fake_factpulse


@pytest.fixture
def synced(upstream, connection):
    run = services.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    upstream.calls.clear()  # the tests count the calls of what they do
    return run


def _one(connection, status=lc.MISE_A_DISPOSITION, **filters) -> ReceivedInvoice:
    return ReceivedInvoice.objects.filter(connection=connection, status=status, **filters).order_by("pk").first()


def test_full_then_incremental_sync(connection, upstream):
    run = services.sync_received(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    assert run.full is True
    count = ReceivedInvoice.objects.filter(connection=connection).count()
    assert count == run.rows_seen == run.rows_created == len(STATUSES)
    assert InvoiceEvent.objects.filter(invoice__connection=connection).count() == count
    statuses = set(ReceivedInvoice.objects.values_list("status", flat=True))
    assert {lc.MISE_A_DISPOSITION, lc.SUSPENDUE, lc.REJETEE, lc.MISE_EN_PAIEMENT} <= statuses
    assert ReceivedInvoice.objects.exclude(raw={}).count() == count

    for _ in range(3):  # three new invoices deposited upstream
        upstream.add_received(status_changed_at=timezone.now())
    again = services.sync_received(connection=connection)
    assert again.state == SyncRun.State.SUCCEEDED
    assert again.full is False and again.since is not None
    assert again.rows_seen < count  # incremental: only what changed since the last run
    assert ReceivedInvoice.objects.filter(connection=connection).count() >= count  # never loses rows


def test_sync_failure_is_recorded_and_mirror_kept(connection, synced, fake_factpulse):
    before = ReceivedInvoice.objects.count()
    fake_factpulse.fail(SEARCH, FactPulseUnavailable())
    run = services.sync_received(connection=connection, full=True)
    assert run.state == SyncRun.State.FAILED
    assert "ne répond pas" in run.error
    assert ReceivedInvoice.objects.count() == before


def test_process_suspend_updates_mirror_timeline_and_audit(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    outcome = services.invoice_process(
        user=recipient,
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
    assert fake_factpulse.count(PROCESS) == 1


def test_double_submit_sends_once(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="same")
    with pytest.raises(AlreadySubmitted):
        services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="same")
    assert fake_factpulse.count(PROCESS) == 1
    assert AuditEntry.objects.filter(idempotency_key="same").count() == 1


def test_two_users_at_once_second_is_told(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    other = UserFactory(username="bob")
    MembershipFactory(user=other, connection=connection, role=Role.RECIPIENT)
    AuditEntry.objects.create(  # the first user's action, still being sent
        workspace=Workspace.RECEIVED,
        connection=connection,
        invoice_id=invoice.invoice_id,
        user=other,
        action="process",
        target=lc.SERVICE_FAIT,
        idempotency_key="first",
    )
    with pytest.raises(ActionInProgress) as info:
        services.invoice_process(user=recipient, invoice=invoice, target=lc.SUSPENDUE, reason="x", idempotency_key="2")
    assert "déjà en cours" in info.value.message
    assert fake_factpulse.count(PROCESS) == 0


def test_stale_form_is_rejected(connection, synced, recipient):
    invoice = _one(connection)
    with pytest.raises(ActionRejected):
        services.invoice_process(
            user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, expected_status=lc.SERVICE_FAIT
        )


def test_refusal_is_recorded_and_mirror_refreshed(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    # Someone else rejects it directly in Chorus Pro: our mirror still says MISE_A_DISPOSITION.
    fake_factpulse.traiter_facture_recue(invoice_id=invoice.invoice_id, new_status=lc.REJETEE, reason="Doublon")
    with pytest.raises(services.ProcessRefused) as info:
        services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="r")
    assert info.value.entry.state == AuditEntry.State.REFUSED
    assert info.value.entry.outcome
    invoice.refresh_from_db()
    assert invoice.status == lc.REJETEE  # refreshed from upstream


def test_sync_page_fetched_before_an_action_settled_keeps_the_action_state(connection, synced, recipient, monkeypatch):
    """The action settles while a sync's page is on its way: the older page never reverts it."""
    invoice = _one(connection)
    store = services.upsert_received_rows
    acted = []

    def act_then_store(connection, rows, **kwargs):
        # The page was asked before the action (it says MISE_A_DISPOSITION); it is stored after.
        if not acted:
            acted.append(
                services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, refresh=False)
            )
        return store(connection, rows, **kwargs)

    monkeypatch.setattr(services, "upsert_received_rows", act_then_store)
    run = services.sync_received(connection=connection, full=True)
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
    monkeypatch.setattr(services, "upsert_received_rows", store)
    services.sync_received(connection=connection, full=True)
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == 2


def test_sync_row_with_an_older_status_change_never_overwrites_the_mirror(
    connection, synced, recipient, fake_factpulse
):
    invoice = _one(connection)
    services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT)
    invoice.refresh_from_db()
    page = fake_factpulse.rechercher_factures_destinataire(invoice_number=invoice.invoice_number)
    fresh = next(row for row in page.items if row.invoice_id == invoice.invoice_id)
    assert fresh.status == lc.SERVICE_FAIT
    older = dataclasses.replace(
        fresh, status=lc.MISE_A_DISPOSITION, status_changed_at=invoice.status_changed_at - timedelta(minutes=5)
    )
    events = InvoiceEvent.objects.filter(invoice=invoice).count()
    stats = services.upsert_received_rows(connection, [older])
    invoice.refresh_from_db()
    assert invoice.status == lc.SERVICE_FAIT and stats.changed == 0
    assert InvoiceEvent.objects.filter(invoice=invoice).count() == events
    # A genuinely newer change upstream still comes in.
    newer = dataclasses.replace(
        fresh, status=lc.MANDATEE, status_changed_at=invoice.status_changed_at + timedelta(minutes=5)
    )
    services.upsert_received_rows(connection, [newer])
    invoice.refresh_from_db()
    assert invoice.status == lc.MANDATEE


def test_write_failure_is_not_retried(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    fake_factpulse.fail(PROCESS, FactPulseUnavailable(), times=3)
    with pytest.raises(FactPulseUnavailable):
        services.invoice_process(user=recipient, invoice=invoice, target=lc.SERVICE_FAIT, idempotency_key="f")
    assert fake_factpulse.count(PROCESS) == 1
    entry = AuditEntry.objects.get(idempotency_key="f")
    assert entry.state == AuditEntry.State.FAILED and entry.settled_at is not None
    invoice.refresh_from_db()
    assert invoice.status == lc.MISE_A_DISPOSITION


def test_rules_checked_before_sending(connection, synced, recipient, fake_factpulse):
    invoice = _one(connection)
    with pytest.raises(ActionRejected):
        services.invoice_process(user=recipient, invoice=invoice, target=lc.REJETEE, reason="")
    paid = _one(connection, status=lc.MISE_EN_PAIEMENT)
    with pytest.raises(ActionRejected):
        services.invoice_process(user=recipient, invoice=paid, target=lc.SERVICE_FAIT)
    assert fake_factpulse.count(PROCESS) == 0
    assert not AuditEntry.objects.exists()


def test_viewer_cannot_process(connection, synced, viewer, fake_factpulse):
    with pytest.raises(PermissionDenied):
        services.invoice_process(user=viewer, invoice=_one(connection), target=lc.SERVICE_FAIT)
    assert fake_factpulse.count(PROCESS) == 0


def test_bulk_skips_disallowed_and_reports_each(
    connection, synced, recipient, fake_factpulse, django_capture_on_commit_callbacks
):
    todo = list(ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:4])
    paid = _one(connection, status=lc.MISE_EN_PAIEMENT)
    with django_capture_on_commit_callbacks(execute=True):  # the run's task starts once it is committed
        run = services.bulk_process_start(user=recipient, invoices=[*todo, paid], target=lc.SERVICE_FAIT)
    run.refresh_from_db()
    assert run.state == run.State.FINISHED
    assert [s["pk"] for s in run.skipped] == [paid.pk]
    results = bulk_results(run)
    assert [e.state for e in results] == [AuditEntry.State.DONE] * 4
    assert fake_factpulse.count(PROCESS) == 4
    assert set(ReceivedInvoice.objects.filter(pk__in=[i.pk for i in todo]).values_list("status", flat=True)) == {
        lc.SERVICE_FAIT
    }


def test_refusal_inside_a_bulk_run_refreshes_the_invoice(
    synced, recipient, fake_factpulse, django_capture_on_commit_callbacks
):
    first, second = ReceivedInvoice.objects.filter(status=lc.MISE_A_DISPOSITION).order_by("pk")[:2]
    # Someone rejects the first one directly in Chorus Pro: our mirror still says MISE_A_DISPOSITION.
    fake_factpulse.traiter_facture_recue(invoice_id=first.invoice_id, new_status=lc.REJETEE, reason="Doublon")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.bulk_process_start(user=recipient, invoices=[first, second], target=lc.SERVICE_FAIT)
    states = {e.invoice_id: e.state for e in bulk_results(run)}
    assert states == {first.invoice_id: AuditEntry.State.REFUSED, second.invoice_id: AuditEntry.State.DONE}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == lc.REJETEE  # refreshed from upstream after the refusal
    assert second.status == lc.SERVICE_FAIT


def test_bulk_limit(synced, recipient, settings):
    settings.CHORUSWEB_BULK_MAX = 2
    with pytest.raises(ActionRejected):
        services.bulk_process_start(
            user=recipient, invoices=list(ReceivedInvoice.objects.all()[:3]), target=lc.SERVICE_FAIT
        )


def test_group_download_split_and_merged_with_manifest(synced, recipient, fake_factpulse):
    chosen = list(ReceivedInvoice.objects.order_by("pk")[:12])
    result = services.invoices_download(user=recipient, invoices=chosen, file_format="ZIP")
    try:
        assert fake_factpulse.count(DOWNLOAD) == 2  # 10 + 2
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


def test_single_download_is_passed_through(connection, synced, recipient):
    invoice = _one(connection)
    result = services.invoices_download(user=recipient, invoices=[invoice], file_format="PDF")
    try:
        assert result.content_type == "application/pdf"
        assert result.path.read_bytes()[:4] == b"%PDF"
    finally:
        result.path.unlink(missing_ok=True)


def test_document_fetched_once_parsed_and_stored(connection, synced, recipient, fake_factpulse, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = _one(connection)
    stored = services.invoice_document_fetch(user=recipient, invoice=invoice)
    assert stored.kind == "zip"
    assert stored.content["invoice_number"] == invoice.invoice_number
    assert stored.content["mismatches"] == []
    assert stored.content["lines"]
    again = services.invoice_document_fetch(user=recipient, invoice=invoice)
    assert again.pk == stored.pk
    assert fake_factpulse.count(DOWNLOAD) == 1
    invoice.refresh_from_db()
    assert invoice.downloaded is True
    assert InvoiceDocument.objects.count() == 1


def test_upstream_outage_on_download_is_explained(connection, synced, recipient, fake_factpulse):
    fake_factpulse.fail(DOWNLOAD, FactPulseUnavailable())
    with pytest.raises(FactPulseError):
        services.invoices_download(user=recipient, invoices=[_one(connection)])
    assert AuditEntry.objects.get(action="download").state == AuditEntry.State.FAILED


def test_sync_enqueue_runs_in_background_task(upstream, recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.sync_received_enqueue(user=recipient)
    assert len(runs) == 1
    run = SyncRun.objects.get(pk=runs[0].pk)
    assert run.state == SyncRun.State.SUCCEEDED
    assert run.finished_at <= timezone.now()


# --- on the sandbox over HTTP ----------------------------------------------------------------
#
# Two tests need a real upstream: one times a download out at the HTTP layer (the gateway must
# not retry it), the other sends from two threads at once (each thread has its own database
# connection, so the rows must be committed: transactional_db, and upstream answers slowly
# while the other request is in flight).

SANDBOX_PROCESS = "factures/traiter-facture-recue"
SANDBOX_DOWNLOAD = "factures/telecharger-groupe"


@pytest.fixture
def accountant(sandbox_connection):
    user = UserFactory(username="claire")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.RECIPIENT)
    run = services.sync_received(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return user


def test_download_that_timed_out_is_reported_once_not_retried(
    sandbox_connection, accountant, sandbox_control, settings
):
    """A group download marks invoices downloaded upstream: it is never sent again by retries."""
    settings.FACTPULSE_MAX_RETRIES = 3
    settings.FACTPULSE_DOWNLOAD_TIMEOUT = 0.5
    sandbox_control.faults(timeout_seconds=1.5, endpoints=[SANDBOX_DOWNLOAD])
    with pytest.raises(FactPulseError):
        services.invoices_download(user=accountant, invoices=[_one(sandbox_connection)], file_format="PDF")
    assert sandbox_control.calls(SANDBOX_DOWNLOAD) == 1
    entry = AuditEntry.objects.get(action="download")
    # Its outcome was unknown, then checked upstream at once: the invoice shows as downloaded.
    assert entry.state == AuditEntry.State.DONE and entry.checked_at is not None


def test_two_users_really_at_once_send_once(sandbox_connection, accountant, sandbox_control):
    """Two requests in flight together (threads, real database): exactly one upstream call."""
    import threading

    from django.db import connections

    invoice = _one(sandbox_connection)
    other = UserFactory(username="bob")
    MembershipFactory(user=other, connection=sandbox_connection, role=Role.RECIPIENT)
    sandbox_control.faults(latency_ms=600, endpoints=[SANDBOX_PROCESS])
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
    assert sandbox_control.calls(SANDBOX_PROCESS) == 1
