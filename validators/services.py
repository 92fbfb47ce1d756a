"""Writes of the validation workspace: sync, approve / refuse, bulk approve, detail, document.

The mechanisms are the received workspace's: the sync bookkeeping of `chorusweb.sync`, the
fast upsert of `chorusweb.mirror`, the audit trail and single-send guarantee of
`chorusweb.audit`, background tasks through `django.tasks`. Only the validation rules and the
validator's mirror are specific.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb import lifecycle as lc
from chorusweb import mirror
from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, UpstreamRefused, audit_settle, check_unchanged, resend, send_once
from chorusweb.bulk import BulkPlan, bulk_already_started, bulk_item, bulk_run_create, plan
from chorusweb.exports import GroupZip
from chorusweb.factpulse import (
    DownloadedDocument,
    FactPulseError,
    ValidatorInvoiceDetail,
    ValidatorInvoiceRow,
    get_client,
    read_validator_detail,
)
from chorusweb.models import AuditEntry, BulkRun, Connection, SyncRun, Workspace
from chorusweb.sync import MirrorSync, PageStats, SyncAlreadyRunning, sync_recording, sync_start, sync_task_run
from invoices.models import ReceivedInvoice
from invoices.services import upsert_received_rows
from validators.models import QueueState, ValidationDetail, ValidationInvoice, level_of, state_of

logger = logging.getLogger(__name__)

#: At most this many invoices in one bulk approval (the issue's limit).
BULK_APPROVE_MAX = 100

#: An incremental sync re-reads every invoice deposited since this many days before the last
#: successful sync: beyond the 15 days of the validator (and a margin for the tacit
#: validation's own delay), a validation status no longer changes.
SYNC_WINDOW_DAYS = lc.VALIDATION_DELAY_DAYS + 3

# --- Mirror -------------------------------------------------------------------------------

#: Mirror fields written from a search row (everything but keys and bookkeeping).
ROW_FIELDS = (
    "invoice_number",
    "invoice_type",
    "framework",
    "status",
    "state",
    "level",
    "status_changed_at",
    "invoice_date",
    "deposit_date",
    "deadline",
    "total_excl_tax",
    "total_incl_tax",
    "amount_due",
    "currency",
    "supplier_upstream_id",
    *mirror.PARTY_FIELDS,
    "validator_code",
    "validator_name",
    "moe_name",
    "moa_name",
    "contract_number",
    "engagement_number",
)


#: The row's attributes whose names are not the mirror's.
RENAMED = {"deadline": "validation_deadline", "supplier_upstream_id": "supplier_id"}


def _mirror_values(row: ValidatorInvoiceRow) -> dict:
    status = lc.normalise_status(row.status) or row.status
    derived = {"status": status, "state": state_of(status), "level": level_of(status)}
    read = [name for name in ROW_FIELDS if name not in derived]
    return {**mirror.row_values(ValidationInvoice, row, read, renamed=RENAMED), **derived}


def upsert_validation_rows(
    connection: Connection, rows: Sequence[ValidatorInvoiceRow], *, fetched_at: datetime | None = None
) -> PageStats:
    """Insert or update one page of `valideur/rechercher` rows (one statement for the page).

    A row older than what the mirror holds (its page asked for before an action on it settled,
    or an older `dateHeureEtatCourant`) is left out: the mirror keeps the newer state.
    """
    if not rows:
        return PageStats(0, 0, 0)
    with transaction.atomic():
        page = mirror.write_page(
            ValidationInvoice, connection, rows, _mirror_values, fetched_at=fetched_at, insert={"status_comment": ""}
        )
    return page.stats()


def _window_start(connection: Connection, since: datetime | None) -> date | None:
    """First deposit day re-read by an incremental sync: None for a full pass."""
    if since is None:
        return None
    start = timezone.localdate(since) - timedelta(days=SYNC_WINDOW_DAYS)
    oldest_waiting = (
        ValidationInvoice.objects.filter(connection=connection, state=QueueState.AWAITING, deposit_date__isnull=False)
        .order_by("deposit_date")
        .values_list("deposit_date", flat=True)
        .first()
    )
    return min(start, oldest_waiting) if oldest_waiting else start


@task()
def sync_validation_task(run_id: int, attempt: int = 1) -> str:
    """Synchronise a connection's mirror (a read: retried with backoff when upstream is down)."""
    return sync_task_run(run_id, _sync_validation, sync_validation_task, attempt)


