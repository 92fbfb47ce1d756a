"""The issued invoices list, detail and status check, on the fake gateway."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb.models import Role, SyncRun
from issuers import services
from issuers.models import IssuedInvoice
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sync(connection):
    run = services.sync_issued(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return run


def test_sync_fills_the_mirror_and_records_status_changes(fake, connection):
    row = fake.add_issued(status=lc.SUSPENDUE)
    fake.add_issued(status=lc.MISE_EN_PAIEMENT, total_incl_tax=Decimal("1234.56"))
    _sync(connection)
    assert IssuedInvoice.objects.filter(connection=connection).count() == 2
    invoice = IssuedInvoice.objects.get(invoice_id=row.invoice_id)
    assert invoice.status == lc.SUSPENDUE
    fake.issued[row.invoice_id] = fake.issued[row.invoice_id].__class__(
        **{**row.__dict__, "status": lc.COMPLETEE, "status_changed_at": None}
    )
    _sync(connection)
    statuses = list(invoice.status_changes.values_list("status", flat=True))
    assert statuses == [lc.SUSPENDUE, lc.COMPLETEE]


def test_list_tabs_count_by_status(fake, connection, issuer_client):
    for status in (lc.DEPOSEE, lc.MISE_A_DISPOSITION, lc.SUSPENDUE, lc.SUSPENDUE, lc.A_RECYCLER, lc.REJETEE):
        fake.add_issued(status=status)
    fake.add_issued(status=lc.MISE_EN_PAIEMENT)
    _sync(connection)
    page = issuer_client.get("/factures-emises/?onglet=suspendues")
    assert page.status_code == 200
    counts = {t.tab.slug: t.count for t in page.context["tabs"]}
    assert counts == {
        "deposees": 1,
        "mises-a-disposition": 1,
        "suspendues": 2,
        "a-recycler": 1,
        "rejetees": 1,
        "payees": 1,
        "autres": 0,
        "toutes": 7,
    }
    assert len(page.context["rows"]) == 2
    assert "Suspendues — à compléter" in page.text


def test_list_filters_sort_and_csv_export(fake, connection, issuer_client):
    fake.add_issued(invoice_number="E-SMALL", total_incl_tax=Decimal("10.00"), recipient_name="Syndicat des eaux")
    fake.add_issued(invoice_number="E-BIG", total_incl_tax=Decimal("9000.00"), recipient_name="Mairie de Voiron")
    _sync(connection)
    page = issuer_client.get("/factures-emises/?destinataire=voiron")
    assert [r["invoice_number"] for r in page.context["rows"]] == ["E-BIG"]
    page = issuer_client.get("/factures-emises/?tri=ttc")
    assert [r["invoice_number"] for r in page.context["rows"]] == ["E-SMALL", "E-BIG"]
    export = issuer_client.get("/factures-emises/export.csv?destinataire=syndicat")
    body = b"".join(export.streaming_content).decode()
    assert "E-SMALL" in body and "E-BIG" not in body
    assert "10,00" in body or "10.00" in body


def test_selection_is_kept_and_exported(fake, connection, issuer_client):
    a = fake.add_issued(invoice_number="E-A")
    fake.add_issued(invoice_number="E-B")
    _sync(connection)
    pk = IssuedInvoice.objects.get(invoice_id=a.invoice_id).pk
    issuer_client.post("/factures-emises/selection/", {"operation": "add", "ids": [pk]})
    body = b"".join(issuer_client.get("/factures-emises/export.csv?selection=1").streaming_content).decode()
    assert "E-A" in body and "E-B" not in body


def test_workspace_needs_the_issuer_role(fake, connection, client):
    user = UserFactory(username="comptable-seul")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    client.force_login(user)
    assert client.get("/factures-emises/").status_code == 403
    assert client.get("/factures-emises/soumettre/").status_code == 403


def test_detail_shows_status_timeline_and_check_status_reads_consulter(fake, connection, issuer_client):
    row = fake.add_issued(status=lc.MISE_A_DISPOSITION)
    _sync(connection)
    invoice = IssuedInvoice.objects.get(invoice_id=row.invoice_id)
    page = issuer_client.get(f"/factures-emises/{invoice.pk}/")
    assert page.status_code == 200
    assert "Chronologie" in page.text and "Vérifier le statut" in page.text
    fake.issued[row.invoice_id] = fake.issued[row.invoice_id].__class__(
        **{**row.__dict__, "status": lc.MISE_EN_PAIEMENT}
    )
    answer = issuer_client.post(f"/factures-emises/{invoice.pk}/statut/", follow=True)
    assert fake.count("consulter_facture") == 1
    invoice.refresh_from_db()
    assert invoice.status == lc.MISE_EN_PAIEMENT and invoice.checked_at is not None
    assert "Mise en paiement" in answer.text


def test_check_status_when_upstream_is_down_says_so(fake, connection, issuer_client):
    from chorusweb.factpulse import FactPulseUnavailable

    row = fake.add_issued()
    _sync(connection)
    invoice = IssuedInvoice.objects.get(invoice_id=row.invoice_id)
    fake.fail("consulter_facture", FactPulseUnavailable())
    answer = issuer_client.post(f"/factures-emises/{invoice.pk}/statut/", follow=True)
    assert "pas pu être vérifié" in answer.text
    invoice.refresh_from_db()
    assert invoice.checked_at is None


def test_credit_notes_count_with_their_sign_in_the_total(fake, connection, issuer_client):
    fake.add_issued(total_incl_tax=Decimal("120.00"))
    fake.add_issued(invoice_type="AVOIR", total_incl_tax=Decimal("20.00"))
    _sync(connection)
    page = issuer_client.get("/factures-emises/")
    assert page.context["result"].total_incl_tax == Decimal("100.00")


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?tri=nimporte",
        "?onglet=inconnu",
        "?montant_min=beaucoup",
        "?depot_du=hier",
        "?connexion=%C2%B2",
        "soumettre/?structure=99999999999999999999999",
        "soumettre/?structure=abc",
        "soumettre/?q=" + "x" * 500,
    ],
)
def test_bad_input_is_never_a_server_error(fake, connection, issuer_client, query):
    assert issuer_client.get(f"/factures-emises/{query}").status_code in (200, 400, 404, 422)


def test_bad_structure_in_a_posted_form_is_a_client_error(fake, issuer_client):
    answer = issuer_client.post("/factures-emises/soumettre/", {"structure": "abc", "numero": "X"})
    assert answer.status_code == 400
    assert fake.count("soumettre_facture") == 0


def test_an_issuer_limited_to_services_submits_only_to_them(fake, connection, client):
    from tests.issuers.conftest import MAIRIE

    user = UserFactory(username="emetteur-cantine")
    MembershipFactory(user=user, connection=connection, role=Role.ISSUER, service_codes=["CANTINE"])
    client.force_login(user)
    data = {
        "cle": "z" * 32,
        "structure": str(MAIRIE),
        "mode": "fichier",
        "numero": "EM-LIMIT",
        "date_facture": "2026-11-20",
        "code_service": "TECH",
        "montant_ht": "10.00",
        "montant_tva": "2.00",
        "montant_ttc": "12.00",
    }
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.fakes import FAKE_PDF

    data["fichier"] = SimpleUploadedFile("f.pdf", FAKE_PDF, content_type="application/pdf")
    assert client.post("/factures-emises/soumettre/", data).status_code == 403
    assert fake.count("soumettre_facture") == 0


def test_timeline_puts_our_action_before_the_status_it_led_to(fake, connection, issuer):
    from issuers.selectors import issued_timeline

    row = fake.add_issued(status=lc.SUSPENDUE)
    _sync(connection)
    invoice = IssuedInvoice.objects.get(invoice_id=row.invoice_id)
    services.invoice_complete(user=issuer, invoice=invoice, comment="Pièce jointe", files=[], idempotency_key="tl")
    labels = [event.label for event in issued_timeline(invoice=invoice)]
    assert labels[:2] == ["Facture datée", "Déposée dans Chorus Pro"]
    assert labels.index("Complément") < labels.index("Complétée")
