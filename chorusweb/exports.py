"""CSV cells that cannot attack the spreadsheet that opens them (CSV / formula injection).

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage
return) as a formula: a supplier name such as `=HYPERLINK(...)` coming from Chorus Pro would
act in the reader's spreadsheet. Such a cell is written with a leading apostrophe, which
spreadsheets read as "this is text" (OWASP's advice). Numbers stay numbers: a negative amount
(`-12,50`, a credit note) is a value, not a formula, and is written as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
#: A plain number, French or English decimal mark: -12,50  1234.5  +3
_NUMBER = re.compile(r"\A[+-]?\d+(?:[.,]\d+)?\Z")


def csv_cell(value: Any) -> str:
    """The text of one CSV cell, neutralised when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if type(value) is not str:
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        value = str(value)
    if value and value[0] in _FORMULA_FIRST and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[str]:
    """Every cell of a row through `csv_cell`."""
    return [csv_cell(value) for value in values]