def _sync_validation(run: SyncRun) -> SyncRun:
    """Page through the connection's validation queue into the mirror (every invoice deposited in
    the window), then set aside the invoices awaiting us that upstream no longer lists."""
    connection = run.connection
    with sync_recording(run) as sync:
        client = get_client(connection)
        start = _window_start(connection, run.since)
        seen: set[int] = set()
        for page, asked_at in sync.pages(
            lambda number: client.valideur_rechercher_factures(
                deposited_from=start,
                page=number,
                page_size=settings.CHORUSWEB_SYNC_PAGE_SIZE,
                sort_column="IdFacture",
                sort_desc=False,
            )
        ):
            seen.update(row.invoice_id for row in page.items)
            sync.page(upsert_validation_rows(connection, page.items, fetched_at=asked_at), page.total)
        # Still in our queue but no longer in Chorus Pro's answer: not awaiting anyone any more.
        vanished = ValidationInvoice.objects.filter(connection=connection, state=QueueState.AWAITING).exclude(
            invoice_id__in=seen
        )
        if start is not None:
            vanished = vanished.filter(deposit_date__gte=start)
        vanished.update(state=QueueState.GONE, synced_at=timezone.now())
    return run


#: The workspace's sync: now (`sync_validation`), or in the background from its list page.
VALIDATION_SYNC = MirrorSync(Workspace.VALIDATION, Action.VIEW_VALIDATION, _sync_validation, sync_validation_task)
sync_validation = VALIDATION_SYNC.now
sync_validation_enqueue = VALIDATION_SYNC.enqueue
sync_validation_first_visit = VALIDATION_SYNC.first_visit


def refresh_validation(*, invoice: ValidationInvoice) -> None:
    """Re-read one invoice from upstream (by number) after an action. Best effort."""
    mirror.refresh(get_client(invoice.connection).valideur_rechercher_factures, upsert_validation_rows, invoice)


def _refresh_received(*, user, invoice: ValidationInvoice):
    """After an approval, bring the invoice into the received mirror (for a user who holds both roles).

    Returns the received invoice, or None (no recipient access, not routed yet, upstream down).
    """
    if not access_for(user).can(Action.VIEW_RECEIVED, invoice.connection_id, invoice.service_code):
        return None
    if not mirror.refresh(
        get_client(invoice.connection).rechercher_factures_destinataire, upsert_received_rows, invoice
    ):
        return None
    return ReceivedInvoice.objects.filter(connection=invoice.connection, invoice_id=invoice.invoice_id).first()


# --- Approve / refuse -----------------------------------------------------------------------


class ValidationRefused(UpstreamRefused):
    """Chorus Pro refused the decision (non-zero codeRetour)."""


@dataclass
class ValidationOutcome:
    invoice: ValidationInvoice
    entry: AuditEntry
    message: str
    received: object | None = None  # the ReceivedInvoice it became, when the user may see it


def check_decision(invoice: ValidationInvoice, action: str, reason: str) -> str:
    """Why the decision cannot be sent ("" when it can)."""
    if action not in lc.VALIDATION_ACTIONS:
        return _("Décision inconnue.")
    if invoice.status not in lc.AWAITING_VALIDATION:
        return _("Cette facture n'attend plus de validation (statut « %(status)s »).") % {
            "status": invoice.status_label
        }
    if action == lc.VALIDATION_ACTION_REFUSE and not reason:
        return _("Un motif est obligatoire pour refuser une facture.")
    if len(reason) > lc.REASON_MAX_LENGTH:
        return _("Le motif ne doit pas dépasser %(max)d caractères.") % {"max": lc.REASON_MAX_LENGTH}
    return ""


def _outcome_message(row: ValidationInvoice, action: str) -> str:
    number = row.invoice_number or str(row.invoice_id)
    if action == lc.VALIDATION_ACTION_APPROVE:
        return _(
            "Facture %(number)s validée : elle est transmise à %(recipient)s, qui la reçoit « Mise à disposition »."
        ) % {"number": number, "recipient": row.recipient_name or _("son destinataire")}
    return _("Facture %(number)s refusée : elle est renvoyée au fournisseur %(supplier)s avec votre motif.") % {
        "number": number,
        "supplier": row.supplier_name,
    }


