"""The list's rows written in Python are the markup the template wrote, value for value."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation

from invoices.rows import rows_html

#: The rows as the list's template wrote them before invoices/rows.py (kept as the reference).
TEMPLATE_ROWS = (Path(__file__).parent / "reference_rows.html").read_text()


def _row(**overrides) -> dict:
    row = {
        "id": 12,
        "invoice_id": 900012,
        "invoice_number": "F-2026-001",
        "invoice_type": "FACTURE",
        "supplier_name": "Bâtir Ensemble",
        "supplier_code": "12345678900011",
        "recipient_name": "Commune de Saint-Aubin",
        "recipient_code": "21000000000011",
        "service_code": "FIN",
        "service_name": "Finances",
        "invoice_date": date(2026, 3, 5),
        "deposit_date": date(2026, 3, 9),
        "status": "MISE_A_DISPOSITION",
        "net_excl_tax": Decimal("1000.00"),
        "net_incl_tax": Decimal("1200.50"),
        "currency": "EUR",
        "downloaded": False,
        "clock_label": "J-5",
        "clock_severity": "soon",
        "clock_due": date(2026, 4, 8),
    }
    row.update(overrides)
    return row


ROWS = [
    _row(),
    _row(id=13, invoice_type="AVOIR", net_excl_tax=Decimal("-10.42"), net_incl_tax=Decimal("-12.50"), downloaded=True),
    _row(id=14, invoice_number="", supplier_name='<script>alert("x")</script> & fils', supplier_code="'\"<>"),
    _row(id=15, recipient_name="", service_code="", service_name="", clock_label="", clock_due=None),
    _row(id=16, status="STATUT_INCONNU", clock_label="Suspendu", clock_severity="paused", clock_due=None),
    _row(id=17, recipient_name="", recipient_code="", invoice_date=None, currency="USD"),
]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_rows_are_the_markup_the_template_wrote(language):
    template = engines["django"].from_string(TEMPLATE_ROWS)
    with translation.override(language):
        expected = template.render({"rows": ROWS, "selected": {13, 16}})
        written = rows_html(ROWS, selected={13, 16})

    def rows(html: str) -> list[str]:
        """One string per row, the whitespace between tags (template indentation) left out."""
        return ["<tr>" + row for row in re.sub(r">\s+<", "><", html.strip()).split("<tr>")[1:]]

    assert len(rows(written)) == len(ROWS)
    assert rows(written) == rows(expected)
    assert "<script>" not in written and "&lt;script&gt;" in written
