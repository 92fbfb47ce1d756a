"""The API domain modules' readers on edge-case bodies, and their request builders' key names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chorusweb import filetypes
from chorusweb.factpulse import ENDPOINTS, coerce, received, structures, supplier, validator
from chorusweb.factpulse import types as t
from chorusweb.factpulse.errors import FactPulseMalformed

RECEIVED_ROW = {
    "idFacture": 4711,
    "numeroFacture": "F-2026-001",
    "typeFacture": "FACTURE",
    "typeDemandePaiement": "FACTURE",
    "statut": "MISE_A_DISPOSITION",
    "dateHeureEtatCourant": "2026-03-02 14:05",
    "commentaireEtatCourant": "RAS",
    "dateFacture": "2026-02-27",
    "dateDepot": "2026-03-01T09:15:00.000+01:00",
    "montantHT": Decimal("1000.10"),
    "montantTTC": 1200,
    "montantAPayer": "1 200,12",
    "devise": "EUR",
    "codeFournisseur": "12345678900011",
    "designationFournisseur": "ACME",
    "idDestinataire": 25,
    "codeDestinataire": "11122233300044",
    "designationDestinataire": "Mairie",
    "idServiceExecutant": "77",
    "codeServiceExecutant": "SERV1",
    "nomServiceExecutant": "Service 1",
    "numeroMarche": "M-1",
    "numeroBonCommande": "BC-1",
    "factureTelechargeeParDestinataire": "OUI",
    "taille": "2048",
    "unChampInconnu": {"x": 1},
}


# --- scalars -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=coerce.CHORUS_TZ)),
        ("2026-03-01 14:05", datetime(2026, 3, 1, 14, 5, tzinfo=coerce.CHORUS_TZ)),
        ("2026-03-01 14:05:09", datetime(2026, 3, 1, 14, 5, 9, tzinfo=coerce.CHORUS_TZ)),
        ("2017-08-24T14:14:15.616+02:00", datetime(2017, 8, 24, 12, 14, 15, 616000, tzinfo=UTC)),
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        ("01/03/2026", datetime(2026, 3, 1, tzinfo=coerce.CHORUS_TZ)),
        (1772355600000, datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        ("", None),
        ("pas une date", None),
        ("2026-13-45", None),
        (None, None),
        (True, None),
        ({"a": 1}, None),
    ],
)
def test_parse_datetime(value, expected):
    parsed = coerce.parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


def test_parse_date_uses_the_paris_calendar_day():
    assert coerce.parse_date("2026-03-01") == date(2026, 3, 1)
    assert coerce.parse_date("2026-03-01 23:59") == date(2026, 3, 1)
    assert coerce.parse_date("2026-02-28T23:30:00+00:00") == date(2026, 3, 1)  # 00:30 in Paris
    assert coerce.parse_date("garbage") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.10"), Decimal("1.10")),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
        ("1250.50", Decimal("1250.50")),
        ("1 250,50", Decimal("1250.50")),
        ("1\u202f250,5", Decimal("1250.5")),
        ("", None),
        ("abc", None),
        ("NaN", None),
        ("Infinity", None),
        (True, None),
        (None, None),
        ([], None),
    ],
)
def test_to_decimal(value, expected):
    result = coerce.to_decimal(value)
    assert result == expected
    assert result is None or isinstance(result, Decimal)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("OUI", True), ("non", False), ("true", True), (0, False), (1, True), ("peut-être", None)],
)
def test_to_bool(value, expected):
    assert coerce.to_bool(value) is expected


def test_to_int():
    assert coerce.to_int("42") == 42
    assert coerce.to_int(Decimal("42.0")) == 42
    assert coerce.to_int("42.0") == 42
    assert coerce.to_int(4.5) is None
    assert coerce.to_int(True) is None
    assert coerce.to_int("x") is None


# --- searches ------------------------------------------------------------------------------


def test_received_row_reads_every_list_field():
    page = received.read_recipient_search(
        {
            "codeRetour": 0,
            "libelle": "TRA_MSG_00.000",
            "pageCourante": 2,
            "pages": 3,
            "nbResultatsParPage": 1,
            "total": 3,
            "listeFactures": [RECEIVED_ROW],
        }
    )
    assert (page.page, page.pages, page.page_size, page.total) == (2, 3, 1, 3)
    assert page.has_next
    row = page.items[0]
    assert isinstance(row, t.ReceivedInvoiceRow)
    assert row.invoice_id == 4711
    assert row.invoice_number == "F-2026-001"
    assert row.status == "MISE_A_DISPOSITION"
    assert row.status_changed_at == datetime(2026, 3, 2, 14, 5, tzinfo=coerce.CHORUS_TZ)
    assert row.invoice_date == date(2026, 2, 27)
    assert row.deposit_date == date(2026, 3, 1)
    assert row.total_excl_tax == Decimal("1000.10")
    assert row.total_incl_tax == Decimal(1200)
    assert row.amount_due == Decimal("1200.12")
    assert row.service_id == 77
    assert row.downloaded is True
    assert row.size == 2048
    assert row.supplier_code == "12345678900011"
    assert row.raw["unChampInconnu"] == {"x": 1}  # unknown fields kept for display
    with pytest.raises(TypeError):
        row.raw["x"] = 1  # read-only


def test_unknown_status_is_kept_as_received_and_hyphen_normalised():
    rows = [
        {**RECEIVED_ROW, "idFacture": 1, "statut": "NOUVEAU_STATUT_2027"},
        {**RECEIVED_ROW, "idFacture": 2, "statut": "service-fait"},
    ]
    page = received.read_recipient_search({"codeRetour": 0, "listeFactures": rows, "total": 2})
    assert [r.status for r in page] == ["NOUVEAU_STATUT_2027", "SERVICE_FAIT"]
    assert page.items[0].status_label == "NOUVEAU_STATUT_2027"


def test_empty_search_code_is_an_empty_page():
    page = received.read_recipient_search(
        {"codeRetour": 20000, "libelle": "TRA_MSG_00.015 aucun résultat"}, page=1, page_size=50
    )
    assert page.items == ()
    assert page.total == 0
    assert not page.has_next


def test_search_without_pagination_computes_it():
    page = received.read_recipient_search({"listeFactures": [RECEIVED_ROW]}, page=1, page_size=100)
    assert (page.page, page.pages, page.total) == (1, 1, 1)


def test_row_without_id_is_malformed():
    row = dict(RECEIVED_ROW)
    del row["idFacture"]
    with pytest.raises(FactPulseMalformed) as info:
        received.read_recipient_search({"codeRetour": 0, "listeFactures": [row], "total": 1})
    assert "idFacture" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"codeRetour": 0, "listeFactures": "nope", "total": 1},
        {"codeRetour": 0, "listeFactures": [1, 2], "total": 2},
        {"codeRetour": 0, "total": 5},  # says 5 results but no list
    ],
)
def test_malformed_search_bodies(body):
    with pytest.raises(FactPulseMalformed):
        received.read_recipient_search(body)


def test_validator_row_accepts_both_spellings_and_nested_framework():
    body = {
        "codeRetour": 0,
        "parametresRetour": {"pageCourante": 1, "pages": 1, "nbResultatsParPage": 10, "total": 1},
        "listeFactures": [
            {
                "identifiantFactureCPP": "99",
                "numeroFacture": "ST-1",
                "statut": "A_VALIDER_1",
                "cadreDeFacturation": {"codeCadreFacturation": "A9_FACTURE_SOUSTRAITANT"},
                "dateDepot": "2026-03-01 08:00",
                "montantAPayer": 12,  # int64 in the Swagger
                "codeFournisseur": "SIRETSUP",
                "identifiantDestinataire": "SIRETDEST",
                "designationValideur": "Titulaire",
                "idValideur": 5,
            }
        ],
    }
    row = validator.read_validator_search(body).items[0]
    assert row.invoice_id == 99
    assert row.framework == "A9_FACTURE_SOUSTRAITANT"
    assert row.amount_due == Decimal(12)
    assert row.supplier_code == "SIRETSUP"
    assert row.recipient_code == "SIRETDEST"
    assert row.validator_id == 5
    assert row.validation_deadline == date(2026, 3, 16)


def test_supplier_rows_use_identifiant_facture_cpp():
    body = {
        "codeRetour": 0,
        "parametresRetour": {"pageCourante": 1, "pages": 0, "nbResultatsParPage": 10, "total": 0},
        "listeFactures": [],
    }
    assert supplier.read_supplier_search(body).total == 0
    body["listeFactures"] = [{"identifiantFactureCPP": 3, "statut": "DEPOSEE", "rejetTraite": False}]
    body["parametresRetour"]["total"] = 1
    row = supplier.read_supplier_search(body).items[0]
    assert (row.invoice_id, row.status, row.rejection_handled) == (3, "DEPOSEE", False)


# --- typed endpoints -----------------------------------------------------------------------


def test_read_invoice_typed_and_old_names():
    typed = supplier.read_invoice(
        {
            "returnCode": 0,
            "message": "OK",
            "chorusInvoiceId": 12,
            "invoiceNumber": "F1",
            "invoiceDate": "2026-01-02",
            "totalGrossAmount": "1250.50",
            "currentStatus": {"code": "MANDATEE", "label": "Mandatée", "date": "2026-01-05 10:00"},
        }
    )
    assert typed.total_incl_tax == Decimal("1250.50")
    assert typed.status == t.InvoiceStatus("MANDATEE", "Mandatée", datetime(2026, 1, 5, 10, tzinfo=coerce.CHORUS_TZ))
    old = supplier.read_invoice(
        {
            "code_retour": 0,
            "identifiant_facture_cpp": 12,
            "statut_courant": {"code": "REJETEE", "libelle": "x"},
        }
    )
    assert old.invoice_id == 12
    assert old.status.code == "REJETEE"


def test_structures_services_and_lookup():
    page = structures.read_structure_search(
        {
            "returnCode": 0,
            "structures": [
                {
                    "structureId": 25,
                    "structureIdentifier": "111",
                    "structureName": "Mairie",
                    "structureIdentifierType": "SIRET",
                    "status": "ACTIVE",
                }
            ],
            "total": 1,
        }
    )
    assert page.items == (t.Structure(25, "111", "Mairie", "SIRET", "ACTIVE"),)
    services = structures.read_services(
        {"services": [{"serviceId": 1, "serviceCode": "S", "serviceLabel": "L", "isActive": False}]}
    )
    assert services == (t.Service(1, "S", "L", False),)
    assert structures.read_services({"liste_services": [{"id_service": 2, "code_service": "T"}]})[0].code == "T"
    none = structures.read_structure_lookup({"structureId": 0, "structureIdentifier": "1", "message": "plusieurs"})
    assert not none.found
    assert none.structure_id is None
    detail = structures.read_structure(
        {"structureId": 25, "parameters": {"serviceCodeRequired": True, "engagementNumberRequired": "false"}}
    )
    assert detail.service_code_required is True
    assert detail.engagement_number_required is False


def test_write_results():
    processed = received.read_processing(
        {"codeRetour": 0, "idFacture": "5", "nouveauStatut": "SERVICE_FAIT", "dateTraitement": "2016-03-18"}
    )
    assert processed.invoice_id == 5
    assert processed.processed_at == datetime(2016, 3, 18, tzinfo=coerce.CHORUS_TZ)
    validated = validator.read_validation({"codeRetour": 0, "idFacture": 5, "statutFacture": "VALIDEE_1"})
    assert validated.status == "VALIDEE_1"
    assert supplier.read_upload({"pieceJointeId": 9}).attachment_id == 9
    assert supplier.read_upload({"pieceJointeIdFichier": "10"}).attachment_id == 10
    with pytest.raises(FactPulseMalformed):
        supplier.read_upload({"codeRetour": 0})
    recycled = supplier.read_recycle(
        {"identifiantFactureCPP": 4, "statutFacture": "DEPOSEE", "dateDepot": "2016-05-24 15:02"}
    )
    assert recycled.deposited_at == datetime(2016, 5, 24, 15, 2, tzinfo=coerce.CHORUS_TZ)
    with pytest.raises(FactPulseMalformed):
        supplier.read_submission({"returnCode": 0, "message": "ok"})


DETAIL = {
    "identifiantFactureCPP": 77,
    "numeroFacture": "ST-77",
    "statutFacture": "A_VALIDER_1",
    "fournisseur": {
        "idFournisseur": 3,
        "codeFournisseur": "SIRETSUP",
        "raisonSocialeFournisseur": "Sous-traitant SARL",
        "adresseFournisseurCodePostal": "75001",
        "adresseFournisseurVille": "Paris",
    },
    "destinataire": {"idDestinataire": 25, "codeDestinataire": "SIRETDEST", "libelleDestinataire": "Mairie"},
    "cadreDeFacturation": {
        "codeCadreFacturation": "A9_FACTURE_SOUSTRAITANT",
        "idValideur1": 8,
        "raisonSocialeValideur1": "Titulaire SA",
    },
    "references": {"dateFacture": "2026-02-01", "dateDepot": "2026-02-03 10:00", "codeDeviseFacture": "EUR"},
    "montantTotal": {
        "montantHtTotal": 100,
        "montantTVA": "20.00",
        "montantTtcTotal": 120.0,
        "montantAPayer": 120,
    },
    "recapitulatifDeTva": {
        "ligneTva": [
            {
                "ligneTvaTauxRefValeur": 20,
                "ligneTvaMontantBaseHtParTaux": 100,
                "ligneTvaMontantTvaParTaux": 20,
            }
        ]
    },
    "lignesDePoste": {
        "lignePoste": [{"lignePosteNumero": 1, "lignePosteDenomination": "Travaux", "lignePosteQuantite": "2.5"}]
    },
    "listeDesPiecesJointes": {"pieceJointe": [{"pieceJointeId": 5, "pieceJointeDesignation": "bc.pdf"}]},
}


@pytest.mark.parametrize("wrapped", [False, True])
def test_validator_detail_flat_or_wrapped(wrapped):
    body = {"codeRetour": 0, "libelle": "ok", "facture": DETAIL} if wrapped else {"codeRetour": 0, **DETAIL}
    detail = validator.read_validator_detail(body)
    assert detail.invoice_id == 77
    assert detail.framework == "A9_FACTURE_SOUSTRAITANT"
    assert detail.supplier.name == "Sous-traitant SARL"
    assert detail.supplier.address == "75001 Paris"
    assert detail.recipient.name == "Mairie"
    assert detail.validators == (t.ValidationStep(level=1, validator_id=8, name="Titulaire SA"),)
    assert detail.totals.vat_amount == Decimal("20.00")
    assert detail.totals.total_incl_tax == Decimal("120.0")
    assert detail.vat_summary[0].rate == Decimal(20)
    assert detail.lines[0].quantity == Decimal("2.5")
    assert detail.attachments[0].name == "bc.pdf"
    assert detail.deposit_date == date(2026, 2, 3)
    assert detail.validation_deadline == date(2026, 2, 3) + timedelta(days=15)


def test_validator_detail_with_lists_given_directly():
    body = {**DETAIL, "lignesDePoste": [{"lignePosteNumero": 2}], "recapitulatifDeTva": []}
    detail = validator.read_validator_detail(body)
    assert detail.lines[0].number == 2
    assert detail.vat_summary == ()


def test_validator_detail_without_detail_is_malformed():
    with pytest.raises(FactPulseMalformed):
        validator.read_validator_detail({"codeRetour": 0, "libelle": "ok"}, invoice_id=1)


# --- requests ------------------------------------------------------------------------------


def test_recipient_search_body_uses_native_names():
    body = received.ReceivedSearch(
        statuses=["MISE_A_DISPOSITION", "service-fait"],
        deposited_from=date(2026, 1, 1),
        deposited_to=None,
        status_changed_from=datetime(2026, 1, 2, 23, 30, tzinfo=UTC),
        status_changed_to=None,
        downloaded=False,
        recipient_id=25,
        service_id=None,
        invoice_number=None,
        amount_min=Decimal("10.50"),
        amount_max=None,
        page=2,
        page_size=1000,
        sort_column="DateDepot",
        sort_desc=True,
    ).to_body()
    assert body == {
        "statutCourant": ["MISE_A_DISPOSITION", "SERVICE_FAIT"],
        "periodeDateDepotDu": "2026-01-01",
        "periodeDateHeureEtatCourantDu": "2026-01-03",  # Paris day
        "factureTelechargeeParDestinataire": False,
        "idDestinataire": 25,
        "montantTTCMin": 10.5,
        "paramRecherche": {
            "pageResultatDemandee": 2,
            "nbResultatsParPage": 1000,
            "triColonne": "DateDepot",
            "triSens": "Descendant",
        },
    }


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 1001)])
def test_paging_limits(page, size):
    with pytest.raises(ValueError):
        received.ReceivedSearch(page=page, page_size=size)


def test_process_body_and_rules():
    body = received.build_process_received(
        invoice_id=5, new_status="MANDATEE", reason=None, comment="c", mandate_number="DP-1"
    )
    assert body == {
        "identifiantFactureCPP": 5,
        "nouveauStatut": "MANDATEE",
        "commentaire": "c",
        "numeroDPMandat": "DP-1",
    }
    with pytest.raises(ValueError):
        received.build_process_received(
            invoice_id=5, new_status="REJETEE", reason="x" * 256, comment=None, mandate_number=None
        )
    with pytest.raises(ValueError):
        received.build_process_received(
            invoice_id=5, new_status="REJETEE", reason="r", comment=None, mandate_number="DP"
        )


def test_download_validator_and_submit_bodies():
    assert received.DownloadRequest((1, "2"), "pdf", True).to_body() == {
        "listeIdentifiantsFactureCPP": [1, 2],
        "inclurePiecesJointes": True,
        "formatFichier": "PDF",
    }
    with pytest.raises(ValueError):
        received.DownloadRequest((), "ZIP")
    with pytest.raises(ValueError):
        received.DownloadRequest((1,), "DOCX")
    assert validator.build_validator_process(invoice_id=1, action="refus", reason="non", complement=None) == {
        "idFacture": 1,
        "action": "REFUS",
        "motifRefus": "non",
    }
    with pytest.raises(ValueError):
        validator.build_validator_process(invoice_id=1, action="MAYBE", reason=None, complement=None)
    submit = supplier.build_submit(
        invoice_number="F1",
        invoice_date=date(2026, 1, 2),
        structure_id=25,
        total_excl_tax=Decimal("100"),
        vat_amount=Decimal("20.1"),
        total_incl_tax=Decimal("120.10"),
        payment_due_date=None,
        service_code=None,
        engagement_number=None,
        main_attachment_id=None,
        main_attachment_label=None,
        comment=None,
        purchase_order_reference=None,
        contract_reference=None,
    )
    assert submit["totalNetAmount"] == "100.00"
    assert submit["vatAmount"] == "20.10"
    assert submit["invoiceDate"] == "2026-01-02"


def test_sniff():
    assert filetypes.sniff(b"%PDF-1.7") == "pdf"
    assert filetypes.sniff(b"PK\x03\x04") == "zip"
    assert filetypes.sniff(b"\xef\xbb\xbf<?xml version") == "xml"
    assert filetypes.sniff(b"  <Invoice") == "xml"
    assert filetypes.sniff(b"GIF89a") == "unknown"


def test_every_endpoint_is_declared_once():
    assert len(ENDPOINTS) == 16
    writes = {name for name, e in ENDPOINTS.items() if not e.read}
    assert writes == {
        "traiter_facture_recue",
        "valideur_traiter_facture",
        "completer_facture",
        "recycler_facture",
        "soumettre_facture",
        "ajouter_fichier",
    }
