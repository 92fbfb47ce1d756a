"""Writes of the issued invoices workspace: sync, status check, submit, complete, recycle.

The mechanisms are the other workspaces': sync bookkeeping (`chorusweb.sync`), fast upserts
(`chorusweb.mirror`), the audit trail and single-send guarantee (`chorusweb.audit`: audited
before sent, settled after; an unknown outcome is checked upstream and never resent by itself).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb import lifecycle as lc
from chorusweb import mirror
from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, UpstreamRefused, already_submitted, audit_settle, send_once
from chorusweb.factpulse import SupplierInvoiceRow, get_client, types
from chorusweb.models import AuditEntry, Connection, SyncRun, Workspace
from chorusweb.sync import MirrorSync, PageStats, sync_recording, sync_task_run
from issuers.models import IssuedInvoice, IssuedStatusChange

logger = logging.getLogger(__name__)

ROW_FIELDS = (
    "invoice_number",
    "invoice_type",
    "framework",
    "status",
    "status_changed_at",
    "status_comment",
    "invoice_date",
    "deposit_date",
    "deposit_flow_number",
    "total_excl_tax",
    "total_incl_tax",
    "amount_due",
    "currency",
    "recipient_id",
    "recipient_code",
    "recipient_name",
    "service_code",
    "service_name",
    "contract_number",
    "purchase_order_number",
)


def _values(row: SupplierInvoiceRow) -> dict:
    values = mirror.row_values(IssuedInvoice, row, ROW_FIELDS)
    values["status"] = lc.normalise_status(row.status) or row.status or ""
    return values


def upsert_issued_rows(
    connection: Connection, rows: Sequence[SupplierInvoiceRow], *, fetched_at: datetime | None = None
) -> PageStats:
    """Insert or update one page of `rechercher-fournisseur` rows; a new status joins the timeline."""
    if not rows:
        return PageStats(0, 0, 0)
    with transaction.atomic():
        page = mirror.write_page(IssuedInvoice, connection, rows, _values, fetched_at=fetched_at)
        values, moved = page.values, page.moved
        if moved:
            pks = dict(
                IssuedInvoice.objects.filter(connection=connection, invoice_id__in=moved).values_list(
                    "invoice_id", "pk"
                )
            )
            IssuedStatusChange.objects.bulk_create(
                IssuedStatusChange(
                    invoice_id=pks[iid],
                    status=values[iid]["status"],
                    changed_at=values[iid]["status_changed_at"],
                    comment=values[iid]["status_comment"],
                )
                for iid in moved
                if iid in pks
            )
    return page.stats()


def _set_status(invoice: IssuedInvoice, status: str, *, at: datetime | None = None, comment: str = "") -> None:
    """Record a status known from our own write or a status check (mirror row + timeline)."""
    now = timezone.now()
    moved = invoice.status != status
    invoice.status = status
    invoice.status_changed_at = at or now
    if comment:
        invoice.status_comment = comment
    invoice.synced_at = now  # the state known last: older pages never overwrite it
    invoice.save(update_fields=["status", "status_changed_at", "status_comment", "synced_at"])
    if moved:
        IssuedStatusChange.objects.create(
            invoice=invoice, status=status, changed_at=invoice.status_changed_at, comment=comment
        )


# --- Sync ---------------------------------------------------------------------------------------


@task()
def sync_issued_task(run_id: int, attempt: int = 1) -> str:
    """Synchronise a connection's issued invoices (a read: retried with backoff when upstream is down)."""
    return sync_task_run(run_id, _sync_issued, sync_issued_task, attempt)


def _sync_issued(run: SyncRun) -> SyncRun:
    """Page through the connection's issued invoices into the mirror. They are few: every run reads
    them all, so that every status change is seen."""
    connection = run.connection
    with sync_recording(run) as sync:
        client = get_client(connection)
        for page, asked_at in sync.pages(
            lambda number: client.rechercher_factures_fournisseur(
                page=number, page_size=settings.CHORUSWEB_SYNC_PAGE_SIZE, sort_column="DateDepot", sort_desc=True
            )
        ):
            sync.page(upsert_issued_rows(connection, page.items, fetched_at=asked_at), page.total)
    return run