def invoice_decide(
    *,
    user,
    invoice: ValidationInvoice,
    action: str,
    reason: str = "",
    complement: str = "",
    idempotency_key: str | None = None,
    expected_status: str | None = None,
    batch: uuid.UUID | None = None,
    refresh: bool = True,
) -> ValidationOutcome:
    """Approve (`VALIDATION`) or refuse (`REFUS`) an invoice through `valideur/traiter`, exactly once.

    Raises ActionRejected (not sent: rule, double submit, concurrent action, stale form),
    ValidationRefused (sent, refused by Chorus Pro) or FactPulseError (upstream failure).
    """
    access_for(user).require(Action.VALIDATE, invoice.connection_id, invoice.service_code)
    action = (action or "").strip().upper()
    reason = (reason or "").strip()
    complement = (complement or "").strip()
    why = check_decision(invoice, action, reason)
    if why:
        raise ActionRejected(why)
    check_unchanged(invoice, expected_status)
    entry, result = send_once(
        lambda: get_client(invoice.connection).valideur_traiter_facture(
            invoice_id=invoice.invoice_id, action=action, reason=reason or None, complement=complement or None
        ),
        Workspace.VALIDATION,
        user,
        invoice=invoice,
        refused=ValidationRefused,
        on_refused=lambda: refresh_validation(invoice=invoice),
        action="validate",
        target=action,
        reason=reason,
        details={"complement": complement, "status_before": invoice.status}
        if complement
        else {"status_before": invoice.status},
        idempotency_key=idempotency_key,
        batch=batch,
    )
    if result is None:
        # The answer was lost but the check upstream shows the decision applied (mirror refreshed).
        return ValidationOutcome(ValidationInvoice.objects.get(pk=invoice.pk), entry, entry.outcome, None)

    with transaction.atomic():
        row = ValidationInvoice.objects.select_for_update().get(pk=invoice.pk)
        row.status = lc.normalise_status(result.status) or lc.AWAITING_VALIDATION[row.status][action]
        row.state = state_of(row.status)
        row.level = level_of(row.status) or row.level
        row.status_changed_at = result.processed_at or timezone.now()
        row.status_comment = reason or complement
        row.synced_at = timezone.now()  # the state known last: older pages never overwrite it
        row.save(update_fields=["status", "state", "level", "status_changed_at", "status_comment", "synced_at"])
        audit_settle(entry, state=AuditEntry.State.DONE, outcome=_outcome_message(row, action))
    received = None
    if refresh:
        refresh_validation(invoice=row)
        row.refresh_from_db()
        if action == lc.VALIDATION_ACTION_APPROVE:
            received = _refresh_received(user=user, invoice=row)
    return ValidationOutcome(row, entry, entry.outcome, received)


# --- Bulk approval --------------------------------------------------------------------------


def bulk_approve_plan(*, user, invoices: Sequence[ValidationInvoice]) -> BulkPlan:
    """Split the selection: invoices that can be approved, and why the others cannot."""
    access = access_for(user)

    def why(invoice: ValidationInvoice) -> str:
        if not access.can(Action.VALIDATE, invoice.connection_id, invoice.service_code):
            return _("Vous ne pouvez pas valider les factures de ce service.")
        return check_decision(invoice, lc.VALIDATION_ACTION_APPROVE, "")

    return plan(invoices, why=why)


def bulk_approve_start(
    *, user, invoices: Sequence[ValidationInvoice], complement: str = "", idempotency_key: str | None = None
) -> BulkRun:
    """Check every invoice first, record the run (once per form key), then send in the background."""
    if (replay := bulk_already_started(idempotency_key)) is not None:
        raise replay
    if len(invoices) > BULK_APPROVE_MAX:
        raise ActionRejected(
            _("Une validation par lot porte sur %(max)d factures au plus.") % {"max": BULK_APPROVE_MAX}
        )
    if not invoices:
        raise ActionRejected(_("Aucune facture sélectionnée."))
    checked = bulk_approve_plan(user=user, invoices=invoices)
    return bulk_run_create(
        workspace=Workspace.VALIDATION,
        user=user,
        action="validate",
        target=lc.VALIDATION_ACTION_APPROVE,
        reason="",
        sendable=checked.sendable,
        skipped=checked.skipped,
        extra={"complement": complement},
        idempotency_key=idempotency_key,
    )


def bulk_approve_one(run: BulkRun, invoice_pk: int, key: str, extra: dict):
    """Approve one invoice of a bulk run (see `chorusweb.bulk`); False when it no longer exists."""

    def send(invoice: ValidationInvoice, **sending) -> ValidationOutcome:
        complement = extra.get("complement", "")
        return invoice_decide(invoice=invoice, action=lc.VALIDATION_ACTION_APPROVE, complement=complement, **sending)

    return bulk_item(run, ValidationInvoice, invoice_pk, key, send)


