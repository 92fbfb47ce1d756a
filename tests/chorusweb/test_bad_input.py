"""Bad input never answers 500: a clear message (422) or a 400, and nothing sent upstream."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, ReceivedInvoiceFactory, UserFactory
from tests.validators.factories import ValidationInvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_client(client, connection):
    user = UserFactory(username="both")
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    client.force_login(user)
    ReceivedInvoiceFactory(connection=connection)
    ValidationInvoiceFactory(connection=connection)
    return client


@pytest.mark.parametrize(
    "amount", ["1e400", "-1e400", "NaN", "-Infinity", "inf", "9" * 400, "1" + "0" * 40, "0x10", "1,5e9999"]
)
@pytest.mark.parametrize("url", ["/factures/", "/validation/", "/factures/export.csv"])
def test_huge_or_non_finite_amounts_are_ignored_with_a_message(both_client, url, amount):
    response = both_client.get(url, {"montant_min": amount, "montant_max": amount})
    assert response.status_code in (200, 400), response.status_code


@pytest.mark.parametrize("ids", [["١٢٣"], ["²"], ["12" * 20], ["-1"], ["1.0"], ["\x00"], ["9" * 19]])
@pytest.mark.parametrize("url", ["/factures/selection/", "/validation/selection/"])
def test_id_lists_with_odd_digits_are_ignored(both_client, url, ids):
    response = both_client.post(url, {"operation": "add", "ids": ids, "page_ids": ",".join(ids)})
    assert response.status_code in (200, 302, 400), response.status_code


@pytest.mark.parametrize("path", ["/factures/99999999999999999999999/", "/validation/99999999999999999999999/"])
def test_huge_ids_in_paths_are_404(both_client, path):
    assert both_client.get(path).status_code == 404


@pytest.mark.parametrize("key", ["x" * 500, "abc\x00def", "clé-é", "a b"])
def test_over_long_or_binary_single_send_key_is_refused(both_client, connection, key):
    from invoices.models import ReceivedInvoice

    invoice = ReceivedInvoice.objects.get()
    response = both_client.post(
        f"/factures/{invoice.pk}/traiter/", {"cible": "SERVICE_FAIT", "cle": key, "statut_vu": invoice.status}
    )
    assert response.status_code == 422
    assert "Ce formulaire est invalide ou incomplet" in response.content.decode()
    from validators.models import ValidationInvoice

    pending = ValidationInvoice.objects.get()
    response = both_client.post(
        f"/validation/{pending.pk}/decision/",
        {"decision": "VALIDATION", "cle": key, "statut_vu": pending.status},
    )
    assert response.status_code in (404, 405, 422), response.status_code


@pytest.mark.parametrize(
    "target",
    [
        "x",
        "logout",
        "deconnexion",
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_that_is_not_a_local_path_is_ignored(both_client, target):
    response = both_client.post("/factures/selection/", {"operation": "clear", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/factures/"
    # still logged in: next=logout did not log the user out
    assert both_client.get("/factures/").status_code == 200


def test_local_next_is_kept(both_client):
    response = both_client.post("/factures/selection/", {"operation": "clear", "next": "/factures/?onglet=tous"})
    assert response["Location"] == "/factures/?onglet=tous"


def test_login_next_that_is_not_a_local_path_is_ignored(client):
    UserFactory(username="ana")
    response = client.post("/connexion/?next=logout", {"username": "ana", "password": "secret-password-123"})
    assert response.status_code == 302
    assert response["Location"] in ("/", "/connexion/verification/?next=/")


def test_too_many_query_parameters_is_400(both_client):
    query = "&".join(f"p{i}=1" for i in range(1200))
    assert both_client.get(f"/factures/?{query}").status_code == 400


def test_staff_with_view_only_admin_rights_opens_a_connection(client):
    connection = ConnectionFactory()
    staff = UserFactory(username="auditor", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(staff)
    assert client.get("/admin/chorusweb/connection/").status_code == 200
    response = client.get(f"/admin/chorusweb/connection/{connection.pk}/change/")
    assert response.status_code == 200
    assert "factpulse-password" not in response.content.decode()
