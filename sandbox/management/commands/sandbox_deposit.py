"""Suppliers deposit N new invoices in the sandbox (to show new arrivals)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox import services
from sandbox.models import ChorusAccount


class Command(BaseCommand):
    help = "Des fournisseurs déposent N nouvelles factures dans le bac à sable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="Nombre de factures à déposer.")
        parser.add_argument("--client-uid", default=None, help="Compte Chorus Pro destinataire (défaut : la démo).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["count"]
        if count <= 0:
            raise CommandError("Le nombre de factures doit être positif.")
        uid = options["client_uid"]
        if uid and not ChorusAccount.objects.filter(client_uid=uid).exists():
            raise CommandError(f"Compte Chorus Pro inconnu : {uid}")
        if not ChorusAccount.objects.exists():
            raise CommandError("Le bac à sable est vide : lancez d'abord sandbox_reset.")
        started = time.monotonic()
        ids = services.deposit(count, client_uid=uid)
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} factures déposées en {time.monotonic() - started:.1f} s."))
