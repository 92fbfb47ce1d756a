"""Amounts for people: one formatter for pages, messages and exports.

`format_money()` follows the active language (`1 234,56 €` in French, `€1,234.56` in English);
`plain_amount()` is the spreadsheet form of an export cell (`1234,56`: no grouping, no symbol).
"""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.utils import formats, translation

CENT = Decimal("0.01")
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_money(value: Any, currency: str = "EUR") -> str:
    """`1 234,56 €` in French, `€1,234.56` in English; empty for no amount.

    Called for every amount of every list row: formatted with Python's own grouping and the
    active language's separators (read once per language), not through the locale machinery
    (the same text, three times faster).
    """
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
        cut = amount.quantize(CENT, rounding=ROUND_DOWN)  # cut, as Django's number_format does
        text = f"{cut if cut else abs(cut):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    language = translation.get_language()
    thousands, decimal = _separators(language)
    number = text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    code = (currency or "EUR").upper()
    symbol = CURRENCY_SYMBOLS.get(code, code)
    if language == "en":
        if number.startswith("-"):
            return f"-{symbol}{number[1:]}"
        return f"{symbol}{number}"
    return f"{number}\u00a0{symbol}"


@functools.cache
def _separators(language: str | None) -> tuple[str, str]:
    with translation.override(language):
        return str(formats.get_format("THOUSAND_SEPARATOR")), str(formats.get_format("DECIMAL_SEPARATOR"))


def plain_amount(value: Decimal | None) -> str:
    """`1234,56` for an export cell; empty for no amount."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")
