"""The CSV export streams every row of the view once, in chunks, with French dates and labels."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from invoices import exports
from tests.factories import ReceivedInvoiceFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> tuple[int, list[list[str]]]:
    chunks = list(response.streaming_content)
    body = b"".join(chunks).decode("utf-8").lstrip("\ufeff")
    return len(chunks), list(csv.reader(io.StringIO(body), delimiter=";"))


def test_export_streams_every_row_once_in_chunks(recipient_client, connection, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_LINES", 7)
    numbers = {ReceivedInvoiceFactory(connection=connection).invoice_number for _ in range(20)}
    chunks, rows = _rows(recipient_client.get("/factures/export.csv?onglet=toutes"))
    assert chunks == 1 + 3  # the header, then 7 + 7 + 6 lines
    assert sorted(row[0] for row in rows[1:]) == sorted(numbers)


def test_export_cells_french_dates_local_time_and_labels(recipient_client, connection):
    ReceivedInvoiceFactory(
        connection=connection,
        invoice_number="F-EXPORT-1",
        status="SUSPENDUE",
        invoice_date=date(2026, 3, 5),
        deposit_date=date(2026, 3, 9),
        # 23:30 in UTC is 00:30 the next day in Paris
        status_changed_at=datetime(2026, 3, 9, 23, 30, tzinfo=ZoneInfo("UTC")),
        total_excl_tax=Decimal("1000"),
        total_incl_tax=Decimal("1200.5"),
        downloaded=True,
    )
    _, rows = _rows(recipient_client.get("/factures/export.csv?onglet=toutes"))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["Numéro"] == "F-EXPORT-1"
    assert cell["Date de facture"] == "05/03/2026" and cell["Date de dépôt"] == "09/03/2026"
    assert cell["Statut depuis"] == "10/03/2026 00:30"
    assert cell["Statut"] == "Suspendue"
    assert cell["Montant HT"] == "1000,00" and cell["Montant TTC"] == "1200,50"
    assert cell["Téléchargée"] == "oui"
