"""Finding an invoice: one search box, and searches that forgive case, accents and word order.

The same tests run on SQLite (FTS5 trigram table) and on PostgreSQL (pg_trgm GIN indexes).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from chorusweb.search import fold, parse_amount, words
from invoices.models import ReceivedInvoice
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}


@pytest.fixture
def suppliers(connection):
    make = ReceivedInvoiceFactory
    return {
        "batir": make(
            connection=connection,
            invoice_number="BE-2026-17",
            invoice_id=7001,
            supplier_name="Bâtir Ensemble",
            supplier_code="44306184100047",
            service_code="SE_ÉCOLES",
            contract_number="MARCHE-2024-88",
            purchase_order_number="EJ2100001234",
            total_incl_tax=Decimal("1234.56"),
        ),
        "mercier": make(
            connection=connection,
            invoice_number="LM-9",
            supplier_name="Librairie Mercier",
            supplier_code="41234567800012",
            service_code="SE_CULTURE",
        ),
        "other": make(connection=connection, invoice_number="X-1", supplier_name="Garage Lefèvre", service_code="FIN"),
    }


def numbers(response) -> set[str]:
    html = response.content.decode()
    return {n for n in ("BE-2026-17", "LM-9", "X-1") if f">{n}</a>" in html}


def test_fold_forgives_case_accents_and_punctuation():
    assert fold("Bâtir-Ensemble  SAS") == "batir ensemble sas"
    assert fold("ŒUVRES d'Été") == "oeuvres d ete"
    assert words("librairie  MERCIER mercier") == ["librairie", "mercier"]
    assert parse_amount("1 234,56 €") == Decimal("1234.56")
    assert parse_amount("1234.5") == Decimal("1234.5")
    assert parse_amount("F2026") is None


def test_the_mirror_stores_folded_copies(suppliers):
    row = ReceivedInvoice.objects.get(pk=suppliers["batir"].pk)
    assert row.supplier_search == "batir ensemble 44306184100047"
    assert "se ecoles" in row.search_text and "marche 2024 88" in row.search_text and "7001" in row.search_text


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("batir", {"BE-2026-17"}),
        ("BÂTIR", {"BE-2026-17"}),
        ("ensemble bâtir", {"BE-2026-17"}),
        ("mercier librairie", {"LM-9"}),
        ("librairie", {"LM-9"}),
        ("4430618", {"BE-2026-17"}),  # SIRET digits
        ("lefevre", {"X-1"}),
        ("ir", {"BE-2026-17", "LM-9"}),  # shorter than a trigram: tested row by row
        ("mercier batir", set()),
    ],
)
def test_supplier_filter_forgives_case_accents_and_word_order(recipient_client, suppliers, term, expected):
    response = recipient_client.get("/factures/", {"onglet": "toutes", "fournisseur": term}, **HTMX)
    assert numbers(response) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("be-2026-17", {"BE-2026-17"}),  # number
        ("7001", {"BE-2026-17"}),  # Chorus Pro id
        ("bâtir", {"BE-2026-17"}),  # supplier name
        ("44306184100047", {"BE-2026-17"}),  # SIRET
        ("EJ2100001234", {"BE-2026-17"}),  # engagement / purchase order
        ("marche 2024-88", {"BE-2026-17"}),  # contract number
        ("1 234,56", {"BE-2026-17"}),  # amount typed the French way
        ("1234.56", {"BE-2026-17"}),
        ("culture mercier", {"LM-9"}),  # service and supplier, any order
        ("introuvable", set()),
    ],
)
def test_one_search_box_finds_an_invoice_by_any_of_its_references(recipient_client, suppliers, term, expected):
    response = recipient_client.get("/factures/", {"onglet": "toutes", "q": term}, **HTMX)
    assert response.status_code == 200
    assert numbers(response) == expected


def test_search_box_count_matches_the_rows(recipient_client, suppliers):
    html = recipient_client.get("/factures/", {"onglet": "toutes", "q": "mercier"}, **HTMX).content.decode()
    assert "1 facture" in html


@pytest.mark.parametrize(
    ("term", "expected"),
    [("se_écoles", {"BE-2026-17"}), ("ecoles", {"BE-2026-17"}), ("Culture", {"LM-9"}), ("fin", {"X-1"})],
)
def test_service_filter_forgives_and_offers_existing_codes(recipient_client, suppliers, term, expected):
    response = recipient_client.get("/factures/", {"onglet": "toutes", "service": term}, **HTMX)
    assert numbers(response) == expected
    page = recipient_client.get("/factures/").content.decode()
    assert '<datalist id="service-codes">' in page
    assert '<option value="SE_ÉCOLES">' in page and '<option value="SE_CULTURE">' in page


def test_search_box_is_on_every_page_and_reaches_the_list(recipient_client, suppliers):
    page = recipient_client.get(f"/factures/{suppliers['batir'].pk}/").content.decode()
    assert 'id="topsearch-q" name="q"' in page
    assert 'action="/factures/"' in page
    found = recipient_client.get("/factures/", {"onglet": "toutes", "q": "batir"})
    assert numbers(found) == {"BE-2026-17"}
    assert 'name="q" id="id_q" value="batir"' in found.content.decode()


def test_the_sync_writer_fills_the_folded_columns(connection, recipient_client):
    import random
    from datetime import date

    from bench.data import SERVICES, Supplier, _reader, upstream_row
    from invoices.services import upsert_received_rows

    raw = upstream_row(random.Random(1), 5, Supplier("Électricité Noël", "12345678900011"), SERVICES[1], date.today())
    upsert_received_rows(connection, [_reader()(raw)])
    row = ReceivedInvoice.objects.get(connection=connection, invoice_id=raw["idFacture"])
    assert row.supplier_search == "electricite noel 12345678900011"
    response = recipient_client.get("/factures/", {"onglet": "toutes", "q": "noel electricite"}, **HTMX)
    assert f">{row.invoice_number}</a>" in response.content.decode()


def test_search_uses_the_trigram_index(recipient_client, suppliers):
    with CaptureQueriesContext(db) as ctx:
        recipient_client.get("/factures/", {"onglet": "toutes", "q": "mercier"}, **HTMX)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    if db.vendor == "sqlite":
        assert "invoices_receivedinvoice_fts MATCH" in sql
    else:
        with db.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'invoices_receivedinvoice'")
            names = {row[0] for row in cursor.fetchall()}
        assert {"ri_supplier_trgm", "ri_search_trgm"} <= names
        assert "LIKE" in sql
