"""Answers in the other spelling, with unknown fields and unknown statuses, over real HTTP.

The sandbox answers with one spelling; the live service may use the other (see
docs/contract.md). The live server runs in this process, so the test rewrites the sandbox's
answers on their way out: keys swapped for their other spelling, unknown members added at
every level. The typed results must not change.
"""

from __future__ import annotations

import pytest

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.errors import FactPulseRefused

SWAPS = {
    "idFacture": "identifiantFactureCPP",
    "codeRetour": "returnCode",
    "libelle": "message",
    "pieceJointeIdFichier": "pieceJointeId",
    "statut": "statutFacture",
    "codeFournisseur": "identifiantFournisseur",
    "codeDestinataire": "identifiantDestinataire",
    "cadreDeFacturation": "cadreFacturation",
    "montantAPayer": "montantApayer",
}
SWAPS.update({v: k for k, v in list(SWAPS.items())})
UNKNOWN = {"champFutur2027": {"liste": [1, "}", None], "texte": '{"inconnu"]'}}


def respell(value):
    if isinstance(value, dict):
        out = {SWAPS.get(k, k): respell(v) for k, v in value.items()}
        out.update(UNKNOWN)
        return out
    if isinstance(value, list):
        return [respell(v) for v in value]
    return value


@pytest.fixture
def respelled(monkeypatch):
    """Switch the sandbox's answers to the other spelling (call it after the first snapshot)."""
    from sandbox import documents, views

    def switch():
        original_json = views.json_response
        original_stream = documents.stream_base64_json

        def json_response(data, status=200, **headers):
            return original_json(respell(data), status, **headers)

        def stream(file, *, prefix, suffix, chunk=documents.B64_CHUNK):
            # The document first, under its native name; the small members after it. Padded
            # with JSON whitespace to the length the view announced in Content-Length.
            start = b'{"champFutur":{"a":[1,{"b":"}"}]},"fichierResultat":"'
            end = b'","returnCode":0,"message":"TRA_MSG_00.000","autreInconnu":null}'
            padding = len(prefix) + len(suffix) - len(start) - len(end)
            assert padding >= 0
            yield from original_stream(file, prefix=start, suffix=end + b" " * padding, chunk=chunk)

        monkeypatch.setattr(views, "json_response", json_response)
        monkeypatch.setattr(documents, "stream_base64_json", stream)

    return switch


def snapshot(fp):
    received = fp.rechercher_factures_destinataire(page_size=5)
    row = received.items[0]
    validator = fp.valideur_rechercher_factures(page_size=5)
    supplier = fp.rechercher_factures_fournisseur(page_size=5)
    return [
        received,
        validator,
        fp.valideur_consulter_facture(invoice_id=validator.items[0].invoice_id),
        supplier,
        fp.consulter_facture(invoice_id=supplier.items[0].invoice_id),
        fp.rechercher_structures(identifier=row.recipient_code, identifier_type="SIRET"),
        fp.consulter_structure(structure_id=row.recipient_id),
        fp.lister_services_structure(structure_id=row.recipient_id),
        fp.obtenir_id_depuis_siret(siret=row.recipient_code),
    ]


def test_reads_give_the_same_typed_results_in_both_spellings(fp, respelled):
    normal = snapshot(fp)
    respelled()
    variant = snapshot(fp)
    for before, after in zip(normal, variant, strict=True):
        assert after == before
    assert "champFutur2027" in variant[0].items[0].raw  # unknown fields kept for display
    assert "identifiantFactureCPP" in variant[0].items[0].raw


def test_writes_and_refusals_in_the_other_spelling(fp, respelled):
    row = fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1).items[0]
    respelled()
    result = fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
    assert result.invoice_id == row.invoice_id
    assert result.new_status == lifecycle.SERVICE_FAIT
    with pytest.raises(FactPulseRefused) as info:  # refusal under `returnCode` / `message`
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
    assert info.value.code not in (None, 0)
    assert info.value.upstream_message
    uploaded = fp.ajouter_fichier(content=b"%PDF-1.4 x", name="x.pdf")  # answered as pieceJointeId
    assert uploaded.attachment_id > 0


def test_download_in_the_native_spelling_with_members_after_the_document(fp, respelled):
    row = fp.rechercher_factures_destinataire(page_size=1).items[0]
    respelled()
    with fp.telecharger_groupe_factures(invoice_ids=[row.invoice_id], file_format="PDF") as document:
        assert document.kind == "pdf"
        assert document.message == "TRA_MSG_00.000"
        assert document.read_bytes().startswith(b"%PDF")


def test_unknown_status_is_kept_and_offers_no_action(fp):
    from sandbox.models import Invoice

    row = fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1).items[0]
    Invoice.objects.filter(pk=row.invoice_id).update(statut="STATUT_FUTUR_2027")
    again = next(r for r in fp.iter_factures_destinataire() if r.invoice_id == row.invoice_id)
    assert isinstance(again, t.ReceivedInvoiceRow)
    assert again.status == "STATUT_FUTUR_2027"
    assert again.status_label == "STATUT_FUTUR_2027"
    assert lifecycle.allowed_targets(again.status) == ()
    with pytest.raises(FactPulseRefused):
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
