"""Writes of the received invoices workspace: sync, process, bulk, download, document.

Every write goes through here. Upstream actions are audited before they are sent and
settled after (chorusweb.audit); the mirror row and its timeline change in the same
transaction as the settlement.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.tasks import task
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorusweb import lifecycle as lc
from chorusweb import mirror
from chorusweb import payment_delay as pd
from chorusweb.access import Action, access_for
from chorusweb.audit import (
    ActionRejected,
    UpstreamRefused,
    audit_begin,
    audit_settle,
    check_unchanged,
    resend,
    send_once,
)
from chorusweb.bulk import BulkPlan, bulk_already_started, bulk_item, bulk_run_create, plan
from chorusweb.exports import GroupZip, download_stamp
from chorusweb.factpulse import DownloadedDocument, ReceivedInvoiceRow, get_client
from chorusweb.models import AuditEntry, BulkRun, Connection, SyncRun, Workspace
from chorusweb.sync import MirrorSync, PageStats, sync_recording, sync_task_run
from invoices import facturx
from invoices.clock import clocks_recompute, invoice_clock, new_invoice_clock
from invoices.models import InvoiceDocument, InvoiceEvent, ReceivedInvoice, net_columns, search_columns
from invoices.stats import CONTRIBUTING_FIELDS, Contribution, stats_apply, stats_rebuild

logger = logging.getLogger(__name__)

# --- Mirror -------------------------------------------------------------------------------

#: Mirror fields written from a search row (everything but keys and bookkeeping).
ROW_FIELDS = (
    "invoice_number",
    "invoice_type",
    "status",
    "status_changed_at",
    "status_comment",
    "invoice_date",
    "deposit_date",
    "total_excl_tax",
    "total_incl_tax",
    "amount_due",
    "currency",
    *mirror.PARTY_FIELDS,
    "contract_number",
    "purchase_order_number",
    "downloaded",
)


#: Part of every row's fingerprint: bump it when the mirror derives its columns differently,
#: so that the next sync rewrites every row once.
MIRROR_VERSION = "1"


class _RowEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Mapping):
            return dict(o)
        return super().default(o)


def row_fingerprint(raw) -> str:
    """A short digest of an upstream row (as read and as stored): equal digests, nothing to write."""
    text = json.dumps(dict(raw), sort_keys=True, separators=(",", ":"), cls=_RowEncoder)
    return hashlib.blake2b(f"{MIRROR_VERSION}:{text}".encode(), digest_size=16).hexdigest()


def _mirror_values(row: ReceivedInvoiceRow) -> dict:
    values = mirror.row_values(ReceivedInvoice, row, ROW_FIELDS)
    values["downloaded"] = bool(row.downloaded)
    values["status"] = lc.normalise_status(row.status) or row.status
    values["supplier_search"], values["search_text"] = search_columns({**values, "invoice_id": row.invoice_id})
    values["net_excl_tax"], values["net_incl_tax"] = net_columns(values)
    return values


def upsert_received_rows(
    connection: Connection,
    rows: Sequence[ReceivedInvoiceRow],
    *,
    track_stats: bool = True,
    fetched_at: datetime | None = None,
) -> PageStats:
    """Insert or update one page of search rows; record a timeline event per status change.

    `fetched_at` is when the page was asked for upstream. A row older than what the mirror
    holds (fetched before an action on it settled, or with an older `dateHeureEtatCourant`)
    is left out: the mirror keeps the newer state and the timeline records no false change.
    The queue counters move with the rows, in the same transaction (a full sync rebuilds them
    once at its end instead: `track_stats=False`).
    """
    if not rows:
        return PageStats(0, 0, 0)
    now = timezone.now()
    fetched_at = fetched_at or now
    by_id = {row.invoice_id: row for row in rows}
    computed = {iid: _mirror_values(row) for iid, row in by_id.items()}
    prints = {iid: row_fingerprint({"row": computed[iid], "raw": by_id[iid].raw}) for iid in by_id}
    # Only rows that are new or whose upstream row changed are written: an incremental sync
    # with nothing changed upstream writes nothing (no row, lock, counter or index entry).
    stored = dict(
        ReceivedInvoice.objects.filter(connection=connection, invoice_id__in=by_id).values_list(
            "invoice_id", "fingerprint"
        )
    )
    write = [row for iid, row in by_id.items() if stored.get(iid) != prints[iid]]
    if not write:
        return PageStats(rows=len(by_id), created=0, changed=0)
    with transaction.atomic():
        # The queue counters move with the rows: the mirror rows are held with what they count.
        page = mirror.write_page(
            ReceivedInvoice,
            connection,
            write,
            lambda row: {**computed[row.invoice_id], "fingerprint": prints[row.invoice_id]},
            fetched_at=fetched_at,
            held=CONTRIBUTING_FIELDS,
            new_values=new_invoice_clock(now, {v["recipient_code"] or "" for v in computed.values()}),
        )
        values, held = page.values, page.held
        existing = {iid: held[iid] for iid in values if iid in held}
        changed = [iid for iid, v in values.items() if existing.get(iid, {}).get("status", "") != v["status"]]
        if track_stats:
            stats_apply(
                connection.pk,
                removed=[Contribution.of(row) for row in existing.values()],
                added=[Contribution.of(v) for v in values.values()],
            )
        if changed:
            pks = dict(
                ReceivedInvoice.objects.filter(connection=connection, invoice_id__in=changed).values_list(
                    "invoice_id", "pk"
                )
            )
            mirror.insert(
                InvoiceEvent,
                [
                    {
                        "invoice_id": pks[iid],
                        "status": values[iid]["status"],
                        "previous_status": existing.get(iid, {}).get("status", ""),
                        "occurred_at": values[iid]["status_changed_at"] or now,
                        "comment": values[iid]["status_comment"] or "",
                        "source": InvoiceEvent.Source.SYNC,
                        "audit_id": None,
                        "recorded_at": now,
                    }
                    for iid in changed
                    if iid in pks
                ],
            )
            # The payment-delay clock moves with the status, in the same transaction (a new
            # invoice's was written with it: its timeline is the event just recorded).
            clocks_recompute(pks=[pks[iid] for iid in changed if iid in pks and iid in held])
    created = sum(1 for iid in values if iid not in held)
    return PageStats(rows=len(by_id), created=created, changed=len(changed) - created)


@task()
def sync_received_task(run_id: int, attempt: int = 1) -> str:
    """Synchronise a connection's mirror (a read: retried with backoff when upstream is down)."""
    return sync_task_run(run_id, _sync_received, sync_received_task, attempt)


