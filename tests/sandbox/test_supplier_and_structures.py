"""Supplier side (ajouter-fichier, completer, recycler, soumettre), typed consulter, structures."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from chorusweb import lifecycle as lc
from sandbox.models import Attachment, Invoice, Structure
from sandbox.seed import luhn_valid
from sandbox.testing import DEMO_PRIVATE_IDS, DEMO_PUBLIC_IDS, OTHER_PUBLIC_IDS

PDF = b"%PDF-1.4\n% sandbox test file\n"


def _upload(api, name: str = "bon_de_commande.pdf", content: bytes = PDF) -> dict:
    return api.post(
        "transverses/ajouter-fichier",
        {
            "pieceJointeFichier": base64.b64encode(content).decode(),
            "pieceJointeNom": name,
            "pieceJointeTypeMime": "application/pdf",
            "pieceJointeExtension": "PDF",
        },
    )


def _issued(api, status: str) -> dict:
    rows = api.post("factures/rechercher-fournisseur", {"statutCourant": [status]})["listeFactures"]
    assert rows, status
    return rows[0]


def test_add_file(api):
    answer = _upload(api)
    assert answer["codeRetour"] == 0
    assert isinstance(answer["pieceJointeIdFichier"], int)
    assert answer["pieceJointeId"] == answer["pieceJointeIdFichier"]
    stored = Attachment.objects.get(pk=answer["pieceJointeIdFichier"])
    assert bytes(stored.content) == PDF and stored.invoice is None


def test_add_file_limits(api):
    too_big = _upload(api, content=b"x" * (10 * 1024 * 1024 + 1))
    assert too_big["codeRetour"] == 20003
    assert _upload(api, name="n" * 47 + ".pdf")["codeRetour"] != 0  # 51 characters
    assert _upload(api, name="n" * 46 + ".pdf")["codeRetour"] == 0  # 50 characters
    bad = api.post(
        "transverses/ajouter-fichier",
        {"pieceJointeFichier": "!!!pas du base64", "pieceJointeNom": "a.pdf", "pieceJointeExtension": "PDF"},
    )
    assert bad["codeRetour"] != 0
    exe = api.post(
        "transverses/ajouter-fichier",
        {
            "pieceJointeFichier": base64.b64encode(b"MZ").decode(),
            "pieceJointeNom": "a.exe",
            "pieceJointeExtension": "EXE",
        },
    )
    assert exe["codeRetour"] != 0
    response = api.raw("transverses/ajouter-fichier", {"pieceJointeNom": "a.pdf"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pieceJointeFichier"]


@pytest.mark.parametrize("spelling", ["factpulse", "native"])
def test_complete_a_suspended_invoice(api, spelling):
    row = _issued(api, lc.SUSPENDUE)
    file_id = _upload(api)["pieceJointeIdFichier"]
    if spelling == "factpulse":
        body = {
            "identifiantFactureCPP": row["identifiantFactureCPP"],
            "commentaire": "Voici le bon de commande",
            "listePiecesJointes": [{"pieceJointeIdFichier": file_id, "pieceJointeNom": "bon_de_commande.pdf"}],
        }
    else:
        body = {
            "identifiantFactureCPP": row["identifiantFactureCPP"],
            "commentaire": "Voici le bon de commande",
            "pieceJointeComplementaire": [
                {"pieceJointeComplementaireId": file_id, "pieceJointeComplementaireDesignation": "BC"}
            ],
        }
    answer = api.post("factures/completer", body)
    assert answer["codeRetour"] == 0
    assert answer["identifiantFactureCPP"] == row["identifiantFactureCPP"]
    assert answer["numeroFacture"] == row["numeroFacture"] and answer["dateTraitement"]
    received = api.received(numeroFacture=row["numeroFacture"])[0]
    assert received["statut"] == lc.COMPLETEE
    assert received["commentaireEtatCourant"] == "Voici le bon de commande"
    detail = api.post("factures/valideur/consulter", {"idFacture": row["identifiantFactureCPP"]})["facture"]
    assert file_id in [p["pieceJointeId"] for p in detail["listeDesPiecesJointes"]["pieceJointe"]]
    # the recipient then treats it as newly available
    process = api.post(
        "factures/traiter-facture-recue",
        {"identifiantFactureCPP": received["idFacture"], "nouveauStatut": "SERVICE_FAIT"},
    )
    assert process["codeRetour"] == 0


def test_complete_refusals(api):
    row = _issued(api, lc.MISE_A_DISPOSITION)
    file_id = _upload(api)["pieceJointeIdFichier"]
    answer = api.post(
        "factures/completer",
        {
            "identifiantFactureCPP": row["identifiantFactureCPP"],
            "listePiecesJointes": [{"pieceJointeIdFichier": file_id}],
        },
    )
    assert answer["codeRetour"] != 0 and "suspendue" in answer["libelle"]
    suspended = _issued(api, lc.SUSPENDUE)
    unknown = api.post(
        "factures/completer",
        {
            "identifiantFactureCPP": suspended["identifiantFactureCPP"],
            "listePiecesJointes": [{"pieceJointeIdFichier": 1}],
        },
    )
    assert unknown["codeRetour"] != 0
    # a recipient-only invoice (issued by another company) cannot be completed by this account
    foreign = Invoice.objects.filter(statut=lc.SUSPENDUE).exclude(supplier_id__in=DEMO_PRIVATE_IDS).first()
    answer = api.post("factures/completer", {"identifiantFactureCPP": foreign.pk, "commentaire": "x"})
    assert answer["codeRetour"] != 0


@pytest.mark.parametrize("spelling", ["factpulse", "native"])
def test_recycle(api, spelling):
    row = _issued(api, lc.A_RECYCLER)
    target = Structure.objects.get(pk=DEMO_PUBLIC_IDS[0])
    if spelling == "factpulse":
        body = {
            "identifiantFactureCPP": row["identifiantFactureCPP"],
            "idStructureCPP": target.pk,
            "codeService": "FINANCES",
            "numeroEngagement": "EJ2026000001",
        }
    else:
        body = {
            "identifiantFactureCPP": row["identifiantFactureCPP"],
            "destinataire": {"codeDestinataire": target.identifier, "codeServiceExecutant": "FINANCES"},
            "reference": {"numeroBonCommande": "EJ2026000001"},
        }
    answer = api.post("factures/recycler", body)
    assert answer["codeRetour"] == 0
    assert answer["statutFacture"] == lc.DEPOSEE
    assert answer["numeroFacture"] == row["numeroFacture"]
    assert len(answer["dateDepot"]) == 16  # "YYYY-MM-DD HH:MM"
    received = api.received(numeroFacture=row["numeroFacture"])[0]
    assert received["statut"] == lc.MISE_A_DISPOSITION
    assert received["idDestinataire"] == target.pk and received["codeServiceExecutant"] == "FINANCES"
    assert received["numeroBonCommande"] == "EJ2026000001"
    assert received["factureTelechargeeParDestinataire"] is False


def test_recycle_refusals(api):
    row = _issued(api, lc.MISE_A_DISPOSITION)
    assert api.post("factures/recycler", {"identifiantFactureCPP": row["identifiantFactureCPP"]})["codeRetour"] != 0
    to_recycle = _issued(api, lc.A_RECYCLER)
    bad_service = api.post(
        "factures/recycler",
        {
            "identifiantFactureCPP": to_recycle["identifiantFactureCPP"],
            "idStructureCPP": DEMO_PUBLIC_IDS[0],
            "codeService": "NOPE",
        },
    )
    assert bad_service["codeRetour"] != 0
    hospital = DEMO_PUBLIC_IDS[1]  # requires a service code
    no_service = api.post(
        "factures/recycler", {"identifiantFactureCPP": to_recycle["identifiantFactureCPP"], "idStructureCPP": hospital}
    )
    assert no_service["codeRetour"] != 0 and "service" in no_service["libelle"]


def _submission(**overrides) -> dict:
    body = {
        "invoiceNumber": "SBX-2026-0001",
        "invoiceDate": date.today().isoformat(),
        "structureId": DEMO_PUBLIC_IDS[0],
        "totalNetAmount": "1250.50",
        "vatAmount": "250.10",
        "totalGrossAmount": "1500.60",
        "serviceCode": "CULTURE",
        "comment": "Animation culturelle",
    }
    body.update(overrides)
    return body


def test_submit_and_consult(api):
    answer = api.post("factures/soumettre", _submission())
    assert answer["returnCode"] == 0 and isinstance(answer["message"], str)
    invoice_id = answer["chorusInvoiceId"]
    assert isinstance(invoice_id, int) and isinstance(answer["depositFlowNumber"], str)
    received = api.received(numeroFacture="SBX-2026-0001")
    assert [r["statut"] for r in received] == [lc.MISE_A_DISPOSITION]
    assert received[0]["montantTTC"] == 1500.60
    status = api.post("factures/consulter", {"chorusInvoiceId": invoice_id})
    assert status["returnCode"] == 0
    assert status["invoiceNumber"] == "SBX-2026-0001"
    assert status["totalGrossAmount"] == "1500.60"
    assert status["currentStatus"]["code"] == lc.MISE_A_DISPOSITION
    assert status["currentStatus"]["label"] == "Mise à disposition" and status["currentStatus"]["date"]
    assert status["recipientStructureId"] == DEMO_PUBLIC_IDS[0]
    assert isinstance(status["recipientStructureName"], str)
    duplicate = api.post("factures/soumettre", _submission())
    assert duplicate["returnCode"] != 0


def test_submit_with_a_validator_waits_for_validation(api):
    answer = api.post(
        "factures/soumettre", _submission(invoiceNumber="SBX-VAL-1", validatorStructureId=DEMO_PRIVATE_IDS[0])
    )
    assert answer["returnCode"] == 0
    assert Invoice.objects.get(pk=answer["chorusInvoiceId"]).statut == lc.A_VALIDER_1
    assert not api.received(numeroFacture="SBX-VAL-1")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"totalGrossAmount": "1500.00"}, "TTC"),
        ({"vatAmount": "251.00", "totalGrossAmount": "1501.50"}, "TVA"),
        ({"structureId": 1}, "introuvable"),
        ({"structureId": DEMO_PUBLIC_IDS[1], "serviceCode": None}, "service"),
        ({"structureId": DEMO_PUBLIC_IDS[2], "serviceCode": None}, "engagement"),
    ],
)
def test_submit_business_refusals(api, overrides, fragment):
    answer = api.post("factures/soumettre", _submission(**overrides))
    assert answer["returnCode"] != 0 and fragment in answer["message"]
    assert answer["chorusInvoiceId"] is None


def test_submit_malformed_is_422(api):
    body = _submission()
    del body["invoiceNumber"]
    body["structureId"] = "vingt"
    response = api.raw("factures/soumettre", body)
    assert response.status_code == 422
    locs = {tuple(d["loc"]) for d in response.json()["detail"]}
    assert locs == {("body", "invoiceNumber"), ("body", "structureId")}
    types = {d["type"] for d in response.json()["detail"]}
    assert types == {"missing", "int_parsing"}
    assert api.raw("factures/consulter", {}).status_code == 422
    assert api.raw("factures/consulter", {"chorusInvoiceId": "x"}).status_code == 422


def test_structures_search(api):
    answer = api.post("structures/rechercher", {"companyName": "commune"})
    assert answer["returnCode"] == 0
    assert answer["total"] == len(answer["structures"]) >= 2
    for structure in answer["structures"]:
        assert set(structure) == {
            "structureId",
            "structureIdentifier",
            "structureName",
            "structureIdentifierType",
            "status",
        }
        assert "commune" in structure["structureName"].lower() and structure["status"] == "ACTIVE"
    siret = Structure.objects.get(pk=DEMO_PUBLIC_IDS[0]).identifier
    exact = api.post("structures/rechercher", {"structureIdentifier": siret, "structureIdentifierType": "SIRET"})
    assert [s["structureId"] for s in exact["structures"]] == [DEMO_PUBLIC_IDS[0]]
    private = api.post("structures/rechercher", {"restrictPrivateStructures": True})
    assert private["total"] >= 40
    assert not {s["structureId"] for s in private["structures"]} & set(DEMO_PUBLIC_IDS + OTHER_PUBLIC_IDS)


def test_structure_detail_and_services(api):
    detail = api.post("structures/consulter", {"structureId": DEMO_PUBLIC_IDS[1], "languageCode": "fr"})
    assert detail["returnCode"] == 0
    for key in ("structureId", "structureIdentifier", "structureLabel", "companyName", "vatNumber", "structureEmail"):
        assert key in detail
    assert detail["parameters"] == {
        "serviceCodeRequired": True,
        "engagementNumberRequired": False,
        "engagementOrServiceManagement": True,
    }
    assert api.post("structures/consulter", {"structureId": 1})["returnCode"] != 0
    services = api.post_get = api.raw(f"structures/{DEMO_PUBLIC_IDS[0]}/services", method="GET")
    assert services.status_code == 200
    data = services.json()
    assert data["returnCode"] == 0 and data["total"] == len(data["services"]) == 4
    assert set(data["services"][0]) == {"serviceId", "serviceCode", "serviceLabel", "isActive"}
    assert api.raw("structures/abc/services", method="GET").status_code == 422
    assert api.raw(f"structures/{DEMO_PUBLIC_IDS[0]}/services", method="POST").status_code == 405
    assert api.raw("structures/1/services", method="GET").json()["returnCode"] != 0


def test_structure_id_from_siret(api):
    structure = Structure.objects.get(pk=DEMO_PUBLIC_IDS[3])
    found = api.post("structures/obtenir-id-depuis-siret", {"siret": structure.identifier, "identifierType": "SIRET"})
    assert found["structureId"] == structure.pk and found["structureName"] == structure.name
    assert found["structureIdentifier"] == structure.identifier and found["message"]
    missing = api.post("structures/obtenir-id-depuis-siret", {"siret": "00000000000000"})
    assert missing["structureId"] == 0 and missing["message"]
    assert api.raw("structures/obtenir-id-depuis-siret", {}).status_code == 422


def test_every_siret_is_luhn_valid(sandbox_seed):
    identifiers = list(Structure.objects.values_list("identifier", flat=True))
    assert len(identifiers) >= 49
    assert all(len(i) == 14 and luhn_valid(i) and luhn_valid(i[:9]) for i in identifiers)
