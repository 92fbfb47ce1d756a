"""A task backend for Django's tasks framework that runs each task in a background thread.

Long work (a synchronisation, a bulk action) must not block the request that asked for it nor
other users: the view enqueues a task and answers at once with a progress region that polls.
This backend needs no broker; each task opens its own database connection and closes it.
Tests use Django's ImmediateBackend instead (see tests/conftest.py).
"""

from __future__ import annotations

import threading

from django.db import close_old_connections, connections
from django.tasks.backends.immediate import ImmediateBackend


class ThreadBackend(ImmediateBackend):
    """Runs tasks in daemon threads of the current process."""

    supports_async_task = False

    def _execute_task(self, task_result):
        def run() -> None:
            close_old_connections()
            try:
                super(ThreadBackend, self)._execute_task(task_result)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=f"chorusweb-task-{task_result.id[:8]}", daemon=True)
        thread.start()