def _sync_received(run: SyncRun) -> SyncRun:
    """Page through the connection's received invoices into the mirror: all of them on a full
    run (which then rebuilds the queue counters), else those whose status changed since the last."""
    connection, since = run.connection, run.since
    with sync_recording(run) as sync:
        client = get_client(connection)
        changed_from = timezone.localdate(since) if since else None
        for page, asked_at in sync.pages(
            lambda number: client.rechercher_factures_destinataire(
                page=number,
                page_size=settings.CHORUSWEB_SYNC_PAGE_SIZE,
                status_changed_from=changed_from,
                sort_column="IdFacture",
                sort_desc=False,
            )
        ):
            stats = upsert_received_rows(connection, page.items, track_stats=since is not None, fetched_at=asked_at)
            sync.page(stats, page.total)
        if since is None:
            stats_rebuild(connection.pk)  # a full pass also repairs the counters
    return run


#: The workspace's sync: now (`sync_received`), or in the background from its list page.
RECEIVED_SYNC = MirrorSync(Workspace.RECEIVED, Action.VIEW_RECEIVED, _sync_received, sync_received_task)
sync_received = RECEIVED_SYNC.now
sync_received_enqueue = RECEIVED_SYNC.enqueue
sync_received_first_visit = RECEIVED_SYNC.first_visit


def invoice_rejection_cost(clock: pd.Clock) -> str:
    """What rejecting the invoice would cost its supplier today (shown next to the rejection)."""
    return pd.rejection_cost(clock, timezone.localdate())


def refresh_invoices(*, connection: Connection, invoices: Iterable[ReceivedInvoice]) -> None:
    """Re-read the given invoices from upstream (by number) and update their mirror rows.

    Best effort: a failure is logged and leaves the mirror as it is.
    """
    search = get_client(connection).rechercher_factures_destinataire
    for invoice in invoices:
        mirror.refresh(search, upsert_received_rows, invoice, connection=connection)


