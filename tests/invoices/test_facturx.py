"""invoices.facturx: reading Factur-X PDFs, CII XMLs and ZIPs, comparing totals, JSON round trip."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from facturx import generate_from_binary, xml_check_xsd
from lxml import etree
from pypdf import PdfWriter

from invoices.facturx import (
    Attachment,
    DocumentContent,
    DocumentKind,
    InvoiceLine,
    Party,
    compare_totals,
    read_document,
)

ATTACHED_REPORT = b"%PDF-1.4 not a real report, only bytes to embed\n" * 10
ATTACHED_QUOTE = b"Devis n 2026-17 : 2 355,00 EUR HT\n"
ZIP_SHEET = b"planning;semaine\n" * 500


def cii_xml(
    *,
    number: str = "FA-2026-0042",
    type_code: str = "380",
    sign: str = "",
    guideline: str = "urn:cen.eu:en16931:2017",
    seller_name: str = "Conseil &amp; Logiciels SARL",
    doctype: str = "",
) -> bytes:
    """A CII XML invoice, EN 16931 profile: 3 lines, 20 % and 5,5 % VAT, references, notes, terms."""
    s = sign
    report = base64.b64encode(ATTACHED_REPORT).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID>
    </ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{guideline}</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260315</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Prestations du premier trimestre 2026.</ram:Content>
      <ram:SubjectCode>AAI</ram:SubjectCode></ram:IncludedNote>
    <ram:IncludedNote><ram:Content>Pénalités de retard : 3 fois le taux d'intérêt légal.</ram:Content>
      <ram:SubjectCode>PMD</ram:SubjectCode></ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID>
        <ram:IncludedNote><ram:Content>Atelier du 12 mars</ram:Content></ram:IncludedNote>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:SellerAssignedID>CONS-01</ram:SellerAssignedID>
        <ram:Name>Prestation de conseil</ram:Name><ram:Description>Conseil en urbanisme</ram:Description>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>450.00</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="HUR">{s}2</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{s}900.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>2</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Licence logicielle annuelle</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:BuyerOrderReferencedDocument><ram:LineID>7</ram:LineID></ram:BuyerOrderReferencedDocument>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>1200.00</ram:ChargeAmount>
          <ram:BasisQuantity unitCode="C62">1</ram:BasisQuantity></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{s}1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{s}1200.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>3</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Ouvrages documentaires</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>25.50</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{s}10</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>5.50</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{s}255.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>SERV-FIN-01</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{seller_name}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">12345678900017</ram:ID>
          <ram:TradingBusinessName>C&amp;L Conseil</ram:TradingBusinessName></ram:SpecifiedLegalOrganization>
        <ram:DefinedTradeContact><ram:PersonName>Claire Martin</ram:PersonName>
          <ram:TelephoneUniversalCommunication><ram:CompleteNumber>+33 4 72 00 00 00</ram:CompleteNumber>
          </ram:TelephoneUniversalCommunication>
          <ram:EmailURIUniversalCommunication><ram:URIID>claire@cl.example</ram:URIID>
          </ram:EmailURIUniversalCommunication>
        </ram:DefinedTradeContact>
        <ram:PostalTradeAddress><ram:PostcodeCode>69002</ram:PostcodeCode>
          <ram:LineOne>12 rue de la République</ram:LineOne><ram:LineTwo>Bâtiment B</ram:LineTwo>
          <ram:CityName>Lyon</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="EM">factu@cl.example</ram:URIID>
        </ram:URIUniversalCommunication>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR32123456789</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Commune de Villeneuve</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">216901234</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:PostcodeCode>69120</ram:PostcodeCode>
          <ram:LineOne>Place de la Mairie</ram:LineOne>
          <ram:CityName>Villeneuve</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="0009">21690123400019</ram:URIID>
        </ram:URIUniversalCommunication>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>EJ-2026-000123</ram:IssuerAssignedID>
      </ram:BuyerOrderReferencedDocument>
      <ram:ContractReferencedDocument><ram:IssuerAssignedID>MARCHE-2025-07</ram:IssuerAssignedID>
      </ram:ContractReferencedDocument>
      <ram:AdditionalReferencedDocument><ram:IssuerAssignedID>PV-12</ram:IssuerAssignedID>
        <ram:TypeCode>916</ram:TypeCode><ram:Name>Procès-verbal de recette</ram:Name>
        <ram:AttachmentBinaryObject mimeCode="application/pdf" filename="pv-recette.pdf"
          >{report}</ram:AttachmentBinaryObject>
      </ram:AdditionalReferencedDocument>
      <ram:SpecifiedProcuringProject><ram:ID>PRJ-42</ram:ID><ram:Name>Refonte du site</ram:Name>
      </ram:SpecifiedProcuringProject>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>
        <udt:DateTimeString format="102">20260310</udt:DateTimeString>
      </ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:PaymentReference>{number}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>
        <ram:Information>Virement SEPA</ram:Information>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID>
          <ram:AccountName>C&amp;L Conseil</ram:AccountName></ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>AGRIFRPP</ram:BICID>
        </ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{s}420.00</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{s}2100.00</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>72</ram:DueDateTypeCode>
        <ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{s}14.03</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{s}255.00</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>72</ram:DueDateTypeCode>
        <ram:RateApplicablePercent>5.50</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>Paiement à 30 jours par virement.</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20260414</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{s}2355.00</ram:LineTotalAmount>
        <ram:ChargeTotalAmount>0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount>0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount>{s}2355.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{s}434.03</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{s}2789.03</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>100.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>{s}2689.03</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def blank_pdf() -> bytes:
    """A minimal valid one-page PDF (pypdf comes with factur-x)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def xml_bytes() -> bytes:
    return cii_xml()


