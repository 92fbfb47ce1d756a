"""Alerts benchmark: the notices and digests of 1,000 users over the bench's mirror.

    python -m bench --skip-sync --skip-download --skip-workers   # runs with the views (make bench)

Users are shaped like a large public buyer's: most agents limited to one service (some to two),
a few seeing every service, a tenth of them validators. Timed, each once, inside a transaction
rolled back at the end (the bench's data is left as it was):

* the first computation (every invoice to process is new, every due date in its window): the
  notices recorded, set-based per connection and kind;
* the digests: one mail per user rendered (French, text and HTML) and handed to Django's
  in-memory mail backend;
* a second computation, as the hook after a sync that changed nothing runs it (due dates are
  read again, no invoice is new): it records nothing.
"""

from __future__ import annotations

import random
import time

Row = tuple[str, str, str]


class CountingBackend:
    """A mail backend that builds each message as SMTP would send it (MIME bytes), counts it and
    keeps nothing (Django's in-memory backend keeps every mail: its memory would be timed too)."""

    sent = 0
    size = 0

    def __init__(self, *args, **kwargs) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages) -> int:
        for message in messages:
            CountingBackend.size += len(message.message().as_bytes())
        CountingBackend.sent += len(messages)
        return len(messages)


def _people(count: int, seed: int = 15) -> list[int]:
    """`count` agents with their roles and service limits on the bench connection; their ids."""
    from django.contrib.auth import get_user_model

    from bench.data import CONNECTION_NAME, SERVICES
    from chorusweb.models import Connection, Membership, Role

    rng = random.Random(seed)
    connection = Connection.objects.get(name=CONNECTION_NAME)
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"alerts-bench-{i}", email=f"agent{i}@bench.example.test") for i in range(count)]
    )
    codes = [code for code, _name in SERVICES]
    memberships = []
    for i, user in enumerate(users):
        shape = rng.random()
        if shape < 0.05:
            limited: list[str] = []  # every service
        elif shape < 0.15:
            limited = rng.sample(codes, 2)
        else:
            limited = [rng.choice(codes)]
        role = Role.VALIDATOR if i % 10 == 9 else Role.RECIPIENT
        memberships.append(Membership(user=user, connection=connection, role=role, service_codes=limited))
    Membership.objects.bulk_create(memberships)
    return [u.pk for u in users]


def bench_alerts(users: int = 1000) -> list[Row]:
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count
    from django.test.utils import override_settings
    from django.utils import timezone

    from alerts import services
    from alerts.models import Notice
    from invoices.models import ReceivedInvoice

    invoices = ReceivedInvoice.objects.count()
    rows: list[Row] = []
    counting = {"default": {"BACKEND": "bench.alerts.CountingBackend"}}
    CountingBackend.sent = CountingBackend.size = 0
    with override_settings(MAILERS=counting), transaction.atomic():
        user_ids = _people(users)

        t0 = time.perf_counter()
        recorded = services.notices_compute()
        compute_s = time.perf_counter() - t0

        evening = timezone.localtime().replace(hour=23, minute=0)
        t0 = time.perf_counter()
        report = services.notices_send_due(now=evening, user_ids=user_ids)
        digest_s = time.perf_counter() - t0
        mails = CountingBackend.sent
        if recorded and not mails:
            raise RuntimeError("The alerts bench recorded notices but rendered no mail.")
        per_user = recorded / max(1, users)

        t0 = time.perf_counter()
        again = services.notices_compute(since=timezone.now())  # as the hook after a sync runs it
        again_s = time.perf_counter() - t0
        if again:
            raise RuntimeError(f"A second computation recorded {again} notices: notices must be told once.")
        kinds = dict(Notice.objects.values_list("kind").annotate(n=Count("pk")).order_by())
        transaction.set_rollback(True)
    summary = ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items()))
    rows.append(
        (
            f"Alerts: notices of {users:,} users, first run",
            f"{compute_s:.2f} s",
            f"{recorded:,} notices over {invoices:,} invoices ({per_user:,.0f}/user: {summary})",
        )
    )
    rows.append(
        (
            f"Alerts: digests of {users:,} users",
            f"{digest_s:.2f} s",
            f"{mails:,} mails (text + HTML, {CountingBackend.size / max(1, mails) / 1024:.1f} KB each), "
            f"{report['notices']:,} notices marked sent",
        )
    )
    rows.append(
        (
            "Alerts: computation after a sync with no change",
            f"{again_s * 1000:.0f} ms",
            f"0 notices recorded ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})",
        )
    )
    return rows
