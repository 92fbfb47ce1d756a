"""The queue page: full page, htmx partial, filters, bookmarkable URLs, upstream failure, scoping."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.models import Role, SyncRun, Workspace
from tests.factories import ConnectionFactory, MembershipFactory, ReceivedInvoiceFactory, UserFactory
from tests.validators.conftest import HTMX
from tests.validators.factories import ValidationInvoiceFactory
from validators.models import QueueState, ValidationInvoice

SEARCH = "factures/valideur/rechercher"
PARTIAL = {**HTMX, "HTTP_HX_TARGET": "results-table"}


def _numbers(html: str) -> list[str]:
    return re.findall(r'href="/validation/\d+/">([^<]+)</a>', html)


# --- against the sandbox -------------------------------------------------------------------


def test_queue_full_page_sorted_by_urgency(logged):
    response = logged.get("/validation/")
    html = response.content.decode()
    assert response.status_code == 200 and "<!DOCTYPE html>" in html
    awaiting = ValidationInvoice.objects.filter(state=QueueState.AWAITING).order_by("deadline", "invoice_id")
    assert _numbers(html) == [inv.invoice_number for inv in awaiting]
    assert "j restants" in html and 'class="urgency urgency--soon"' in html
    assert 'aria-sort="ascending"' in html  # the urgency column
    assert "dernière synchronisation" in html
    assert "à traiter sous 3 jours ou en retard" in html  # the seed has some close to their deadline


def test_queue_htmx_partial_and_bookmarkable_filters(logged):
    url = "/validation/?cadre=A12_FACTURE_COTRAITANT&niveau=1&tri=-ttc"
    response = logged.get(url, **PARTIAL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results-table"') and "<!DOCTYPE" not in html
    assert 'name="tri" value="-ttc"' in html  # the filter state travels out of band
    expected = ValidationInvoice.objects.filter(
        state=QueueState.AWAITING, framework="A12_FACTURE_COTRAITANT", level=1
    ).order_by("-total_incl_tax", "-invoice_id")
    assert _numbers(html) == [inv.invoice_number for inv in expected] != []
    assert response["Vary"].count("HX-Request") == 1
    # The same URL, opened directly, gives the full page with the filters filled in.
    full = logged.get(url).content.decode()
    assert "<!DOCTYPE html>" in full and _numbers(full) == _numbers(html)
    assert 'value="A12_FACTURE_COTRAITANT" selected' in full


def test_queue_served_from_mirror_when_upstream_is_down(logged, sandbox_control):
    sandbox_control.faults(error_status=503, error_rate=1.0)
    response = logged.get("/validation/")
    assert response.status_code == 200
    assert _numbers(response.content.decode())
    assert sandbox_control.calls(SEARCH) == 0


def test_refresh_button_full_htmx_and_failure(logged, sandbox_control, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/validation/synchronisation/", {"next": "/validation/?onglet=toutes"})
    assert response.status_code == 302 and response["Location"] == "/validation/?onglet=toutes"
    assert sandbox_control.calls(SEARCH) >= 1
    with django_capture_on_commit_callbacks(execute=True):
        response = logged.post("/validation/synchronisation/", HTTP_HX_TARGET="sync-status", **HTMX)
    assert response.status_code == 200 and 'id="sync-status"' in response.content.decode()
    status = logged.get("/validation/synchronisation/", **HTMX)
    assert "validation-synced" in json.loads(status["HX-Trigger"])
    sandbox_control.faults(error_status=503, error_rate=1.0, endpoints=[SEARCH])
    with django_capture_on_commit_callbacks(execute=True):
        logged.post("/validation/synchronisation/", HTTP_HX_TARGET="sync-status", **HTMX)
    html = logged.get("/validation/").content.decode()
    assert "La dernière synchronisation a échoué" in html and _numbers(html)


def test_first_visit_starts_a_background_sync(client, victor, sandbox_control, django_capture_on_commit_callbacks):
    client.force_login(victor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/validation/")
    assert response.status_code == 200
    assert SyncRun.objects.get(workspace=Workspace.VALIDATION).state == SyncRun.State.SUCCEEDED
    assert _numbers(client.get("/validation/").content.decode())


# --- scoping (mirror only) -------------------------------------------------------------------


@pytest.mark.django_db
def test_recipient_only_user_cannot_open_validation_pages(client):
    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    invoice = ValidationInvoiceFactory(connection=connection)
    client.force_login(user)
    assert client.get("/validation/").status_code == 403
    assert client.get(f"/validation/{invoice.pk}/").status_code == 404
    assert client.post(f"/validation/{invoice.pk}/decision/", {"decision": "VALIDATION"}).status_code == 404
    assert client.get("/validation/lot/").status_code == 403
    assert client.post("/validation/synchronisation/").status_code == 403


@pytest.mark.django_db
def test_validator_of_a_sees_nothing_of_b(client):
    a, b = ConnectionFactory(name="A"), ConnectionFactory(name="B")
    user = UserFactory()
    MembershipFactory(user=user, connection=a, role=Role.VALIDATOR)
    SyncRun.objects.create(connection=a, workspace=Workspace.VALIDATION, state=SyncRun.State.SUCCEEDED)
    # numbers with a "/", which no random nonce or token of the page can hold
    mine = ValidationInvoiceFactory(connection=a, invoice_number="A/2026/1")
    theirs = ValidationInvoiceFactory(connection=b, invoice_number="B/2026/1")
    client.force_login(user)
    html = client.get("/validation/?onglet=toutes").content.decode()
    assert "A/2026/1" in html and "B/2026/1" not in html and ">B<" not in html
    assert client.get(f"/validation/{theirs.pk}/").status_code == 404
    assert client.post(f"/validation/{theirs.pk}/decision/", {"decision": "VALIDATION"}).status_code == 404
    client.post("/validation/selection/", {"operation": "add", "ids": [mine.pk, theirs.pk]})
    page = client.get("/validation/lot/").content.decode()
    assert "A/2026/1" in page and "B/2026/1" not in page


@pytest.mark.django_db
def test_filters_and_tabs(client):
    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    SyncRun.objects.create(connection=connection, workspace=Workspace.VALIDATION, state=SyncRun.State.SUCCEEDED)
    today = timezone.localdate()
    ValidationInvoiceFactory(connection=connection, invoice_number="N-1", supplier_name="Maçonnerie Petit")
    ValidationInvoiceFactory(
        connection=connection,
        invoice_number="N-2",
        recipient_name="Lycée Curie",
        level=2,
        status=lc.A_VALIDER_2,
        deposit_date=today - timedelta(days=40),
    )
    ValidationInvoiceFactory(connection=connection, invoice_number="N-3", status=lc.REFUSEE_1, state=QueueState.REFUSED)
    client.force_login(user)

    def shown(query):
        return _numbers(client.get(f"/validation/?{query}", **PARTIAL).content.decode())

    assert shown("fournisseur=petit") == ["N-1"]
    assert shown("destinataire=curie") == ["N-2"]
    assert shown("niveau=2") == ["N-2"]
    assert shown(f"depot_au={(today - timedelta(days=30)).isoformat()}") == ["N-2"]
    assert shown("montant_min=5000") == []
    assert shown("onglet=refusees") == ["N-3"]
    assert shown("niveau=abc&tri=nimporte") == ["N-2", "N-1"]  # invalid values are dropped


@pytest.mark.django_db
def test_cross_navigation_for_users_with_both_roles(client):
    connection = ConnectionFactory()
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    ReceivedInvoiceFactory(connection=connection)
    client.force_login(user)
    html = client.get("/validation/").content.decode()
    assert 'class="crossnav"><a href="/factures/"' in html
