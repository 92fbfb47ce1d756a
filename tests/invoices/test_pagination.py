"""Deep pages without OFFSET, and counts that do not read the world (labelled when bounded)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chorusweb import keyset
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results-table"}
LINK = re.compile(r'<a class="button"(?: rel="(?:prev|next)")? href="\?([^"]*)"[^>]*>([^<]*)<')


@pytest.fixture
def many(connection, settings):
    settings.CHORUSWEB_PAGE_SIZE = 3
    today = timezone.localdate()
    made = []
    for i in range(11):
        made.append(
            ReceivedInvoiceFactory(
                connection=connection,
                invoice_number=f"K-{i:02d}",
                invoice_id=5000 + i,
                deposit_date=None if i in (3, 7) else today - timedelta(days=i % 4),  # ties and NULLs
                total_incl_tax=Decimal(100 + i),
                status="SERVICE_FAIT",
            )
        )
    return made


def shown(response) -> list[str]:
    return re.findall(r">(K-\d\d)</a>", response.content.decode())


def links(response) -> dict[str, str]:
    found = {}
    for query, label in LINK.findall(response.content.decode().replace("&amp;", "&")):
        name = label.strip(" «‹›»")
        found[name] = parse_qs(query).get("page", [""])[0]
    return found


@pytest.mark.parametrize("sort", ["-depot", "depot", "-ttc", "numero", "-maj", "echeance", "-echeance"])
def test_next_previous_first_last_walk_the_whole_list_in_order(recipient_client, many, sort):
    base = {"onglet": "toutes", "tri": sort}
    first = recipient_client.get("/factures/", base, **HTMX)
    forward = shown(first)
    page = first
    while "Suivante" in links(page):
        page = recipient_client.get("/factures/", {**base, "page": links(page)["Suivante"]}, **HTMX)
        forward += shown(page)
    assert sorted(forward) == sorted(i.invoice_number for i in many)  # every row once
    assert len(forward) == len(set(forward))
    # Backwards from the last page gives the same order.
    last = recipient_client.get("/factures/", {**base, "page": links(first)["Dernière"]}, **HTMX)
    assert shown(last) == forward[-3:]
    assert "Page 4 sur 4" in last.content.decode()
    backward = shown(last)
    page = last
    while "Précédente" in links(page):
        page = recipient_client.get("/factures/", {**base, "page": links(page)["Précédente"]}, **HTMX)
        backward = shown(page) + backward
    assert backward[-len(forward) :] == forward or backward == forward


def test_a_page_link_is_bookmarkable_and_numbered(recipient_client, many):
    first = recipient_client.get("/factures/?onglet=toutes", **HTMX)
    token = links(first)["Suivante"]
    again = recipient_client.get(f"/factures/?onglet=toutes&page={token}")  # full page, new visit
    assert "Page 2 sur 4" in again.content.decode()
    assert shown(again) == shown(recipient_client.get(f"/factures/?onglet=toutes&page={token}", **HTMX))


def test_a_bad_token_gives_the_first_page(recipient_client, many):
    response = recipient_client.get("/factures/?onglet=toutes&page=nonsense!!", **HTMX)
    assert response.status_code == 200
    assert shown(response) == shown(recipient_client.get("/factures/?onglet=toutes", **HTMX))


def test_token_round_trip():
    order = keyset.Order.of(["-deposit_date", "-invoice_id"])
    row = {"deposit_date": timezone.localdate(), "invoice_id": 12}
    assert keyset.decode(keyset.encode("a", 3, row, order)) == ("a", 3, row["deposit_date"].isoformat(), 12)
    assert keyset.decode("e30") is None


def test_last_page_reads_no_offset(recipient_client, many):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as ctx:
        recipient_client.get("/factures/?onglet=toutes&page=fin", **HTMX)
    assert not [q for q in ctx.captured_queries if "OFFSET" in q["sql"].upper()]


def test_counts_beyond_the_bound_are_labelled_not_computed(recipient_client, many, monkeypatch):
    from chorusweb import workspace as lists

    monkeypatch.setattr(lists, "COUNT_BOUND", 5)
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=fournisseur", **HTMX).content.decode()
    assert "plus de 5 factures" in html
    assert "nombre et totaux non calculés au-delà de 5 factures" in html
    assert "total net TTC" not in html
    assert 'class="count count--unknown"' in html
    assert len(shown(recipient_client.get("/factures/?onglet=toutes&fournisseur=fournisseur", **HTMX))) == 3
    # Under the bound: exact, with totals.
    exact = recipient_client.get("/factures/?onglet=toutes&fournisseur=fournisseur&numero=K-1", **HTMX)
    assert "1 facture" in exact.content.decode() and "total net TTC" in exact.content.decode()


def test_bucket_only_views_stay_exact_whatever_the_size(recipient_client, many, monkeypatch):
    from chorusweb import workspace as lists

    monkeypatch.setattr(lists, "COUNT_BOUND", 2)
    html = recipient_client.get("/factures/?onglet=toutes", **HTMX).content.decode()
    assert "11 factures" in html and "plus de" not in html


def test_clock_counts_beyond_the_bound_are_not_computed(recipient_client, many, monkeypatch):
    """The clock filters' counts are counts too: beyond the bound, shown without a number."""
    from chorusweb import workspace as lists

    monkeypatch.setattr(lists, "COUNT_BOUND", 5)
    html = recipient_client.get("/factures/?onglet=toutes&fournisseur=fournisseur", **HTMX).content.decode()
    assert re.search(r'clock-filter--retard"[^>]*>[^<]*</a>', html)  # its label, no count
    exact = recipient_client.get("/factures/?onglet=toutes&numero=K-1", **HTMX).content.decode()
    assert re.search(r'clock-filter--retard"[^>]*>[^<]*<span class="count">\d+</span></a>', exact)


@pytest.mark.skipif(db.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_a_broad_search_reads_the_list_index_and_finds_the_same_rows(recipient_client, many, monkeypatch):
    from chorusweb import search

    url = "/factures/?onglet=toutes&fournisseur=fournisseur&tri=-depot"
    narrow = shown(recipient_client.get(url, **HTMX))
    monkeypatch.setattr(search, "BROAD", 2)  # eleven suppliers match: now a broad search
    with CaptureQueriesContext(db) as ctx:
        broad = shown(recipient_client.get(url, **HTMX))
    assert broad == narrow and len(broad) == 3
    page_queries = [q["sql"] for q in ctx.captured_queries if '"invoice_number" AS' in q["sql"]]
    assert page_queries and not [q for q in page_queries if "MATCH" in q]  # no FTS5 subquery
    probes = [q for q in ctx.captured_queries if "LIMIT 3)" in q["sql"] and "MATCH" in q["sql"]]
    assert len(probes) == 1  # asked once for the page
