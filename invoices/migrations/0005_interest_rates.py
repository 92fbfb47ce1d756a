"""The late-payment interest rates (ECB main refinancing rate + 8 points) known when shipped."""

from decimal import Decimal

from django.db import migrations

RATES = [
    (2024, 1, Decimal("12.50"), "BCE 4,50 % au 1er janvier 2024 + 8 points"),
    (2024, 2, Decimal("12.25"), "BCE 4,25 % au 1er juillet 2024 + 8 points"),
    (2025, 1, Decimal("11.15"), "BCE 3,15 % au 1er janvier 2025 + 8 points"),
    (2025, 2, Decimal("10.15"), "BCE 2,15 % au 1er juillet 2025 + 8 points"),
    (2026, 1, Decimal("10.15"), "BCE 2,15 % au 1er janvier 2026 + 8 points"),
]


def add_rates(apps, schema_editor):
    InterestRate = apps.get_model("invoices", "InterestRate")
    for year, half, rate, note in RATES:
        InterestRate.objects.get_or_create(year=year, half=half, defaults={"rate": rate, "note": note})


def remove_rates(apps, schema_editor):
    InterestRate = apps.get_model("invoices", "InterestRate")
    for year, half, _rate, _note in RATES:
        InterestRate.objects.filter(year=year, half=half).delete()


class Migration(migrations.Migration):
    dependencies = [("invoices", "0004_payment_delay_clock")]

    operations = [migrations.RunPython(add_rates, remove_rates)]
