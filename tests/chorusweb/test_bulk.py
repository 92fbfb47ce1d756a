"""Bulk runs (chorusweb/bulk.py): checked first, each invoice sent once, a failure never stops the rest."""

from __future__ import annotations

import pytest

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseUnavailable
from chorusweb.models import AuditEntry, BulkRun
from invoices import services
from invoices.models import ReceivedInvoice


@pytest.fixture
def invoices(db, fake_factpulse, connection):
    fake_factpulse.add_received(invoice_id=1)
    fake_factpulse.add_received(invoice_id=2)
    fake_factpulse.add_received(invoice_id=3, status=lc.MISE_EN_PAIEMENT)  # nothing more can be done
    services.sync_received(connection=connection)
    return list(ReceivedInvoice.objects.filter(connection=connection).order_by("invoice_id"))


def test_plan_splits_sendable_and_skipped(recipient, invoices):
    plan = services.bulk_plan(user=recipient, invoices=invoices, target=lc.SERVICE_FAIT)
    assert [i.invoice_id for i in plan.sendable] == [1, 2]
    assert [s["invoice_number"] for s in plan.skipped] == [invoices[2].invoice_number]


def test_run_sends_each_planned_invoice_once(fake_factpulse, recipient, invoices, django_capture_on_commit_callbacks):
    fake_factpulse.fail("traiter_facture_recue", FactPulseUnavailable())  # the first one fails
    with django_capture_on_commit_callbacks(execute=True):
        run = services.bulk_process_start(user=recipient, invoices=invoices, target=lc.SERVICE_FAIT)
    run.refresh_from_db()
    assert run.state == BulkRun.State.FINISHED
    assert fake_factpulse.count("traiter_facture_recue") == 2
    states = sorted(AuditEntry.objects.filter(batch=run.pk).values_list("invoice_id", "state"))
    assert states == [(1, AuditEntry.State.FAILED), (2, AuditEntry.State.DONE)]