@pytest.fixture(scope="module")
def facturx_pdf(xml_bytes) -> bytes:
    """A real Factur-X PDF (the XML is checked against the EN 16931 XSD by factur-x)."""
    return generate_from_binary(
        blank_pdf(),
        xml_bytes,
        lang="fr-FR",
        attachments={"devis.txt": {"filedata": ATTACHED_QUOTE, "description": "Devis signé"}},
    )


@pytest.fixture(scope="module")
def invoice_zip(facturx_pdf, xml_bytes) -> bytes:
    return make_zip(
        {
            "FA-2026-0042.pdf": facturx_pdf,
            "FA-2026-0042.xml": xml_bytes,
            "annexes/planning.csv": ZIP_SHEET,
            "annexes/bon-de-livraison.pdf": blank_pdf(),
        }
    )


def assert_invoice(content: DocumentContent) -> None:
    """Every field of the reference invoice built by cii_xml()."""
    assert content.profile == "en16931"
    assert content.profile_label == "EN 16931"
    assert content.guideline_id == "urn:cen.eu:en16931:2017"
    assert content.business_process == "A1"
    assert content.invoice_number == "FA-2026-0042"
    assert content.type_code == "380"
    assert content.type_label == "Facture"
    assert not content.is_credit_note
    assert content.issue_date == date(2026, 3, 15)
    assert content.delivery_date == date(2026, 3, 10)
    assert content.currency == "EUR"

    assert content.seller == Party(
        name="Conseil & Logiciels SARL",
        trading_name="C&L Conseil",
        siret="12345678900017",
        siren="123456789",
        legal_id="12345678900017",
        legal_id_scheme="0009",
        vat_id="FR32123456789",
        electronic_address="factu@cl.example",
        electronic_address_scheme="EM",
        address_lines=("12 rue de la République", "Bâtiment B"),
        postcode="69002",
        city="Lyon",
        country="FR",
        contact_name="Claire Martin",
        contact_email="claire@cl.example",
        contact_phone="+33 4 72 00 00 00",
    )
    buyer = content.buyer
    assert (buyer.name, buyer.siren, buyer.siret, buyer.legal_id_scheme) == (
        "Commune de Villeneuve",
        "216901234",
        "",
        "0002",
    )
    assert (buyer.electronic_address, buyer.electronic_address_scheme) == ("21690123400019", "0009")
    assert buyer.address_lines == ("Place de la Mairie",)
    assert buyer.city_line == "69120 Villeneuve"

    refs = content.references
    assert refs.buyer_reference == refs.service_code == "SERV-FIN-01"
    assert refs.order_reference == refs.engagement == "EJ-2026-000123"
    assert refs.contract_reference == "MARCHE-2025-07"
    assert (refs.project_reference, refs.project_name) == ("PRJ-42", "Refonte du site")
    assert refs.payment_reference == "FA-2026-0042"
    assert refs.preceding_invoice == ""

    assert content.lines == (
        InvoiceLine(
            line_id="1",
            name="Prestation de conseil",
            description="Conseil en urbanisme",
            note="Atelier du 12 mars",
            seller_item_id="CONS-01",
            quantity=Decimal("2"),
            unit_code="HUR",
            net_unit_price=Decimal("450.00"),
            line_total=Decimal("900.00"),
            vat_category="S",
            vat_rate=Decimal("20.00"),
        ),
        InvoiceLine(
            line_id="2",
            name="Licence logicielle annuelle",
            quantity=Decimal("1"),
            unit_code="C62",
            net_unit_price=Decimal("1200.00"),
            price_basis_quantity=Decimal("1"),
            line_total=Decimal("1200.00"),
            vat_category="S",
            vat_rate=Decimal("20.00"),
            order_line_reference="7",
        ),
        InvoiceLine(
            line_id="3",
            name="Ouvrages documentaires",
            quantity=Decimal("10"),
            unit_code="C62",
            net_unit_price=Decimal("25.50"),
            line_total=Decimal("255.00"),
            vat_category="S",
            vat_rate=Decimal("5.50"),
        ),
    )
    assert content.lines[0].unit_label == "heure"

    assert [(v.category, v.rate, v.basis, v.tax_amount) for v in content.vat_breakdown] == [
        ("S", Decimal("20.00"), Decimal("2100.00"), Decimal("420.00")),
        ("S", Decimal("5.50"), Decimal("255.00"), Decimal("14.03")),
    ]
    assert content.vat_breakdown[0].category_label == "Taux normal"

    totals = content.totals
    assert totals.line_total == Decimal("2355.00")
    assert (totals.allowance_total, totals.charge_total) == (Decimal("0.00"), Decimal("0.00"))
    assert totals.tax_basis_total == Decimal("2355.00")
    assert (totals.tax_total, totals.tax_total_currency) == (Decimal("434.03"), "EUR")
    assert totals.grand_total == Decimal("2789.03")
    assert totals.prepaid == Decimal("100.00")
    assert totals.due_payable == Decimal("2689.03")
    assert all(isinstance(v, Decimal) for v in (totals.line_total, totals.grand_total))

    (terms,) = content.payment_terms
    assert (terms.description, terms.due_date) == ("Paiement à 30 jours par virement.", date(2026, 4, 14))
    (means,) = content.payment_means
    assert (means.type_code, means.label, means.information) == ("58", "Virement SEPA", "Virement SEPA")
    assert (means.iban, means.bic, means.account_name) == (
        "FR7630006000011234567890189",
        "AGRIFRPP",
        "C&L Conseil",
    )

    assert [(n.subject_code, n.content) for n in content.notes] == [
        ("AAI", "Prestations du premier trimestre 2026."),
        ("PMD", "Pénalités de retard : 3 fois le taux d'intérêt légal."),
    ]
    assert (
        Attachment(
            name="pv-recette.pdf",
            size=len(ATTACHED_REPORT),
            source="xml",
            mime_type="application/pdf",
            description="Procès-verbal de recette",
            reference_id="PV-12",
            type_code="916",
        )
        in content.attachments
    )


