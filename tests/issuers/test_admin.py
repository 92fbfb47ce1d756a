"""The admin's connection test and service-code picker, and the recipient's names on a received invoice."""

from __future__ import annotations

import pytest

from chorusweb.factpulse import FactPulseAuthError, FactPulseUnavailable
from chorusweb.models import Membership, Role
from tests.factories import MembershipFactory, ReceivedInvoiceFactory, UserFactory
from tests.issuers.conftest import MAIRIE, MAIRIE_SIRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(fake):
    fake.add_received(recipient_id=MAIRIE, recipient_code=MAIRIE_SIRET, recipient_name="Mairie de Voiron")
    return fake


def test_change_page_has_the_test_button(admin_client_, connection):
    page = admin_client_.get(f"/admin/chorusweb/connection/{connection.pk}/change/")
    assert "Tester la connexion" in page.text


def test_connection_test_logs_in_and_lists_structures_with_parameters(admin_client_, connection, seen):
    page = admin_client_.post(f"/admin/chorusweb/connection/{connection.pk}/tester/")
    assert page.status_code == 200
    assert seen.count("login") == 1
    assert "Connexion réussie : 1 structure(s) trouvée(s) — Mairie de Voiron." in page.text
    assert "CANTINE — Restauration scolaire" in page.text and "obligatoire" in page.text


@pytest.mark.parametrize(
    ("error", "message"),
    [(FactPulseAuthError(), "Connexion refusée"), (FactPulseUnavailable(), "FactPulse ne répond pas")],
)
def test_connection_test_says_what_is_wrong(admin_client_, connection, seen, error, message):
    seen.fail("login", error)
    page = admin_client_.post(f"/admin/chorusweb/connection/{connection.pk}/tester/")
    assert message in page.text
    assert seen.count("rechercher_factures_destinataire") == 0


def test_connection_test_is_a_post(admin_client_, connection):
    assert admin_client_.get(f"/admin/chorusweb/connection/{connection.pk}/tester/").status_code == 405


def test_service_codes_are_picked_from_the_structure_services(admin_client_, connection, seen):
    user = UserFactory(username="pick")
    membership = MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT)
    url = f"/admin/chorusweb/membership/{membership.pk}/change/"
    page = admin_client_.get(url)
    assert 'type="checkbox" name="service_codes" value="CANTINE"' in page.text
    assert "Restauration scolaire (Mairie de Voiron)" in page.text
    answer = admin_client_.post(
        url,
        {"user": user.pk, "connection": connection.pk, "role": Role.RECIPIENT, "service_codes": ["CANTINE", "TECH"]},
    )
    assert answer.status_code == 302
    assert Membership.objects.get(pk=membership.pk).service_codes == ["CANTINE", "TECH"]


def test_service_codes_fall_back_to_text_when_upstream_is_unreachable(admin_client_, connection, fake):
    fake.fail("rechercher_factures_destinataire", FactPulseUnavailable(), times=5)
    user = UserFactory(username="typed")
    membership = MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT, service_codes=["OLD"])
    url = f"/admin/chorusweb/membership/{membership.pk}/change/"
    page = admin_client_.get(url)
    assert "tapez les codes" in page.text and 'value="OLD"' in page.text
    answer = admin_client_.post(
        url, {"user": user.pk, "connection": connection.pk, "role": Role.ISSUER, "service_codes": "FIN, RH ;TECH"}
    )
    assert answer.status_code == 302
    assert Membership.objects.get(pk=membership.pk).service_codes == ["FIN", "RH", "TECH"]


def test_received_invoice_shows_recipient_names_from_the_directory(client, recipient, connection, fake):
    invoice = ReceivedInvoiceFactory(
        connection=connection, recipient_code=MAIRIE_SIRET, recipient_name="", service_code="CANTINE", service_name=""
    )
    client.force_login(recipient)
    page = client.get(f"/factures/{invoice.pk}/")
    assert page.status_code == 200
    assert "Mairie de Voiron — Restauration scolaire" in page.text


def test_issued_mirror_admin_is_read_only(admin_client_, connection, fake):
    from issuers import services
    from issuers.models import IssuedInvoice

    fake.add_issued(invoice_number="E-ADMIN")
    services.sync_issued(connection=connection)
    invoice = IssuedInvoice.objects.get(invoice_number="E-ADMIN")
    assert "E-ADMIN" in admin_client_.get("/admin/issuers/issuedinvoice/").text
    page = admin_client_.get(f"/admin/issuers/issuedinvoice/{invoice.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text


def test_new_membership_rows_of_a_connection_pick_from_its_services(admin_client_, connection, seen):
    page = admin_client_.get(f"/admin/chorusweb/connection/{connection.pk}/change/")
    assert 'name="memberships-__prefix__-service_codes" value="CANTINE"' in page.text
