"""The admin of the validation mirror at scale: no whole-table DISTINCT, no unbounded COUNT."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from tests.validators.factories import ValidationInvoiceFactory

pytestmark = pytest.mark.django_db


def test_validation_changelist_reads_no_distinct_and_counts_no_whole_table(admin_client_, connection):
    for i in range(3):
        ValidationInvoiceFactory(connection=connection, supplier_name=f"Régie {i}", framework="A1_FACTURE_FOURNISSEUR")
    with CaptureQueriesContext(db) as ctx:
        response = admin_client_.get("/admin/validators/validationinvoice/", {"framework": "A1_FACTURE_FOURNISSEUR"})
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in ctx.captured_queries if "VALIDATORS_VALIDATIONINVOICE" in q["sql"].upper()]
    assert sql and not [q for q in sql if "DISTINCT" in q]
    assert all("LIMIT" in q for q in sql if "COUNT(" in q)
    assert response.content.decode().count("Régie ") == 3