# --------------------------------------------------------------------------- reading


def test_reads_every_field_of_a_bare_cii_xml(xml_bytes):
    xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")  # the fixture is a valid EN 16931 CII
    content = read_document(xml_bytes, filename_hint="facture.xml")
    assert content.kind is DocumentKind.XML
    assert content.filename == "facture.xml"
    assert content.errors == ()
    assert content.has_invoice_data
    assert_invoice(content)


def test_reads_every_field_of_a_facturx_pdf(facturx_pdf):
    assert facturx_pdf.startswith(b"%PDF")
    content = read_document(facturx_pdf)
    assert content.kind is DocumentKind.PDF
    assert content.xml_filename == "factur-x.xml"
    assert content.errors == ()
    assert_invoice(content)
    # The other file embedded in the PDF is an attachment; the Factur-X XML itself is not.
    assert Attachment(
        name="devis.txt",
        size=len(ATTACHED_QUOTE),
        source="pdf",
        mime_type="text/plain",
        description="Devis signé",
    ) in (content.attachments)
    assert [a.name for a in content.attachments if a.source == "pdf"] == ["devis.txt"]


def test_reads_a_zip_preferring_the_pdf_and_listing_the_other_members(invoice_zip, tmp_path):
    path = tmp_path / "facture.zip"
    path.write_bytes(invoice_zip)
    content = read_document(path)
    assert content.kind is DocumentKind.ZIP
    assert content.filename == "facture.zip"
    assert content.errors == ()
    assert (content.pdf_filename, content.xml_filename) == ("FA-2026-0042.pdf", "factur-x.xml")
    assert_invoice(content)
    zip_members = {a.name: a.size for a in content.attachments if a.source == "zip"}
    assert zip_members == {
        "annexes/planning.csv": len(ZIP_SHEET),
        "annexes/bon-de-livraison.pdf": len(blank_pdf()),
    }
    assert {a.name for a in content.attachments if a.source == "pdf"} == {"devis.txt"}


