"""Reading request bodies the way FactPulse (FastAPI + pydantic) does.

A body that is not JSON, not an object, or whose fields have the wrong type is refused with
HTTP 422 and a FastAPI-style `{"detail": [{"loc", "msg", "type"}]}`. Every accessor accepts
several spellings of a key (the FactPulse doc name and the native Chorus Pro name); the first
one present wins and is the one reported in `loc`.

Coercion follows pydantic's lax mode: `"12"` is a valid integer, `"true"` a valid boolean.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_MISSING = object()


class ValidationFailed(Exception):
    """The body does not match the expected shape: answer 422 with these errors."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__("validation failed")
        self.errors = errors


def _error(loc: list[Any], msg: str, type_: str, value: Any = _MISSING) -> dict[str, Any]:
    error: dict[str, Any] = {"type": type_, "loc": loc, "msg": msg}
    if value is not _MISSING:
        error["input"] = value
    return error


def parse_json_object(raw: bytes, *, allow_empty: bool = False) -> dict[str, Any]:
    """Decode a request body that must be a JSON object."""
    if not raw.strip():
        if allow_empty:
            return {}
        raise ValidationFailed([_error(["body"], "Field required", "missing", None)])
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", 0)
        raise ValidationFailed(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", position],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(getattr(exc, "msg", exc))},
                }
            ]
        ) from exc
    if not isinstance(data, dict):
        raise ValidationFailed([_error(["body"], "Input should be a valid dictionary", "dict_type", data)])
    return data


class Body:
    """Typed, alias-aware access to a JSON object; collects every error before raising."""

    def __init__(self, data: dict[str, Any], loc: tuple[Any, ...] = ("body",), errors: list | None = None):
        self.data = data
        self.loc = loc
        self.errors: list[dict[str, Any]] = [] if errors is None else errors

    # --- plumbing -------------------------------------------------------------------------

    def _find(self, names: tuple[str, ...]) -> tuple[str, Any]:
        for name in names:
            if name in self.data:
                return name, self.data[name]
        return names[0], _MISSING

    def _get(self, names: tuple[str, ...], required: bool) -> tuple[str, Any]:
        name, value = self._find(names)
        if value is _MISSING or value is None:
            if required:
                self.errors.append(_error([*self.loc, name], "Field required", "missing", self.data))
            return name, None
        return name, value

    def has(self, *names: str) -> bool:
        """Whether one of the spellings is present with a non-null value."""
        return self._find(names)[1] not in (_MISSING, None)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    # --- scalar accessors ------------------------------------------------------------------

    def int(self, *names: str, required: bool = False) -> int | None:
        name, value = self._get(names, required)
        if value is None:
            return None
        if isinstance(value, bool):
            self.errors.append(_error([*self.loc, name], "Input should be a valid integer", "int_type", value))
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
            self.errors.append(
                _error(
                    [*self.loc, name],
                    "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing",
                    value,
                )
            )
            return None
        self.errors.append(_error([*self.loc, name], "Input should be a valid integer", "int_type", value))
        return None

    def str(self, *names: str, required: bool = False) -> str | None:
        name, value = self._get(names, required)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        self.errors.append(_error([*self.loc, name], "Input should be a valid string", "string_type", value))
        return None

    def bool(self, *names: str, required: bool = False) -> bool | None:
        name, value = self._get(names, required)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"true", "1", "yes", "on", "oui", "t", "y"}:
                return True
            if lowered in {"false", "0", "no", "off", "non", "f", "n"}:
                return False
        self.errors.append(
            _error(
                [*self.loc, name],
                "Input should be a valid boolean, unable to interpret input",
                "bool_parsing",
                value,
            )
        )
        return None

    def decimal(self, *names: str, required: bool = False) -> Decimal | None:
        name, value = self._get(names, required)
        if value is None:
            return None
        if not isinstance(value, bool) and isinstance(value, (int, float, str)):
            try:
                number = Decimal(str(value).strip())
                if number.is_finite():
                    return number
            except InvalidOperation:
                pass
        self.errors.append(_error([*self.loc, name], "Input should be a valid decimal", "decimal_parsing", value))
        return None

    def date(self, *names: str, required: bool = False) -> date | datetime | None:
        """A date `YYYY-MM-DD`, or a full ISO datetime (returned as an aware or naive datetime)."""
        name, value = self._get(names, required)
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip()
            try:
                if len(text) == 10:
                    return date.fromisoformat(text)
                return datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                pass
        self.errors.append(
            _error(
                [*self.loc, name],
                "Input should be a valid date in the format YYYY-MM-DD",
                "date_from_datetime_parsing",
                value,
            )
        )
        return None

    # --- containers --------------------------------------------------------------------------

    def obj(self, *names: str, required: bool = False) -> Body | None:
        """A nested object, as a `Body` sharing this one's error list."""
        name, value = self._get(names, required)
        if value is None:
            return None
        if isinstance(value, dict):
            return Body(value, (*self.loc, name), self.errors)
        self.errors.append(_error([*self.loc, name], "Input should be a valid dictionary", "dict_type", value))
        return None

    def list(self, *names: str, required: bool = False) -> tuple[str, list[Any] | None]:
        name, value = self._get(names, required)
        if value is None:
            return name, None
        if isinstance(value, list):
            return name, value
        self.errors.append(_error([*self.loc, name], "Input should be a valid list", "list_type", value))
        return name, None

    def str_list(self, *names: str, single_ok: bool = True) -> list[str] | None:
        """A list of strings (a single string is read as a one-item list when `single_ok`)."""
        name, value = self._find(names)
        if value is _MISSING or value is None:
            return None
        if single_ok and isinstance(value, str):
            return [value]
        if isinstance(value, list):
            if all(isinstance(item, str) for item in value):
                return list(value)
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    self.errors.append(
                        _error([*self.loc, name, index], "Input should be a valid string", "string_type", item)
                    )
            return None
        self.errors.append(_error([*self.loc, name], "Input should be a valid list", "list_type", value))
        return None

    def int_list(self, *names: str) -> list[int] | None:
        """A list of integers; items may also be objects `{"idFacture": n}` (native shape)."""
        name, items = self.list(*names)
        if items is None:
            return None
        result: list[int] = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                child = Body(item, (*self.loc, name, index), self.errors)
                number = child.int("idFacture", "identifiantFactureCPP", "id", required=True)
            elif isinstance(item, int) and not isinstance(item, bool):
                number = item
            elif isinstance(item, str) and item.strip().isdigit():
                number = int(item)
            else:
                number = None
                self.errors.append(
                    _error([*self.loc, name, index], "Input should be a valid integer", "int_type", item)
                )
            if number is not None:
                result.append(number)
        return result
