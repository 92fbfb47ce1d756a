"""The bookkeeping shared by every mirror's synchronisation: runs, locking, progress, errors.

A workspace provides `fetch(since, progress)`, which pages through its upstream search and
upserts each page into its mirror. This module opens a SyncRun (at most one running per
connection and workspace, a database constraint), records progress as it goes so that a
polling page can show it, and records the outcome, including an upstream failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb.access import access_for
from chorusweb.factpulse import FactPulseError, Page
from chorusweb.models import Connection, SyncRun

logger = logging.getLogger(__name__)

#: A run still "running" after this long died with its process.
STALE_RUN = timedelta(hours=1)


class SyncAlreadyRunning(Exception):
    def __init__(self, run: SyncRun | None) -> None:
        super().__init__(_("Une synchronisation est déjà en cours pour cette connexion."))
        self.run = run


@dataclass
class PageStats:
    rows: int
    created: int
    changed: int


Progress = Callable[[PageStats, int | None], None]


def last_successful_run(connection: Connection, workspace: str) -> SyncRun | None:
    return (
        SyncRun.objects.filter(connection=connection, workspace=workspace, state=SyncRun.State.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )


def sync_start(*, connection: Connection, workspace: str, full: bool = False, user=None) -> SyncRun:
    """Open a run (raises SyncAlreadyRunning when one is under way)."""
    SyncRun.objects.filter(
        connection=connection,
        workspace=workspace,
        state=SyncRun.State.RUNNING,
        started_at__lt=timezone.now() - STALE_RUN,
    ).update(state=SyncRun.State.FAILED, finished_at=timezone.now(), error=_("Interrompue."))
    since: datetime | None = None
    if not full:
        previous = last_successful_run(connection, workspace)
        if previous is None:
            full = True
        else:
            since = previous.started_at - timedelta(minutes=settings.CHORUSWEB_SYNC_OVERLAP_MINUTES)
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                connection=connection,
                workspace=workspace,
                full=full,
                since=since,
                triggered_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        running = SyncRun.objects.filter(
            connection=connection, workspace=workspace, state=SyncRun.State.RUNNING
        ).first()
        raise SyncAlreadyRunning(running) from None


def sync_execute(run: SyncRun, fetch: Callable[[datetime | None, Progress], None]) -> SyncRun:
    """Run `fetch` for an open run and record its progress and outcome."""

    def progress(stats: PageStats, total: int | None) -> None:
        run.pages += 1
        run.rows_seen += stats.rows
        run.rows_created += stats.created
        run.rows_changed += stats.changed
        if total is not None:
            run.total_expected = total
        SyncRun.objects.filter(pk=run.pk).update(
            pages=run.pages,
            rows_seen=run.rows_seen,
            rows_created=run.rows_created,
            rows_changed=run.rows_changed,
            total_expected=run.total_expected,
        )

    try:
        fetch(run.since, progress)
    except FactPulseError as exc:
        logger.warning("Sync %s of %s failed: %s", run.workspace, run.connection, exc)
        run.state = SyncRun.State.FAILED
        run.error = exc.user_message
    except Exception as exc:
        logger.exception("Sync %s of %s crashed", run.workspace, run.connection)
        run.state = SyncRun.State.FAILED
        run.error = _("Erreur interne pendant la synchronisation : %(error)s") % {"error": type(exc).__name__}
    else:
        run.state = SyncRun.State.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    return run


def prefetched_pages(fetch_page: Callable[[int], Page]) -> Iterator[Page]:
    """Walk a search page by page, fetching page n+1 while the caller stores page n.

    Upstream answers and database writes then overlap instead of alternating. Only the HTTP
    call runs in the helper thread (the gateway touches no database); the pages are yielded
    in order in the caller's thread.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chorusweb-prefetch") as pool:
        future = pool.submit(fetch_page, 1)
        number = 1
        while True:
            page = future.result()
            if page.has_next:
                number += 1
                future = pool.submit(fetch_page, number)
            yield page
            if not page.has_next:
                return


def sync_enqueue(*, user, workspace: str, action, task, never_synced_only: bool = False) -> list[SyncRun]:
    """Start a background sync of every connection on which the user may do `action`.

    Used by the Refresh buttons; with `never_synced_only`, only connections never synchronised
    (a first visit fills the mirror without waiting for a click). A connection already being
    synchronised keeps its running run, which is returned so the page can show its progress.
    `task` is the workspace's django task taking the run's id.
    """
    connections = access_for(user).connections(action)
    if never_synced_only:
        known = set(
            SyncRun.objects.filter(connection__in=connections, workspace=workspace).values_list(
                "connection_id", flat=True
            )
        )
        connections = [c for c in connections if c.pk not in known]
    runs = []
    for connection in connections:
        try:
            run = sync_start(connection=connection, workspace=workspace, user=user)
        except SyncAlreadyRunning as exc:
            if exc.run is not None:
                runs.append(exc.run)
            continue
        runs.append(run)
        transaction.on_commit(lambda run_id=run.pk: task.enqueue(run_id))
    return runs


# --- Reading: what the list pages say about synchronisation ---------------------------------


@dataclass(frozen=True)
class SyncStatus:
    connection_name: str
    connection_id: int
    last_success: SyncRun | None
    last_run: SyncRun | None

    @property
    def failed(self) -> bool:
        return bool(self.last_run and self.last_run.state == SyncRun.State.FAILED)

    @property
    def running(self) -> bool:
        return bool(self.last_run and self.last_run.state == SyncRun.State.RUNNING)


def sync_statuses(*, user, workspace: str, action) -> list[SyncStatus]:
    """For each connection the user may use for `action`: its last run and last successful run."""
    connections = access_for(user).connections(action)
    runs = SyncRun.objects.filter(connection_id__in=[c.pk for c in connections], workspace=workspace)
    last = dict(runs.values_list("connection_id").annotate(pk=Max("pk")).order_by())
    last_ok = dict(
        runs.filter(state=SyncRun.State.SUCCEEDED).values_list("connection_id").annotate(pk=Max("pk")).order_by()
    )
    by_pk = SyncRun.objects.in_bulk({*last.values(), *last_ok.values()})
    return [SyncStatus(c.name, c.pk, by_pk.get(last_ok.get(c.pk)), by_pk.get(last.get(c.pk))) for c in connections]


def sync_first_visit(*, user, workspace: str, action, task) -> tuple[list[SyncStatus], bool]:
    """A list page's sync statuses, after starting the sync of connections never synchronised.

    A first visit fills the mirror in the background (the page does not wait). Returns the
    statuses and whether a sync was started (the page then polls its progress).
    """
    statuses = sync_statuses(user=user, workspace=workspace, action=action)
    if all(s.last_run is not None for s in statuses):
        return statuses, False
    runs = sync_enqueue(user=user, workspace=workspace, action=action, task=task, never_synced_only=True)
    return sync_statuses(user=user, workspace=workspace, action=action), bool(runs)
