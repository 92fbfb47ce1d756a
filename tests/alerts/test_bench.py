"""The alerts bench measures what it says, at a small scale: notices recorded, mails rendered, none twice."""

from __future__ import annotations

import pytest

from alerts.models import Notice
from bench import data
from bench.alerts import bench_alerts


@pytest.mark.django_db
def test_the_alerts_bench_records_renders_and_leaves_the_data_as_it_was(settings):
    settings.ALLOWED_HOSTS = ["*"]
    data.populate(400)
    rows = bench_alerts(users=40)
    names = [name for name, _figure, _note in rows]
    assert names == [
        "Alerts: notices of 40 users, first run",
        "Alerts: digests of 40 users",
        "Alerts: computation after a sync with no change",
    ]
    recorded = int(rows[0][2].split(" notices")[0].replace(",", ""))
    mails = int(rows[1][2].split(" mails")[0].replace(",", ""))
    assert recorded > 0 and 0 < mails <= 2 * 40  # at most an immediate mail and a digest each
    assert rows[2][2].startswith("0 notices")
    assert not Notice.objects.exists()  # rolled back