#: The workspace's sync: now (`sync_issued`), or in the background from its list page.
ISSUED_SYNC = MirrorSync(Workspace.ISSUED, Action.VIEW_ISSUED, _sync_issued, sync_issued_task)
sync_issued = ISSUED_SYNC.now
sync_issued_enqueue = ISSUED_SYNC.enqueue
sync_issued_first_visit = ISSUED_SYNC.first_visit


def _reread(of) -> SupplierInvoiceRow | None:
    """Re-read one issued invoice (or the invoice of an audit entry) from the supplier search (by
    number) and store it. Raises FactPulseError."""
    rows = mirror.reread(get_client(of.connection).rechercher_factures_fournisseur, upsert_issued_rows, of)
    return rows[0] if rows else None


def _reread_quietly(of, *, connection: Connection | None = None) -> None:
    """`_reread`, best effort (after a write, or its refusal): a failure is logged."""
    search = get_client(connection or of.connection).rechercher_factures_fournisseur
    mirror.refresh(search, upsert_issued_rows, of, connection=connection)


# --- Status check (factures/consulter) ----------------------------------------------------------


def status_check(*, user, invoice: IssuedInvoice) -> IssuedInvoice:
    """Ask Chorus Pro for the invoice's current status now (a read). Raises FactPulseError."""
    access_for(user).require(Action.VIEW_ISSUED, invoice.connection_id, invoice.service_code)
    summary = get_client(invoice.connection).consulter_facture(invoice_id=invoice.invoice_id)
    with transaction.atomic():
        row = IssuedInvoice.objects.select_for_update().get(pk=invoice.pk)
        if summary.status is not None and summary.status.code:
            code = lc.normalise_status(summary.status.code) or summary.status.code
            if code != row.status:
                _set_status(row, code, at=summary.status.date)
        row.checked_at = timezone.now()
        row.save(update_fields=["checked_at"])
    return row


# --- Files ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadFile:
    """A file checked by the form (kind from its bytes): sent with `transverses/ajouter-fichier`."""

    name: str
    content: bytes
    mime_type: str
    extension: str


def _upload(client, files: Sequence[UploadFile]) -> list[types.AttachmentRef]:
    refs = []
    for f in files:
        uploaded = client.ajouter_fichier(content=f.content, name=f.name, mime_type=f.mime_type, extension=f.extension)
        refs.append(types.AttachmentRef(attachment_id=uploaded.attachment_id, name=f.name))
    return refs


# --- Submit (factures/soumettre) ------------------------------------------------------------------


class SubmissionRefused(UpstreamRefused):
    """Chorus Pro refused the submission (its libelle is the message)."""


@dataclass
class Submission:
    connection: Connection
    structure_id: int
    recipient_name: str
    recipient_code: str
    invoice_number: str
    invoice_date: date
    total_excl_tax: Decimal
    vat_amount: Decimal
    total_incl_tax: Decimal
    file: UploadFile
    payment_due_date: date | None = None
    service_code: str = ""
    service_name: str = ""
    engagement_number: str = ""
    comment: str = ""
    built: bool = False


@dataclass
class WriteOutcome:
    invoice: IssuedInvoice | None
    entry: AuditEntry
    message: str
    extra: dict = field(default_factory=dict)


def check_amounts(net: Decimal, vat: Decimal, gross: Decimal) -> str:
    """Why the amounts cannot be sent ("" when HT + TVA = TTC to the cent)."""
    if net + vat != gross:
        return _("Le montant TTC (%(gross)s) doit être égal au HT (%(net)s) plus la TVA (%(vat)s).") % {
            "gross": gross,
            "net": net,
            "vat": vat,
        }
    return ""


