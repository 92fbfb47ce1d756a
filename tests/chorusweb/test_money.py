"""The fast `money` filter writes exactly what Django's locale formatting writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import formats, translation

from chorusweb.money import CURRENCY_SYMBOLS
from chorusweb.money import format_money as money


def reference(value, currency="EUR") -> str:
    number = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get((currency or "EUR").upper(), (currency or "").upper())
    if translation.get_language() == "en":
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number}\u00a0{symbol}"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "value", ["0", "1", "-1234.5", "1234567.891", "999.995", "-0.01", "-0.001", Decimal("12345678901.20"), 5]
)
@pytest.mark.parametrize("currency", ["EUR", "usd", "XAF", ""])
def test_money_matches_the_locale_formatting(language, value, currency):
    with translation.override(language):
        assert money(value, currency) == reference(value, currency)


def test_money_of_nothing_or_text():
    assert money(None) == "" and money("") == "" and money("abc") == "abc"
