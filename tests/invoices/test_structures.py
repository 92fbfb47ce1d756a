"""The recipient structure is visible and filterable, and the tab counts follow it."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from chorusweb import lifecycle as lc
from invoices.selectors import InvoiceFilters, invoice_list, list_facets
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}
COMMUNE, CCAS = "21730001500018", "26730001500011"


@pytest.fixture
def two_structures(connection):
    def invoice(number, code, name, status=lc.MISE_A_DISPOSITION, service="FIN", service_name="Finances"):
        return ReceivedInvoiceFactory(
            connection=connection,
            invoice_number=number,
            recipient_code=code,
            recipient_name=name,
            status=status,
            service_code=service,
            service_name=service_name,
        )

    invoice("C/2026/1", COMMUNE, "Commune de Belleville")
    invoice("C/2026/2", COMMUNE, "Commune de Belleville", status=lc.SUSPENDUE)
    invoice("S/2026/1", CCAS, "CCAS de Belleville", service="SOC", service_name="Action sociale")
    invoice("S/2026/2", CCAS, "CCAS de Belleville", service="SOC", service_name="Action sociale")
    invoice("S/2026/3", CCAS, "CCAS de Belleville", status=lc.SUSPENDUE, service="SOC", service_name="Action sociale")


def test_destinataire_column_shows_structure_with_service_under_it(recipient_client, two_structures):
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert ">Destinataire</a></th>" in html
    assert 'CCAS de Belleville<br><span class="muted">SOC Action sociale</span>' in html


def test_structure_filter_offers_each_structure_and_filters(recipient_client, two_structures):
    html = recipient_client.get("/factures/").content.decode()
    assert f'<option value="{CCAS}">CCAS de Belleville ({CCAS})</option>' in html
    assert f'<option value="{COMMUNE}">Commune de Belleville ({COMMUNE})</option>' in html
    html = recipient_client.get(f"/factures/?onglet=toutes&structure={CCAS}", **HTMX).content.decode()
    assert "S/2026/1" in html and "S/2026/3" in html and "C/2026/1" not in html


def test_tab_counts_follow_the_structure_filter(recipient, two_structures):
    every = {t.tab.slug: t.count for t in invoice_list(user=recipient, filters=InvoiceFilters()).tabs}
    assert (every["a-traiter"], every["suspendues"], every["toutes"]) == (3, 2, 5)
    ccas = invoice_list(user=recipient, filters=InvoiceFilters(structure=CCAS))
    counts = {t.tab.slug: t.count for t in ccas.tabs}
    assert (counts["a-traiter"], counts["suspendues"], counts["toutes"]) == (2, 1, 3)
    assert ccas.total_count == 2
    # Under another filter too (counted from the mirror, not the counters): the same figures.
    narrowed = invoice_list(user=recipient, filters=InvoiceFilters(structure=CCAS, number="S/2026"))
    assert {t.tab.slug: t.count for t in narrowed.tabs}["suspendues"] == 1


def test_structure_counts_come_from_the_counters_in_constant_queries(recipient, two_structures):
    with CaptureQueriesContext(db_connection) as plain:
        invoice_list(user=recipient, filters=InvoiceFilters())
    with CaptureQueriesContext(db_connection) as filtered:
        invoice_list(user=recipient, filters=InvoiceFilters(structure=CCAS))
    assert len(filtered.captured_queries) <= len(plain.captured_queries)
    # The counts per status are read from the counters, not by grouping the invoices.
    grouped = [q["sql"] for q in filtered.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped and all("invoices_queuestat" in sql for sql in grouped)


def test_facets_read_services_and_structures_at_once(recipient, two_structures):
    with CaptureQueriesContext(db_connection) as ctx:
        codes, structures = list_facets(user=recipient)
    assert codes == ["FIN", "SOC"]
    assert [(s.code, s.name) for s in structures] == [(CCAS, "CCAS de Belleville"), (COMMUNE, "Commune de Belleville")]
    assert len([q for q in ctx.captured_queries if "queuestat" in q["sql"]]) == 1


def test_a_structure_of_someone_else_is_not_offered(client, two_structures):
    from chorusweb.models import Role
    from tests.factories import ConnectionFactory, MembershipFactory, UserFactory

    other = UserFactory()
    MembershipFactory(user=other, connection=ConnectionFactory(), role=Role.RECIPIENT)
    assert list_facets(user=other) == ([], [])
