"""Factories of the validation mirror (the shared ones live in tests/factories.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from chorusweb import lifecycle as lc
from tests.factories import ConnectionFactory
from validators.models import QueueState, ValidationInvoice


class ValidationInvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValidationInvoice

    connection = factory.SubFactory(ConnectionFactory)
    invoice_id = factory.Sequence(lambda n: 500000 + n)
    invoice_number = factory.Sequence(lambda n: f"ST-{n:05d}")
    invoice_type = "FACTURE"
    framework = "A9_FACTURE_SOUSTRAITANT"
    status = lc.A_VALIDER_1
    state = QueueState.AWAITING
    level = 1
    invoice_date = factory.LazyAttribute(lambda o: o.deposit_date - timedelta(days=2))
    deposit_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=5))
    deadline = factory.LazyAttribute(lambda o: lc.validation_deadline(o.deposit_date))
    total_excl_tax = Decimal("1000.00")
    total_incl_tax = Decimal("1200.00")
    currency = "EUR"
    supplier_code = factory.Sequence(lambda n: f"5{n:013d}")
    supplier_name = factory.Sequence(lambda n: f"Sous-traitant {n} SAS")
    recipient_name = "Commune de Test"
    service_code = "TRAVAUX"
    synced_at = factory.LazyFunction(timezone.now)