def test_zip_with_only_a_cii_xml(xml_bytes):
    content = read_document(make_zip({"facture.xml": xml_bytes, "notice.txt": b"bonjour"}))
    assert content.kind is DocumentKind.ZIP
    assert (content.xml_filename, content.pdf_filename) == ("facture.xml", "")
    assert content.errors == ()
    assert_invoice(content)
    assert [(a.name, a.size, a.source) for a in content.attachments if a.source == "zip"] == [("notice.txt", 7, "zip")]


def test_zip_never_reads_a_large_member_it_only_lists(facturx_pdf, monkeypatch):
    big = 6 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("video-reunion.mp4", b"\0" * big)
        archive.writestr("rapport-annuel.pdf", b"%PDF-1.7\n" + b"\0" * big)  # too big for an invoice PDF
        archive.writestr("facture.pdf", facturx_pdf)
    opened: list[str] = []
    original_open = zipfile.ZipFile.open

    def spy_open(self, name, *args, **kwargs):
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy_open)
    monkeypatch.setattr("invoices.facturx.containers.MAX_PDF_MEMBER_SIZE", 1024 * 1024)
    content = read_document(buffer.getvalue())
    assert opened == ["facture.pdf"]
    assert content.invoice_number == "FA-2026-0042"
    assert content.errors == ()
    sizes = {a.name: a.size for a in content.attachments if a.source == "zip"}
    assert sizes == {"video-reunion.mp4": big, "rapport-annuel.pdf": big + 9}


def test_path_and_file_object_inputs(xml_bytes, tmp_path):
    path = tmp_path / "FA-2026-0042.xml"
    path.write_bytes(xml_bytes)
    assert read_document(str(path)).invoice_number == "FA-2026-0042"
    with path.open("rb") as handle:
        content = read_document(handle, filename_hint="x.xml")
    assert (content.invoice_number, content.filename) == ("FA-2026-0042", "x.xml")
    missing = read_document(tmp_path / "absent.pdf")
    assert missing.kind is DocumentKind.UNKNOWN
    assert missing.errors[0].startswith("Impossible d'ouvrir le document")
    with pytest.raises(TypeError):
        read_document(42)  # type: ignore[arg-type]


def test_namespace_prefixes_do_not_matter(xml_bytes):
    renamed = (
        xml_bytes.replace(b"rsm:", b"inv:")
        .replace(b"xmlns:rsm=", b"xmlns:inv=")
        .replace(b"ram:", b"r:")
        .replace(b"xmlns:ram=", b"xmlns:r=")
        .replace(b"udt:", b"u:")
        .replace(b"xmlns:udt=", b"xmlns:u=")
    )
    assert b"ram:" not in renamed
    content = read_document(renamed)
    assert content.errors == ()
    assert_invoice(content)


def test_missing_optional_elements_and_iso_dates():
    xml = b"""<?xml version="1.0"?>
    <CrossIndustryInvoice xmlns="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
      xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
      <ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
        <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
      </ExchangedDocumentContext>
      <ExchangedDocument><ram:ID>M-1</ram:ID><ram:TypeCode>380</ram:TypeCode>
        <ram:IssueDateTime><DateTimeString format="102">2026-01-31</DateTimeString></ram:IssueDateTime>
      </ExchangedDocument>
      <SupplyChainTradeTransaction>
        <ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Vendeur</ram:Name>
        </ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>
        <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
          <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
            <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
            <ram:TaxTotalAmount currencyID="USD">21.00</ram:TaxTotalAmount>
            <ram:TaxTotalAmount currencyID="EUR">20.00</ram:TaxTotalAmount>
            <ram:GrandTotalAmount>120.00</ram:GrandTotalAmount>
            <ram:DuePayableAmount>120.00</ram:DuePayableAmount>
          </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        </ram:ApplicableHeaderTradeSettlement>
      </SupplyChainTradeTransaction>
    </CrossIndustryInvoice>"""
    content = read_document(xml)
    assert content.errors == ()
    assert (content.profile, content.invoice_number, content.issue_date) == (
        "minimum",
        "M-1",
        date(2026, 1, 31),
    )
    assert content.seller.name == "Vendeur"
    assert content.buyer.is_empty
    assert content.lines == () and content.vat_breakdown == () and content.payment_terms == ()
    assert (content.totals.tax_total, content.totals.tax_total_currency) == (Decimal("20.00"), "EUR")
    assert content.totals.line_total is None


