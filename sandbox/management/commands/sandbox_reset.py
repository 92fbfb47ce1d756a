"""Restore the sandbox's seed data (wipes every sandbox table first)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sandbox import services


class Command(BaseCommand):
    help = "Réinitialise le bac à sable FactPulse à partir de sa graine."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=None, help="Graine (défaut : SANDBOX_SEED).")
        parser.add_argument("--small", action="store_true", help="Jeu réduit (celui des tests) au lieu du jeu complet.")
        parser.add_argument(
            "--large",
            action="store_true",
            default=None,
            help="Ajoute deux factures de ~110 Mo de pièces jointes (défaut : SANDBOX_LARGE_DOCUMENTS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        summary = services.reset(
            seed_number=options["seed"],
            size="small" if options["small"] else "full",
            large=options["large"] if options["large"] is not None else settings.SANDBOX_LARGE_DOCUMENTS,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Bac à sable réinitialisé (graine {summary.seed}, jeu {summary.size}) : {summary.invoices} "
                f"factures, {summary.received_demo} reçues et {summary.awaiting_validation_demo} à valider "
                f"pour le compte de démonstration ({time.monotonic() - started:.1f} s)."
            )
        )
        if summary.large_invoice_ids:
            self.stdout.write(f"Factures volumineuses : {', '.join(map(str, summary.large_invoice_ids))}")
