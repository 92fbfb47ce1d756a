"""factory-boy factories shared by the whole suite."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from chorusweb.models import Connection, Membership, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    password = factory.django.Password("secret-password-123")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    name = factory.Sequence(lambda n: f"Connexion {n}")
    api_base_url = "http://127.0.0.1:9/sandbox"
    account_email = factory.Sequence(lambda n: f"account{n}@example.test")
    password = "factpulse-password"
    client_uid = factory.Faker("uuid4", cast_to=None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    connection = factory.SubFactory(ConnectionFactory)
    role = Role.RECIPIENT
    service_codes = factory.LazyFunction(list)


class ReceivedInvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoices.ReceivedInvoice"

    connection = factory.SubFactory(ConnectionFactory)
    invoice_id = factory.Sequence(lambda n: 100000 + n)
    invoice_number = factory.Sequence(lambda n: f"F2026-{n:05d}")
    invoice_type = "FACTURE"
    status = "MISE_A_DISPOSITION"
    status_changed_at = factory.LazyFunction(timezone.now)
    invoice_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    deposit_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=5))
    total_excl_tax = Decimal("1000.00")
    total_incl_tax = Decimal("1200.00")
    amount_due = Decimal("1200.00")
    currency = "EUR"
    supplier_code = factory.Sequence(lambda n: f"4{n:013d}")
    supplier_name = factory.Sequence(lambda n: f"Fournisseur {n} SARL")
    service_code = "FIN"
    service_name = "Finances"
    recipient_name = "Commune de Test"
    synced_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Like every write to the mirror, a created invoice moves the queue counters."""
        from invoices.stats import Contribution, stats_apply

        invoice = super()._create(model_class, *args, **kwargs)
        stats_apply(
            invoice.connection_id,
            added=[Contribution.of(invoice)],
        )
        return invoice
