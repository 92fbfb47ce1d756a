"""Seed the sandbox only when it has no data (run by `make run`; instant when seeded)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox import services


class Command(BaseCommand):
    help = "Remplit le bac à sable FactPulse s'il est vide (sinon ne fait rien)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            self.stdout.write("Bac à sable désactivé (SANDBOX_ENABLED=false) : rien à faire.")
            return
        started = time.monotonic()
        summary = services.seed_if_empty()
        if summary is None:
            self.stdout.write("Bac à sable déjà rempli : rien à faire.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Bac à sable rempli (graine {summary.seed}) : {summary.invoices} factures, dont "
                f"{summary.received_demo} reçues et {summary.awaiting_validation_demo} à valider pour le "
                f"compte de démonstration ({time.monotonic() - started:.1f} s)."
            )
        )
