"""The received invoices list: full page, htmx partial, filters, sorting, tabs, totals, scoping."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chorusweb.models import Role, SyncRun, Workspace
from tests.factories import ConnectionFactory, MembershipFactory, ReceivedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def invoices(connection):
    today = timezone.localdate()
    return [
        ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="A-001",
            supplier_name="Boulangerie Martin",
            supplier_code="73282932000074",
            total_incl_tax=Decimal("120.00"),
            total_excl_tax=Decimal("100.00"),
            deposit_date=today - timedelta(days=1),
        ),
        ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="A-002",
            supplier_name="Travaux Durand",
            total_incl_tax=Decimal("2400.50"),
            total_excl_tax=Decimal("2000.42"),
            status="COMPLETEE",
            deposit_date=today - timedelta(days=2),
        ),
        ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="A-003",
            supplier_name="Papeterie Leroy",
            status="SUSPENDUE",
            total_incl_tax=Decimal("60.00"),
            deposit_date=today - timedelta(days=3),
        ),
        ReceivedInvoiceFactory(
            connection=connection,
            invoice_number="AV-004",
            supplier_name="Boulangerie Martin",
            invoice_type="AVOIR",
            status="MISE_EN_PAIEMENT",
            total_incl_tax=Decimal("-20.00"),
            deposit_date=today - timedelta(days=40),
        ),
    ]


def test_full_page_shows_queue_counts_and_totals(recipient_client, invoices):
    response = recipient_client.get("/factures/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<!DOCTYPE html>" in html
    assert "A-001" in html and "A-002" in html  # To process: MISE_A_DISPOSITION + COMPLETEE
    assert "A-003" not in html and "AV-004" not in html
    assert "2\u00a0520,50\u00a0€" in html  # total TTC of the queue, French format
    assert 'aria-current="page">À traiter <span class="count">2</span>' in html
    assert 'Toutes <span class="count">4</span>' in html


def test_htmx_request_gets_only_the_results_table(recipient_client, invoices):
    response = recipient_client.get("/factures/?onglet=suspendues", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<!DOCTYPE html>" not in html
    assert html.lstrip().startswith('<section id="results-table"')
    assert "A-003" in html and "A-001" not in html
    assert 'hx-swap-oob="true"' in html  # the hidden tab/sort inputs follow
    assert "HX-Request" in response["Vary"]


def test_filters_supplier_partial_and_siret(recipient_client, invoices):
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=boulang").content.decode()
    assert "A-001" in html and "AV-004" in html and "A-002" not in html
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=7328293").content.decode()
    assert "A-001" in html and "A-002" not in html


def test_filters_amounts_dates_credit_notes(recipient_client, invoices):
    html = recipient_client.get("/factures/?onglet=toutes&montant_min=100&montant_max=1000").content.decode()
    assert "A-001" in html and "A-002" not in html and "A-003" not in html
    html = recipient_client.get("/factures/?onglet=toutes&avoirs=on").content.decode()
    assert "AV-004" in html and "A-001" not in html
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    html = recipient_client.get(f"/factures/?onglet=toutes&depot_du={since}").content.decode()
    assert "AV-004" not in html and "A-003" in html


def test_invalid_filter_values_are_ignored_not_500(recipient_client, invoices):
    response = recipient_client.get("/factures/?onglet=nope&montant_min=abc&depot_du=2026-13-45&tri=x&page=zzz")
    assert response.status_code == 200
    assert "A-001" in response.content.decode()


def test_sort_by_amount_both_ways(recipient_client, invoices):
    html = recipient_client.get("/factures/?onglet=toutes&tri=ttc").content.decode()
    assert html.index("AV-004") < html.index("A-003") < html.index("A-001") < html.index("A-002")
    html = recipient_client.get("/factures/?onglet=toutes&tri=-ttc").content.decode()
    assert html.index("A-002") < html.index("A-001")


def test_pagination_50_rows(recipient_client, connection):
    for i in range(120):
        ReceivedInvoiceFactory(connection=connection, invoice_number=f"P-{i:04d}")
    html = recipient_client.get("/factures/").content.decode()
    assert html.count('name="ids"') == 50
    assert "Page 1 sur 3" in html
    html = recipient_client.get("/factures/?page=3").content.decode()
    assert html.count('name="ids"') == 20


def test_constant_query_count_whatever_the_page_size(recipient_client, connection, settings):
    for i in range(60):
        ReceivedInvoiceFactory(connection=connection, invoice_number=f"Q-{i:04d}")
    recipient_client.get("/factures/")  # warm the session
    counts = []
    for per_page in (5, 50):
        settings.CHORUSWEB_PAGE_SIZE = per_page
        with CaptureQueriesContext(db_connection) as ctx:
            assert recipient_client.get("/factures/?onglet=toutes").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # session, user, memberships, tab counts, page rows (and rows without a deposit date),
    # sync status (2), menu count, service codes to pick from, clock filter counts with the
    # running clocks' interest, paid invoices' interest
    assert counts[0] <= 12, [q["sql"] for q in ctx.captured_queries]


def test_scoping_other_connection_and_service(client, invoices):
    other = ConnectionFactory()
    foreign = ReceivedInvoiceFactory(connection=other, invoice_number="B-999")
    user = UserFactory()
    MembershipFactory(user=user, connection=invoices[0].connection, role=Role.RECIPIENT, service_codes=["RH"])
    ReceivedInvoiceFactory(connection=invoices[0].connection, invoice_number="RH-1", service_code="RH")
    client.force_login(user)
    html = client.get("/factures/?onglet=toutes").content.decode()
    assert "RH-1" in html
    assert "A-001" not in html and "B-999" not in html
    assert client.get(f"/factures/{foreign.pk}/").status_code == 404
    assert client.get(f"/factures/{invoices[0].pk}/").status_code == 404


def test_validator_only_cannot_open_received_list(client, connection):
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    client.force_login(user)
    assert client.get("/factures/").status_code == 403


def test_empty_state(recipient_client):
    html = recipient_client.get("/factures/").content.decode()
    assert "Aucune facture pour le moment." in html


def test_failed_sync_notice_keeps_list(recipient_client, invoices, connection):
    SyncRun.objects.create(
        connection=connection, workspace=Workspace.RECEIVED, state="succeeded", finished_at=timezone.now()
    )
    SyncRun.objects.create(
        connection=connection,
        workspace=Workspace.RECEIVED,
        state="failed",
        finished_at=timezone.now(),
        error="Chorus Pro ne répond pas.",
    )
    html = recipient_client.get("/factures/").content.decode()
    assert "La dernière synchronisation a échoué" in html
    assert "A-001" in html


def test_selection_survives_paging(recipient_client, connection):
    rows = [ReceivedInvoiceFactory(connection=connection, invoice_number=f"S-{i:03d}") for i in range(60)]
    page_ids = ",".join(str(r.pk) for r in rows[:50])
    recipient_client.post(
        "/factures/selection/", {"operation": "set", "ids": [rows[0].pk, rows[1].pk], "page_ids": page_ids}
    )
    recipient_client.post(
        "/factures/selection/",
        {"operation": "set", "ids": [rows[55].pk], "page_ids": ",".join(str(r.pk) for r in rows[50:])},
    )
    response = recipient_client.post(
        "/factures/selection/",
        {"operation": "set", "ids": [rows[0].pk], "page_ids": page_ids},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "2 factures sélectionnées" in html
    assert 'id="selection-bar"' in html
    # Newest first: rows[59..10] on page 1, rows[9..0] on page 2.
    page1 = recipient_client.get("/factures/").content.decode()
    page2 = recipient_client.get("/factures/?page=2").content.decode()
    assert f'value="{rows[55].pk}" checked' in page1
    assert f'value="{rows[0].pk}" checked' in page2
    assert f'value="{rows[1].pk}" checked' not in page2


def test_selection_ignores_invisible_invoices(recipient_client, invoices):
    foreign = ReceivedInvoiceFactory(connection=ConnectionFactory())
    recipient_client.post("/factures/selection/", {"operation": "add", "ids": [foreign.pk, invoices[0].pk]})
    assert recipient_client.session["invoices_selection"] == [invoices[0].pk]


def test_csv_export_all_pages_french_format(recipient_client, connection):
    for i in range(70):
        ReceivedInvoiceFactory(connection=connection, invoice_number=f"E-{i:03d}", total_incl_tax=Decimal("1234.5"))
    response = recipient_client.get("/factures/export.csv?onglet=a-traiter")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Numéro"
    assert len(rows) == 71
    assert rows[1][11] == "1234,50"
    assert "/" in rows[1][6]  # dd/mm/yyyy


def test_csv_export_neutralises_formulas_but_keeps_negative_amounts(recipient_client, connection):
    ReceivedInvoiceFactory(
        connection=connection,
        invoice_number="@SUM(A1:A9)",
        supplier_name='=HYPERLINK("http://evil.example","clic")',
        supplier_code="+33 1 23 45 67 89",
        service_code="\tSERVICE",
        recipient_name="-2+3",
        total_excl_tax=Decimal("-10.42"),
        total_incl_tax=Decimal("-12.50"),
    )
    response = recipient_client.get("/factures/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    row = next(csv.reader(io.StringIO(body.lstrip("\ufeff").split("\r\n", 1)[1]), delimiter=";"))
    assert row[0] == "'@SUM(A1:A9)"
    assert row[2] == '\'=HYPERLINK("http://evil.example","clic")'
    assert row[3] == "'+33 1 23 45 67 89"
    assert row[4] == "'-2+3"
    assert row[5] == "'\tSERVICE"
    assert row[10] == "-10,42" and row[11] == "-12,50"  # numbers stay numbers


def test_zip_manifest_neutralises_formulas():
    from chorusweb.exports import manifest_csv

    text = manifest_csv([["=1+1", "@cmd", "-12,50", "\rX", "lot-001/a.pdf"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == ["'=1+1", "'@cmd", "-12,50", "'\rX", "lot-001/a.pdf"]


def test_csv_cell_rules():
    from chorusweb.exports import csv_cell

    assert csv_cell(None) == "" and csv_cell(Decimal("-3.5")) == "-3.5" and csv_cell(-4) == "-4"
    assert csv_cell("-3,50") == "-3,50" and csv_cell("+3") == "+3"
    assert csv_cell("-") == "'-" and csv_cell("-1e5") == "'-1e5" and csv_cell("=A1") == "'=A1"
    assert csv_cell("Dupont & fils") == "Dupont & fils"


def test_viewer_has_no_bulk_or_download_actions(client, viewer, invoices):
    client.force_login(viewer)
    client.post("/factures/selection/", {"operation": "add", "ids": [invoices[0].pk]})
    html = client.get("/factures/").content.decode()
    assert "1 facture sélectionnée" in html
    assert "Traiter la sélection" not in html and "Télécharger</button>" not in html
    assert client.get("/factures/lot/").status_code == 403
    assert client.post("/factures/telechargement/", {"format": "ZIP"}).status_code == 403


def test_counters_match_a_live_aggregate_after_sync_and_actions(connection):
    from invoices.models import QueueStat
    from invoices.stats import stats_rebuild

    for i in range(30):
        ReceivedInvoiceFactory(
            connection=connection,
            status=["SERVICE_FAIT", "REJETEE", "MANDATEE"][i % 3],
            service_code=["FIN", "RH"][i % 2],
            total_incl_tax=Decimal(i),
        )
    before = sorted(QueueStat.objects.values_list("service_code", "status", "count", "total_incl_tax"))
    stats_rebuild(connection.pk)
    after = sorted(QueueStat.objects.values_list("service_code", "status", "count", "total_incl_tax"))
    assert before == after
    assert sum(row[2] for row in after) == 30


def test_filters_outside_buckets_use_a_live_aggregate(recipient_client, invoices):
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=Travaux").content.decode()
    assert 'Toutes <span class="count">1</span>' in html


def test_selection_and_ids_above_a_thousand_are_never_localised(recipient_client, connection):
    """An id is a value, not a number to format: `1 009` would break the selection form."""
    big = ReceivedInvoiceFactory(connection=connection, id=12345, invoice_number="BIG-1")
    html = recipient_client.get("/factures/").content.decode()
    assert 'name="ids" value="12345"' in html
    recipient_client.post("/factures/selection/", {"operation": "set", "ids": ["12345"], "page_ids": "12345"})
    assert recipient_client.session["invoices_selection"] == [big.pk]


def test_supplier_name_search_rows_and_totals(recipient_client, invoices):
    """A word shorter than a trigram still finds its rows (tested one by one)."""
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=ar").content.decode()  # "Martin" only
    assert "A-001" in html and "AV-004" in html and "A-002" not in html and "A-003" not in html
    assert 'Toutes <span class="count">2</span>' in html
    assert "100,00\u00a0€" in html  # total TTC 120 - 20
