"""Bulk actions shared by the workspaces: record the run, send each invoice once, report.

A workspace checks the selection first (what can be sent, what is set aside and why), then
`bulk_run_create()` records the run and enqueues its task; the task calls `bulk_run_execute()`
with the workspace's single-invoice service. Each invoice sent gets its own audit entry
carrying the run's id, so the result table is the run's audit entries plus its skipped list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb.audit import ActionRejected, is_idempotency_key
from chorusweb.factpulse import FactPulseError
from chorusweb.models import AuditEntry, BulkRun


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
    enqueue: Callable[[BulkRun], None],
    idempotency_key: str | None = None,
) -> BulkRun:
    """Record a bulk run and, once committed, hand it to the background task.

    One run per form key, enforced by the database (a unique key): a double submit, even two
    requests at the same instant, raises BulkAlreadyStarted with the first run.
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
        transaction.on_commit(lambda: enqueue(run))
    return run


def bulk_run_execute(run: BulkRun, *, invoices: dict[int, Any], send: Callable[[Any, str], Any]) -> int:
    """Send each planned invoice once with `send(invoice, idempotency_key)`; one failure never stops the others.

    `send` settles its own audit entry; an action refused before sending (rules, concurrent
    action) is recorded here so that every invoice of the run has a line in the results.
    """
    sent = 0
    for pk in run.invoice_pks:
        invoice = invoices.get(pk)
        if invoice is None:
            continue
        try:
            send(invoice, f"bulk:{run.pk}:{pk}")
        except ActionRejected as exc:
            if exc.entry is None or exc.entry.batch != run.pk:
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
                    outcome=exc.message,
                    batch=run.pk,
                    settled_at=timezone.now(),
                )
        except FactPulseError:
            pass  # settled as failed in the audit trail by `send`
        sent += 1
    return sent


def bulk_run_finish(run: BulkRun) -> None:
    run.state = BulkRun.State.FINISHED
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "finished_at"])


def bulk_results(run: BulkRun) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(batch=run.pk).select_related("user").order_by("created_at", "pk"))