# --- Processing ---------------------------------------------------------------------------


class ProcessRefused(UpstreamRefused):
    """Chorus Pro refused the new status (non-zero codeRetour)."""


@dataclass
class ProcessOutcome:
    invoice: ReceivedInvoice
    entry: AuditEntry
    message: str


def invoice_process(
    *,
    user,
    invoice: ReceivedInvoice,
    target: str,
    reason: str = "",
    comment: str = "",
    mandate_number: str = "",
    idempotency_key: str | None = None,
    expected_status: str | None = None,
    batch: uuid.UUID | None = None,
    refresh: bool = True,
) -> ProcessOutcome:
    """Set a new status on a received invoice (`traiter-facture-recue`), exactly once.

    `refresh=False` (bulk runs) skips re-reading the invoice after a success; after a refusal
    it is always re-read.

    Raises ActionRejected (not sent: rule, double submit, concurrent action, stale form),
    ProcessRefused (sent, refused by Chorus Pro) or FactPulseError (sent or not; upstream
    failure). Every path that reached the sending stage leaves a settled audit entry.
    """
    access_for(user).require(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    target = lc.normalise_status(target)
    reason = (reason or "").strip()
    if target == lc.SUSPENDUE:
        # R2192-27: never after the payment order (also when the status table would allow it).
        refusal = pd.suspension_refusal(invoice.status, ordered=invoice_clock(invoice).ordered)
        if refusal:
            raise ActionRejected(refusal)
    check = lc.check_transition(invoice.status, target, reason)
    if not check.allowed:
        raise ActionRejected(check.message)
    check_unchanged(invoice, expected_status)
    details = {"comment": comment} if comment else {}
    if target == lc.MANDATE_TARGET and mandate_number:
        details["mandate_number"] = mandate_number
    entry, result = send_once(
        lambda: get_client(invoice.connection).traiter_facture_recue(
            invoice_id=invoice.invoice_id,
            new_status=target,
            reason=reason or None,
            comment=comment or None,
            mandate_number=(mandate_number or None) if target == lc.MANDATE_TARGET else None,
        ),
        Workspace.RECEIVED,
        user,
        invoice=invoice,
        refused=ProcessRefused,
        on_refused=lambda: refresh_invoices(connection=invoice.connection, invoices=[invoice]),
        action="process",
        target=target,
        reason=reason,
        details=details,
        idempotency_key=idempotency_key,
        batch=batch,
    )
    if result is None:
        # The answer was lost but the check upstream shows the status applied (mirror refreshed).
        return ProcessOutcome(ReceivedInvoice.objects.get(pk=invoice.pk), entry, entry.outcome)

    with transaction.atomic():
        row = ReceivedInvoice.objects.select_for_update().get(pk=invoice.pk)
        previous = row.status
        row.status = lc.normalise_status(result.new_status) or target
        row.status_changed_at = result.processed_at or timezone.now()
        row.status_comment = reason or comment
        row.synced_at = timezone.now()  # the state known last: older pages never overwrite it
        row.save(update_fields=["status", "status_changed_at", "status_comment", "synced_at"])
        stats_apply(
            row.connection_id,
            removed=[Contribution.of(row, status=previous)],
            added=[Contribution.of(row)],
        )
        audit_settle(
            entry,
            state=AuditEntry.State.DONE,
            outcome=_readable_outcome(
                _("Statut « %(status)s » appliqué.") % {"status": lc.status_label(row.status)}, result.message
            ),
        )
        InvoiceEvent.objects.create(
            invoice=row,
            status=row.status,
            previous_status=previous,
            occurred_at=row.status_changed_at,
            comment=row.status_comment,
            source=InvoiceEvent.Source.ACTION,
            audit=entry,
        )
        clocks_recompute(pks=[row.pk])
    if refresh:
        refresh_invoices(connection=invoice.connection, invoices=[row])
        row.refresh_from_db()
    # The user reads our sentence; Chorus Pro's libelle (often a bare code) stays in the audit.
    return ProcessOutcome(row, entry, _("Statut « %(status)s » appliqué.") % {"status": lc.status_label(row.status)})


def _readable_outcome(message: str, upstream: str) -> str:
    """Our sentence for the audit trail, with Chorus Pro's own libelle (often a code) kept after it."""
    return f"{message} ({upstream})" if upstream else message


# --- Payment-delay clock -------------------------------------------------------------------


def invoice_service_done_set(*, user, invoice: ReceivedInvoice, day: date | None, reason: str) -> AuditEntry:
    """Record (or clear, with `day=None`) the day the service was done, with its reason (R2192-13).

    Local only (nothing is sent to Chorus Pro): audited and settled in one transaction with the
    new date and the recomputed clock.
    """
    access_for(user).require(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRejected(_("Indiquez pourquoi le service a été fait à cette date."))
    if day is not None and day > timezone.localdate():
        raise ActionRejected(_("La date du service fait ne peut pas être dans le futur."))
    with transaction.atomic():
        entry = audit_begin(
            workspace=Workspace.RECEIVED,
            connection=invoice.connection,
            user=user,
            action="service_done",
            target=day.isoformat() if day else "",
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            reason=reason,
            details={"previous": invoice.service_done_date.isoformat() if invoice.service_done_date else ""},
            exclusive=False,
        )
        ReceivedInvoice.objects.filter(pk=invoice.pk).update(service_done_date=day)
        clocks_recompute(pks=[invoice.pk])
        audit_settle(
            entry,
            state=AuditEntry.State.DONE,
            outcome=(
                _("Service fait le %(day)s enregistré.") % {"day": day.strftime("%d/%m/%Y")}
                if day
                else _("Date du service fait effacée.")
            ),
        )
    invoice.refresh_from_db()
    return entry


# --- Bulk processing ----------------------------------------------------------------------


def bulk_plan(*, user, invoices: Sequence[ReceivedInvoice], target: str, reason: str = "") -> BulkPlan:
    """Split the selection: invoices the target can be applied to, and why the others cannot."""
    access = access_for(user)

    def why(invoice: ReceivedInvoice) -> str:
        if not access.can(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code):
            return _("Vous ne pouvez pas traiter les factures de ce service.")
        check = lc.check_transition(invoice.status, target, reason)
        refusal = "" if check.allowed else check.message
        if lc.normalise_status(target) == lc.SUSPENDUE:
            refusal = pd.suspension_refusal(invoice.status, ordered=False) or refusal
        return refusal

    return plan(invoices, why=why)


def bulk_process_start(
    *,
    user,
    invoices: Sequence[ReceivedInvoice],
    target: str,
    reason: str = "",
    comment: str = "",
    mandate_number: str = "",
    idempotency_key: str | None = None,
    confirmed: set[int] | None = None,
) -> BulkRun:
    """Check every invoice first, record the run (once per form key), then send in the background.

    `confirmed`: the invoices the user confirmed in the summary (their pks); any other is set
    aside, even one that became eligible meanwhile: only what was shown is sent.
    """
    if (replay := bulk_already_started(idempotency_key)) is not None:
        raise replay
    if len(invoices) > settings.CHORUSWEB_BULK_MAX:
        raise ActionRejected(
            _("Un traitement par lot porte sur %(max)d factures au plus.") % {"max": settings.CHORUSWEB_BULK_MAX}
        )
    target = lc.normalise_status(target)
    checked = bulk_plan(user=user, invoices=invoices, target=target, reason=reason)
    if confirmed is not None:
        unconfirmed = [inv for inv in checked.sendable if inv.pk not in confirmed]
        checked.sendable = [inv for inv in checked.sendable if inv.pk in confirmed]
        for invoice in unconfirmed:
            checked.set_aside(invoice, _("Absente du résumé confirmé : elle n'est pas envoyée."))
    extra = {"comment": comment, "mandate_number": mandate_number}
    return bulk_run_create(
        workspace=Workspace.RECEIVED,
        user=user,
        action="process",
        target=target,
        reason=reason,
        sendable=checked.sendable,
        skipped=checked.skipped,
        extra=extra,
        idempotency_key=idempotency_key,
    )


def bulk_process_one(run: BulkRun, invoice_pk: int, key: str, extra: dict):
    """Send one invoice of a bulk run (see `chorusweb.bulk`); False when it no longer exists."""
    comment, mandate_number = extra.get("comment", ""), extra.get("mandate_number", "")

    def send(invoice: ReceivedInvoice, **sending) -> ProcessOutcome:
        return invoice_process(
            invoice=invoice,
            target=run.target,
            reason=run.reason,
            comment=comment,
            mandate_number=mandate_number,
            **sending,
        )

    return bulk_item(run, ReceivedInvoice, invoice_pk, key, send)


# --- Reconciliation -------------------------------------------------------------------------


def received_entry_check(entry: AuditEntry) -> bool | None:
    """Re-read upstream the invoices of an unsettled action, refresh the mirror, and tell
    whether the write shows as applied (process: target status; download: downloaded flag)."""
    client = get_client(entry.connection)
    ids = entry.details.get("invoice_ids") or ([entry.invoice_id] if entry.invoice_id else [])
    numbers = dict(
        ReceivedInvoice.objects.filter(connection=entry.connection, invoice_id__in=ids).values_list(
            "invoice_id", "invoice_number"
        )
    )
    if not ids or len(numbers) < len(ids):
        return None
    rows = []
    asked_at = timezone.now()
    for invoice_id, number in numbers.items():
        page = client.rechercher_factures_destinataire(invoice_number=number, page_size=100)
        rows.extend(row for row in page.items if row.invoice_id == invoice_id)
    if len(rows) < len(ids):
        return None
    upsert_received_rows(entry.connection, rows, fetched_at=asked_at)
    if entry.action == "download":
        if all(row.downloaded for row in rows):
            ReceivedInvoice.objects.filter(connection=entry.connection, invoice_id__in=ids).update(downloaded=True)
            return True
        return False
    return all(lc.normalise_status(row.status) == entry.target for row in rows)


def received_entry_resend(*, user, entry: AuditEntry) -> ProcessOutcome:
    """A person's decision: send again a status change that could not be confirmed."""
    details = entry.details

    def send(invoice: ReceivedInvoice, **sending) -> ProcessOutcome:
        return invoice_process(
            invoice=invoice,
            target=entry.target,
            reason=entry.reason,
            comment=details.get("comment", ""),
            mandate_number=details.get("mandate_number", ""),
            **sending,
        )

    return resend(entry, user, ReceivedInvoice, send)


# --- Downloads ----------------------------------------------------------------------------

EXTENSIONS = {"pdf": "pdf", "xml": "xml", "zip": "zip"}
CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml", "zip": "application/zip"}


@dataclass
class DownloadResult:
    path: Path
    filename: str
    content_type: str
    size: int
    count: int


def _chunks(seq: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _download_chunk(
    *,
    user,
    connection: Connection,
    invoices: Sequence[ReceivedInvoice],
    file_format: str,
    include_attachments: bool,
) -> DownloadedDocument:
    # A download marks the invoices as downloaded upstream: an unanswered one is a write whose
    # outcome is unknown (checked at once, never sent again on its own).
    entry, document = send_once(
        lambda: get_client(connection).telecharger_groupe_factures(
            invoice_ids=[inv.invoice_id for inv in invoices],
            file_format=file_format,
            include_attachments=include_attachments,
        ),
        Workspace.RECEIVED,
        user,
        connection=connection,
        action="download",
        target=file_format,
        invoice_id=invoices[0].invoice_id if len(invoices) == 1 else None,
        invoice_number=", ".join(inv.invoice_number for inv in invoices)[:100],
        details={"invoice_ids": [inv.invoice_id for inv in invoices], "attachments": include_attachments},
        exclusive=False,
    )
    with transaction.atomic():
        ReceivedInvoice.objects.filter(pk__in=[inv.pk for inv in invoices]).update(downloaded=True)
        audit_settle(
            entry,
            state=AuditEntry.State.DONE,
            outcome=ngettext(
                "%(n)d facture téléchargée (%(size)s).", "%(n)d factures téléchargées (%(size)s).", len(invoices)
            )
            % {"n": len(invoices), "size": filesizeformat(document.size)},
        )
    return document


def invoices_download(
    *, user, invoices: Sequence[ReceivedInvoice], file_format: str = "ZIP", include_attachments: bool = False
) -> DownloadResult:
    """Download a group: calls of at most 10 invoices, merged into one ZIP with a manifest.

    The result is a temporary file the caller streams and then deletes.
    """
    if not invoices:
        raise ActionRejected(_("Aucune facture sélectionnée."))
    access = access_for(user)
    for invoice in invoices:
        access.require(Action.DOWNLOAD_RECEIVED, invoice.connection_id, invoice.service_code)
    file_format = file_format.upper()
    batches: list[tuple[Connection, Sequence[ReceivedInvoice]]] = []
    by_connection: dict[int, list[ReceivedInvoice]] = {}
    for invoice in invoices:
        by_connection.setdefault(invoice.connection_id, []).append(invoice)
    for group in by_connection.values():
        for chunk in _chunks(group, settings.CHORUSWEB_DOWNLOAD_BATCH):
            batches.append((group[0].connection, chunk))

    stamp = download_stamp()
    first: DownloadedDocument | None = None
    if len(batches) == 1:
        connection, chunk = batches[0]
        first = _download_chunk(
            user=user,
            connection=connection,
            invoices=chunk,
            file_format=file_format,
            include_attachments=include_attachments,
        )
        if first.kind != "zip":  # one file (a PDF, an XML): handed out as it is
            ext = EXTENSIONS.get(first.kind, "bin")
            name = f"facture-{chunk[0].invoice_number}-{stamp}.{ext}" if len(chunk) == 1 else f"factures-{stamp}.{ext}"
            return DownloadResult(
                Path(first.path),
                _safe_filename(name),
                CONTENT_TYPES.get(first.kind, "application/octet-stream"),
                first.size,
                len(chunk),
            )

    # A ZIP is always laid out the same way, whatever the count (chorusweb.exports.GroupZip).
    fd, merged_path = tempfile.mkstemp(prefix="chorusweb-", suffix=".zip")
    os.close(fd)
    try:
        with GroupZip(merged_path) as merged:
            for connection, chunk in batches:
                document = first or _download_chunk(
                    user=user,
                    connection=connection,
                    invoices=chunk,
                    file_format=file_format,
                    include_attachments=include_attachments,
                )
                first = None
                try:
                    merged.add(Path(document.path), document.kind, chunk)
                finally:
                    _unlink(Path(document.path))
    except BaseException:
        _unlink(Path(merged_path))
        raise
    size = Path(merged_path).stat().st_size
    name = f"factures-{stamp}-{len(invoices)}.zip"
    return DownloadResult(Path(merged_path), name, CONTENT_TYPES["zip"], size, len(invoices))


def _safe_filename(name: str) -> str:
    keep = "-_.() "
    return "".join(c if c.isalnum() or c in keep else "_" for c in name)[:120]


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# --- Document -----------------------------------------------------------------------------


def invoice_document_fetch(*, user, invoice: ReceivedInvoice) -> InvoiceDocument:
    """Download the invoice's document once (marks it downloaded upstream), store and parse it."""
    existing = InvoiceDocument.objects.filter(invoice=invoice).first()
    if existing is not None:
        return existing
    access_for(user).require(Action.DOWNLOAD_RECEIVED, invoice.connection_id, invoice.service_code)
    document = _download_chunk(
        user=user,
        connection=invoice.connection,
        invoices=[invoice],
        file_format="ZIP",
        include_attachments=True,
    )
    path = Path(document.path)
    try:
        content = facturx.read_document(path)
        mismatches = facturx.compare_totals(
            content, total_excl_tax=invoice.total_excl_tax, total_incl_tax=invoice.total_incl_tax
        )
        data = dataclasses.replace(content, mismatches=tuple(str(m) for m in mismatches)).to_dict()
        with path.open("rb") as handle, transaction.atomic():
            stored = InvoiceDocument(
                invoice=invoice,
                kind=document.kind,
                size=document.size,
                content=data,
                fetched_by=user if getattr(user, "pk", None) else None,
            )
            base = _safe_filename(invoice.invoice_number or str(invoice.invoice_id))
            stored.file.save(
                f"{base}.{EXTENSIONS.get(document.kind, 'bin')}",
                File(handle),
                save=False,
            )
            stored.save()
    finally:
        _unlink(path)
    return stored
