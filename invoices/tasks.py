"""Background tasks of the received invoices workspace that a schedule runs.

`payment_delay_recompute` advances the payment-delay clocks once a day (schedule it daily,
shortly after midnight Europe/Paris); `manage.py payment_delay_recompute` does the same by hand.
"""

from __future__ import annotations

from django.tasks import task

from invoices.clock import clocks_recompute


@task()
def payment_delay_recompute(running_only: bool = True, structure_code: str | None = None) -> int:
    """Advance the clocks (running ones by default; `running_only=False`: every clock)."""
    return clocks_recompute(running_only=running_only, structure_code=structure_code)
