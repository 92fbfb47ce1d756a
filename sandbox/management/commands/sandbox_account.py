"""Create a sandbox FactPulse account (email, password, client_uid)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sandbox import accounts


class Command(BaseCommand):
    help = (
        "Crée (ou met à jour) un compte FactPulse du bac à sable. Avec --client-uid d'un compte "
        "Chorus Pro existant (par exemple celui de la démo), le compte en partage les factures ; "
        "sinon un compte Chorus Pro vide est créé."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("password")
        parser.add_argument("--client-uid", default=None)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        account, chorus = accounts.account_create(
            email=options["email"],
            password=options["password"],
            client_uid=options["client_uid"],
            name=options["name"],
        )
        self.stdout.write(self.style.SUCCESS(f"Compte {account.email} — client_uid {chorus.client_uid}"))
