"""The issued invoices workspace against the sandbox over real HTTP: every supplier and structure
endpoint called by a user-facing feature, the demo's issued invoices in every status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chorusweb import lifecycle as lc
from chorusweb.models import AuditEntry, Role, SyncRun
from issuers import services
from issuers.models import IssuedInvoice
from tests.factories import MembershipFactory, UserFactory
from tests.fakes import FAKE_PDF

#: The demo's public hospital: a service code is required to invoice it.
HOSPITAL = 25100002


@pytest.fixture
def emile(sandbox_connection):
    user = UserFactory(username="emile")
    MembershipFactory(user=user, connection=sandbox_connection, role=Role.ISSUER)
    return user


@pytest.fixture
def logged(client, emile, sandbox_connection):
    from django.core.cache import cache

    cache.clear()
    run = services.sync_issued(connection=sandbox_connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    client.force_login(emile)
    return client


def test_demo_issued_invoices_cover_every_tab(logged, sandbox_connection):
    statuses = set(IssuedInvoice.objects.filter(connection=sandbox_connection).values_list("status", flat=True))
    for status in (lc.DEPOSEE, lc.MISE_A_DISPOSITION, lc.SUSPENDUE, lc.A_RECYCLER, lc.REJETEE, lc.MISE_EN_PAIEMENT):
        assert status in statuses
    counts = {t.tab.slug: t.count for t in logged.get("/factures-emises/").context["tabs"]}
    # every tab of a known status has invoices ("autres" holds statuses the sandbox never makes)
    assert all(n for slug, n in counts.items() if slug != "autres"), counts


def test_submit_complete_recycle_and_check_over_http(logged, sandbox_connection, sandbox_control):
    # Submit by SIRET to a structure that requires a service code.
    from sandbox.models import Structure

    hospital = Structure.objects.get(pk=HOSPITAL)
    found = logged.get("/factures-emises/soumettre/", {"q": hospital.identifier})
    assert hospital.name in found.text
    form = logged.get("/factures-emises/soumettre/", {"structure": HOSPITAL}).context["form"]
    assert form.fields["code_service"].required
    answer = logged.post(
        "/factures-emises/soumettre/",
        {
            "cle": form.initial["cle"],
            "structure": HOSPITAL,
            "mode": "fichier",
            "numero": "EMIS-INT-1",
            "date_facture": "2026-11-20",
            "code_service": "RESTAURATION",
            "montant_ht": "1000.00",
            "montant_tva": "200.00",
            "montant_ttc": "1200.00",
            "fichier": SimpleUploadedFile("emis-int-1.pdf", FAKE_PDF, content_type="application/pdf"),
        },
    )
    assert answer.status_code == 302, answer.context and answer.context["form"].errors
    submitted = IssuedInvoice.objects.get(invoice_number="EMIS-INT-1")
    assert submitted.service_code == "RESTAURATION" and submitted.total_incl_tax == Decimal("1200.00")
    assert sandbox_control.calls("factures/soumettre") == 1
    assert sandbox_control.calls("transverses/ajouter-fichier") == 1
    # Check its status on demand.
    logged.post(f"/factures-emises/{submitted.pk}/statut/")
    assert sandbox_control.calls("factures/consulter") == 1
    submitted.refresh_from_db()
    assert submitted.status == lc.MISE_A_DISPOSITION and submitted.checked_at
    # Complete a suspended one.
    suspended = IssuedInvoice.objects.filter(status=lc.SUSPENDUE).first()
    from tests.issuers.test_writes import _pdf

    page = logged.get(f"/factures-emises/{suspended.pk}/")
    answer = logged.post(
        f"/factures-emises/{suspended.pk}/completer/",
        {
            "cle": page.context["complete_form"].initial["cle"],
            "commentaire": "Bon de livraison joint",
            "pieces": [_pdf("bl.pdf")],
        },
    )
    assert answer.status_code == 302
    suspended.refresh_from_db()
    assert suspended.status == lc.COMPLETEE
    assert sandbox_control.calls("factures/completer") == 1
    # Recycle one to the hospital's pharmacy.
    to_recycle = IssuedInvoice.objects.filter(status=lc.A_RECYCLER).first()
    page = logged.get(f"/factures-emises/{to_recycle.pk}/recycler/", {"structure": HOSPITAL})
    answer = logged.post(
        f"/factures-emises/{to_recycle.pk}/recycler/",
        {"cle": page.context["form"].initial["cle"], "structure": HOSPITAL, "code_service": "PHARMACIE"},
    )
    assert answer.status_code == 302, answer.context and answer.context["form"].errors
    to_recycle.refresh_from_db()
    assert to_recycle.recipient_name == hospital.name and to_recycle.service_code == "PHARMACIE"
    assert to_recycle.status == lc.MISE_A_DISPOSITION
    assert sandbox_control.calls("factures/recycler") == 1
    assert set(AuditEntry.objects.values_list("state", flat=True)) == {AuditEntry.State.DONE}
    for path in ("structures/consulter", "structures/obtenir-id-depuis-siret", "factures/rechercher-fournisseur"):
        assert sandbox_control.calls(path) >= 1
    assert sandbox_control.calls(f"structures/{HOSPITAL}/services") >= 1


def test_submit_refused_by_the_sandbox_shows_its_libelle(logged, sandbox_connection):
    form = logged.get("/factures-emises/soumettre/", {"structure": HOSPITAL}).context["form"]
    answer = logged.post(
        "/factures-emises/soumettre/",
        {
            "cle": form.initial["cle"],
            "structure": HOSPITAL,
            "mode": "fichier",
            "numero": "EMIS-INT-2",
            "date_facture": "2026-11-20",
            "code_service": "RESTAURATION",
            "montant_ht": "1000.00",
            "montant_tva": "123.00",  # no VAT rate gives this
            "montant_ttc": "1123.00",
            "fichier": SimpleUploadedFile("emis-int-2.pdf", FAKE_PDF, content_type="application/pdf"),
        },
    )
    assert answer.status_code == 422
    assert "ne correspond à aucun taux en vigueur" in answer.text
    assert answer.context["form"]["numero"].value() == "EMIS-INT-2"


def test_admin_connection_test_against_the_sandbox(admin_client_, sandbox_connection):
    page = admin_client_.post(f"/admin/chorusweb/connection/{sandbox_connection.pk}/tester/")
    assert "Connexion réussie" in page.text
    assert "Centre hospitalier de Villefranche-en-Vallée" in page.text


@pytest.mark.usefixtures("sandbox_control")
def test_sync_chorus_command_syncs_the_issued_invoices(sandbox_connection):
    from django.core.management import call_command

    from chorusweb.models import Workspace

    call_command("sync_chorus", "--connection", sandbox_connection.name)
    assert SyncRun.objects.filter(workspace=Workspace.ISSUED, state=SyncRun.State.SUCCEEDED).count() == 1
    assert IssuedInvoice.objects.filter(connection=sandbox_connection, status=lc.SUSPENDUE).exists()
