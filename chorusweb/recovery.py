"""Reconciliation: what a dead process or a lost answer left unsettled, checked upstream.

- An action whose outcome is *unknown* (timeout, connection dropped after sending, unreadable
  answer) is checked upstream at once (`entry_check`) and again by the scheduled job.
- An action still *pending* whose process is gone (a worker silent for
  CHORUSWEB_WORKER_STALE_SECONDS, or a web process past the gateway's timeouts) is checked the
  same way: target reached -> done ("confirmée après interruption"); not reached after
  CHORUSWEB_UNCONFIRMED_AFTER_MINUTES -> "non confirmée", shown on the invoice and in the admin
  for a person to decide (`entry_resend`). Nothing is ever resent automatically.
- A task row left "running" by a dead worker is marked failed; the tasks that are safe to
  run again (bulk items, whose single-send key and reconciliation make them idempotent) are
  enqueued again, so a bulk run resumes; a sync run is released by its heartbeat.

Each workspace says how to re-read an invoice for an action (`CHECKS`): a function taking the
entry, refreshing the mirror from upstream and answering True (the write shows as applied),
False (it does not) or None (cannot be told); it raises FactPulseError when upstream fails.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from chorusweb.audit import UNSETTLED, audit_settle
from chorusweb.factpulse import FactPulseError
from chorusweb.models import AuditEntry
from chorusweb.workers import live_worker_ids

logger = logging.getLogger(__name__)

#: (workspace, action) -> dotted path of the check.
CHECKS: dict[tuple[str, str], str] = {
    ("received", "process"): "invoices.services.received_entry_check",
    ("received", "download"): "invoices.services.received_entry_check",
    ("validation", "validate"): "validators.services.validation_entry_check",
    ("validation", "download"): "validators.services.validation_entry_check",
    ("issued", "submit"): "issuers.services.issued_entry_check",
    ("issued", "complete"): "issuers.services.issued_entry_check",
    ("issued", "recycle"): "issuers.services.issued_entry_check",
}

#: Tasks safe to run again after their worker died (idempotent by construction).
RESUMABLE_TASKS = frozenset({"chorusweb.bulk.bulk_item_task"})


class WorkerLost(Exception):
    """The worker running the task stopped before finishing it."""


def _process_gone(entry: AuditEntry, alive: set[str]) -> bool:
    """True when the process that sends a pending entry cannot settle it any more."""
    if entry.worker_id:
        return entry.worker_id not in alive
    # A web process: its call cannot outlast the gateway's timeouts.
    longest = settings.FACTPULSE_CONNECT_TIMEOUT + max(
        settings.FACTPULSE_READ_TIMEOUT, settings.FACTPULSE_DOWNLOAD_TIMEOUT if entry.action == "download" else 0
    )
    return entry.created_at < timezone.now() - timedelta(seconds=longest + 30)


def entry_check(entry: AuditEntry, *, interrupted: bool = True) -> AuditEntry:
    """Check one unsettled entry upstream and settle it when its outcome can be told.

    `interrupted`: the entry's process died (wording "confirmée après interruption"); otherwise
    the answer was lost. Returns the entry as it stands now.
    """
    path = CHECKS.get((entry.workspace, entry.action))
    reached: bool | None = None
    if path is not None:
        try:
            reached = import_string(path)(entry)
        except FactPulseError as exc:
            logger.info("Upstream check of action %s failed: %s", entry.pk, exc)
            reached = None
    now = timezone.now()
    AuditEntry.objects.filter(pk=entry.pk).update(checked_at=now)
    entry.checked_at = now
    if reached:
        outcome = (
            _("Confirmée après interruption : Chorus Pro montre l'action appliquée.")
            if interrupted
            else _("Confirmée auprès de Chorus Pro après une réponse perdue : l'action est appliquée.")
        )
        with transaction.atomic():
            audit_settle(entry, state=AuditEntry.State.DONE, outcome=outcome)
        _after_settle(entry)
        return entry
    grace = timedelta(minutes=settings.CHORUSWEB_UNCONFIRMED_AFTER_MINUTES)
    if reached is False and entry.created_at <= now - grace:
        audit_settle(
            entry,
            state=AuditEntry.State.UNCONFIRMED,
            outcome=_(
                "Non confirmée : Chorus Pro ne montre pas l'action appliquée. Elle n'a pas été renvoyée ; "
                "une personne peut décider de la renvoyer."
            ),
        )
        _after_settle(entry)
        return entry
    if entry.state == AuditEntry.State.PENDING:
        from chorusweb.audit import unknown_outcome_message

        audit_settle(entry, state=AuditEntry.State.UNKNOWN, outcome=unknown_outcome_message(entry))
        _after_settle(entry)
    return entry


def _after_settle(entry: AuditEntry) -> None:
    if entry.batch is not None:
        from chorusweb.bulk import bulk_run_progress

        bulk_run_progress(entry.batch)


def entries_reconcile() -> dict[str, int]:
    """Check the pending entries whose process is gone and every unknown entry."""
    alive = live_worker_ids()
    report = {"checked": 0, "done": 0, "unconfirmed": 0}
    candidates = AuditEntry.objects.filter(state__in=UNSETTLED).select_related("connection").order_by("created_at")
    for entry in candidates[:500]:
        if entry.state == AuditEntry.State.PENDING and not _process_gone(entry, alive):
            continue
        entry = entry_check(entry, interrupted=entry.state == AuditEntry.State.PENDING)
        report["checked"] += 1
        if entry.state == AuditEntry.State.DONE:
            report["done"] += 1
        elif entry.state == AuditEntry.State.UNCONFIRMED:
            report["unconfirmed"] += 1
    return report


def tasks_recover() -> int:
    """Mark failed the task rows left running by a dead worker; enqueue again the resumable ones."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from chorusweb.workers import stale_before

    alive = live_worker_ids()
    recovered = 0
    for row in DBTaskResult.objects.running().filter(started_at__lt=stale_before()):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker in alive:
            continue
        changed = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"WorkerLost: worker {worker or '?'} stopped while running this task.",
        )
        if not changed:
            continue
        recovered += 1
        if row.task_path in RESUMABLE_TASKS:
            row.task.enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    return recovered


def recover() -> dict[str, int]:
    """The scheduled recovery: lost tasks, lost syncs, interrupted and unknown actions."""
    from chorusweb.sync import sync_release_stale

    report = {"tasks": tasks_recover(), "syncs": sync_release_stale()}
    report.update(entries_reconcile())
    return report


def entry_resend(*, user, entry: AuditEntry):
    """A person decided to resend a "non confirmée" action: send it again, once, as a new action.

    Returns the workspace service's outcome; raises what it raises (ActionRejected, ...).
    """
    from chorusweb.audit import ActionRejected

    path = RESENDS.get((entry.workspace, entry.action))
    if entry.state != AuditEntry.State.UNCONFIRMED or entry.resent_as_id is not None or path is None:
        raise ActionRejected(_("Cette action ne peut pas être renvoyée."))
    return import_string(path)(user=user, entry=entry)


#: (workspace, action) -> dotted path of the resend (a person's decision, never automatic).
RESENDS: dict[tuple[str, str], str] = {
    ("received", "process"): "invoices.services.received_entry_resend",
    ("validation", "validate"): "validators.services.validation_entry_resend",
}
