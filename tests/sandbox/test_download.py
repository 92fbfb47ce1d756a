"""telecharger-groupe: PDF, XML and ZIP, real Factur-X content, attachments, flag, limits."""

from __future__ import annotations

import base64
import io
import json
import tempfile
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from sandbox.models import Attachment, Invoice
from sandbox.testing import DEMO_PUBLIC_IDS

ENDPOINT = "factures/telecharger-groupe"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def _decoded(answer: dict) -> bytes:
    assert answer["codeRetour"] == 0, answer
    return base64.b64decode(answer.get("fichierBase64") or answer["fichierResultat"])


def _ids(api, count: int, **filters) -> list[int]:
    return [r["idFacture"] for r in api.received(**filters)[:count]]


def _check_totals(xml: bytes, invoice: Invoice) -> None:
    root = etree.fromstring(xml)

    def amount(tag: str) -> Decimal:
        return Decimal(root.find(f".//{{{RAM}}}{tag}").text)

    assert amount("TaxBasisTotalAmount") == invoice.montant_ht
    assert amount("TaxTotalAmount") == invoice.montant_tva
    assert amount("GrandTotalAmount") == invoice.montant_ttc
    assert amount("DuePayableAmount") == invoice.montant_a_payer
    assert root.find(f".//{{{RAM}}}ID").text == invoice.numero_facture or invoice.numero_facture.encode() in xml
    vat = sum(Decimal(e.text) for e in root.iter(f"{{{RAM}}}CalculatedAmount"))
    assert vat == invoice.montant_tva


def test_single_pdf_is_facturx_with_matching_totals(api):
    invoice_id = _ids(api, 1)[0]
    pdf = _decoded(api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "PDF"}))
    assert pdf.startswith(b"%PDF")
    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    _check_totals(xml, Invoice.objects.get(pk=invoice_id))


def test_single_xml(api):
    invoice_id = _ids(api, 1, listeTypeFacture=["AVOIR"])[0]
    xml = _decoded(api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "XML"}))
    assert xml.lstrip().startswith(b"<")
    root = etree.fromstring(xml)
    assert root.find(f".//{{{RAM}}}TypeCode").text == "381"  # a credit note
    _check_totals(xml, Invoice.objects.get(pk=invoice_id))


@pytest.mark.parametrize(
    "body",
    [
        lambda ids: {"listeIdentifiantsFactureCPP": ids, "inclurePiecesJointes": False, "formatFichier": "ZIP"},
        lambda ids: {"listeFacture": [{"idFacture": i} for i in ids], "format": "ZIP"},
    ],
)
def test_zip_of_several_invoices_has_one_folder_each(api, body):
    ids = _ids(api, 4)
    archive = _decoded(api.post(ENDPOINT, body(ids)))
    assert archive.startswith(b"PK")
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.testzip() is None
        folders = {name.split("/")[0] for name in zf.namelist()}
        assert len(folders) == 4
        for invoice_id in ids:
            invoice = Invoice.objects.get(pk=invoice_id)
            folder = next(f for f in folders if f.endswith(f"_{invoice_id}"))
            names = [n for n in zf.namelist() if n.startswith(folder + "/")]
            pdf_name = next(n for n in names if n.endswith(".pdf"))
            xml_name = next(n for n in names if n.endswith(".xml"))
            _filename, embedded = get_facturx_xml_from_pdf(zf.read(pdf_name), check_xsd=True)
            assert embedded == zf.read(xml_name)
            _check_totals(embedded, invoice)


def test_several_pdfs_come_as_a_zip_of_pdfs(api):
    ids = _ids(api, 2)
    archive = _decoded(api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids, "formatFichier": "PDF"}))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert sorted(n.rsplit(".", 1)[1] for n in zf.namelist()) == ["pdf", "pdf"]


@pytest.mark.parametrize("flag", [{"inclurePiecesJointes": True}, {"avecPiecesJointesComplementaires": "OUI"}])
def test_attachments_when_asked(api, flag):
    invoice = Invoice.objects.filter(attachments__isnull=False, recipient_id__in=DEMO_PUBLIC_IDS, routed=True).first()
    expected = Attachment.objects.filter(invoice=invoice).count()
    with_files = _decoded(
        api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [invoice.pk], "formatFichier": "ZIP", **flag})
    )
    without = _decoded(api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [invoice.pk], "formatFichier": "ZIP"}))
    with zipfile.ZipFile(io.BytesIO(with_files)) as zf:
        attached = [n for n in zf.namelist() if "/pieces_jointes/" in n]
        assert len(attached) == expected >= 1
        assert all(zf.read(n).startswith(b"%PDF") for n in attached)
    with zipfile.ZipFile(io.BytesIO(without)) as zf:
        assert not [n for n in zf.namelist() if "/pieces_jointes/" in n]
    # a single PDF with attachments asked still carries them: the answer is a ZIP
    single = _decoded(
        api.post(
            ENDPOINT,
            {"listeIdentifiantsFactureCPP": [invoice.pk], "formatFichier": "PDF", "inclurePiecesJointes": True},
        )
    )
    assert single.startswith(b"PK")


