"""The schedule: the jobs that run when nobody is looking.

Background work runs on Django's tasks framework with a durable, database-backed queue
(django-tasks-db): a task is a row, `manage.py db_worker` processes run them. The schedule is
django-crontask (`manage.py crontask`, which imports this module): at each tick the scheduler
enqueues the job's task and a worker runs it. With `CRONTASK_REDIS_URL`, only the scheduler
holding the Redis lock fires, so each tick fires once however many schedulers run.

Daily jobs of other modules take their place in `DAILY_JOBS` below (a dotted path and a time).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from crontask import cron
from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: The workspaces whose mirror the schedule keeps fresh: (workspace, its sync task).
SYNC_TASKS = (
    ("received", "invoices.services.sync_received_task"),
    ("validation", "validators.services.sync_validation_task"),
    ("issued", "issuers.services.sync_issued_task"),
)

#: Daily jobs: (dotted path of a django task taking no argument, "HH:MM" Europe/Paris).
DAILY_JOBS: tuple[tuple[str, str], ...] = (
    # The payment-delay clocks advance with the calendar (invoices/clock.py).
    ("invoices.tasks.payment_delay_recompute", "00:15"),
    # Alerts whose due dates came closer overnight, once the clocks have advanced (alerts/).
    ("alerts.tasks.alerts_daily", "06:30"),
)
#: Jobs run every few minutes: (dotted path of a django task taking no argument, minutes).
PERIODIC_JOBS: tuple[tuple[str, float], ...] = (
    # Mails due: immediate notices, digests at each user's hour, retries of failed sends.
    ("alerts.tasks.alerts_send", settings.CHORUSWEB_ALERTS_SEND_EVERY),
)


def _every(minutes: float) -> CronTrigger | IntervalTrigger:
    """Every N minutes, on the clock when N divides the hour (xx:00, xx:10...), so that ticks
    are the same instants on every scheduler."""
    seconds = max(1, round(minutes * 60))
    tz = timezone.get_default_timezone()
    if seconds < 60 and 60 % seconds == 0:
        return CronTrigger(second=f"*/{seconds}", timezone=tz)
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return CronTrigger(minute=f"*/{seconds // 60}", timezone=tz)
    return IntervalTrigger(seconds=seconds, timezone=tz)


def _daily(hour: int, minute: int) -> CronTrigger:
    return CronTrigger(hour=hour, minute=minute, timezone=timezone.get_default_timezone())


def sync_all(*, full: bool = False) -> int:
    """Open a sync run of every active connection in every workspace and enqueue it.

    A connection already being synchronised keeps its run. Returns how many runs were opened.
    """
    from chorusweb.models import Connection
    from chorusweb.sync import SyncAlreadyRunning, sync_start

    opened = 0
    for connection in Connection.objects.active():
        for workspace, task_path in SYNC_TASKS:
            sync_task = import_string(task_path)
            try:
                run = sync_start(connection=connection, workspace=workspace, full=full)
            except SyncAlreadyRunning:
                continue
            transaction.on_commit(lambda run_id=run.pk, t=sync_task: t.enqueue(run_id))
            opened += 1
    return opened


@cron(_every(settings.CHORUSWEB_SYNC_EVERY))
@task()
def sync_all_task() -> int:
    """Every CHORUSWEB_SYNC_EVERY minutes: an incremental sync of every active connection."""
    return sync_all()


@cron(_every(settings.CHORUSWEB_RECOVER_EVERY))
@task()
def recover_task() -> dict:
    """Every minute: reconcile interrupted actions, release lost syncs, resume lost bulk items."""
    from chorusweb.recovery import recover

    return recover()


@cron(_daily(2, 30))
@task()
def nightly_task() -> dict:
    """Every night: a full reconciliation (full sync of every connection, every unsettled action
    checked upstream), then the daily jobs."""
    from chorusweb.dbstats import refresh_statistics
    from chorusweb.recovery import recover

    report = recover()
    report["syncs"] = sync_all(full=True)
    report["statistics"] = refresh_statistics()  # after the day's writes (see chorusweb/dbstats.py)
    for path, _at in DAILY_JOBS:
        daily = import_string(path)
        transaction.on_commit(lambda t=daily: t.enqueue())
    report["daily_jobs"] = len(DAILY_JOBS)
    return report


for _path, _at in DAILY_JOBS:
    _hour, _minute = (int(part) for part in _at.split(":"))
    cron(_daily(_hour, _minute))(import_string(_path))

for _path, _minutes in PERIODIC_JOBS:
    cron(_every(_minutes))(import_string(_path))


@cron(_daily(3, 15))
@task()
def purge_task() -> int:
    """Every night: delete finished task rows older than CHORUSWEB_TASK_RETENTION_DAYS days."""
    from django_tasks_db.models import DBTaskResult

    from chorusweb.models import WorkerBeat

    limit = timezone.now() - timedelta(days=settings.CHORUSWEB_TASK_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=limit).delete()
    WorkerBeat.objects.filter(beat_at__lt=limit).delete()
    logger.info("Purged %d finished task rows", deleted)
    return deleted
