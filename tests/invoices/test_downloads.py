"""Issue #13, point 9: downloads are always laid out the same way; the invoice's PDF in its page;
attachments one by one."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest

from invoices import services
from invoices.models import InvoiceDocument, ReceivedInvoice


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)  # dated 1980 by zipfile's default: we must not keep that
    return buffer.getvalue()


@pytest.fixture
def mirror(db, fake_factpulse, connection):
    for invoice_id in (1, 2, 3):
        fake_factpulse.add_received(invoice_id=invoice_id, deposit_date=date(2026, 10, invoice_id))
    services.sync_received(connection=connection)
    return list(ReceivedInvoice.objects.filter(connection=connection).order_by("invoice_id"))


def _download(client, invoices, file_format="ZIP"):
    client.post("/factures/selection/", {"operation": "clear"})
    client.post("/factures/selection/", {"ids": [inv.pk for inv in invoices], "operation": "add"})
    return client.post("/factures/telechargement/", {"format": file_format})


def _filename(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


@pytest.mark.parametrize("count", [1, 3])
def test_every_group_zip_has_its_manifest_and_real_dates(recipient_client, mirror, fake_factpulse, count):
    fake_factpulse.document = _zip({f"F-{i}.pdf": b"%PDF-1.4 x" for i in range(1, count + 1)})
    response = _download(recipient_client, mirror[:count])
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        assert "manifest.csv" in names
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
        for info in archive.infolist():
            assert info.date_time[0] >= 2026, info
        first = archive.getinfo("lot-001/F-1.pdf")
    assert first.date_time[:3] == (2026, 10, 1)  # the invoice's deposit day
    assert manifest.count("\n") == count + 1 and mirror[0].invoice_number in manifest


def test_group_zip_of_several_calls_has_one_manifest(recipient_client, mirror, fake_factpulse, settings):
    settings.CHORUSWEB_DOWNLOAD_BATCH = 2
    fake_factpulse.document = _zip({"F-1.pdf": b"%PDF-1.4 x"})
    response = _download(recipient_client, mirror)
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.namelist().count("manifest.csv") == 1
        assert {n.split("/")[0] for n in archive.namelist() if "/" in n} == {"lot-001", "lot-002"}


def test_each_download_has_its_own_file_name(recipient_client, mirror, fake_factpulse):
    fake_factpulse.document = _zip({"F-1.pdf": b"%PDF-1.4 x"})
    first, second = _filename(_download(recipient_client, mirror)), _filename(_download(recipient_client, mirror))
    assert first != second
    assert re.fullmatch(r"factures-\d{8}-\d{6}-[0-9a-f]{4}-3\.zip", first)
    fake_factpulse.document = b"%PDF-1.4 x"  # one invoice as a PDF: handed out as it is
    single = _filename(_download(recipient_client, mirror[:1], "PDF"))
    assert re.fullmatch(rf"facture-{mirror[0].invoice_number}-\d{{8}}-\d{{6}}-[0-9a-f]{{4}}\.pdf", single)


def test_pdf_is_shown_in_the_page_with_a_strict_policy(recipient_client, mirror):
    invoice = mirror[0]
    recipient_client.post(f"/factures/{invoice.pk}/document/")
    assert InvoiceDocument.objects.filter(invoice=invoice).exists()
    page = recipient_client.get(f"/factures/{invoice.pk}/")
    html = page.content.decode()
    assert f'data-frame-src="/factures/{invoice.pk}/document/pdf/"' in html  # the frame, opened on demand
    assert f'<a href="/factures/{invoice.pk}/document/pdf/" target="_blank"' in html  # without JavaScript
    assert "frame-src 'self'" in page["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    pdf = recipient_client.get(f"/factures/{invoice.pk}/document/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline")
    assert pdf.content.startswith(b"%PDF")
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    other = recipient_client.get("/factures/")
    assert other["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_pdf_of_an_invoice_without_document_is_404(recipient_client, mirror):
    assert recipient_client.get(f"/factures/{mirror[0].pk}/document/pdf/").status_code == 404


def test_attachments_are_downloaded_one_by_one(recipient_client, mirror, fake_factpulse):
    invoice = mirror[0]
    fake_factpulse.document = _zip({"facture.pdf": b"%PDF-1.4 x", "bon-de-commande.txt": b"BC 42"})
    recipient_client.post(f"/factures/{invoice.pk}/document/")
    html = recipient_client.get(f"/factures/{invoice.pk}/").content.decode()
    links = {
        name: url
        for url, name in re.findall(r'<a href="(/factures/\d+/document/piece/\d+/)" download>([^<]+)</a>', html)
    }
    assert "bon-de-commande.txt" in links
    response = recipient_client.get(links["bon-de-commande.txt"])
    assert response.status_code == 200 and response.content == b"BC 42"
    assert response["Content-Disposition"].startswith("attachment")
    assert recipient_client.get(f"/factures/{invoice.pk}/document/piece/99/").status_code == 404


def test_another_connections_attachment_is_not_served(client, mirror, fake_factpulse, connection):
    from tests.factories import MembershipFactory, UserFactory

    stranger = UserFactory(username="ailleurs")
    MembershipFactory(user=stranger, role="recipient")
    client.force_login(stranger)
    assert client.get(f"/factures/{mirror[0].pk}/document/pdf/").status_code == 404


def test_attachment_embedded_in_the_xml_is_downloaded_on_its_own(recipient_client, mirror, fake_factpulse):
    from tests.invoices.test_facturx import ATTACHED_REPORT, cii_xml

    invoice = mirror[0]
    fake_factpulse.document = _zip({"facture.xml": cii_xml(), "planning.csv": b"semaine;tache"})
    recipient_client.post(f"/factures/{invoice.pk}/document/")
    html = recipient_client.get(f"/factures/{invoice.pk}/").content.decode()
    pattern = r'<a href="(/factures/\d+/document/piece/\d+/)" download>([^<]+)</a>'
    links = {name: url for url, name in re.findall(pattern, html)}
    assert set(links) == {"planning.csv", "pv-recette.pdf"}
    report = recipient_client.get(links["pv-recette.pdf"])
    assert report.status_code == 200 and report.content == ATTACHED_REPORT
    assert report["Content-Type"] == "application/pdf"
    assert recipient_client.get(links["planning.csv"]).content == b"semaine;tache"


def test_a_file_named_pdf_that_is_not_one_is_never_shown_inline(recipient_client, mirror, fake_factpulse):
    invoice = mirror[0]
    fake_factpulse.document = _zip({"facture.pdf": b"<html><script>alert(1)</script></html>"})
    recipient_client.post(f"/factures/{invoice.pk}/document/")
    assert recipient_client.get(f"/factures/{invoice.pk}/document/pdf/").status_code == 404
