"""The seed (volumes, spread, determinism, consistency), the commands, the Python API."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
from sandbox import accounts, services
from sandbox.amounts import compute_totals
from sandbox.documents import build_cii_xml, invoice_documents
from sandbox.models import Account, Attachment, ChorusAccount, Invoice, Structure
from sandbox.seed import luhn_valid
from sandbox.testing import DEMO_PRIVATE_IDS, DEMO_PUBLIC_IDS, OTHER_PUBLIC_IDS, seed_full, seed_small


def _fingerprint() -> list[tuple]:
    return list(
        Invoice.objects.order_by("id").values_list("id", "numero_facture", "statut", "montant_ttc", "recipient_id")
    )


@pytest.mark.django_db
def test_full_seed_volumes_and_spread():
    summary = seed_full()  # its duration is measured by `make bench`
    demo_received = Invoice.objects.filter(recipient_id__in=DEMO_PUBLIC_IDS, routed=True)
    assert demo_received.count() >= 400
    assert summary.received_demo == demo_received.count()
    pending = Invoice.objects.filter(statut__in=lc.AWAITING_VALIDATION, validator_id__in=DEMO_PRIVATE_IDS)
    assert pending.count() >= 40
    assert set(demo_received.values_list("statut", flat=True)) >= set(lc.RECIPIENT_STATUSES)
    assert demo_received.filter(type_facture="AVOIR").count() >= 10
    today = timezone.localdate()
    oldest = min(timezone.localtime(d).date() for d in demo_received.values_list("date_depot", flat=True))
    assert (today - oldest).days >= 500  # spread over ~18 months
    near_deadline = [
        d
        for d in pending.values_list("date_depot", flat=True)
        if 0 <= lc.days_left(timezone.localtime(d).date(), today) <= 3
    ]
    assert len(near_deadline) >= 5
    assert Structure.objects.filter(pk__in=DEMO_PUBLIC_IDS).count() == 5
    assert all(Structure.objects.get(pk=pk).services.count() >= 2 for pk in DEMO_PUBLIC_IDS)
    suppliers = Structure.objects.filter(chorus_account__isnull=True)
    assert suppliers.count() == 40
    assert all(luhn_valid(s) for s in suppliers.values_list("identifier", flat=True))
    assert Attachment.objects.filter(invoice__recipient_id__in=DEMO_PUBLIC_IDS).exists()
    assert Invoice.objects.filter(recipient_id__in=OTHER_PUBLIC_IDS).count() >= 40
    assert ChorusAccount.objects.count() >= 2


@pytest.mark.django_db
def test_demo_account_of_the_dashboard_exists():
    seed_small()
    pair = accounts.token_pair(
        email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=str(DEMO_CLIENT_UID),
        access_lifetime=60,
    )
    assert pair["access"] and pair["refresh"]
    assert Account.objects.get(email=DEMO_FACTPULSE_EMAIL).default_chorus_account.client_uid == DEMO_CLIENT_UID


@pytest.mark.django_db
def test_seed_is_deterministic():
    seed_small(seed=11)
    first = _fingerprint()
    seed_small(seed=11)
    assert _fingerprint() == first
    seed_small(seed=12)
    assert _fingerprint() != first


@pytest.mark.django_db
def test_amounts_are_consistent_with_lines(sandbox_seed):
    for invoice in Invoice.objects.all():
        totals = compute_totals(invoice.lines)
        assert (totals.net, totals.vat, totals.gross) == (invoice.montant_ht, invoice.montant_tva, invoice.montant_ttc)
        assert invoice.montant_ht > 0 and invoice.lines
        assert invoice.date_facture <= timezone.localtime(invoice.date_depot).date()
        assert invoice.date_heure_etat_courant >= invoice.date_depot - timedelta(minutes=1)


@pytest.mark.django_db
def test_documents_are_generated_lazily_and_cached(sandbox_seed):
    from sandbox.models import DocumentCache

    assert not DocumentCache.objects.exists()
    invoice = Invoice.objects.filter(type_facture="AVOIR").first()
    docs = invoice_documents(invoice)
    assert docs.pdf.startswith(b"%PDF") and docs.xml == build_cii_xml(invoice)
    assert DocumentCache.objects.count() == 1
    assert invoice_documents(invoice).pdf == docs.pdf


@pytest.mark.django_db
def test_seed_if_empty_command():
    out = io.StringIO()
    call_command("sandbox_seed_if_empty", stdout=out)
    assert "rempli" in out.getvalue()
    first = _fingerprint()
    assert len(first) >= 500
    Invoice.objects.filter(pk=first[0][0]).update(statut=lc.REJETEE)
    out = io.StringIO()
    call_command("sandbox_seed_if_empty", stdout=out)
    assert "déjà" in out.getvalue()
    assert Invoice.objects.get(pk=first[0][0]).statut == lc.REJETEE


@pytest.mark.django_db
def test_reset_command_restores_the_seed():
    call_command("sandbox_reset", "--small", stdout=io.StringIO())
    first = _fingerprint()
    Invoice.objects.all().update(statut=lc.REJETEE)
    services.deposit(5)
    call_command("sandbox_reset", "--small", stdout=io.StringIO())
    assert _fingerprint() == first


@pytest.mark.django_db
def test_deposit_command_adds_new_arrivals(sandbox_seed):
    before = Invoice.objects.count()
    call_command("sandbox_deposit", "1500", stdout=io.StringIO())  # two batches of the bulk insert
    new = Invoice.objects.order_by("-id")[:1500]
    assert Invoice.objects.count() == before + 1500
    assert {i.statut for i in new} == {lc.MISE_A_DISPOSITION}
    assert not any(i.facture_telechargee for i in new)
    assert {i.recipient_id for i in new} <= set(DEMO_PUBLIC_IDS)
    assert len({(i.supplier_id, i.numero_facture) for i in new}) == 1500
    invoice = new[0]
    assert compute_totals(invoice.lines).gross == invoice.montant_ttc == Decimal(invoice.montant_ttc)


@pytest.mark.django_db
def test_account_command_creates_an_account():
    seed_small()
    call_command(
        "sandbox_account", "tiers@example.test", "secret", "--client-uid", str(DEMO_CLIENT_UID), stdout=io.StringIO()
    )
    pair = accounts.token_pair(email="tiers@example.test", password="secret", client_uid=None, access_lifetime=60)
    assert pair["access"]
    with pytest.raises(accounts.AuthenticationFailed):
        accounts.token_pair(email="tiers@example.test", password="wrong", client_uid=None, access_lifetime=60)