def invoice_submit(*, user, submission: Submission, idempotency_key: str | None = None) -> WriteOutcome:
    """Upload the invoice PDF then submit it with `factures/soumettre`, exactly once.

    Raises ActionRejected (not sent), SubmissionRefused (refused, with Chorus Pro's libelle),
    OutcomeUnknown (no usable answer: checked upstream, never resent by itself) or FactPulseError.
    """
    s = submission
    access_for(user).require(Action.SUBMIT_ISSUED, s.connection.pk, s.service_code)
    if why := check_amounts(s.total_excl_tax, s.vat_amount, s.total_incl_tax):
        raise ActionRejected(why)

    def submit():
        client = get_client(s.connection)
        (ref,) = _upload(client, [s.file])
        return client.soumettre_facture(
            invoice_number=s.invoice_number,
            invoice_date=s.invoice_date,
            structure_id=s.structure_id,
            total_excl_tax=s.total_excl_tax,
            vat_amount=s.vat_amount,
            total_incl_tax=s.total_incl_tax,
            payment_due_date=s.payment_due_date,
            service_code=s.service_code or None,
            engagement_number=s.engagement_number or None,
            main_attachment_id=ref.attachment_id,
            main_attachment_label=ref.name,
            comment=s.comment or None,
        )

    entry, result = send_once(
        submit,
        Workspace.ISSUED,
        user,
        refused=SubmissionRefused,
        connection=s.connection,
        action="submit",
        target=s.invoice_number,
        invoice_number=s.invoice_number,
        details={
            "structure_id": s.structure_id,
            "recipient": s.recipient_name,
            "service_code": s.service_code,
            "engagement_number": s.engagement_number,
            "total_incl_tax": str(s.total_incl_tax),
            "file": s.file.name,
            "built": s.built,
        },
        idempotency_key=idempotency_key,
    )
    if result is None:
        invoice = IssuedInvoice.objects.filter(connection=s.connection, invoice_number=s.invoice_number).first()
        return WriteOutcome(invoice, entry, entry.outcome)

    now = timezone.now()
    with transaction.atomic():
        invoice, _created = IssuedInvoice.objects.update_or_create(
            connection=s.connection,
            invoice_id=result.invoice_id,
            defaults={
                "invoice_number": s.invoice_number,
                "invoice_type": "FACTURE",
                "status": lc.DEPOSEE,
                # Upstream's own time comes with the next read: an earlier one must not lose to ours.
                "status_changed_at": None,
                "invoice_date": s.invoice_date,
                "deposit_date": timezone.localdate(),
                "deposit_flow_number": result.deposit_flow_number or "",
                "total_excl_tax": s.total_excl_tax,
                "total_incl_tax": s.total_incl_tax,
                "amount_due": s.total_incl_tax,
                "recipient_id": s.structure_id,
                "recipient_code": s.recipient_code,
                "recipient_name": s.recipient_name,
                "service_code": s.service_code,
                "service_name": s.service_name,
                "purchase_order_number": s.engagement_number,
                "synced_at": now,
            },
        )
        IssuedStatusChange.objects.create(invoice=invoice, status=lc.DEPOSEE, changed_at=now)
        AuditEntry.objects.filter(pk=entry.pk).update(invoice_id=result.invoice_id)
        message = _("Facture %(number)s déposée pour %(recipient)s (flux %(flow)s).") % {
            "number": s.invoice_number,
            "recipient": s.recipient_name,
            "flow": result.deposit_flow_number or "—",
        }
        audit_settle(entry, state=AuditEntry.State.DONE, outcome=message)
    # Chorus Pro routes it at once (Mise à disposition): read its status back, best effort.
    _reread_quietly(invoice, connection=s.connection)
    invoice.refresh_from_db()
    return WriteOutcome(invoice, entry, message)


# --- Complete (factures/completer) ----------------------------------------------------------------


class CompletionRefused(UpstreamRefused):
    pass


def _send_on(
    invoice: IssuedInvoice,
    user,
    action: str,
    target: str,
    details: dict,
    key: str | None,
    status: str,
    send,
    refused: type[UpstreamRefused],
):
    """Send once (`send_once`) an action that the invoice must be in `status` for; refused by
    Chorus Pro (`refused` raised), the invoice is re-read (its status has moved upstream)."""
    access_for(user).require(Action.SUBMIT_ISSUED, invoice.connection_id, invoice.service_code)
    if (replay := already_submitted(key)) is not None:
        raise replay  # a double submit is told as such, whatever the invoice became since
    if invoice.status != status:
        raise ActionRejected(
            _("Cette facture est au statut « %(status)s » : cette action n'est plus possible.")
            % {"status": invoice.status_label}
        )
    return send_once(
        send,
        Workspace.ISSUED,
        user,
        invoice=invoice,
        refused=refused,
        on_refused=lambda: _reread_quietly(invoice),
        action=action,
        target=target,
        details={"status_before": invoice.status, **details},
        idempotency_key=key,
    )


