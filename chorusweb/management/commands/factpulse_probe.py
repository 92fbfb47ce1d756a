"""`manage.py factpulse_probe`: read-only calls against a live account, keys seen vs the contract.

Shows a deployer at once where the live FactPulse service differs from docs/contract.md. Only
read endpoints are called; `telecharger-groupe` is skipped because it marks invoices as
downloaded. Values are never printed (they may hold personal data), only key names.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from chorusweb.factpulse import ProbeResult, get_client, run_probe
from chorusweb.models import Connection


class Command(BaseCommand):
    help = (
        "Call the read-only FactPulse endpoints of a connection and show, per endpoint, whether it "
        "answered and which keys came back compared with docs/contract.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="Name of the connection (default: the only active one).")
        parser.add_argument("--siret", help="A SIRET for the structure endpoints (default: found by a search).")
        parser.add_argument("--structure-id", type=int, help="A Chorus Pro structure id (default: found).")
        parser.add_argument("--invoice-id", type=int, help="An invoice id for factures/consulter (default: found).")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, **options):
        connection = self._connection(options.get("connection"))
        results = run_probe(get_client(connection), options)
        if options["json"]:
            self.stdout.write(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
        else:
            self._print(connection, results)
        failed = [r for r in results if not r.ok and not r.skipped]
        if failed:
            raise CommandError(f"{len(failed)} endpoint(s) failed: {', '.join(r.endpoint for r in failed)}.")

    def _connection(self, name: str | None) -> Connection:
        if name:
            try:
                return Connection.objects.get(name=name)
            except Connection.DoesNotExist:
                names = ", ".join(Connection.objects.values_list("name", flat=True)) or "(none)"
                raise CommandError(f"No connection named {name!r}. Known connections: {names}.") from None
        active = list(Connection.objects.active()[:2])
        if len(active) != 1:
            names = ", ".join(Connection.objects.values_list("name", flat=True)) or "(none)"
            raise CommandError(f"Choose a connection with --connection. Known connections: {names}.")
        return active[0]

    def _print(self, connection: Connection, results: list[ProbeResult]) -> None:
        w = self.stdout.write
        w(f"FactPulse probe of connection {connection.name!r} at {connection.api_base_url}")
        w("Only read calls are made; values are not shown, only key names.\n")
        for r in results:
            if r.skipped:
                w(self.style.WARNING(f"SKIP  {r.endpoint}  ({r.path}): {r.skipped}"))
                continue
            if not r.ok:
                w(self.style.ERROR(f"FAIL  {r.endpoint}  ({r.path})  HTTP {r.status or '-'}: {r.error}"))
                w(f"      request {r.request_id}")
                continue
            line = f"OK    {r.endpoint}  ({r.path})  HTTP {r.status}"
            w(self.style.SUCCESS(line) if not r.differs else self.style.WARNING(line + "  (differs)"))
            w(f"      keys:        {', '.join(r.keys) or '(none)'}")
            w(f"      missing:     {', '.join(r.missing) or '(none)'}")
            w(f"      unexpected:  {', '.join(r.unexpected) or '(none)'}")
            if r.item_list:
                if r.item_keys:
                    w(f"      {r.item_list}[] keys:       {', '.join(r.item_keys)}")
                    w(f"      {r.item_list}[] absent:     {', '.join(r.item_missing) or '(none)'}")
                    w(f"      {r.item_list}[] unexpected: {', '.join(r.item_unexpected) or '(none)'}")
                else:
                    w(f"      {r.item_list}[]: empty, item keys not checked")
            if r.typed:
                w(f"      typed reading: {r.typed}")
        answered = sum(1 for r in results if r.ok)
        differs = sum(1 for r in results if r.ok and r.differs)
        failed = sum(1 for r in results if not r.ok and not r.skipped)
        skipped = sum(1 for r in results if r.skipped)
        w(f"\n{answered} answered ({differs} differ from the contract), {failed} failed, {skipped} skipped.")
