"""Bulk actions shared by the workspaces: record the run, send each invoice once, report.

A workspace checks the selection first (what can be sent, what is set aside and why), then
`bulk_run_create()` records the run and enqueues one task per invoice; each task calls the
workspace's sender (`SENDERS`), which uses the single-invoice service. Each invoice sent gets its own audit entry
carrying the run's id, so the result table is the run's audit entries plus its skipped list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorusweb import lifecycle as lc
from chorusweb.audit import ActionRejected, is_idempotency_key
from chorusweb.factpulse import FactPulseError
from chorusweb.models import AuditEntry, BulkRun
from chorusweb.money import format_money

#: workspace -> dotted path of `send(run, invoice_pk, key, extra)`: sends one invoice of a run
#: with the workspace's single-invoice service (raises what it raises), or returns False when
#: the invoice no longer exists.
SENDERS: dict[str, str] = {
    "received": "invoices.services.bulk_process_one",
    "validation": "validators.services.bulk_approve_one",
}
#: workspace -> dotted path of `finished(run)`, called once when the last invoice is settled.
FINISHERS: dict[str, str] = {"validation": "validators.services.bulk_approve_finished"}


def signed_amount(invoice: Any) -> Decimal:
    """An invoice's amount including tax, with its sign: a credit note (`AVOIR`) counts negative."""
    amount = invoice.total_incl_tax or Decimal(0)
    if (getattr(invoice, "invoice_type", "") or "").upper() == "AVOIR" and amount > 0:
        return -amount
    return amount


@dataclass(frozen=True)
class BulkSummary:
    """What a bulk form is about to send: how many invoices, their net amount, the credit notes' part."""

    count: int
    net: Decimal
    credit_notes: int
    credit_total: Decimal
    currency: str

    def question(self, target: str) -> str:
        """« Certifier le service fait de 6 factures pour 48 210,00 € ? »"""
        invoices = ngettext("%(n)d facture", "%(n)d factures", self.count) % {"n": self.count}
        template = lc.TARGET_QUESTIONS.get(target) or _("Appliquer « %(target)s » à %(invoices)s pour %(amount)s ?")
        return str(template) % {
            "invoices": invoices,
            "amount": format_money(self.net, self.currency),
            "target": lc.status_label(target),
        }

    @property
    def credit_note_line(self) -> str:
        """« Montant net : dont 1 avoir de −300,00 € déduit. » (empty without credit notes)"""
        if not self.credit_notes:
            return ""
        return ngettext(
            "Montant net, avoirs déduits : dont %(n)d avoir de %(amount)s.",
            "Montant net, avoirs déduits : dont %(n)d avoirs pour %(amount)s.",
            self.credit_notes,
        ) % {"n": self.credit_notes, "amount": format_money(self.credit_total, self.currency)}


def bulk_summary(invoices: Iterable[Any]) -> BulkSummary:
    """Count and net amount of the invoices a bulk form will send (credit notes with their sign)."""
    count = credit_notes = 0
    net = credit_total = Decimal(0)
    currency = "EUR"
    for invoice in invoices:
        amount = signed_amount(invoice)
        count += 1
        net += amount
        currency = invoice.currency or currency
        if (getattr(invoice, "invoice_type", "") or "").upper() == "AVOIR":
            credit_notes += 1
            credit_total += amount
    return BulkSummary(count, net, credit_notes, credit_total, currency)


@dataclass
class BulkPlan:
    """A selection checked before a bulk run: the invoices to send, and those set aside with why."""

    sendable: list[Any]
    skipped: list[dict] = field(default_factory=list)

    def set_aside(self, invoice: Any, reason: str) -> None:
        self.skipped.append(
            {
                "pk": invoice.pk,
                "invoice_number": invoice.invoice_number,
                "supplier_name": invoice.supplier_name,
                "status": invoice.status,
                "reason": reason,
            }
        )


def plan(invoices: Iterable[Any], *, why: Callable[[Any], str]) -> BulkPlan:
    """Split a selection: the invoices `why` has nothing against ("") and the others, with its reason."""
    result = BulkPlan(sendable=[])
    for invoice in invoices:
        reason = why(invoice)
        if reason:
            result.set_aside(invoice, reason)
        else:
            result.sendable.append(invoice)
    return result


class BulkAlreadyStarted(ActionRejected):
    """This bulk form (its one-time key) already started a run: `run` is that run, nothing is sent again."""

    def __init__(self, run: BulkRun) -> None:
        super().__init__(_("Ce formulaire a déjà lancé un traitement par lot : il n'est pas relancé."))
        self.run = run


def bulk_already_started(idempotency_key: str | None) -> BulkAlreadyStarted | None:
    """The refusal to give a bulk form whose key already started a run, or None."""
    if not is_idempotency_key(idempotency_key):
        return None
    run = BulkRun.objects.filter(idempotency_key=idempotency_key).first()
    return BulkAlreadyStarted(run) if run is not None else None


