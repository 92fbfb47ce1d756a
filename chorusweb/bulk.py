"""Bulk actions shared by the workspaces: record the run, send each invoice once, report.

A workspace checks the selection first (what can be sent, what is set aside and why), then
`bulk_run_create()` records the run and enqueues its task; the task calls `bulk_run_execute()`
with the workspace's single-invoice service. Each invoice sent gets its own audit entry
carrying the run's id, so the result table is the run's audit entries plus its skipped list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from chorusweb.audit import ActionRejected
from chorusweb.factpulse import FactPulseError
from chorusweb.models import AuditEntry, BulkRun


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
) -> BulkRun:
    """Record a bulk run and, once committed, hand it to the background task."""
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
    )
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
