"""Amounts for people: one formatter for pages, messages and exports.

`format_money()` follows the active language (`1 234,56 €` in French, `€1,234.56` in English);
`plain_amount()` is the spreadsheet form of an export cell (`1234,56`: no grouping, no symbol).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, translation

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def format_money(value: Any, currency: str = "EUR") -> str:
    """`1 234,56 €` in French, `€1,234.56` in English; empty for no amount."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get((currency or "EUR").upper(), (currency or "").upper())
    if translation.get_language() == "en":
        if number.startswith("-"):
            return f"-{symbol}{number[1:]}"
        return f"{symbol}{number}"
    return f"{number}\u00a0{symbol}"


def plain_amount(value: Decimal | None) -> str:
    """`1234,56` for an export cell; empty for no amount."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")
