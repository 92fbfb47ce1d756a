"""The probe: read-only calls against a live account, keys seen vs the contract.

Shows a deployer at once where the live FactPulse service differs from docs/contract.md
(`manage.py factpulse_probe` prints it). Only read endpoints are called; `telecharger-groupe`
is skipped because it marks invoices as downloaded. Values are never kept (they may hold
personal data), only key names. The key lists below are the probe's own: the readers of the
API domain modules do not need them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chorusweb.factpulse import auth, received, structures, supplier, validator
from chorusweb.factpulse.client import ENDPOINTS, FactPulseClient
from chorusweb.factpulse.coerce import to_int, to_str
from chorusweb.factpulse.errors import FactPulseError


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


RECEIVED_ROW_KEYS = _keys(
    "idFacture numeroFacture typeDemandePaiement typeFacture typeFactureTravaux statut "
    "dateHeureEtatCourant commentaireEtatCourant dateFacture dateDepot montantHT montantTTC "
    "montantAPayer devise codeFournisseur typeIdentifiantFournisseur designationFournisseur "
    "codeServiceFournisseur nomServiceFournisseur idDestinataire codeDestinataire "
    "designationDestinataire idServiceExecutant codeServiceExecutant nomServiceExecutant "
    "numeroMarche numeroBonCommande taille factureTelechargeeParDestinataire codeMOE "
    "typeIdentifiantMOE designationMOE codeMOA typeIdentifiantMOA designationMOA"
)
VALIDATOR_ROW_KEYS = _keys(
    "idFacture typeDemandePaiement idFournisseur identifiantFournisseur typeIdentifiantFournisseur "
    "designationFournisseur codeServiceFournisseur nomServiceFournisseur idMoe typeIdentifiantMoe "
    "identifiantMoe designationMoe idServiceMoe codeServiceMoe nomServiceMoe idMoa typeIdentifiantMoa "
    "identifiantMoa designationMoa idServiceMoa codeServiceMoa nomServiceMoa idDestinataire "
    "typeIdentifiantDestinataire identifiantDestinataire designationDestinataire idServiceExecutant "
    "codeServiceExecutant nomServiceExecutant idValideur typeIdentifiantValideur identifiantValideur "
    "designationValideur typeFacture typeFactureTravaux numeroFacture dateFacture dateDepot montantHT "
    "montantTTC montantAPayer devise statut numeroMarche numeroEngagement cadreDeFacturation "
    "dateHeureEtatCourant"
)
SUPPLIER_ROW_KEYS = _keys(
    "identifiantFactureCPP numeroFacture typeFacture cadreFacturation statut dateHeureEtatCourant "
    "commentaireEtatCourant dateFacture dateDepot numeroFluxDepot modeDepot montantHT montantTTC "
    "montantAPayer devise idDestinataire codeDestinataire designationDestinataire "
    "codeServiceExecutant nomServiceExecutant numeroMarche numeroBonCommande rejetTraite taille "
    "idFournisseur codeFournisseur designationFournisseur idServiceExecutant idValideur1 "
    "designationValideur1 dateValidation1 idValideur2 designationValideur2 dateValidation2"
)
DETAIL_KEYS = _keys(
    "identifiantFactureCPP numeroFacture statutFacture modeDepot commentaire fournisseur destinataire "
    "cadreDeFacturation references montantTotal recapitulatifDeTva lignesDePoste listeDesPiecesJointes "
    "pieceJointePrincipale"
)

#: Groups of spellings read as the same key (FactPulse doc name, native name, older names).
#: The readers below use them; the probe uses them to tell "other spelling" from "missing".
KEY_ALIASES: tuple[frozenset[str], ...] = (
    frozenset({"idFacture", "identifiantFactureCPP", "identifiant_facture_cpp"}),
    frozenset({"fichierBase64", "fichierResultat"}),
    frozenset({"pieceJointeIdFichier", "pieceJointeId"}),
    frozenset({"codeRetour", "returnCode", "code_retour"}),
    frozenset({"libelle", "message"}),
    frozenset({"statut", "statutFacture", "statutCourant"}),
    frozenset({"codeFournisseur", "identifiantFournisseur"}),
    frozenset({"codeDestinataire", "identifiantDestinataire"}),
    frozenset({"cadreDeFacturation", "cadreFacturation", "codeCadreFacturation"}),
    frozenset({"nouveauStatut", "statutFacture"}),
    frozenset({"structures", "liste_structures"}),
    frozenset({"services", "liste_services"}),
    frozenset({"chorusInvoiceId", "identifiant_facture_cpp"}),
)


def aliases_of(key: str) -> frozenset[str]:
    found = {key}
    for group in KEY_ALIASES:
        if key in group:
            found |= group
    return frozenset(found)


#: Per endpoint: the answer's keys in the contract, the list whose items are checked, their keys.
EXPECTED: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "rechercher_factures_destinataire": (
        _keys("codeRetour libelle pageCourante pages nbResultatsParPage total listeFactures"),
        "listeFactures",
        RECEIVED_ROW_KEYS,
    ),
    "rechercher_factures_fournisseur": (
        _keys("codeRetour libelle parametresRetour listeFactures"),
        "listeFactures",
        SUPPLIER_ROW_KEYS,
    ),
    "valideur_rechercher_factures": (
        _keys("codeRetour libelle parametresRetour listeFactures"),
        "listeFactures",
        VALIDATOR_ROW_KEYS,
    ),
    "valideur_consulter_facture": (_keys("codeRetour libelle") | DETAIL_KEYS, "", frozenset()),
    "consulter_facture": (
        _keys(
            "returnCode message chorusInvoiceId invoiceNumber invoiceDate totalGrossAmount "
            "currentStatus recipientStructureId recipientStructureName"
        ),
        "",
        frozenset(),
    ),
    "rechercher_structures": (
        _keys("returnCode message structures total"),
        "structures",
        _keys("structureId structureIdentifier structureName structureIdentifierType status"),
    ),
    "consulter_structure": (
        _keys(
            "returnCode message structureId structureIdentifier structureLabel companyName vatNumber "
            "structureEmail parameters"
        ),
        "",
        frozenset(),
    ),
    "lister_services_structure": (
        _keys("returnCode message services total"),
        "services",
        _keys("serviceId serviceCode serviceLabel isActive"),
    ),
    "obtenir_id_depuis_siret": (_keys("structureId structureIdentifier structureName message"), "", frozenset()),
}
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
    missing = sorted(k for k in expected if not (aliases_of(k) & seen))
    known = set().union(*(aliases_of(k) for k in expected)) if expected else set()
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
        first_page = {"page_size": 5, "sort_column": None}
        self.probe(
            "rechercher_factures_destinataire",
            received.ReceivedSearch(**first_page).to_body(),
            self._learn_received,
        )
        self.probe(
            "rechercher_factures_fournisseur",
            supplier.SupplierSearch(**first_page).to_body(),
            self._learn_supplier,
        )
        self.probe(
            "valideur_rechercher_factures",
            validator.ValidatorSearch(**first_page).to_body(),
            self._learn_validator,
        )
        invoice_id = self.found["supplier_invoice_id"] or self.found["invoice_id"]
        self.probe(
            "consulter_facture",
            supplier.build_invoice_consult(invoice_id=invoice_id or 0),
            need=invoice_id,
            need_what="an invoice id",
        )
        validator_id = self.found["validator_invoice_id"]
        self.probe(
            "valideur_consulter_facture",
            validator.build_validator_consult(invoice_id=validator_id or 0),
            need=validator_id,
            need_what="an invoice to validate",
        )
        siret = self.found["siret"]
        self.probe(
            "rechercher_structures",
            structures.build_structure_search(
                identifier=siret, identifier_type="SIRET", company_name=None, restrict_private=False
            ),
            self._learn_structure,
            need=siret,
            need_what="a SIRET (--siret)",
        )
        self.probe(
            "obtenir_id_depuis_siret",
            structures.build_siret_lookup(siret=siret or "", identifier_type="SIRET"),
            self._learn_lookup,
            need=siret,
            need_what="a SIRET (--siret)",
        )
        structure_id = self.found["structure_id"]
        self.probe(
            "consulter_structure",
            structures.build_structure_consult(structure_id=structure_id or 0, language="fr"),
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
        endpoint = ENDPOINTS["telecharger_groupe_factures"]
        self.results.append(
            ProbeResult(
                "telecharger_groupe_factures",
                endpoint.path,
                skipped="not called: a download marks the invoices as downloaded",
            )
        )
        return self.results

    # -- what the searches teach the next calls ---------------------------------------------

    def _first_row(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        rows = data.get("listeFactures") or []
        return rows[0] if rows and isinstance(rows[0], Mapping) else {}

    def _learn_received(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        self.found["invoice_id"] = self.found["invoice_id"] or to_int(row.get("idFacture"))
        self.found["structure_id"] = self.found["structure_id"] or to_int(row.get("idDestinataire"))
        self.found["siret"] = self.found["siret"] or to_str(row.get("codeDestinataire")) or None

    def _learn_supplier(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        found = to_int(row.get("identifiantFactureCPP") or row.get("idFacture"))
        self.found["supplier_invoice_id"] = self.found["supplier_invoice_id"] or found

    def _learn_validator(self, data: Mapping[str, Any]) -> None:
        row = self._first_row(data)
        self.found["validator_invoice_id"] = to_int(row.get("idFacture") or row.get("identifiantFactureCPP"))

    def _learn_structure(self, data: Mapping[str, Any]) -> None:
        rows = data.get("structures") or []
        if rows and isinstance(rows[0], Mapping):
            self.found["structure_id"] = self.found["structure_id"] or to_int(rows[0].get("structureId"))

    def _learn_lookup(self, data: Mapping[str, Any]) -> None:
        self.found["structure_id"] = self.found["structure_id"] or to_int(data.get("structureId")) or None

    # -- calls --------------------------------------------------------------------------------

    def probe_token(self) -> None:
        result = ProbeResult("token", auth.TOKEN_PATH)
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
        endpoint = ENDPOINTS[name]
        result = ProbeResult(name, endpoint.path)
        self.results.append(result)
        if not need:
            result.skipped = f"not called: no {need_what} found by the previous calls"
            return
        try:
            answer = self.client.call(name, body, **(path_params or {}))
        except FactPulseError as exc:
            self._failed(result, exc)
            return
        result.ok, result.status, result.request_id = True, answer.status, answer.request_id
        data = answer.data
        if name == "valideur_consulter_facture" and isinstance(data.get("facture"), Mapping):
            data = {**{k: v for k, v in data.items() if k != "facture"}, **data["facture"]}
        result.keys = sorted(data)
        answer_keys, list_key, item_keys = EXPECTED[name]
        result.missing, result.unexpected = compare_keys(result.keys, answer_keys)
        if list_key:
            rows = [r for r in (data.get(list_key) or [])[:5] if isinstance(r, Mapping)]
            result.item_list = list_key
            if rows:
                seen: set[str] = set().union(*(set(r) for r in rows))
                result.item_keys = sorted(seen)
                result.item_missing, result.item_unexpected = compare_keys(seen, item_keys)
        result.typed = self._typed(name, answer.data)
        if learn:
            learn(answer.data)

    def _typed(self, name: str, data: Any) -> str:
        try:
            value = ENDPOINTS[name].reader(data)
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


def run_probe(client: FactPulseClient, options: Mapping[str, Any]) -> list[ProbeResult]:
    """Probe every read endpoint of `client`'s connection; options: invoice_id, structure_id, siret."""
    return Prober(client, dict(options)).run()
