"""The three searches: answer keys and types, pagination arithmetic, sorting, every filter."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from sandbox.models import Invoice
from sandbox.testing import DEMO_PRIVATE_IDS, DEMO_PUBLIC_IDS

RECIPIENT_ITEM_TYPES = {
    "idFacture": int,
    "numeroFacture": str,
    "typeFacture": str,
    "statut": str,
    "dateHeureEtatCourant": str,
    "dateFacture": str,
    "dateDepot": str,
    "montantHT": (int, float),
    "montantTTC": (int, float),
    "montantAPayer": (int, float),
    "devise": str,
    "codeFournisseur": str,
    "designationFournisseur": str,
    "idDestinataire": int,
    "codeDestinataire": str,
    "designationDestinataire": str,
    "factureTelechargeeParDestinataire": bool,
}
OPTIONAL_KEYS = (
    "commentaireEtatCourant",
    "idServiceExecutant",
    "codeServiceExecutant",
    "nomServiceExecutant",
    "numeroMarche",
    "numeroBonCommande",
)


def test_recipient_answer_keys_and_types(api):
    answer = api.search()
    assert answer["codeRetour"] == 0 and isinstance(answer["libelle"], str)
    for key in ("pageCourante", "pages", "nbResultatsParPage", "total"):
        assert isinstance(answer[key], int)
    rows = answer["listeFactures"]
    assert len(rows) == answer["total"] > 0
    for row in rows:
        for key, kind in RECIPIENT_ITEM_TYPES.items():
            assert isinstance(row[key], kind), (key, row[key])
        for key in OPTIONAL_KEYS:
            assert key in row
        assert row["idDestinataire"] in DEMO_PUBLIC_IDS
        datetime.fromisoformat(row["dateHeureEtatCourant"])
        assert datetime.fromisoformat(row["dateHeureEtatCourant"]).utcoffset() is not None
        date.fromisoformat(row["dateFacture"])
        date.fromisoformat(row["dateDepot"])


def test_recipient_amounts_match_the_invoice(api):
    row = api.received()[0]
    invoice = Invoice.objects.get(pk=row["idFacture"])
    assert Decimal(str(row["montantTTC"])) == invoice.montant_ttc
    assert Decimal(str(row["montantHT"])) == invoice.montant_ht


@pytest.mark.parametrize("per_page", [1, 7, 25])
def test_pagination_arithmetic(api, per_page):
    total = api.search()["total"]
    seen = []
    pages = math.ceil(total / per_page)
    for page in range(1, pages + 1):
        answer = api.search(
            paramRecherche={
                "pageResultatDemandee": page,
                "nbResultatsParPage": per_page,
                "triColonne": "IdFacture",
                "triSens": "Ascendant",
            }
        )
        assert (answer["pageCourante"], answer["pages"], answer["total"]) == (page, pages, total)
        assert answer["nbResultatsParPage"] == per_page
        expected = per_page if page < pages else total - per_page * (pages - 1)
        assert len(answer["listeFactures"]) == expected
        seen += [r["idFacture"] for r in answer["listeFactures"]]
    assert seen == sorted(set(seen)) and len(seen) == total


def test_page_beyond_the_last_is_empty(api):
    answer = api.search(paramRecherche={"pageResultatDemandee": 999, "nbResultatsParPage": 10})
    assert answer["listeFactures"] == [] and answer["total"] > 0 and answer["pageCourante"] == 999


def test_page_size_is_capped_at_1000(api):
    answer = api.search(paramRecherche={"pageResultatDemandee": 1, "nbResultatsParPage": 5000})
    assert answer["nbResultatsParPage"] == 1000


def test_default_page_size(api):
    answer = api.post("factures/rechercher-destinataire", {})
    assert answer["pageCourante"] == 1 and answer["nbResultatsParPage"] == 10
    assert len(answer["listeFactures"]) == 10


@pytest.mark.parametrize("page", [0, -1])
def test_invalid_page_is_refused(api, page):
    answer = api.search(paramRecherche={"pageResultatDemandee": page, "nbResultatsParPage": 10})
    assert answer["codeRetour"] not in (0, 20000)
    assert "page" in answer["libelle"]


@pytest.mark.parametrize(
    ("column", "key"),
    [
        ("MontantTTC", "montantTTC"),
        ("NumeroFacture", "numeroFacture"),
        ("DateDepot", "dateDepot"),
        ("Statut", "statut"),
        ("Fournisseur", "designationFournisseur"),
        ("DateHeureEtatCourant", "dateHeureEtatCourant"),
    ],
)
@pytest.mark.parametrize("direction", ["Ascendant", "Descendant"])
def test_sorting(api, column, key, direction):
    rows = api.received(paramRecherche={"nbResultatsParPage": 1000, "triColonne": column, "triSens": direction})
    values = [r[key] for r in rows]
    if key == "dateHeureEtatCourant":
        values = [datetime.fromisoformat(v) for v in values]
    assert values == sorted(values, reverse=direction == "Descendant")


def test_unknown_sort_column_or_direction_is_refused(api):
    assert api.search(paramRecherche={"triColonne": "Nope"})["codeRetour"] not in (0, 20000)
    assert api.search(paramRecherche={"triColonne": "MontantTTC", "triSens": "Sideways"})["codeRetour"] not in (
        0,
        20000,
    )


def test_filter_status_list_and_single(api):
    rows = api.received(statutCourant=[lc.SUSPENDUE, lc.REJETEE])
    assert rows and {r["statut"] for r in rows} == {lc.SUSPENDUE, lc.REJETEE}
    assert {r["statut"] for r in api.received(statutCourant=lc.SUSPENDUE)} == {lc.SUSPENDUE}


def test_every_recipient_status_is_seeded(api):
    statuses = {r["statut"] for r in api.received()}
    assert set(lc.RECIPIENT_STATUSES) <= statuses
    assert not statuses & set(lc.AWAITING_VALIDATION)


def test_filter_deposit_dates(api):
    rows = api.received()
    days = sorted({r["dateDepot"] for r in rows})
    low, high = days[len(days) // 4], days[3 * len(days) // 4]
    filtered = api.received(periodeDateDepotDu=low, periodeDateDepotAu=high)
    assert filtered
    assert all(low <= r["dateDepot"] <= high for r in filtered)
    assert len(filtered) == sum(1 for r in rows if low <= r["dateDepot"] <= high)


def test_filter_status_change_dates(api):
    rows = api.received()
    day = sorted(r["dateHeureEtatCourant"][:10] for r in rows)[len(rows) // 2]
    filtered = api.received(periodeDateHeureEtatCourantDu=day)
    assert filtered and all(r["dateHeureEtatCourant"][:10] >= day for r in filtered)
    assert len(filtered) == sum(1 for r in rows if r["dateHeureEtatCourant"][:10] >= day)
    until = api.received(periodeDateHeureEtatCourantAu=day)
    assert len(until) + len(filtered) >= len(rows)


def test_filter_downloaded_flag(api):
    rows = api.received()
    not_downloaded = api.received(factureTelechargeeParDestinataire=False)
    downloaded = api.received(factureTelechargeeParDestinataire=True)
    assert not_downloaded and downloaded
    assert len(not_downloaded) + len(downloaded) == len(rows)
    assert not any(r["factureTelechargeeParDestinataire"] for r in not_downloaded)


def test_filter_recipient_and_service(api):
    rows = api.received()
    row = next(r for r in rows if r["idServiceExecutant"])
    by_recipient = api.received(idDestinataire=row["idDestinataire"])
    assert by_recipient and {r["idDestinataire"] for r in by_recipient} == {row["idDestinataire"]}
    by_service = api.received(idServiceExecutant=row["idServiceExecutant"])
    assert by_service and {r["idServiceExecutant"] for r in by_service} == {row["idServiceExecutant"]}


def test_filter_invoice_number_and_amounts(api):
    rows = api.received()
    row = rows[3]
    assert [r["idFacture"] for r in api.received(numeroFacture=row["numeroFacture"])] == [row["idFacture"]]
    amounts = sorted(r["montantTTC"] for r in rows)
    low, high = amounts[5], amounts[-5]
    filtered = api.received(montantTTCMin=low, montantTTCMax=high)
    assert filtered and all(low <= r["montantTTC"] <= high for r in filtered)
    assert len(filtered) == sum(1 for r in rows if low <= r["montantTTC"] <= high)


def test_filter_credit_notes(api):
    credit_notes = api.received(listeTypeFacture=["AVOIR"])
    assert credit_notes and {r["typeFacture"] for r in credit_notes} == {"AVOIR"}


def test_no_result_is_code_20000(api):
    answer = api.search(numeroFacture="N-EXISTE-PAS")
    assert answer["codeRetour"] == 20000
    assert answer["listeFactures"] == [] and answer["total"] == 0 and answer["pages"] == 0
    assert "aucun" in answer["libelle"].lower()


@pytest.mark.parametrize(
    "body",
    [
        {"paramRecherche": "page 1"},
        {"paramRecherche": {"nbResultatsParPage": "beaucoup"}},
        {"idDestinataire": "abc"},
        {"factureTelechargeeParDestinataire": "peut-être"},
        {"statutCourant": [1, 2]},
        {"periodeDateDepotDu": "21/11/2026"},
        {"montantTTCMin": "cher"},
    ],
)
def test_wrong_types_are_422(api, body):
    response = api.raw("factures/rechercher-destinataire", body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail and all({"loc", "msg", "type"} <= set(d) for d in detail)
    assert detail[0]["loc"][0] == "body"


@pytest.mark.parametrize("body", ["[]", "42", '"text"', "{not json"])
def test_body_not_an_object_is_422(api, body):
    response = api.raw(
        "factures/rechercher-destinataire", None, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] in ("dict_type", "json_invalid")


def test_supplier_search(api):
    answer = api.post(
        "factures/rechercher-fournisseur",
        {"rechercheFactureParFournisseur": {"pageResultatDemandee": 1, "nbResultatsParPage": 5}},
    )
    assert answer["codeRetour"] == 0
    params = answer["parametresRetour"]
    assert set(params) == {"pageCourante", "pages", "nbResultatsParPage", "total"}
    assert params["pages"] == math.ceil(params["total"] / 5) and len(answer["listeFactures"]) == 5
    row = answer["listeFactures"][0]
    assert isinstance(row["identifiantFactureCPP"], int) and "idFacture" not in row
    assert row["idFournisseur"] in DEMO_PRIVATE_IDS
    suspended = api.post("factures/rechercher-fournisseur", {"statutCourant": [lc.SUSPENDUE]})
    assert suspended["listeFactures"] and {r["statut"] for r in suspended["listeFactures"]} == {lc.SUSPENDUE}
    assert api.post("factures/rechercher-fournisseur", {"numeroFacture": "N-EXISTE-PAS"})["codeRetour"] == 20000


def test_validator_search(api):
    answer = api.post(
        "factures/valideur/rechercher",
        {"statutCourant": [lc.A_VALIDER_1], "pagination": {"pageResultatDemandee": 1, "nbResultatsParPage": 4}},
    )
    assert answer["codeRetour"] == 0
    params = answer["parametresRetour"]
    assert params["total"] >= 4 and params["pages"] == math.ceil(params["total"] / 4)
    for row in answer["listeFactures"]:
        assert isinstance(row["idFacture"], int)
        assert row["statut"] == lc.A_VALIDER_1
        assert row["idValideur"] in DEMO_PRIVATE_IDS
        assert row["cadreFacturation"] in ("A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT")
        for key in ("designationFournisseur", "designationDestinataire", "montantTTC", "dateDepot", "numeroFacture"):
            assert key in row
    assert api.post("factures/valideur/rechercher", {"statutCourant": ["MISE_EN_PAIEMENT"]})["codeRetour"] == 20000


def test_a_page_of_1000_rows(api):
    """The largest page the contract allows (its speed is measured by `make bench`)."""
    from sandbox import services

    services.deposit(1200)
    body = {"paramRecherche": {"pageResultatDemandee": 1, "nbResultatsParPage": 1000}}
    answer = api.post("factures/rechercher-destinataire", body)
    assert len(answer["listeFactures"]) == 1000
