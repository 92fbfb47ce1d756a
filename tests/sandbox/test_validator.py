"""The validation circuit: valideur/consulter (full detail), valideur/traiter, tacit validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from sandbox.models import Attachment, Invoice

CONSULT = "factures/valideur/consulter"
PROCESS = "factures/valideur/traiter"


def _pending(api, status: str = lc.A_VALIDER_1) -> dict:
    rows = api.post("factures/valideur/rechercher", {"statutCourant": [status]})["listeFactures"]
    assert rows
    return rows[0]


@pytest.mark.parametrize("key", ["idFacture", "identifiantFactureCPP"])
def test_consult_full_detail(api, key):
    invoice = Invoice.objects.filter(attachments__isnull=False, routed=True).distinct().first()
    assert invoice is not None
    answer = api.post(CONSULT, {key: invoice.pk})
    assert answer["codeRetour"] == 0
    detail = answer["facture"]
    for part in (
        "fournisseur",
        "destinataire",
        "cadreDeFacturation",
        "references",
        "montantTotal",
        "recapitulatifDeTva",
        "lignesDePoste",
        "listeDesPiecesJointes",
    ):
        assert isinstance(detail[part], dict), part
    assert detail["statut"] == invoice.statut and detail["numeroFacture"] == invoice.numero_facture
    assert detail["fournisseur"]["codeFournisseur"] == invoice.code_fournisseur
    assert detail["destinataire"]["idDestinataire"] == invoice.recipient_id
    assert detail["references"]["dateFacture"] == invoice.date_facture.isoformat()
    totals = detail["montantTotal"]
    assert Decimal(str(totals["montantTtcTotal"])) == invoice.montant_ttc
    assert Decimal(str(totals["montantHtTotal"])) == invoice.montant_ht
    vat_lines = detail["recapitulatifDeTva"]["ligneTva"]
    assert sum(Decimal(str(v["ligneTvaMontantTvaParTaux"])) for v in vat_lines) == invoice.montant_tva
    assert sum(Decimal(str(v["ligneTvaMontantBaseHtParTaux"])) for v in vat_lines) == invoice.montant_ht
    lines = detail["lignesDePoste"]["lignePoste"]
    assert len(lines) == len(invoice.lines) >= 1
    assert sum(Decimal(str(line["lignePosteMontantHtApresRemise"])) for line in lines) == invoice.montant_ht
    files = detail["listeDesPiecesJointes"]["pieceJointe"]
    assert {f["pieceJointeId"] for f in files} == set(
        Attachment.objects.filter(invoice=invoice).values_list("pk", flat=True)
    )


def test_consult_validator_framework(api):
    row = _pending(api)
    detail = api.post(CONSULT, {"idFacture": row["idFacture"]})["facture"]
    framework = detail["cadreDeFacturation"]
    assert framework["codeCadreFacturation"] in ("A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT")
    assert framework["idValideur1"] == row["idValideur"]
    assert detail["statut"] == lc.A_VALIDER_1


def test_consult_unknown_invoice(api):
    answer = api.post(CONSULT, {"idFacture": 999})
    assert answer["codeRetour"] != 0 and "introuvable" in answer["libelle"]


def test_validation_moves_the_invoice_to_its_recipient(api):
    row = _pending(api)
    assert not api.received(numeroFacture=row["numeroFacture"])
    answer = api.post(PROCESS, {"idFacture": row["idFacture"], "action": "VALIDATION", "complementInfo": "OK"})
    assert answer["codeRetour"] == 0
    assert answer["statutFacture"] == lc.VALIDEE_1
    assert answer["idFacture"] == row["idFacture"] and answer["numeroFacture"] == row["numeroFacture"]
    assert answer["dateTraitement"]
    received = api.received(numeroFacture=row["numeroFacture"])
    assert [r["statut"] for r in received] == [lc.MISE_A_DISPOSITION]
    validated = api.post("factures/valideur/rechercher", {"numeroFacture": row["numeroFacture"]})["listeFactures"]
    assert validated[0]["statut"] == lc.VALIDEE_1
    again = api.post(PROCESS, {"idFacture": row["idFacture"], "action": "VALIDATION"})
    assert again["codeRetour"] != 0


def test_second_level_validation(api):
    row = _pending(api, lc.A_VALIDER_2)
    answer = api.post(PROCESS, {"idFacture": row["idFacture"], "action": "VALIDATION"})
    assert answer["statutFacture"] == lc.VALIDEE_2


def test_refusal_needs_a_reason_and_goes_back_to_the_supplier(api):
    row = _pending(api)
    for body in ({}, {"motifRefus": ""}, {"motifRefus": "z" * 256}):
        answer = api.post(PROCESS, {"idFacture": row["idFacture"], "action": "REFUS", **body})
        assert answer["codeRetour"] != 0 and "motif" in answer["libelle"].lower()
    answer = api.post(PROCESS, {"idFacture": row["idFacture"], "action": "REFUS", "motifRefus": "Travaux non faits"})
    assert answer["codeRetour"] == 0 and answer["statutFacture"] == lc.REFUSEE_1
    assert not api.received(numeroFacture=row["numeroFacture"])
    invoice = Invoice.objects.get(pk=row["idFacture"])
    assert invoice.statut == lc.REFUSEE_1 and invoice.commentaire_etat_courant == "Travaux non faits"


def test_unknown_action_and_not_pending_are_refused(api):
    row = _pending(api)
    assert api.post(PROCESS, {"idFacture": row["idFacture"], "action": "APPROUVER"})["codeRetour"] != 0
    received = api.received(statutCourant=[lc.MISE_A_DISPOSITION])[0]
    assert api.post(PROCESS, {"idFacture": received["idFacture"], "action": "VALIDATION"})["codeRetour"] != 0
    response = api.raw(PROCESS, {"idFacture": [1], "action": "VALIDATION"})
    assert response.status_code == 422


def test_deadlines_pass_with_time(api):
    pending = api.post("factures/valideur/rechercher", {"statutCourant": [lc.A_VALIDER_1, lc.A_VALIDER_2]})
    total = pending["parametresRetour"]["total"]
    assert total > 0
    assert api.control("POST", "clock", {"offset_days": lc.VALIDATION_DELAY_DAYS + 1}).status_code == 200
    after = api.post("factures/valideur/rechercher", {"statutCourant": [lc.A_VALIDER_1, lc.A_VALIDER_2]})
    assert after["codeRetour"] == 20000
    tacit = api.post(
        "factures/valideur/rechercher",
        {"statutCourant": [lc.ABSENCE_VALIDATION_1_HORS_DELAI, lc.ABSENCE_VALIDATION_2_HORS_DELAI]},
    )
    assert tacit["parametresRetour"]["total"] >= total
    row = pending["listeFactures"][0]
    received = api.received(numeroFacture=row["numeroFacture"])
    assert received[0]["statut"] == lc.MISE_A_DISPOSITION


def test_deadline_respects_the_fifteen_days(api):
    # one day of shift expires exactly the invoices deposited 15 days ago (seed: 12 to 14 days)
    before = Invoice.objects.filter(statut__in=lc.AWAITING_VALIDATION).count()
    api.control("POST", "clock", {"offset_days": 1})
    api.post("factures/valideur/rechercher", {})
    assert Invoice.objects.filter(statut__in=lc.AWAITING_VALIDATION).count() == before
    api.control("POST", "clock", {"offset_days": 2})
    api.post("factures/valideur/rechercher", {})
    assert 0 < Invoice.objects.filter(statut__in=lc.AWAITING_VALIDATION).count() < before


def test_each_waiting_status_becomes_its_own_tacit_validation_in_one_statement(api):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sandbox import clock, services

    late = clock.now() - timedelta(days=lc.VALIDATION_DELAY_DAYS + 2)
    first = Invoice.objects.filter(statut=lc.A_VALIDER_1).first()
    second = Invoice.objects.filter(statut=lc.A_VALIDER_2).first()
    assert first and second  # the seed holds both circuits
    Invoice.objects.filter(pk__in=[first.pk, second.pk]).update(date_depot=late)
    with CaptureQueriesContext(connection) as ran:
        assert services.validations_expire() >= 2
    assert [query["sql"].split()[0] for query in ran.captured_queries].count("UPDATE") == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.statut, first.statut_validation) == (lc.MISE_A_DISPOSITION, lc.ABSENCE_VALIDATION_1_HORS_DELAI)
    assert (second.statut, second.statut_validation) == (lc.MISE_A_DISPOSITION, lc.ABSENCE_VALIDATION_2_HORS_DELAI)
    assert first.routed and "Validation tacite" in first.commentaire_etat_courant
