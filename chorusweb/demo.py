"""The demo: four users and one connection to the built-in sandbox (idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from chorusweb.models import Connection, Membership, Role

#: The sandbox account the demo connection logs in with (the sandbox seeds the same one).
DEMO_FACTPULSE_EMAIL = "demo@chorusweb.test"
DEMO_FACTPULSE_PASSWORD = "demo-factpulse"  # noqa: S105 (sandbox demo account)
DEMO_CLIENT_UID = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
DEMO_CONNECTION_NAME = "Démo — bac à sable"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    role: str | None  # None: administrator (superuser)
    description: str


DEMO_USERS = (
    DemoUser("admin", "chorusweb-admin", "Alice", "Admin", None, "administrateur (admin Django)"),
    DemoUser("comptable", "chorusweb-demo", "Claire", "Comptable", Role.RECIPIENT, "comptable / destinataire"),
    DemoUser("valideur", "chorusweb-demo", "Victor", "Valideur", Role.VALIDATOR, "valideur"),
    DemoUser("emetteur", "chorusweb-demo", "Émile", "Émetteur", Role.ISSUER, "émetteur (factures émises)"),
)


@transaction.atomic
def load_demo(api_base_url: str | None = None) -> Connection:
    """Create or update the demo users, connection and memberships; never duplicates them."""
    connection, created = Connection.objects.get_or_create(
        name=DEMO_CONNECTION_NAME,
        defaults={
            "api_base_url": api_base_url or settings.FACTPULSE_API_URL,
            "account_email": DEMO_FACTPULSE_EMAIL,
            "password": DEMO_FACTPULSE_PASSWORD,
            "client_uid": DEMO_CLIENT_UID,
        },
    )
    if not created and api_base_url and connection.api_base_url != api_base_url:
        connection.api_base_url = api_base_url
        connection.save(update_fields=["api_base_url", "updated_at"])
    User = get_user_model()
    for demo in DEMO_USERS:
        user, user_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@chorusweb.test",
                "is_staff": demo.role is None,
                "is_superuser": demo.role is None,
            },
        )
        if user_created:
            user.set_password(demo.password)
            user.save(update_fields=["password"])
        if demo.role:
            Membership.objects.get_or_create(user=user, connection=connection, role=demo.role)
    demo_payment_profiles()
    return connection


def demo_payment_profiles() -> None:
    """The sandbox's public hospitals get their 50-day payment profile (R2192-11), once."""
    if not settings.SANDBOX_ENABLED:
        return
    from chorusweb import payment_delay as pd
    from invoices.clock import clocks_recompute
    from invoices.models import StructureProfile
    from sandbox.models import Structure

    hospitals = Structure.objects.filter(chorus_account__client_uid=DEMO_CLIENT_UID, category="hôpital")
    for structure in hospitals:
        _profile, created = StructureProfile.objects.get_or_create(
            structure_code=structure.identifier,
            defaults={
                "structure_name": structure.name,
                "kind": pd.DELAY_HOSPITAL,
                "delay_days": pd.DELAY_HOSPITAL,
                "ordonnateur_days": pd.DEFAULT_ORDONNATEUR_DAYS[pd.DELAY_HOSPITAL],
            },
        )
        if created:
            clocks_recompute(structure_code=structure.identifier)