def test_download_sets_the_downloaded_flag(api):
    rows = api.received(factureTelechargeeParDestinataire=False)
    ids = [r["idFacture"] for r in rows[:3]]
    _decoded(api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids, "formatFichier": "ZIP"}))
    after = {r["idFacture"] for r in api.received(factureTelechargeeParDestinataire=False)}
    assert not after & set(ids)
    assert len(after) == len(rows) - 3
    for row in api.received(numeroFacture=rows[0]["numeroFacture"]):
        assert row["factureTelechargeeParDestinataire"] is True


def test_limits(api, settings):
    ids = _ids(api, 11)
    too_many = api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids, "formatFichier": "ZIP"})
    assert too_many["codeRetour"] != 0 and "10" in too_many["libelle"]
    assert "fichierBase64" not in too_many
    empty = api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [], "formatFichier": "ZIP"})
    assert empty["codeRetour"] != 0
    bad_format = api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids[:1], "formatFichier": "DOCX"})
    assert bad_format["codeRetour"] != 0
    unknown = api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": [1], "formatFichier": "PDF"})
    assert unknown["codeRetour"] != 0 and "introuvable" in unknown["libelle"]
    settings.SANDBOX_DOWNLOAD_LIMIT_MB = 0.01
    too_big = api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids[:3], "formatFichier": "ZIP"})
    assert too_big["codeRetour"] != 0 and "Mo" in too_big["libelle"]
    response = api.raw(ENDPOINT, {"listeIdentifiantsFactureCPP": "12", "formatFichier": "PDF"})
    assert response.status_code == 422


def test_refused_download_does_not_set_the_flag(api):
    rows = api.received(factureTelechargeeParDestinataire=False)
    ids = [r["idFacture"] for r in rows] + [r["idFacture"] for r in api.received()]
    ids = list(dict.fromkeys(ids))[:11]
    assert rows and len(ids) == 11
    assert api.post(ENDPOINT, {"listeIdentifiantsFactureCPP": ids})["codeRetour"] != 0
    assert len(api.received(factureTelechargeeParDestinataire=False)) == len(rows)


def _stream_to_file(response):
    """Decode `fichierBase64` from a streamed answer without holding it (client side)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (returned to the caller)
    marker = b'"fichierBase64":"'
    head = b""
    pending = b""
    state = "head"
    for chunk in response.iter_content(256 * 1024):
        if state == "head":
            head += chunk
            if marker not in head:
                continue
            before, chunk = head.split(marker, 1)
            assert json.loads(before + b'"x":0}')["codeRetour"] == 0
            state = "body"
        if state == "body":
            if b'"' in chunk:
                chunk, _tail = chunk.split(b'"', 1)
                state = "tail"
            data = pending + chunk
            cut = len(data) - len(data) % 4
            out.write(base64.b64decode(data[:cut]))
            pending = data[cut:]
    assert state == "tail" and not pending
    out.seek(0)
    return out


def test_large_refused_over_120_mb(api):
    from sandbox import services

    summary = services.reset(seed_number=2026, size="small", large=True)
    answer = api.post(
        ENDPOINT,
        {
            "listeIdentifiantsFactureCPP": list(summary.large_invoice_ids),
            "formatFichier": "ZIP",
            "inclurePiecesJointes": True,
        },
    )
    assert answer["codeRetour"] != 0 and "120" in answer["libelle"]
    # without attachments the same two invoices are small
    answer = api.post(
        ENDPOINT, {"listeIdentifiantsFactureCPP": list(summary.large_invoice_ids), "formatFichier": "ZIP"}
    )
    assert answer["codeRetour"] == 0


@pytest.mark.slow
def test_large_download_memory(live_api):
    """~110 MB of attachments: streamed, and the server side stays far below 64 MB."""
    api = live_api  # served over a socket, as a real download is
    from sandbox import services

    summary = services.reset(seed_number=2026, size="small", large=True)
    invoice_id = summary.large_invoice_ids[0]
    tracemalloc.start()
    try:
        response = api.raw(
            ENDPOINT,
            {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "ZIP", "inclurePiecesJointes": True},
            stream=True,
            timeout=120,
        )
        assert response.status_code == 200
        declared = int(response.headers["Content-Length"])
        archive = _stream_to_file(response)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    size = archive.seek(0, 2)
    archive.seek(0)
    assert declared > size * 4 // 3
    with zipfile.ZipFile(archive) as zf:
        attached = [i for i in zf.infolist() if "/pieces_jointes/" in i.filename]
        assert len(attached) == 11 and sum(i.file_size for i in attached) == 110_000_000
        with zf.open(attached[0]) as first:
            head = first.read(1_000_000)
        assert len(set(head)) > 250  # generated bytes, not compressible to nothing
    assert Invoice.objects.get(pk=invoice_id).facture_telechargee
