"""Fast bulk writes of the mirror: one `INSERT ... ON CONFLICT DO UPDATE` run with executemany.

The ORM's bulk_create compiles every value of every row through the field machinery; a sync
page of 1,000 invoices spends most of its time there. These writes go through the same
database connection and transaction, with values adapted by the backend's own operations,
and work on SQLite and PostgreSQL (both support `ON CONFLICT`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db
from django.db.models import Model


def _adapter(field) -> Any:
    ops = db.ops
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "DecimalField":
        return lambda v: (
            None if v is None else ops.adapt_decimalfield_value(Decimal(v), field.max_digits, field.decimal_places)
        )
    if internal == "JSONField":
        encoder = field.encoder or DjangoJSONEncoder
        return lambda v: json.dumps(v, cls=encoder)
    return None


def _params(model: type[Model], rows: Sequence[dict[str, Any]]) -> tuple[list, list[tuple]]:
    """The fields named by the rows' keys, and each row's values adapted for the database."""
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    adapters = [_adapter(f) for f in fields]
    params = [
        tuple(
            value if (adapt is None or value is None) else adapt(value)
            for value, adapt in zip((row[n] for n in names), adapters, strict=True)
        )
        for row in rows
    ]
    return fields, params


def upsert(
    model: type[Model],
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert `rows` (dicts of field attnames) into `model`'s table, updating `update` on conflict."""
    if not rows:
        return
    meta = model._meta
    fields, params = _params(model, rows)
    quote = db.ops.quote_name
    # Identifiers come from the model's metadata (quoted); every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(quote(meta.get_field(u).column) for u in unique)}) DO UPDATE SET "
        + ", ".join(f"{quote(meta.get_field(u).column)} = EXCLUDED.{quote(meta.get_field(u).column)}" for u in update)
    )
    with db.cursor() as cursor:
        cursor.executemany(sql, params)


def insert(model: type[Model], rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert of `rows` (dicts of field attnames)."""
    if not rows:
        return
    meta = model._meta
    fields, params = _params(model, rows)
    quote = db.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with db.cursor() as cursor:
        cursor.executemany(sql, params)


def is_older(held: tuple[datetime | None, datetime | None], incoming: dict[str, Any], fetched_at: datetime) -> bool:
    """True when an upstream row must not overwrite the mirror row it matches.

    `held` is the mirror row's (`synced_at`, `status_changed_at`): when its state became known
    and when upstream says it changed. The incoming row loses when its page was asked for
    before the held state became known (an action settled meanwhile) or when its status
    change is older than the held one (`dateHeureEtatCourant`).
    """
    known_at, changed_at = held
    if known_at is not None and fetched_at < known_at:
        return True
    incoming_changed_at = incoming.get("status_changed_at")
    return bool(changed_at and incoming_changed_at and incoming_changed_at < changed_at)
