"""Fixtures of the issued invoices workspace: an issuer, the fake gateway with a structure directory."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from chorusweb.models import Role
from tests.factories import MembershipFactory, UserFactory

#: A commune whose invoices need a service code (and one that needs nothing).
MAIRIE = 501
MAIRIE_SIRET = "21380185500015"
SYNDICAT = 502
SYNDICAT_SIRET = "25380123400017"


@pytest.fixture(autouse=True)
def _fresh_directory_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issuer(db, connection):
    user = UserFactory(username="emetteur-test")
    MembershipFactory(user=user, connection=connection, role=Role.ISSUER)
    return user


@pytest.fixture
def issuer_client(client, issuer):
    client.force_login(issuer)
    return client


@pytest.fixture
def fake(fake_factpulse):
    fake_factpulse.add_structure(
        MAIRIE,
        siret=MAIRIE_SIRET,
        name="Mairie de Voiron",
        service_code_required=True,
        services=[("CANTINE", "Restauration scolaire"), ("TECH", "Services techniques")],
    )
    fake_factpulse.add_structure(SYNDICAT, siret=SYNDICAT_SIRET, name="Syndicat des eaux")
    return fake_factpulse
