"""Amounts for people: one formatter for pages, messages and exports.

`format_money()` follows the active language (`1 234,56 €` in French, `€1,234.56` in English);
`plain_amount()` is the spreadsheet form of an export cell (`1234,56`: no grouping, no symbol).
"""

from __future__ import annotations

import functools
import re
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


#: The invoice type of a credit note (`typeFacture`).
CREDIT_NOTE = "AVOIR"


def is_credit_note(invoice_type: str | None) -> bool:
    return (invoice_type or "").strip().upper() == CREDIT_NOTE


def signed_amount(amount: Decimal | None, invoice_type: str | None) -> Decimal | None:
    """The amount as it counts in a total: a credit note's is negative, whichever sign it was sent with."""
    if amount is None:
        return None
    return -abs(amount) if is_credit_note(invoice_type) else amount


#: Spaces people and spreadsheets put between thousands: normal, no-break, narrow no-break, thin.
_GROUPING_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "'")
_AMOUNT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]{1,2})?")
_GROUPED_DOTS = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+")


def parse_amount(text: str | None) -> Decimal | None:
    """An amount typed the French way (`1000,50`, `1 000`, `1 000,50`, `1.000,50`) or the
    English way (`1000.50`, `1,000.50`), with or without `€`; None when it cannot be read."""
    if text is None:
        return None
    value = str(text).strip().replace("€", "").replace("EUR", "")
    for space in _GROUPING_SPACES:
        value = value.replace(space, "")
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        value = value.replace(grouping, "").replace(decimal_mark, ".")
    elif "," in value:
        value = value.replace(",", ".")
    elif _GROUPED_DOTS.fullmatch(value):
        value = value.replace(".", "")
    if not _AMOUNT.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def net_amount(field_name: str):
    """A database expression: the amount as it counts in a total, a credit note's negative
    whichever sign upstream sent it with (for mirrors that store amounts as received)."""
    from django.db.models import Case, DecimalField, F, Q, When
    from django.db.models.functions import Abs

    credit = Q(invoice_type__iexact=CREDIT_NOTE)
    return Case(When(credit, then=-Abs(F(field_name))), default=F(field_name), output_field=DecimalField())
