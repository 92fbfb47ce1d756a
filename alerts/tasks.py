"""Background work of the alerts: after each sync, every day, and every few minutes.

* after a successful sync (`chorusweb.sync.sync_succeeded`): the connection's notices are
  computed and the immediate ones sent (`alerts_after_sync`);
* every day (`DAILY_JOBS` in chorusweb/tasks.py): every connection's notices, as due dates
  come closer with the calendar (`alerts_daily`);
* every CHORUSWEB_ALERTS_SEND_EVERY minutes (chorusweb/tasks.py): what is due is sent, digests
  at each user's hour, failed mails again with backoff, claims of a dead process released
  (`alerts_send`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)

#: The daily job treats as "new" what the mirror received within this time (the hooks after each
#: sync tell them sooner; this catches what a lost hook missed).
DAILY_LOOKBACK = timedelta(days=2)


@task()
def alerts_after_sync(connection_id: int, since: str | None = None) -> dict:
    """Record the notices of one connection after its sync, then send the immediate ones."""
    from django.utils.dateparse import parse_datetime

    from alerts.services import notices_compute, notices_send_due

    recorded = notices_compute(connection_ids=[connection_id], since=parse_datetime(since) if since else None)
    return {"recorded": recorded, **notices_send_due()}


@task()
def alerts_daily() -> dict:
    """Every connection's notices (due dates move with the days), then what is due is sent; old
    notices are purged."""
    from alerts.services import notices_compute, notices_purge, notices_send_due

    recorded = notices_compute(since=timezone.now() - DAILY_LOOKBACK)
    return {"recorded": recorded, **notices_send_due(), "purged": notices_purge()}


@task()
def alerts_send() -> dict:
    """Send what is due (immediate, digests at their hour, retries of failed mails)."""
    from alerts.services import notices_send_due

    return notices_send_due()


def on_sync_succeeded(sender, run, **kwargs) -> None:
    """`sync_succeeded` receiver: once the run is committed, enqueue the connection's alerts.

    Rows written by this run carry a `synced_at` after the previous successful run started: that
    is the window of "new" invoices (None for a first run: every row is new).
    """
    from chorusweb.models import SyncRun

    previous = (
        SyncRun.objects.filter(
            connection_id=run.connection_id,
            workspace=run.workspace,
            state=SyncRun.State.SUCCEEDED,
            started_at__lt=run.started_at,
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    since = previous.isoformat() if previous else None
    transaction.on_commit(lambda: alerts_after_sync.enqueue(run.connection_id, since))
