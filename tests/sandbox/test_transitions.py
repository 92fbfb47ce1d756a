"""traiter-facture-recue: every row of the recipient transition table, reason rules, aliases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chorusweb import lifecycle as lc
from sandbox.models import Invoice

ENDPOINT = "factures/traiter-facture-recue"
TABLE = {
    lc.MISE_A_DISPOSITION: {
        lc.SERVICE_FAIT,
        lc.SUSPENDUE,
        lc.REJETEE,
        lc.A_RECYCLER,
        lc.MANDATEE,
        lc.MISE_A_DISPOSITION_COMPTABLE,
        lc.COMPTABILISEE,
        lc.MISE_EN_PAIEMENT,
    },
    lc.SERVICE_FAIT: {
        lc.SUSPENDUE,
        lc.REJETEE,
        lc.MANDATEE,
        lc.MISE_A_DISPOSITION_COMPTABLE,
        lc.COMPTABILISEE,
        lc.MISE_EN_PAIEMENT,
    },
    lc.MANDATEE: {lc.MISE_A_DISPOSITION_COMPTABLE, lc.COMPTABILISEE, lc.MISE_EN_PAIEMENT},
    lc.MISE_A_DISPOSITION_COMPTABLE: {lc.COMPTABILISEE, lc.MISE_EN_PAIEMENT},
    lc.COMPTABILISEE: {lc.MISE_EN_PAIEMENT},
}
TABLE[lc.COMPLETEE] = TABLE[lc.MISE_A_DISPOSITION]
NO_TARGET = [
    lc.SUSPENDUE,
    lc.A_RECYCLER,
    lc.REJETEE,
    lc.MISE_EN_PAIEMENT,
    lc.DEPOSEE,
    lc.EN_COURS_ACHEMINEMENT,
    lc.PRISE_EN_COMPTE_DESTINATAIRE,
    "STATUT_INCONNU",
]
TARGETS = [*lc.RECIPIENT_TARGETS, lc.COMPLETEE, lc.MISE_A_DISPOSITION, lc.PRISE_EN_COMPTE_DESTINATAIRE]


def _invoice(api, status: str) -> Invoice:
    row = api.received(statutCourant=[lc.MISE_A_DISPOSITION])[0]
    invoice = Invoice.objects.get(pk=row["idFacture"])
    invoice.statut = status
    invoice.save(update_fields=["statut"])
    return invoice


@pytest.mark.parametrize("current", [*TABLE, *NO_TARGET])
def test_transition_table_row(api, current):
    invoice = _invoice(api, current)
    for target in TARGETS:
        Invoice.objects.filter(pk=invoice.pk).update(statut=current)
        answer = api.post(
            ENDPOINT,
            {"identifiantFactureCPP": invoice.pk, "nouveauStatut": target, "motifRejet": "Motif de test"},
        )
        stored = Invoice.objects.get(pk=invoice.pk).statut
        if target in TABLE.get(current, set()):
            assert answer["codeRetour"] == 0, (current, target, answer)
            assert answer["nouveauStatut"] == target and answer["idFacture"] == invoice.pk
            assert answer["numeroFacture"] == invoice.numero_facture
            assert datetime.fromisoformat(answer["dateTraitement"]).utcoffset() is not None
            assert stored == target
        else:
            assert answer["codeRetour"] != 0, (current, target)
            assert answer["libelle"]
            assert stored == current


@pytest.mark.parametrize("target", sorted(lc.REASON_REQUIRED))
def test_reason_required(api, target):
    invoice = _invoice(api, lc.MISE_A_DISPOSITION)
    for body in ({}, {"motifRejet": ""}, {"motifRejet": "   "}):
        answer = api.post(ENDPOINT, {"identifiantFactureCPP": invoice.pk, "nouveauStatut": target, **body})
        assert answer["codeRetour"] != 0
        assert "motif" in answer["libelle"].lower()
    assert Invoice.objects.get(pk=invoice.pk).statut == lc.MISE_A_DISPOSITION


def test_reason_length_limit(api):
    invoice = _invoice(api, lc.MISE_A_DISPOSITION)
    too_long = api.post(
        ENDPOINT, {"identifiantFactureCPP": invoice.pk, "nouveauStatut": "REJETEE", "motifRejet": "x" * 256}
    )
    assert too_long["codeRetour"] != 0 and "255" in too_long["libelle"]
    ok = api.post(ENDPOINT, {"identifiantFactureCPP": invoice.pk, "nouveauStatut": "REJETEE", "motifRejet": "y" * 255})
    assert ok["codeRetour"] == 0


def test_status_change_records_date_and_comment(api):
    invoice = _invoice(api, lc.MISE_A_DISPOSITION)
    before = timezone.now() - timedelta(seconds=2)
    answer = api.post(
        ENDPOINT, {"identifiantFactureCPP": invoice.pk, "nouveauStatut": "SUSPENDUE", "motifRejet": "Devis manquant"}
    )
    assert answer["codeRetour"] == 0
    row = api.received(numeroFacture=invoice.numero_facture)[0]
    assert row["statut"] == lc.SUSPENDUE
    assert row["commentaireEtatCourant"] == "Devis manquant"
    assert datetime.fromisoformat(row["dateHeureEtatCourant"]) >= before
    # a later change without a reason clears the comment of the previous status
    Invoice.objects.filter(pk=invoice.pk).update(statut=lc.MISE_A_DISPOSITION)
    api.post(ENDPOINT, {"identifiantFactureCPP": invoice.pk, "nouveauStatut": "SERVICE_FAIT"})
    assert api.received(numeroFacture=invoice.numero_facture)[0]["commentaireEtatCourant"] is None


def test_native_spellings_and_hyphenated_status(api):
    invoice = _invoice(api, lc.MISE_A_DISPOSITION)
    answer = api.post(ENDPOINT, {"idFacture": invoice.pk, "nouveauStatut": "SERVICE-FAIT"})
    assert answer["codeRetour"] == 0 and answer["nouveauStatut"] == lc.SERVICE_FAIT
    answer = api.post(ENDPOINT, {"idFacture": invoice.pk, "nouveauStatut": "SUSPENDUE", "motif": "Pièce manquante"})
    assert answer["codeRetour"] == 0
    assert Invoice.objects.get(pk=invoice.pk).commentaire_etat_courant == "Pièce manquante"


def test_mandate_number_only_with_mandatee(api):
    invoice = _invoice(api, lc.MISE_A_DISPOSITION)
    refused = api.post(ENDPOINT, {"idFacture": invoice.pk, "nouveauStatut": "SERVICE_FAIT", "numeroDPMandat": "DP1"})
    assert refused["codeRetour"] != 0 and "MANDATEE" in refused["libelle"]
    answer = api.post(ENDPOINT, {"idFacture": invoice.pk, "nouveauStatut": "MANDATEE", "numeroDPMandat": "DP2026-42"})
    assert answer["codeRetour"] == 0
    assert Invoice.objects.get(pk=invoice.pk).numero_dp_mandat == "DP2026-42"


def test_unknown_or_foreign_invoice_is_refused(api):
    answer = api.post(ENDPOINT, {"idFacture": 1, "nouveauStatut": "SERVICE_FAIT"})
    assert answer["codeRetour"] != 0 and "introuvable" in answer["libelle"]
    pending = Invoice.objects.filter(statut=lc.A_VALIDER_1).first()
    answer = api.post(ENDPOINT, {"idFacture": pending.pk, "nouveauStatut": "SERVICE_FAIT"})
    assert answer["codeRetour"] != 0


def test_missing_id_is_refused_and_wrong_type_is_422(api):
    assert api.post(ENDPOINT, {"nouveauStatut": "SERVICE_FAIT"})["codeRetour"] != 0
    response = api.raw(ENDPOINT, {"identifiantFactureCPP": "douze", "nouveauStatut": "SERVICE_FAIT"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "identifiantFactureCPP"]
    response = api.raw(ENDPOINT, {"identifiantFactureCPP": 1, "nouveauStatut": 12})
    assert response.status_code == 422