def bulk_run_create(
    *,
    workspace: str,
    user,
    action: str,
    target: str,
    reason: str,
    sendable: Sequence[Any],
    skipped: list[dict],
    extra: dict | None = None,
    idempotency_key: str | None = None,
) -> BulkRun:
    """Record a bulk run and, once committed, enqueue one task per invoice.

    One run per form key, enforced by the database (a unique key): a double submit, even two
    requests at the same instant, raises BulkAlreadyStarted with the first run. One task per
    invoice: several workers share a run, a graceful stop leaves the rest queued, and a dead
    worker loses only the invoice it held (reconciled, then resumed).
    """
    if (refusal := bulk_already_started(idempotency_key)) is not None:
        raise refusal
    try:
        with transaction.atomic():
            run = BulkRun.objects.create(
                workspace=workspace,
                user=user,
                action=action,
                target=target,
                reason=reason,
                invoice_pks=[inv.pk for inv in sendable],
                skipped=skipped,
                total=len(sendable),
                state=BulkRun.State.RUNNING if sendable else BulkRun.State.FINISHED,
                finished_at=None if sendable else timezone.now(),
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:
        refusal = bulk_already_started(idempotency_key)
        if refusal is None:
            raise
        raise refusal from None
    if sendable:
        transaction.on_commit(lambda: bulk_run_enqueue(run, extra or {}))
    return run


def bulk_run_enqueue(run: BulkRun, extra: dict) -> None:
    for pk in run.invoice_pks:
        bulk_item_task.enqueue(str(run.pk), pk, extra)


@task()
def bulk_item_task(run_id: str, invoice_pk: int, extra: dict) -> str:
    """Send one invoice of a bulk run, exactly once, also when run again after a worker died."""
    return bulk_item_send(run_id, invoice_pk, extra)


def bulk_item_send(run_id: str, invoice_pk: int, extra: dict) -> str:
    from chorusweb.recovery import entry_check
    from chorusweb.workers import current_worker_id, live_worker_ids

    run = BulkRun.objects.select_related("user").filter(pk=run_id).first()
    if run is None or run.state == BulkRun.State.FINISHED:
        return "finished"
    key = f"bulk:{run.pk}:{invoice_pk}"
    existing = AuditEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        # Run again after its worker died: never resend; a write left pending is reconciled.
        if existing.state == AuditEntry.State.PENDING:
            holder = existing.worker_id
            if holder and holder != current_worker_id() and holder in live_worker_ids():
                return "in-flight"
            existing = entry_check(existing, interrupted=True)
        bulk_run_progress(run.pk)
        return existing.state
    send = import_string(SENDERS[run.workspace])
    try:
        if send(run, invoice_pk, key, extra) is False:
            BulkRun.objects.filter(pk=run.pk).update(total=F("total") - 1)
    except BulkItemRejected as exc:
        _record_not_sent(run, key, exc.message, exc.invoice)
    except ActionRejected:
        pass  # its own entry says why (refused by Chorus Pro, outcome unknown)
    except FactPulseError:
        pass  # settled in the audit trail by the service (refused, unknown or not sent)
    bulk_run_progress(run.pk)
    return "sent"


class BulkItemRejected(ActionRejected):
    """An invoice of a run set aside before sending (carries the invoice for the result line)."""

    def __init__(self, message: str, invoice: Any) -> None:
        super().__init__(message)
        self.invoice = invoice


def bulk_item(run: BulkRun, model, invoice_pk: int, key: str, send: Callable[..., Any]) -> Any:
    """For senders: send the run's invoice `invoice_pk` (a row of `model`) with the single-invoice
    service, `send(invoice, **sending)`; False when it no longer exists (see `bulk_item_call`).

    `sending` is what every invoice of a run is sent with: the run's user, the item's one-time
    `key`, the run as batch, and no re-read after a success (the run's end synchronises).
    """
    invoice = model.objects.select_related("connection").filter(pk=invoice_pk).first()
    if invoice is None:
        return False
    return bulk_item_call(
        run, invoice, lambda: send(invoice, user=run.user, idempotency_key=key, batch=run.pk, refresh=False)
    )


def bulk_item_call(run: BulkRun, invoice: Any, call) -> Any:
    """For senders: run the single-invoice service; a refusal before sending names the invoice."""
    try:
        return call()
    except ActionRejected as exc:
        if exc.entry is None or exc.entry.batch != run.pk:
            raise BulkItemRejected(exc.message, invoice) from exc
        raise


def _record_not_sent(run: BulkRun, key: str, message: str, invoice: Any) -> None:
    if invoice is None:
        return
    AuditEntry.objects.create(
        workspace=run.workspace,
        connection=invoice.connection,
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        user=run.user,
        action=run.action,
        target=run.target,
        reason=run.reason,
        exclusive=False,
        state=AuditEntry.State.FAILED,
        outcome=message,
        batch=run.pk,
        idempotency_key=key,
        settled_at=timezone.now(),
    )


def bulk_run_progress(run_id) -> bool:
    """Finish the run once every invoice has a settled outcome; True when this call finished it."""
    run = BulkRun.objects.filter(pk=run_id).first()
    if run is None or run.state != BulkRun.State.RUNNING:
        return False
    settled = AuditEntry.objects.filter(batch=run.pk).exclude(state=AuditEntry.State.PENDING).count()
    if settled < run.total:
        return False
    if not BulkRun.objects.filter(pk=run.pk, state=BulkRun.State.RUNNING).update(
        state=BulkRun.State.FINISHED, finished_at=timezone.now()
    ):
        return False
    if run.workspace in FINISHERS:
        import_string(FINISHERS[run.workspace])(run)
    return True


def bulk_results(run: BulkRun) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(batch=run.pk).select_related("user").order_by("created_at", "pk"))