def test_unreadable_values_are_reported_not_raised(xml_bytes):
    broken = xml_bytes.replace(b"20260315", b"2026-13-45").replace(b"2789.03", b"deux mille")
    content = read_document(broken)
    assert content.issue_date is None
    assert content.totals.grand_total is None
    assert "Date illisible dans IssueDateTime : « 2026-13-45 »." in content.errors
    assert "Montant illisible dans GrandTotalAmount : « deux mille »." in content.errors
    assert content.invoice_number == "FA-2026-0042"


@pytest.mark.parametrize(
    ("urn", "profile"),
    [
        ("urn:factur-x.eu:1p0:minimum", "minimum"),
        ("urn:factur-x.eu:1p0:basicwl", "basicwl"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017", "en16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
        ("urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr", "extended-ctc-fr"),
        ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "en16931"),
        ("urn:example:autre", ""),
    ],
)
def test_profile_from_guideline(urn, profile):
    assert read_document(cii_xml(guideline=urn)).profile == profile


def test_credit_note_with_negative_amounts(xml_bytes):
    content = read_document(cii_xml(number="AV-2026-0003", type_code="381", sign="-"))
    assert (content.type_code, content.type_label, content.is_credit_note) == ("381", "Avoir", True)
    assert content.totals.grand_total == Decimal("-2789.03")
    assert content.lines[0].quantity == Decimal("-2")
    assert content.vat_breakdown[1].tax_amount == Decimal("-14.03")
    # Chorus Pro reports credit note amounts as positive: the sign convention is not a mismatch.
    assert compare_totals(content, total_excl_tax="2355.00", total_incl_tax="2789.03", vat_amount="434.03") == []
    assert compare_totals(content, total_excl_tax="-2355.00", total_incl_tax="-2789.03") == []
    assert read_document(cii_xml(type_code="381")).is_credit_note  # positive amounts too


# --------------------------------------------------------------------------- bad documents


def test_pdf_without_facturx_xml():
    content = read_document(blank_pdf(), filename_hint="scan.pdf")
    assert content.kind is DocumentKind.PDF
    assert content.errors == ("Ce PDF ne contient pas de XML Factur-X.",)
    assert not content.has_invoice_data
    assert content.invoice_number == ""
    assert compare_totals(content, total_excl_tax=Decimal(1), total_incl_tax=Decimal(1)) == []


def test_xml_that_is_not_cii():
    ubl = b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    content = read_document(ubl)
    assert content.kind is DocumentKind.XML
    assert content.errors == ("Ce XML n'est pas une facture CII (Factur-X) : élément racine « Invoice ».",)
    assert not content.has_invoice_data


@pytest.mark.parametrize(
    ("data", "kind", "error_start"),
    [
        (b"%PDF-1.7\n1 0 obj garbage", DocumentKind.PDF, "PDF illisible"),
        (b"<?xml version='1.0'?><CrossIndustryInvoice><unclosed>", DocumentKind.XML, "XML mal formé"),
        (b"PK\x03\x04 truncated archive", DocumentKind.ZIP, "Archive ZIP illisible"),
        (b"\x89PNG\r\n\x1a\n image", DocumentKind.UNKNOWN, "Format de document non reconnu"),
        (b"", DocumentKind.UNKNOWN, "Le document est vide."),
    ],
)
def test_corrupted_documents_give_a_french_error(data, kind, error_start):
    content = read_document(data)
    assert content.kind is kind
    assert content.errors
    assert content.errors[0].startswith(error_start)


def test_zip_without_invoice():
    content = read_document(make_zip({"photo.jpg": b"\xff\xd8", "scan.pdf": blank_pdf()}))
    assert content.errors == ("Cette archive ZIP ne contient ni PDF Factur-X ni XML CII.",)
    assert {a.name for a in content.attachments} == {"photo.jpg", "scan.pdf"}


