"""The sandbox seeded for a fixture, fast: `sandbox.services.reset` on a SQLite test database
writes back the rows of the same seed generated earlier in this process.

The seed is deterministic (its seed number, size, large documents and the sandbox's date), so
the first reset of each kind runs the real generator and keeps the rows of the tables it fills;
later ones wipe the sandbox as the generator does and insert those rows again (~3 ms instead of
~30 ms, for the ~230 tests over a seeded sandbox). tests/sandbox/test_seed.py and every other
direct call still run the generator; on PostgreSQL fixtures run it too.
"""

from __future__ import annotations

from django.db import connection, transaction

from sandbox import clock, services
from sandbox import seed as generator
from sandbox.models import Account, Attachment, ChorusAccount, Invoice, SandboxState, Service, Structure
from sandbox.seed import SeedSummary

_seeds: dict[tuple, tuple[SeedSummary, list[tuple[str, list[tuple]]]]] = {}


def _tables():
    return [ChorusAccount, Account, Account.chorus_accounts.through, Structure, Service, Invoice, Attachment]


def reseed(*, seed_number: int, size: str = "small", large: bool = False) -> SeedSummary:
    if connection.vendor != "sqlite":
        return services.reset(seed_number=seed_number, size=size, large=large)
    quote = connection.ops.quote_name
    key = (seed_number, size, large, clock.localnow().date())
    if key not in _seeds:
        summary = services.reset(seed_number=seed_number, size=size, large=large)
        inserts = []
        with connection.cursor() as cursor:
            for model in _tables():
                # the many-to-many rows take new ids, as the generator's do (their sequence runs on)
                fields = [f for f in model._meta.concrete_fields if not (model._meta.auto_created and f.primary_key)]
                columns = [quote(field.column) for field in fields]
                table = quote(model._meta.db_table)
                # `+column` is the stored value itself, untouched by the driver's type converters
                cursor.execute(f"SELECT {', '.join('+' + c for c in columns)} FROM {table}")
                marks = ", ".join(["%s"] * len(columns))
                inserts.append((f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", cursor.fetchall()))
        _seeds[key] = (summary, inserts)
        return summary
    summary, inserts = _seeds[key]
    with transaction.atomic():
        generator.wipe()
        with connection.cursor() as cursor:
            for statement, rows in inserts:
                cursor.executemany(statement, rows)
        generator._reset_sequences()
        state, _ = SandboxState.objects.get_or_create(pk=1)
        state.seed = seed_number
        state.seed_size = size
        state.save(update_fields=["seed", "seed_size"])
    return summary