def invoice_complete(
    *, user, invoice: IssuedInvoice, comment: str, files: Sequence[UploadFile], idempotency_key: str | None = None
) -> WriteOutcome:
    """Upload the missing pieces and complete a suspended invoice with `factures/completer`, once."""
    comment = (comment or "").strip()
    if not comment and not files:
        raise ActionRejected(_("Ajoutez au moins une pièce jointe ou un commentaire."))

    def complete():
        client = get_client(invoice.connection)
        refs = _upload(client, files)
        return client.completer_facture(invoice_id=invoice.invoice_id, comment=comment or None, attachments=refs)

    details = {"comment": comment, "files": [f.name for f in files]}
    entry, result = _send_on(
        invoice, user, "complete", "", details, idempotency_key, lc.SUSPENDUE, complete, CompletionRefused
    )
    if result is None:
        return WriteOutcome(IssuedInvoice.objects.get(pk=invoice.pk), entry, entry.outcome)
    with transaction.atomic():
        row = IssuedInvoice.objects.select_for_update().get(pk=invoice.pk)
        _set_status(row, lc.COMPLETEE, at=result.processed_at, comment=comment)
        message = _("Facture %(number)s complétée : le destinataire la traite de nouveau.") % {
            "number": row.invoice_number or row.invoice_id
        }
        audit_settle(entry, state=AuditEntry.State.DONE, outcome=message)
    return WriteOutcome(row, entry, message)


# --- Recycle (factures/recycler) ------------------------------------------------------------------


class RecycleRefused(UpstreamRefused):
    pass


def invoice_recycle(
    *,
    user,
    invoice: IssuedInvoice,
    structure_id: int,
    recipient_name: str = "",
    recipient_code: str = "",
    service_code: str = "",
    service_name: str = "",
    engagement_number: str = "",
    idempotency_key: str | None = None,
) -> WriteOutcome:
    """Re-route an invoice to recycle to the right structure and service with `factures/recycler`, once."""
    entry, result = _send_on(
        invoice,
        user,
        "recycle",
        recipient_name or str(structure_id),
        {"structure_id": structure_id, "service_code": service_code, "engagement_number": engagement_number},
        idempotency_key,
        lc.A_RECYCLER,
        lambda: get_client(invoice.connection).recycler_facture(
            invoice_id=invoice.invoice_id,
            structure_id=structure_id,
            service_code=service_code or None,
            engagement_number=engagement_number or None,
        ),
        RecycleRefused,
    )
    if result is None:
        return WriteOutcome(IssuedInvoice.objects.get(pk=invoice.pk), entry, entry.outcome)
    with transaction.atomic():
        row = IssuedInvoice.objects.select_for_update().get(pk=invoice.pk)
        row.recipient_id = structure_id
        row.recipient_name = recipient_name or row.recipient_name
        row.recipient_code = recipient_code or row.recipient_code
        row.service_code = service_code
        row.service_name = service_name
        row.purchase_order_number = engagement_number or row.purchase_order_number
        row.save(
            update_fields=[
                "recipient_id",
                "recipient_name",
                "recipient_code",
                "service_code",
                "service_name",
                "purchase_order_number",
            ]
        )
        _set_status(row, lc.normalise_status(result.status) or lc.DEPOSEE, at=result.deposited_at)
        message = _("Facture %(number)s recyclée : elle est déposée de nouveau pour %(recipient)s.") % {
            "number": row.invoice_number or row.invoice_id,
            "recipient": row.recipient_name,
        }
        audit_settle(entry, state=AuditEntry.State.DONE, outcome=message)
    _reread_quietly(invoice)
    row.refresh_from_db()
    return WriteOutcome(row, entry, message)


# --- Reconciliation -------------------------------------------------------------------------------


def issued_entry_check(entry: AuditEntry) -> bool | None:
    """Re-read upstream the invoice of an unsettled write and tell whether it shows as applied."""
    if not entry.invoice_number:
        return None
    row = _reread(entry)
    if entry.action == "submit":
        if row is not None and entry.invoice_id is None:
            AuditEntry.objects.filter(pk=entry.pk).update(invoice_id=row.invoice_id)
        return row is not None
    if row is None:
        return None
    before = entry.details.get("status_before", "")
    return bool(before) and lc.normalise_status(row.status) != before
