"""Amounts typed the French way are read in every amount field; unreadable input is shown back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from chorusweb.forms import AmountField, FilterForm
from chorusweb.money import parse_amount
from invoices.forms import InvoiceFilterForm
from validators.forms import QueueFilterForm


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1000,50", Decimal("1000.50")),
        ("1 000", Decimal("1000")),
        ("1 000,50", Decimal("1000.50")),
        ("1\u00a0000,50", Decimal("1000.50")),  # no-break space
        ("1\u202f000,50", Decimal("1000.50")),  # narrow no-break space (French grouping)
        ("1.000,50", Decimal("1000.50")),
        ("1000.50", Decimal("1000.50")),
        ("1,000.50", Decimal("1000.50")),
        ("12 345 678,9 €", Decimal("12345678.9")),
        ("-120,00", Decimal("-120.00")),
        ("  42  ", Decimal("42")),
    ],
)
def test_parse_amount_reads_the_french_way(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize("typed", ["abc", "1,2,3", "12,345", "1 000,505", "--1", "1e3", "٣"])
def test_parse_amount_refuses_what_it_cannot_read(typed):
    assert parse_amount(typed) is None


class _Form(FilterForm):
    ranges = (("du", "au"), ("min", "max"))
    du = forms.DateField(required=False)
    au = forms.DateField(required=False)
    min = AmountField(required=False)
    max = AmountField(required=False)


def test_amount_field_reads_french_input_and_says_what_is_wrong():
    form = _Form({"min": "1 000,50", "max": "dix euros"})
    assert not form.is_valid()
    assert form.valid_data()["min"] == Decimal("1000.50")
    assert "max" not in form.valid_data()
    assert "Montant illisible" in form.errors["max"][0]


def test_inverted_ranges_are_shown_on_the_end_field():
    form = _Form({"du": "2026-03-10", "au": "2026-03-01", "min": "500", "max": "100"})
    assert not form.is_valid()
    assert "précède son début" in form.errors["au"][0]
    assert "inférieur au minimum" in form.errors["max"][0]
    data = form.valid_data()
    assert data["du"].day == 10 and data["min"] == Decimal("500") and "au" not in data and "max" not in data


def test_both_workspaces_use_the_shared_amount_field():
    for form in (InvoiceFilterForm(), QueueFilterForm()):
        assert isinstance(form.fields["montant_min"], AmountField)
        assert isinstance(form.fields["montant_max"], AmountField)
        # A text input: the browser does not refuse "1 000,50" before the server reads it.
        assert 'type="text"' in str(form["montant_min"]) and 'inputmode="decimal"' in str(form["montant_min"])
