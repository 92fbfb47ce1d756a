"""Scalar reading and writing: upstream values to Python values, and back for request bodies.

Read tolerantly: the three date formats (a timestamp without an offset is Paris time), amounts
as `Decimal` (never a float), booleans from OUI/NON, an unknown value as None. The `pick_*`
helpers read the first present spelling of a key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from chorusweb import lifecycle

#: Chorus Pro is a French service: a timestamp without an offset is Paris time.
CHORUS_TZ = ZoneInfo("Europe/Paris")

_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or ISO 8601 with offset.

    A value without an offset is Paris time; a bare date is midnight, Paris time. Epoch
    numbers (seconds or milliseconds) and `DD/MM/YYYY` are read too. Anything else is None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float, Decimal)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            match = _DMY.match(text)
            if not match:
                return None
            day, month, year, hour, minute, second = match.groups()
            try:
                parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            except ValueError:
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHORUS_TZ)
    return parsed


def parse_date(value: Any) -> date | None:
    """A date from any of the formats of `parse_datetime` (its Paris calendar day)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed.astimezone(CHORUS_TZ).date()


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a JSON number or string (`"1250.50"`, `"1 250,50"`); never a float."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # the shortest repr, not the binary expansion
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not result.is_finite():
        return None
    return result


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if not math.isfinite(value) or value != int(value):
            return None
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"-?\d+\.0*", text):
            return int(text.split(".")[0])
    return None


_TRUE = {"true", "oui", "yes", "1", "o", "y", "vrai"}
_FALSE = {"false", "non", "no", "0", "n", "faux", ""}


def to_bool(value: Any) -> bool | None:
    """True/False from booleans, 0/1 and the strings OUI/NON, true/false; None if unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def pick(data: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return value
    return None


def pick_str(data: Mapping[str, Any], *keys: str) -> str:
    return to_str(pick(data, keys))


def pick_int(data: Mapping[str, Any], *keys: str) -> int | None:
    return to_int(pick(data, keys))


def pick_decimal(data: Mapping[str, Any], *keys: str) -> Decimal | None:
    return to_decimal(pick(data, keys))


def pick_date(data: Mapping[str, Any], *keys: str) -> date | None:
    return parse_date(pick(data, keys))


def pick_datetime(data: Mapping[str, Any], *keys: str) -> datetime | None:
    return parse_datetime(pick(data, keys))


def pick_bool(data: Mapping[str, Any], *keys: str) -> bool | None:
    return to_bool(pick(data, keys))


def pick_object(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if isinstance(value, Mapping):
            return value
    return {}


def pick_status(data: Mapping[str, Any], *keys: str) -> str:
    """A status code as received (upper-cased, the doc's hyphen read as underscore)."""
    value = pick(data, keys)
    if isinstance(value, Mapping):  # {code, label} shapes
        value = pick(value, ("code", "codeStatut", "statut"))
    text = to_str(value)
    return lifecycle.normalise_status(text) if text else ""


def format_date(value: date | None) -> str | None:
    """`YYYY-MM-DD` for a request (a datetime is sent as its date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHORUS_TZ)
        return value.date().isoformat()
    return value.isoformat()


def format_amount(value: Decimal | int | str | None) -> str | None:
    """An amount for the typed endpoints: a string with two decimals (`"1250.50"`)."""
    if value is None:
        return None
    amount = to_decimal(value)
    if amount is None:
        raise ValueError(f"Not an amount: {value!r}")
    return f"{amount.quantize(Decimal('0.01')):f}"


def to_number(value: Decimal | int | None) -> int | float | None:
    """An amount as a JSON number for native filters (bounds only; results are read as Decimal)."""
    if value is None:
        return None
    amount = to_decimal(value)
    if amount is None:
        raise ValueError(f"Not an amount: {value!r}")
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """A request body without its empty values (None, "", [])."""
    return {k: v for k, v in body.items() if v is not None and v != [] and v != ""}


def frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))
