"""The list's rows written in Python are the markup the template wrote, value for value."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from invoices.rows import rows_html

#: The rows as the list's template wrote them before invoices/rows.py (kept as the reference).
TEMPLATE_ROWS = """{% load i18n chorusweb %}
      {% translate "Numéro" as l_number %}{% translate "Fournisseur" as l_supplier %}{% translate "Destinataire" as l_recipient %}{% translate "Date" as l_date %}{% translate "Dépôt" as l_deposit %}{% translate "Statut" as l_status %}{% translate "HT" as l_ht %}{% translate "TTC" as l_ttc %}{% translate "Délai" as l_clock %}{% translate "Téléchargée" as l_downloaded %}
      <tbody>
        {% url 'status_glossary' as glossary_url %}
        {% for row in rows %}
        <tr>
          <td><input type="checkbox" name="ids" value="{{ row.id }}"{% if row.id in selected %} checked{% endif %} aria-label="{% blocktranslate with n=row.invoice_number %}Sélectionner la facture {{ n }}{% endblocktranslate %}"></td>
          <td class="card-title" data-label="{{ l_number }}"><a href="{% url 'invoices:detail' row.id %}">{{ row.invoice_number|default:row.invoice_id }}</a>{% if row.invoice_type == "AVOIR" %} <span class="badge badge--final">{% translate "Avoir" %}</span>{% endif %}</td>
          <td data-label="{{ l_supplier }}">{{ row.supplier_name }}<br><span class="muted">{{ row.supplier_code }}</span></td>
          <td data-label="{{ l_recipient }}">{{ row.recipient_name|default:row.recipient_code|default:"—" }}<br><span class="muted">{{ row.service_code|default:"—" }}{% if row.service_name %} {{ row.service_name }}{% endif %}</span></td>
          <td class="nowrap" data-label="{{ l_date }}">{{ row.invoice_date|date:"SHORT_DATE_FORMAT" }}</td>
          <td class="nowrap" data-label="{{ l_deposit }}">{{ row.deposit_date|date:"SHORT_DATE_FORMAT" }}</td>
          <td data-label="{{ l_status }}"><a class="badge badge--{{ row.status|status_class }}" href="{{ glossary_url }}#{{ row.status|status_anchor }}">{{ row.status|status_label }}</a></td>
          <td class="num" data-label="{{ l_ht }}">{{ row.net_excl_tax|money:row.currency }}</td>
          <td class="num" data-label="{{ l_ttc }}">{{ row.net_incl_tax|money:row.currency }}</td>
          <td class="nowrap" data-label="{{ l_clock }}">{% if row.clock_label %}<span class="clock clock--{{ row.clock_severity }}"{% if row.clock_due %} title="{% translate 'Échéance' %} {{ row.clock_due|date:'SHORT_DATE_FORMAT' }}"{% endif %}>{{ row.clock_label }}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
          <td data-label="{{ l_downloaded }}">{% if row.downloaded %}{% translate "oui" %}{% else %}<span class="muted">{% translate "non" %}</span>{% endif %}</td>
        </tr>
        {% endfor %}
"""


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