def test_xxe_is_neutralised(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-ROOT")
    doctype = f'\n<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    xml = cii_xml(seller_name="&xxe;", doctype=doctype)
    # The payload is live: a permissive parser would leak the file into the seller's name.
    permissive = etree.fromstring(xml, etree.XMLParser(resolve_entities=True, load_dtd=True))
    assert "MOT-DE-PASSE-ROOT" in etree.tostring(permissive, encoding="unicode")

    content = read_document(xml)
    assert "MOT-DE-PASSE-ROOT" not in json.dumps(content.to_dict())
    assert content.seller.name == ""
    assert "Le XML contient une déclaration DTD : ses entités n'ont pas été interprétées." in content.errors
    assert content.invoice_number == "FA-2026-0042"  # the rest is still read

    bomb = (
        '\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    assert read_document(cii_xml(seller_name="&lol3;", doctype=bomb)).seller.name == ""

    # Through a PDF: the embedded XML is refused, nothing leaks.
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    buffer = io.BytesIO()
    writer.write(buffer)
    from_pdf = read_document(buffer.getvalue())
    assert "MOT-DE-PASSE-ROOT" not in json.dumps(from_pdf.to_dict())
    assert from_pdf.errors


def test_encrypted_pdf():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    content = read_document(buffer.getvalue())
    assert content.errors == ("Ce PDF est chiffré : son XML Factur-X ne peut pas être lu.",)


# --------------------------------------------------------------------------- totals / JSON


def test_compare_totals_match_within_tolerance(xml_bytes):
    content = read_document(xml_bytes)
    assert compare_totals(content, total_excl_tax=Decimal("2355.00"), total_incl_tax=Decimal("2789.03")) == []
    assert (
        compare_totals(
            content, total_excl_tax=Decimal("2355.01"), total_incl_tax="2789.02", vat_amount=Decimal("434.03")
        )
        == []
    )


def test_compare_totals_mismatch(xml_bytes):
    content = read_document(xml_bytes)
    mismatches = compare_totals(
        content,
        total_excl_tax=Decimal("2355.00"),
        total_incl_tax=Decimal("2799.03"),
        vat_amount=Decimal("444.03"),
    )
    assert [(m.field, m.document_value, m.chorus_value) for m in mismatches] == [
        ("total_incl_tax", Decimal("2789.03"), Decimal("2799.03")),
        ("vat_amount", Decimal("434.03"), Decimal("444.03")),
    ]
    assert str(mismatches[0]) == (
        "Montant TTC : 2\u00a0789,03\u00a0€ dans le document, 2\u00a0799,03\u00a0€ dans Chorus Pro."
    )
    assert mismatches[1].label == "Montant de TVA"
    # A credit-note-only tolerance: an invoice whose sign differs is a mismatch.
    assert [m.field for m in compare_totals(content, total_excl_tax="-2355", total_incl_tax="2789.03")] == [
        "total_excl_tax"
    ]


def test_compare_totals_when_the_document_lacks_a_total(xml_bytes):
    content = read_document(xml_bytes.replace(b'<ram:TaxTotalAmount currencyID="EUR">434.03</ram:TaxTotalAmount>', b""))
    (mismatch,) = compare_totals(content, total_excl_tax="2355", total_incl_tax="2789.03", vat_amount="434.03")
    assert mismatch.document_value is None
    assert mismatch.message == "Montant de TVA absent du document (Chorus Pro : 434,03\u00a0€)."


def test_to_dict_from_dict_round_trip(invoice_zip):
    content = read_document(invoice_zip, filename_hint="facture.zip")
    data = content.to_dict()
    stored = json.loads(json.dumps(data))  # what a JSONField gives back
    assert stored["totals"]["grand_total"] == "2789.03"
    assert stored["issue_date"] == "2026-03-15"
    assert stored["kind"] == "zip"
    assert stored["lines"][2]["vat_rate"] == "5.50"
    restored = DocumentContent.from_dict(stored)
    assert restored == content
    assert restored.kind is DocumentKind.ZIP
    assert isinstance(restored.totals.grand_total, Decimal)
    assert isinstance(restored.payment_terms[0].due_date, date)
    assert_invoice(restored)


def test_from_dict_tolerates_missing_and_unknown_keys():
    restored = DocumentContent.from_dict({"kind": "pdf", "invoice_number": "X", "future_field": 1, "schema": 99})
    assert (restored.kind, restored.invoice_number, restored.lines) == (DocumentKind.PDF, "X", ())
    errors = DocumentContent(errors=("Ce PDF ne contient pas de XML Factur-X.",))
    assert DocumentContent.from_dict(errors.to_dict()) == errors
    with pytest.raises(ValueError):
        DocumentContent.from_dict({"totals": {"grand_total": "pas un montant"}})
