"""CSV cells that cannot attack the spreadsheet that opens them (CSV / formula injection).

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage
return) as a formula: a supplier name such as `=HYPERLINK(...)` coming from Chorus Pro would
act in the reader's spreadsheet. Such a cell is written with a leading apostrophe, which
spreadsheets read as "this is text" (OWASP's advice). Numbers stay numbers: a negative amount
(`-12,50`, a credit note) is a value, not a formula, and is written as it is.

Also the rest every download shares: a unique file name (`download_stamp`) and real dates on
ZIP entries (`zip_date_time`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain number, French or English decimal mark: -12,50  1234.5  +3
_NUMBER = re.compile(r"\A[+-]?\d+(?:[.,]\d+)?\Z")


def csv_cell(value: Any) -> str:
    """The text of one CSV cell, neutralised when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_row(values: Iterable[Any]) -> list[str]:
    """Every cell of a row through `csv_cell`."""
    return [csv_cell(value) for value in values]


def download_stamp() -> str:
    """What makes a download's file name unique: the local time and a short random part
    (`20261201-143502-7f3a`), so that two downloads never overwrite each other."""
    return f"{timezone.localtime():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def zip_date_time(day) -> tuple[int, int, int, int, int, int]:
    """The date of a ZIP entry: the invoice's deposit day (noon), else now; never 1980."""
    if isinstance(day, datetime):
        moment = timezone.localtime(day) if timezone.is_aware(day) else day
    elif isinstance(day, date):
        moment = datetime(day.year, day.month, day.day, 12)
    else:
        moment = timezone.localtime()
    if moment.year < 1980:
        moment = timezone.localtime()
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
