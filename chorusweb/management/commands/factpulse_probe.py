"""`manage.py factpulse_probe`: read-only calls against a live account, keys seen vs the contract.

Shows a deployer at once where the live FactPulse service differs from docs/contract.md. Only
read endpoints are called; `telecharger-groupe` is skipped because it marks invoices as
downloaded. Values are never printed (they may hold personal data), only key names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chorusweb.factpulse import get_client, payloads
from chorusweb.factpulse.client import FactPulseClient, RawAnswer
from chorusweb.factpulse.errors import FactPulseError
from chorusweb.models import Connection

TOKEN_KEYS = frozenset({"access", "refresh"})
TOKEN_OPTIONAL = frozenset({"access_lifetime"})


@dataclass
class ProbeResult:
    endpoint: str
    path: str
    ok: bool = False
    skipped: str = ""
    status: int | None = None
    request_id: str = ""
    error: str = ""
    typed: str = ""
    keys: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    item_list: str = ""
    item_keys: list[str] = field(default_factory=list)
    item_missing: list[str] = field(default_factory=list)
    item_unexpected: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.missing or self.unexpected or self.item_unexpected)


def compare_keys(seen: Iterable[str], expected: Iterable[str]) -> tuple[list[str], list[str]]:
    """(expected keys absent under every spelling, keys the contract does not know)."""
    seen = set(seen)
    expected = set(expected)
    missing = sorted(k for k in expected if not (payloads.aliases_of(k) & seen))
    known = set().union(*(payloads.aliases_of(k) for k in expected)) if expected else set()
    unexpected = sorted(k for k in seen if k not in known and k != "credentials")
    return missing, unexpected


class Prober:
    def __init__(self, client: FactPulseClient, options: dict[str, Any]) -> None:
        self.client = client
        self.options = options
        self.results: list[ProbeResult] = []
        self.found: dict[str, Any] = {
            "invoice_id": options.get("invoice_id"),
            "supplier_invoice_id": options.get("invoice_id"),
            "validator_invoice_id": None,
            "structure_id": options.get("structure_id"),
            "siret": options.get("siret"),
        }

    def run(self) -> list[ProbeResult]:
        self.probe_token()
        if not self.results[-1].ok:
            return self.results
        self.probe("rechercher_factures_destinataire", self._search_body("paramRecherche"), self._learn_received)
        self.probe(
            "rechercher_factures_fournisseur",
            self._search_body("rechercheFactureParFournisseur"),
            self._learn_supplier,
        )
        self.probe("valideur_rechercher_factures", self._search_body("pagination"), self._learn_validator)
        invoice_id = self.found["supplier_invoice_id"] or self.found["invoice_id"]
        self.probe("consulter_facture", {"chorusInvoiceId": invoice_id}, need=invoice_id, need_what="an invoice id")
        validator_id = self.found["validator_invoice_id"]
        self.probe(
            "valideur_consulter_facture",
            {"idFacture": validator_id},
            need=validator_id,
            need_what="an invoice to validate",
        )
        siret = self.found["siret"]
        self.probe(
            "rechercher_structures",
            {
                "structureIdentifier": siret,
                "structureIdentifierType": "SIRET",
                "restrictPrivateStructures": False,
            },
            self._learn_structure,
            need=siret,
            need_what="a SIRET (--siret)",
        )
        self.probe(
            "obtenir_id_depuis_siret",
            {"siret": siret, "identifierType": "SIRET"},
            self._learn_lookup,
            need=siret,
            need_what="a SIRET (--siret)",
        )
        structure_id = self.found["structure_id"]
        self.probe(
            "consulter_structure",
            {"structureId": structure_id, "languageCode": "fr"},
            need=structure_id,
            need_what="a structure id (--structure-id)",
        )
        self.probe(
            "lister_services_structure",
            None,
            path_params={"id": structure_id},
            need=structure_id,
            need_what="a structure id (--structure-id)",
        )
        endpoint = payloads.ENDPOINTS["telecharger_groupe_factures"]
        self.results.append(
            ProbeResult(
                "telecharger_groupe_factures",
                endpoint.path,
                skipped="not called: a download marks the invoices as downloaded",
            )
        )
        return self.results

    @staticmethod
    def _search_body(paging_key: str) -> dict[str, Any]:
        return {paging_key: {"pageResultatDemandee": 1, "nbResultatsParPage": 5, "triSens": "Descendant"}}

    # -- what the searches teach the next calls ---------------------------------------------

    def _first_row(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        rows = data.get("listeFactures") or []
        return rows[0] if rows and isinstance(rows[0], Mapping) else {}

    def _learn_received(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        self.found["invoice_id"] = self.found["invoice_id"] or payloads.to_int(row.get("idFacture"))
        self.found["structure_id"] = self.found["structure_id"] or payloads.to_int(row.get("idDestinataire"))
        self.found["siret"] = self.found["siret"] or payloads.to_str(row.get("codeDestinataire")) or None

    def _learn_supplier(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        found = payloads.to_int(row.get("identifiantFactureCPP") or row.get("idFacture"))
        self.found["supplier_invoice_id"] = self.found["supplier_invoice_id"] or found

    def _learn_validator(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        self.found["validator_invoice_id"] = payloads.to_int(row.get("idFacture") or row.get("identifiantFactureCPP"))

    def _learn_structure(self, data: Mapping[str, Any]) -> None:
        rows = data.get("structures") or []
        if rows and isinstance(rows[0], Mapping):
            self.found["structure_id"] = self.found["structure_id"] or payloads.to_int(rows[0].get("structureId"))

    def _learn_lookup(self, data: Mapping[str, Any]) -> None:
        self.found["structure_id"] = self.found["structure_id"] or payloads.to_int(data.get("structureId")) or None

    # -- calls --------------------------------------------------------------------------------

    def probe_token(self) -> None:
        result = ProbeResult("token", payloads.TOKEN_PATH)
        try:
            answer = self.client.login()
        except FactPulseError as exc:
            self._failed(result, exc)
        else:
            result.ok, result.status, result.request_id = True, answer.status, answer.request_id
            result.keys = sorted(answer.data) if isinstance(answer.data, Mapping) else []
            missing, unexpected = compare_keys(result.keys, TOKEN_KEYS | TOKEN_OPTIONAL)
            result.missing = [k for k in missing if k not in TOKEN_OPTIONAL]
            result.unexpected = unexpected
        self.results.append(result)

    def probe(
        self,
        name: str,
        body: Mapping[str, Any] | None,
        learn: Callable[[Mapping[str, Any]], None] | None = None,
        *,
        path_params: Mapping[str, Any] | None = None,
        need: Any = True,
        need_what: str = "",
    ) -> None:
        endpoint = payloads.ENDPOINTS[name]
        result = ProbeResult(name, endpoint.path)
        self.results.append(result)
        if not need:
            result.skipped = f"not called: no {need_what} found by the previous calls"
            return
        try:
            answer: RawAnswer = self.client.call(name, body, **(path_params or {}))
        except FactPulseError as exc:
            self._failed(result, exc)
            return
        result.ok, result.status, result.request_id = True, answer.status, answer.request_id
        data = answer.data
        if name == "valideur_consulter_facture" and isinstance(data.get("facture"), Mapping):
            data = {**{k: v for k, v in data.items() if k != "facture"}, **data["facture"]}
        result.keys = sorted(data)
        result.missing, result.unexpected = compare_keys(result.keys, endpoint.answer_keys)
        if endpoint.list_key:
            rows = [r for r in (data.get(endpoint.list_key) or [])[:5] if isinstance(r, Mapping)]
            result.item_list = endpoint.list_key
            if rows:
                seen: set[str] = set().union(*(set(r) for r in rows))
                result.item_keys = sorted(seen)
                result.item_missing, result.item_unexpected = compare_keys(seen, endpoint.item_keys)
        result.typed = self._typed(name, answer.data)
        if learn:
            learn(answer.data)

    def _typed(self, name: str, data: Any) -> str:
        readers: dict[str, Callable[[Any], Any]] = {
            "rechercher_factures_destinataire": payloads.read_recipient_search,
            "rechercher_factures_fournisseur": payloads.read_supplier_search,
            "valideur_rechercher_factures": payloads.read_validator_search,
            "consulter_facture": payloads.read_invoice,
            "valideur_consulter_facture": payloads.read_validator_detail,
            "rechercher_structures": payloads.read_structure_search,
            "obtenir_id_depuis_siret": payloads.read_structure_lookup,
            "consulter_structure": payloads.read_structure,
            "lister_services_structure": payloads.read_services,
        }
        try:
            value = readers[name](data)
        except FactPulseError as exc:
            return f"FAILED: {exc}"
        if hasattr(value, "items") and hasattr(value, "total"):
            return f"ok ({len(value.items)} row(s), total {value.total})"
        if isinstance(value, tuple):
            return f"ok ({len(value)} item(s))"
        return "ok"

    @staticmethod
    def _failed(result: ProbeResult, exc: FactPulseError) -> None:
        result.ok = False
        result.status = exc.status
        result.request_id = exc.request_id
        detail = f" code={exc.code}" if exc.code not in (None, "") else ""
        message = f": {exc.upstream_message[:200]}" if exc.upstream_message else ""
        result.error = f"{type(exc).__name__}{detail}{message}"


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
        prober = Prober(get_client(connection), options)
        results = prober.run()
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
