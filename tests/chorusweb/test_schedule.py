"""The schedule of the background jobs: its ticks and its jobs."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from chorusweb.tasks import _every


def test_schedule_ticks_fall_on_the_clock():
    assert isinstance(_every(10), CronTrigger) and "*/10" in str(_every(10))
    assert isinstance(_every(0.05), CronTrigger) and "*/3" in str(_every(0.05))
    assert isinstance(_every(7), IntervalTrigger)


def test_schedule_holds_every_job():
    from crontask import scheduler

    names = {job.name for job in scheduler.get_jobs()}
    assert {"sync_all_task", "recover_task", "nightly_task", "purge_task", "payment_delay_recompute"} <= names
