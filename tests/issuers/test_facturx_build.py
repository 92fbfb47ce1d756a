"""The Factur-X built from typed lines: Decimal totals, and XML valid at EN 16931 level."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree

from issuers.facturx_build import InvoiceDraft, Line, Party, build_cii_xml, build_facturx, compute_totals


def _draft(*lines: Line) -> InvoiceDraft:
    return InvoiceDraft(
        number="EM-2026-042",
        invoice_date=date(2026, 11, 30),
        due_date=date(2026, 12, 30),
        seller=Party("Commune de Saint-Égrève", "21380382000012"),
        buyer=Party("Syndicat intercommunal des eaux", "25380123400017"),
        lines=lines,
        service_code="EAU",
        engagement_number="EJ-2026-7",
        note="Refacturation des repas scolaires",
    )


def test_totals_are_decimal_per_rate_and_add_up():
    totals = compute_totals(
        [
            Line("Repas", Decimal("120"), Decimal("4.355"), Decimal("5.5")),
            Line("Transport", Decimal("1"), Decimal("99.99"), Decimal("20")),
            Line("Frais postaux", Decimal("2"), Decimal("1.50"), Decimal("0")),
        ]
    )
    assert totals.by_rate == (
        (Decimal("0"), Decimal("3.00"), Decimal("0.00")),
        (Decimal("5.5"), Decimal("522.60"), Decimal("28.74")),
        (Decimal("20"), Decimal("99.99"), Decimal("20.00")),
    )
    assert (totals.net, totals.vat, totals.gross) == (Decimal("625.59"), Decimal("48.74"), Decimal("674.33"))
    assert totals.net + totals.vat == totals.gross


def test_generated_facturx_passes_the_en16931_xsd():
    draft = _draft(
        Line("Repas scolaires", Decimal("120"), Decimal("4.35"), Decimal("5.5")),
        Line("Transport", Decimal("1"), Decimal("120.00"), Decimal("20")),
        Line("Frais postaux", Decimal("2"), Decimal("1.50"), Decimal("0")),
    )
    pdf = build_facturx(draft)
    assert pdf.startswith(b"%PDF")
    _name, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert root.findtext(".//ram:GrandTotalAmount", namespaces=ns) == str(draft.totals.gross)
    assert root.findtext(".//ram:BuyerReference", namespaces=ns) == "EAU"


def test_a_broken_xml_is_refused_by_the_check():
    xml = build_cii_xml(_draft(Line("Repas", Decimal("1"), Decimal("1"), Decimal("20"))))
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    with pytest.raises(Exception):  # noqa: B017 (facturx raises its own error or lxml's)
        xml_check_xsd(broken, flavor="factur-x", level="en16931")
