"""Synchronise the mirrors (received invoices, validation queues, issued invoices) from upstream."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from chorusweb.models import Connection, SyncRun
from chorusweb.sync import SyncAlreadyRunning
from chorusweb.workers import yield_to_pages
from invoices.services import sync_received
from issuers.services import sync_issued
from validators.services import sync_validation

SYNCERS = (
    ("factures reçues", sync_received),
    ("file de validation", sync_validation),
    ("factures émises", sync_issued),
)


class Command(BaseCommand):
    help = "Synchronise le miroir des factures depuis Chorus Pro (via FactPulse)."

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="Nom de la connexion (toutes les connexions actives sinon).")
        parser.add_argument(
            "--full", action="store_true", help="Relire toutes les factures, pas seulement les changements."
        )

    def handle(self, *args, **options):
        yield_to_pages()  # background work, as in a worker
        connections = Connection.objects.active()
        if options["connection"]:
            connections = connections.filter(name=options["connection"])
            if not connections.exists():
                raise CommandError(f"Aucune connexion active nommée « {options['connection']} ».")
        failures = 0
        for connection in connections:
            for label, sync in SYNCERS:
                try:
                    run = sync(connection=connection, full=options["full"])
                except SyncAlreadyRunning:
                    self.stdout.write(self.style.WARNING(f"{connection} · {label} : déjà en cours, ignorée."))
                    continue
                if run.state == SyncRun.State.SUCCEEDED:
                    seconds = run.duration.total_seconds() if run.duration else 0
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{connection} · {label} : {run.rows_seen} lues, {run.rows_created} nouvelles, "
                            f"{run.rows_changed} changements de statut ({seconds:.1f} s)."
                        )
                    )
                else:
                    failures += 1
                    self.stderr.write(self.style.ERROR(f"{connection} · {label} : échec — {run.error}"))
        if failures:
            raise CommandError(f"{failures} synchronisation(s) en échec.")
