"""The bookkeeping shared by every mirror's synchronisation: runs, locking, progress, errors.

This module opens a SyncRun (at most one running per connection and workspace, a database
constraint). A workspace's sync then reads top to bottom in its own service, inside
`sync_recording(run)`, which records its progress as it goes (so that a polling page can show
it) and its outcome, including an upstream failure:

    with sync_recording(run) as sync:
        for page, asked_at in sync.pages(lambda number: client.search(page=number, ...)):
            sync.page(upsert_rows(run.connection, page.items, fetched_at=asked_at), page.total)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb.access import access_for
from chorusweb.factpulse import FactPulseError, FactPulseUnavailable, Page
from chorusweb.models import Connection, SyncRun

logger = logging.getLogger(__name__)

#: A run still "running" after this long without ever beating died before it started working.
STALE_RUN = timedelta(hours=1)
#: Read-only work is retried with backoff: delays before the 2nd, 3rd and 4th attempt.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))


#: Sent after a run succeeded (argument: `run`), once its rows are committed: the alerts listen.
sync_succeeded = Signal()


class SyncAlreadyRunning(Exception):
    def __init__(self, run: SyncRun | None) -> None:
        super().__init__(_("Une synchronisation est déjà en cours pour cette connexion."))
        self.run = run


@dataclass
class PageStats:
    rows: int
    created: int
    changed: int


def last_successful_run(connection: Connection, workspace: str) -> SyncRun | None:
    return (
        SyncRun.objects.filter(connection=connection, workspace=workspace, state=SyncRun.State.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )


def sync_start(*, connection: Connection, workspace: str, full: bool = False, user=None) -> SyncRun:
    """Open a run (raises SyncAlreadyRunning when one is under way).

    A running run whose heartbeat fell silent lost its process (worker killed, deploy): it is
    released at once instead of blocking its connection.
    """
    sync_release_stale(connection=connection, workspace=workspace)
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


def sync_release_stale(**filters) -> int:
    """Mark as interrupted the running runs whose process is gone; return how many."""
    from chorusweb.workers import stale_before

    now = timezone.now()
    return (
        SyncRun.objects.filter(state=SyncRun.State.RUNNING, **filters)
        .filter(Q(heartbeat_at__lt=stale_before()) | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_RUN))
        .update(
            state=SyncRun.State.FAILED,
            finished_at=now,
            error=_("Interrompue : le processus qui la menait s'est arrêté."),
        )
    )


class _Heartbeat:
    """Writes `heartbeat_at` of a run every few seconds from a helper thread while it works."""

    def __init__(self, run: SyncRun) -> None:
        from chorusweb.workers import current_worker_id

        # Only a worker process beats; a run in another process (command, test) keeps the
        # one-hour rule, as nothing would release it while it works.
        self.active = bool(current_worker_id())
        self.run_pk = run.pk
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"chorusweb-sync-{run.pk}", daemon=True)

    def _beat(self) -> None:
        try:
            while not self.stop.wait(settings.CHORUSWEB_WORKER_HEARTBEAT):
                SyncRun.objects.filter(pk=self.run_pk, state=SyncRun.State.RUNNING).update(heartbeat_at=timezone.now())
        except Exception:
            logger.warning("Sync heartbeat of run %s failed", self.run_pk, exc_info=True)
        finally:
            connections.close_all()

    def __enter__(self) -> _Heartbeat:
        if self.active:
            SyncRun.objects.filter(pk=self.run_pk).update(heartbeat_at=timezone.now())
            self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.active:
            self.stop.set()
            self.thread.join(timeout=5)


class SyncRecorder:
    """What a sync records while it works, inside `sync_recording`: each page stored."""

    def __init__(self, run: SyncRun, beat: _Heartbeat) -> None:
        self.run = run
        self.beat = beat

    def pages(self, fetch_page: Callable[[int], Page]) -> Iterator[tuple[Page, datetime]]:
        """The search's pages in order (`prefetched_pages`), each with when it was asked for
        upstream: a row of a page asked for before an action on it settled is older than the mirror."""
        asked_at: dict[int, datetime] = {}

        def timed(number: int) -> Page:
            asked_at[number] = timezone.now()
            return fetch_page(number)

        for number, page in enumerate(prefetched_pages(timed), start=1):
            yield page, asked_at[number]

    def page(self, stats: PageStats, total: int | None) -> None:
        """Record a page stored (and the rows upstream announces in all), for the polling page."""
        run = self.run
        run.pages += 1
        run.rows_seen += stats.rows
        run.rows_created += stats.created
        run.rows_changed += stats.changed
        if total is not None:
            run.total_expected = total
        SyncRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now() if self.beat.active else None,
            pages=run.pages,
            rows_seen=run.rows_seen,
            rows_created=run.rows_created,
            rows_changed=run.rows_changed,
            total_expected=run.total_expected,
        )


def sync_released(run: SyncRun) -> bool:
    """True when an open run was released meanwhile (its worker was thought gone): nothing to do."""
    if SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.RUNNING).exists():
        return False
    run.refresh_from_db()
    return True


@contextmanager
def sync_recording(run: SyncRun) -> Iterator[SyncRecorder]:
    """Around the work of an open run: its progress, its heartbeat, and its outcome once the block
    ends (succeeded, or failed with why: an upstream error is recorded, never raised)."""
    failure: Exception | None = None
    beat = _Heartbeat(run)
    try:
        with beat:
            yield SyncRecorder(run, beat)
    except FactPulseError as exc:
        failure = exc
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
    run.heartbeat_at = run.finished_at if beat.active else None
    run.save()
    if run.state == SyncRun.State.SUCCEEDED:
        for _receiver, outcome in sync_succeeded.send_robust(sender=SyncRun, run=run):
            if isinstance(outcome, Exception):
                logger.warning("After the sync of run %s: %r", run.pk, outcome)
    run.retryable = run.state == SyncRun.State.FAILED and isinstance(failure, FactPulseUnavailable)


def sync_task_run(run_id: int, execute: Callable[[SyncRun], SyncRun], task, attempt: int = 1) -> str:
    """The body of a workspace's sync task: `execute` the run (the workspace's sync, which records
    itself in `sync_recording`), and retry a read that met an outage with backoff.

    The retry is a new run enqueued with `run_after`, so no worker sleeps and the page shows the
    failure meanwhile.
    """
    run = SyncRun.objects.select_related("connection", "triggered_by").get(pk=run_id)
    if sync_released(run):
        return run.state
    run = execute(run)
    deferrable = task.get_backend().supports_defer
    if getattr(run, "retryable", False) and deferrable and attempt <= len(RETRY_DELAYS):
        try:
            retry = sync_start(connection=run.connection, workspace=run.workspace, user=run.triggered_by)
        except SyncAlreadyRunning:
            return run.state
        task.using(run_after=timezone.now() + RETRY_DELAYS[attempt - 1]).enqueue(retry.pk, attempt + 1)
    return run.state


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
    """For each connection the user may use for `action`: its last run and last successful run.

    One query, written out: every list page reads it, and the ORM would spend longer compiling
    its two subqueries (~1.5 ms) than the database spends answering.
    """
    connections = access_for(user).connections(action)
    if not connections:
        return []
    ids = [c.pk for c in connections]
    table = SyncRun._meta.db_table
    among = f"workspace = %s AND connection_id IN ({', '.join(['%s'] * len(ids))})"
    runs = SyncRun.objects.raw(
        f"SELECT * FROM {table} WHERE id IN ("  # noqa: S608 (names from the model, values as parameters)
        f"SELECT MAX(id) FROM {table} WHERE {among} GROUP BY connection_id UNION "
        f"SELECT MAX(id) FROM {table} WHERE {among} AND state = %s GROUP BY connection_id) ORDER BY id",
        [workspace, *ids, workspace, *ids, SyncRun.State.SUCCEEDED],
    )
    last: dict[int, SyncRun] = {}
    last_ok: dict[int, SyncRun] = {}
    for run in runs:
        last[run.connection_id] = run
        if run.state == SyncRun.State.SUCCEEDED:
            last_ok[run.connection_id] = run
    return [SyncStatus(c.name, c.pk, last_ok.get(c.pk), last.get(c.pk)) for c in connections]


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


@dataclass(frozen=True)
class MirrorSync:
    """A workspace's mirror sync, declared once: now, or in the background from its list page.

    `action`: what a user needs on a connection for its mirror to be synchronised for them;
    `execute(run)`: the workspace's sync of an open run (it records itself in `sync_recording`);
    `task`: the workspace's django task taking a run's id (`sync_task_run`).
    """

    workspace: str
    action: object
    execute: Callable[[SyncRun], SyncRun]
    task: object

    def now(self, *, connection: Connection, full: bool = False, user=None) -> SyncRun:
        """Synchronise the mirror of a connection now (full the first time, then incremental)."""
        return self.execute(sync_start(connection=connection, workspace=self.workspace, full=full, user=user))

    def enqueue(self, *, user, never_synced_only: bool = False) -> list[SyncRun]:
        """Start a background sync of every connection the user may do `action` on (Refresh button)."""
        return sync_enqueue(
            user=user,
            workspace=self.workspace,
            action=self.action,
            task=self.task,
            never_synced_only=never_synced_only,
        )

    def first_visit(self, *, user) -> tuple[list[SyncStatus], bool]:
        """The list's sync statuses; a mirror never synchronised starts filling now."""
        return sync_first_visit(user=user, workspace=self.workspace, action=self.action, task=self.task)
