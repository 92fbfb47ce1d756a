"""Worker processes of the durable queue: their signs of life, and what a silent one left behind.

Workers are django-tasks-db's `manage.py db_worker` processes. When one starts its first task,
a daemon thread of that process writes its heartbeat (`WorkerBeat`) every
CHORUSWEB_WORKER_HEARTBEAT seconds; the audit entries and bulk items it sends carry its id.
A worker silent for CHORUSWEB_WORKER_STALE_SECONDS is gone (killed, machine lost): the
recovery job (`chorusweb.recovery`) then reconciles what it was doing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_worker_id = ""
_thread: threading.Thread | None = None
_niced = False


def current_worker_id() -> str:
    """The id of the worker process running this code ("" in a web process or a test)."""
    return _worker_id


def beat_now(worker_id: str | None = None) -> None:
    from chorusweb.models import WorkerBeat

    worker_id = worker_id or _worker_id
    if not worker_id:
        return
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()[:255], "pid": os.getpid()},
    )


def _beat_forever() -> None:
    while True:
        time.sleep(settings.CHORUSWEB_WORKER_HEARTBEAT)
        try:
            close_old_connections()
            beat_now()
        except Exception:  # the next beat tries again; a long silence marks the worker gone
            logger.warning("Worker heartbeat could not be written", exc_info=True)


def yield_to_pages() -> None:
    """Lower this background process's CPU priority once (`CHORUSWEB_WORKER_NICENESS`): on a
    small server a sync or a bulk run yields the processor to the people waiting for a page."""
    global _niced
    if _niced or not settings.CHORUSWEB_WORKER_NICENESS:
        return
    _niced = True
    try:
        os.nice(settings.CHORUSWEB_WORKER_NICENESS)
    except OSError:  # not allowed here: the work runs at the normal priority
        logger.warning("Could not lower the worker's priority.")


def heartbeat_start(worker_id: str) -> None:
    """Make this process beat as `worker_id` (idempotent); a worker also yields to pages."""
    global _worker_id, _thread
    yield_to_pages()
    with _lock:
        if _worker_id == worker_id and _thread is not None and _thread.is_alive():
            return
        _worker_id = worker_id
        beat_now(worker_id)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_beat_forever, name="chorusweb-heartbeat", daemon=True)
            _thread.start()


def on_task_started(sender, task_result, **kwargs) -> None:
    """`django.tasks.signals.task_started` receiver: a db_worker process starts beating."""
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(sender, DatabaseBackend) or (isinstance(sender, type) and issubclass(sender, DatabaseBackend)):
        worker_ids = getattr(task_result, "worker_ids", None) or []
        if worker_ids:
            heartbeat_start(worker_ids[-1])


def stale_before():
    return timezone.now() - timedelta(seconds=settings.CHORUSWEB_WORKER_STALE_SECONDS)


def live_worker_ids() -> set[str]:
    from chorusweb.models import WorkerBeat

    return set(WorkerBeat.objects.filter(beat_at__gte=stale_before()).values_list("worker_id", flat=True))
