"""Fast bulk writes of the mirror: one `INSERT ... ON CONFLICT DO UPDATE` run with executemany.

The ORM's bulk_create compiles every value of every row through the field machinery; a sync
page of 1,000 invoices spends most of its time there. These writes go through the same
database connection and transaction, with values adapted by the backend's own operations,
and work on SQLite and PostgreSQL (both support `ON CONFLICT`).

On top of them, what every mirror does with a page of upstream rows: their values for the
mirror (`row_values`), the write that never lets an older row overwrite a newer one
(`write_page`), and the re-read of one invoice after an action (`reread`, `refresh`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db
from django.db.models import Model
from django.utils import timezone

from chorusweb.factpulse import FactPulseError
from chorusweb.sync import PageStats

logger = logging.getLogger(__name__)


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


#: The parties an invoice names, as the mirrors store them: its supplier, its recipient
#: structure and the structure's service.
PARTY_FIELDS = (
    "supplier_code",
    "supplier_name",
    "recipient_id",
    "recipient_code",
    "recipient_name",
    "service_id",
    "service_code",
    "service_name",
)


def row_values(
    model: type[Model], row: Any, fields: Sequence[str], *, renamed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The mirror values `fields` of an upstream row: its attribute of the same name (or the one
    `renamed` names); missing, "" where the column takes no NULL; the currency, the euro by default."""
    values = {}
    for name in fields:
        value = getattr(row, (renamed or {}).get(name, name))
        if value is None and model._meta.get_field(name).null is False:
            value = ""
        values[name] = value
    if "currency" in values:
        values["currency"] = values["currency"] or "EUR"
    return values


@dataclass
class PageWrite:
    """A page of upstream rows written into a mirror by `write_page`."""

    rows: Mapping[int, Any]  # the page's upstream rows, by invoice id
    values: dict[int, dict]  # the values written, by invoice id (rows older than the mirror's left out)
    held: dict[int, dict]  # the mirror rows as they were before, by invoice id

    @property
    def moved(self) -> list[int]:
        """The invoices written whose status is new to the mirror (new invoices included)."""
        return [
            iid for iid, v in self.values.items() if iid not in self.held or self.held[iid]["status"] != v["status"]
        ]

    def stats(self) -> PageStats:
        created = sum(1 for iid in self.values if iid not in self.held)
        return PageStats(rows=len(self.rows), created=created, changed=len(self.moved) - created)


def write_page(
    model: type[Model],
    connection,
    rows: Iterable[Any],
    values_of: Callable[[Any], dict],
    *,
    fetched_at: datetime | None = None,
    held: Sequence[str] = ("status",),
    insert: Mapping[str, Any] | None = None,
    new_values: Callable[[dict], dict] | None = None,
) -> PageWrite:
    """Write one page of upstream rows into a mirror; call it inside the page's transaction.

    Each row is stored with its values (`values_of(row)`: the columns it updates), its `raw`
    answer and when its page was asked for (`fetched_at`, now by default); `insert`: columns
    written on insert only. The mirror rows are read under lock first (an action settling now
    waits for this page, never the reverse), with their `held` columns: an incoming row older
    than the one held (`is_older`) is left out. `new_values(values)`: more columns of a row new
    to the mirror, written with it (not by a second UPDATE of every index).
    """
    fetched_at = fetched_at or timezone.now()
    by_id = {row.invoice_id: row for row in rows}
    values = {iid: values_of(row) for iid, row in by_id.items()}
    before = {
        row["invoice_id"]: row
        for row in model.objects.select_for_update()
        .filter(connection=connection, invoice_id__in=values)
        .values("invoice_id", "synced_at", "status_changed_at", *held)
    }
    for iid in [iid for iid in values if iid in before and _older(before[iid], values[iid], fetched_at)]:
        del values[iid]

    def stored(iids: list[int], extra: Callable[[dict], dict] | None) -> list[dict]:
        return [
            {
                "connection_id": connection.pk,
                "invoice_id": iid,
                **values[iid],
                **(extra(values[iid]) if extra else {}),
                **(insert or {}),
                "raw": dict(by_id[iid].raw),
                "synced_at": fetched_at,
            }
            for iid in iids
        ]

    known = [iid for iid in values if iid in before]
    new = [iid for iid in values if iid not in before]
    # The rows of one statement have the same columns: the known rows, then the new ones with theirs.
    for iids, extra in ((known, None), (new, new_values)):
        if iids:
            rows_stored = stored(iids, extra)
            update = [name for name in rows_stored[0] if name not in ("connection_id", "invoice_id", *(insert or {}))]
            upsert(model, rows_stored, unique=["connection", "invoice_id"], update=update)
    return PageWrite(by_id, values, before)


def _older(held: dict, incoming: dict[str, Any], fetched_at: datetime) -> bool:
    return is_older((held["synced_at"], held["status_changed_at"]), incoming, fetched_at)


def reread(search: Callable[..., Any], store: Callable[..., Any], of: Any, *, connection=None) -> list:
    """Re-read one invoice from an upstream search (by its number) and store it in the mirror.

    `of`: the invoice, or the audit entry of an action on it (its `invoice_number` and
    `invoice_id`, no id: every row of that number; and its `connection`, unless given).
    `search`: the gateway's search method; `store(connection, rows, fetched_at=)`: the mirror's
    upsert. Returns the rows found. Raises FactPulseError.
    """
    asked_at = timezone.now()
    page = search(invoice_number=of.invoice_number, page_size=100)
    rows = [row for row in page.items if of.invoice_id is None or row.invoice_id == of.invoice_id]
    if rows:
        store(connection or of.connection, rows, fetched_at=asked_at)
    return rows


def refresh(search: Callable[..., Any], store: Callable[..., Any], of: Any, *, connection=None) -> list:
    """`reread`, best effort: an upstream failure is logged and leaves the mirror as it is (no row)."""
    try:
        return reread(search, store, of, connection=connection)
    except FactPulseError as exc:
        logger.info("Refresh of invoice %s failed: %s", of.invoice_id or of.invoice_number, exc)
        return []
