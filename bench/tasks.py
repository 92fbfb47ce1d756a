"""Tasks of the queue benchmark (bench/workers.py), importable by the worker processes."""

from django.tasks import task


@task()
def noop_task() -> None:
    """A task that does nothing: what is left is the queue's own cost."""
