"""System checks of the received invoices workspace: the interest rate table is up to date."""

from __future__ import annotations

from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def check_interest_rates(app_configs=None, **kwargs):
    """Warn when a half-year up to today has no late-payment interest rate (R2192-31)."""
    from invoices.clock import missing_rates

    try:
        missing = missing_rates()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    return [
        Warning(
            f"No late-payment interest rate for {half} (half-year starting {half.first_day:%Y-%m-%d}): "
            "interest estimates use the last known rate and are marked 'taux à confirmer'.",
            hint=(
                f"In the admin (Factures reçues > Taux des intérêts moratoires), add year {half.year}, "
                f"half {half.half}, with the ECB main refinancing rate in force on "
                f"{half.first_day:%d/%m/%Y} plus 8 points."
            ),
            id="invoices.W001",
        )
        for half in missing
    ]