def bulk_approve_finished(run: BulkRun) -> None:
    """Once every approval of a run is settled: synchronise the connections it touched."""

    pks = ValidationInvoice.objects.filter(pk__in=run.invoice_pks).values_list("connection_id", flat=True)
    for connection in Connection.objects.filter(pk__in=set(pks)):
        try:
            sync = sync_start(connection=connection, workspace=Workspace.VALIDATION, user=run.user)
        except SyncAlreadyRunning:
            continue
        transaction.on_commit(lambda run_id=sync.pk: sync_validation_task.enqueue(run_id))


# --- Reconciliation -------------------------------------------------------------------------


def validation_entry_check(entry: AuditEntry) -> bool | None:
    """Re-read upstream the invoice of an unsettled decision, refresh the mirror, and tell whether
    the decision shows as applied (the invoice left the status it had when the decision was sent)."""
    if entry.action != "validate" or not entry.invoice_number:
        return None  # a validator's download leaves no trace upstream that can be read back
    rows = mirror.reread(get_client(entry.connection).valideur_rechercher_factures, upsert_validation_rows, entry)
    if not rows:
        return None
    status = lc.normalise_status(rows[0].status)
    before = entry.details.get("status_before", "")
    expected = lc.AWAITING_VALIDATION.get(before, {}).get(entry.target)
    if expected:
        return status == expected
    return bool(before) and status != before


def validation_entry_resend(*, user, entry: AuditEntry) -> ValidationOutcome:
    """A person's decision: send again a decision that could not be confirmed."""

    def send(invoice: ValidationInvoice, **sending) -> ValidationOutcome:
        complement = entry.details.get("complement", "")
        return invoice_decide(
            invoice=invoice, action=entry.target, reason=entry.reason, complement=complement, **sending
        )

    return resend(entry, user, ValidationInvoice, send)


# --- Detail and document --------------------------------------------------------------------


@dataclass
class DetailRead:
    """The invoice's detail for the page: live, or the cached copy when upstream failed."""

    detail: ValidatorInvoiceDetail | None
    fetched_at: datetime | None
    error: FactPulseError | None = None

    @property
    def stale(self) -> bool:
        return self.error is not None and self.detail is not None


def _plain(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def validation_detail_read(*, invoice: ValidationInvoice) -> DetailRead:
    """Read `valideur/consulter` and keep a copy; on failure, fall back to the last copy."""
    try:
        detail = get_client(invoice.connection).valideur_consulter_facture(invoice_id=invoice.invoice_id)
    except FactPulseError as exc:
        cached = ValidationDetail.objects.filter(invoice=invoice).first()
        if cached is None:
            return DetailRead(None, None, exc)
        try:
            detail = read_validator_detail(cached.answer, invoice_id=invoice.invoice_id)
        except FactPulseError:
            return DetailRead(None, None, exc)
        return DetailRead(detail, cached.fetched_at, exc)
    now = timezone.now()
    ValidationDetail.objects.update_or_create(
        invoice=invoice, defaults={"answer": _plain(detail.raw), "fetched_at": now}
    )
    return DetailRead(detail, now)


def validation_document(
    *, user, invoice: ValidationInvoice, file_format: str = "PDF", include_attachments: bool = False
) -> DownloadedDocument:
    """The invoice's document through the group download (audited). The caller deletes the file."""
    access_for(user).require(Action.DOWNLOAD_VALIDATION, invoice.connection_id, invoice.service_code)
    file_format = (file_format or "PDF").upper()
    entry, document = send_once(
        lambda: get_client(invoice.connection).telecharger_groupe_factures(
            invoice_ids=[invoice.invoice_id], file_format=file_format, include_attachments=include_attachments
        ),
        Workspace.VALIDATION,
        user,
        invoice=invoice,
        action="download",
        target=file_format,
        details={"invoice_ids": [invoice.invoice_id], "attachments": include_attachments},
        exclusive=False,
    )
    audit_settle(
        entry,
        state=AuditEntry.State.DONE,
        outcome=_("Document téléchargé (%(kind)s, %(size)s octets).")
        % {"kind": document.kind.upper(), "size": document.size},
    )
    if document.kind != "zip":
        return document
    # A ZIP is laid out as every ZIP of invoices is (its folder, real dates, manifest.csv).
    fd, merged_path = tempfile.mkstemp(prefix="chorusweb-", suffix=".zip")
    os.close(fd)
    try:
        with GroupZip(merged_path) as merged:
            merged.add(Path(document.path), "zip", [invoice])
    except BaseException:
        Path(merged_path).unlink(missing_ok=True)
        raise
    finally:
        document.cleanup()
    return dataclasses.replace(document, path=Path(merged_path), size=Path(merged_path).stat().st_size)
