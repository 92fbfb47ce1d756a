"""Recompute the payment-delay clocks of the received mirror (what the daily task does)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from invoices.clock import clocks_recompute, missing_rates


class Command(BaseCommand):
    help = (
        "Advance the payment-delay clocks of the received invoices (the running ones and those "
        "estimated with a rate to confirm); --all recomputes every clock."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every clock, not only the running ones")
        parser.add_argument("--structure", default=None, help="only the invoices of this structure code (SIRET)")

    def handle(self, *args, **options):
        count = clocks_recompute(running_only=not options["all"], structure_code=options["structure"])
        self.stdout.write(f"{count} clock(s) recomputed.")
        for half in missing_rates():
            self.stderr.write(f"No interest rate for {half}: add it in the admin (ECB rate on {half.first_day} + 8).")
