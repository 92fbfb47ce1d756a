"""How a dashboard cell reads: amounts, days, shares and counts in the active locale."""

from __future__ import annotations

from django import template
from django.utils import formats

from chorusweb.money import format_money

register = template.Library()


@register.filter
def cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return "—"
    if cell.kind == "money":
        return format_money(value)
    if cell.kind == "count":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if cell.kind == "days":
        return formats.number_format(value, 1 if value != int(value) else 0, use_l10n=True, force_grouping=True)
    if cell.kind == "percent":
        return f"{formats.number_format(value, 1, use_l10n=True)}\u00a0%"
    if cell.kind == "date":
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
