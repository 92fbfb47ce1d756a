"""The payment-delay clock on the received mirror: stored, recomputed, listed, shown, guarded."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.audit import ActionRejected
from chorusweb.models import AuditEntry
from invoices import services
from invoices.checks import check_interest_rates
from invoices.clock import clocks_recompute, missing_rates
from invoices.forms import ProcessForm
from invoices.models import InterestRate, InvoiceEvent, ReceivedInvoice, StructureProfile
from tests.factories import ReceivedInvoiceFactory


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _invoice(connection, events, **kwargs) -> ReceivedInvoice:
    """An invoice whose observed timeline is `events` [(status, days ago)], clock computed."""
    today = timezone.localdate()
    status = events[-1][0]
    invoice = ReceivedInvoiceFactory(
        connection=connection,
        status=status,
        status_changed_at=_at(today - timedelta(days=events[-1][1])),
        deposit_date=today - timedelta(days=events[0][1]),
        **kwargs,
    )
    previous = ""
    for code, ago in events:
        InvoiceEvent.objects.create(
            invoice=invoice,
            status=code,
            previous_status=previous,
            occurred_at=_at(today - timedelta(days=ago)),
            source="sync",
        )
        previous = code
    clocks_recompute(pks=[invoice.pk])
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def clocks(connection):
    return {
        "late": _invoice(connection, [(lc.MISE_A_DISPOSITION, 42)], amount_due=Decimal("3650.00")),
        "soon": _invoice(connection, [(lc.MISE_A_DISPOSITION, 25)]),
        "fresh": _invoice(connection, [(lc.MISE_A_DISPOSITION, 2)]),
        "paused": _invoice(connection, [(lc.MISE_A_DISPOSITION, 20), (lc.SUSPENDUE, 10)]),
        "paid": _invoice(connection, [(lc.MISE_A_DISPOSITION, 60), (lc.MISE_EN_PAIEMENT, 36)]),
        "credit": _invoice(connection, [(lc.MISE_A_DISPOSITION, 50)], invoice_type="AVOIR"),
    }


def test_clock_is_stored_on_the_mirror(clocks):
    late, paid, paused, credit = clocks["late"], clocks["paid"], clocks["paused"], clocks["credit"]
    today = timezone.localdate()
    assert late.clock_state == pd.State.RUNNING and late.clock_days_late == 12
    assert late.clock_due == today - timedelta(days=12)
    assert late.clock_start_origin == pd.Origin.OBSERVED
    assert late.clock_interest > 0
    assert paid.clock_state == pd.State.PAID and paid.clock_paid_in == 24 and paid.clock_interest == 0
    assert paused.clock_state == pd.State.PAUSED and paused.clock_due is None
    assert paused.clock_order == pd.NO_DUE_DATE
    assert credit.clock_state == pd.State.NONE and credit.clock_interest is None


def test_list_column_filters_counts_and_interest(recipient_client, clocks):
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert "En retard de 12 j" in html
    assert "J-5" in html
    assert "Payée en 24 j" in html
    assert "Suspendu" in html
    assert "intérêts moratoires estimés" in html
    late = recipient_client.get("/factures/?onglet=toutes&delai=retard").content.decode()
    assert clocks["late"].invoice_number in late
    assert clocks["soon"].invoice_number not in late
    assert 'aria-current="true"' in late
    soon = recipient_client.get("/factures/?onglet=toutes&delai=sept-jours").content.decode()
    assert clocks["soon"].invoice_number in soon and clocks["late"].invoice_number not in soon


def test_clock_counts_beyond_the_bound_say_so_and_leave_the_interest_out(recipient_client, clocks, monkeypatch):
    """Every invoice is counted in its tab (the counters), but the clock filters count at most
    COUNT_BOUND rows each: beyond it, "plus de N", and the interest is said not computed."""
    from chorusweb import workspace as lists

    _invoice(clocks["late"].connection, [(lc.MISE_A_DISPOSITION, 45)])
    monkeypatch.setattr(lists, "COUNT_BOUND", 1)
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert "7 factures" in html  # the tab's count stays exact
    assert '<span class="count">plus de 1</span>' in html  # two late clocks
    assert "intérêts moratoires estimés" not in html
    assert "intérêts moratoires non calculés au-delà de 1 facture en retard" in html
    monkeypatch.setattr(lists, "COUNT_BOUND", 10)
    html = recipient_client.get("/factures/?onglet=toutes").content.decode()
    assert "intérêts moratoires estimés" in html and "plus de" not in html


def test_a_clock_count_beyond_the_bound_is_not_read_again_for_a_moment(recipient_client, clocks, monkeypatch):
    """The late count found beyond the bound is remembered (BEYOND_BOUND_SECONDS): the next
    view does not read its index entries again; a count within the bound is read every time."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from chorusweb import workspace as lists

    _invoice(clocks["late"].connection, [(lc.MISE_A_DISPOSITION, 45)])
    monkeypatch.setattr(lists, "COUNT_BOUND", 1)

    def view() -> tuple[str, list[str]]:
        with CaptureQueriesContext(db) as queries:
            html = recipient_client.get("/factures/?onglet=toutes").content.decode()
        return html, [q["sql"] for q in queries.captured_queries if "clock_interest" in q["sql"]]

    first_html, first = view()
    second_html, second = view()
    for html in (first_html, second_html):
        assert '<span class="count">plus de 1</span>' in html
    assert len(second) == len(first) - 1  # the late count (2, beyond 1) is not read again
    assert any("clock_due" in sql for sql in second)  # the due-soon count (1, within it) is
    # Once the moment has passed (here: nothing remembered at all), every view reads it again.
    monkeypatch.setattr(lists, "BEYOND_BOUND_SECONDS", 0)
    lists.cache.clear()
    assert len(view()[1]) == len(first) and len(view()[1]) == len(first)


def test_list_sorts_by_due_date(recipient_client, clocks):
    html = recipient_client.get("/factures/?onglet=toutes&tri=echeance").content.decode()
    positions = [html.index(clocks[k].invoice_number) for k in ("paid", "late", "soon", "fresh", "paused")]
    assert positions == sorted(positions)
    html = recipient_client.get("/factures/?onglet=toutes&tri=-echeance").content.decode()
    assert html.index(clocks["paused"].invoice_number) < html.index(clocks["fresh"].invoice_number)


def test_csv_has_the_clock_columns(recipient_client, clocks):
    response = recipient_client.get("/factures/export.csv?onglet=toutes&delai=retard")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = [line for line in text.splitlines() if line]
    assert "Échéance" in header and "Intérêts moratoires estimés" in header and "Jours de retard" in header
    assert len(rows) == 1 and "En retard de 12 j" in rows[0] and ";12;" in rows[0]


def test_detail_panel_shows_articles_and_interest(recipient_client, clocks):
    late = clocks["late"]
    html = recipient_client.get(f"/factures/{late.pk}/").content.decode()
    assert 'id="clock-panel"' in html
    for article in ("R2192-12", "R2192-10", "R2192-31", "R2192-32"):
        assert article in html
    # 3650 x 12 days x rate / 365
    rate = pd.rate_for(late.clock_due + timedelta(days=1), InterestRate.table()).rate
    expected = (Decimal("3650.00") * 12 * rate / 100 / 365).quantize(Decimal("0.01"))
    assert late.clock_interest == expected
    assert "Ce qui a fait avancer le délai" in html


def test_service_done_date_is_audited_and_moves_the_start(recipient_client, clocks):
    invoice = clocks["fresh"]
    day = timezone.localdate() - timedelta(days=1)
    response = recipient_client.post(
        f"/factures/{invoice.pk}/service-fait/",
        {"date_service_fait": day.isoformat(), "motif_service_fait": "Livraison achevée le lendemain"},
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.service_done_date == day
    assert invoice.clock_start == day and invoice.clock_start_origin == pd.Origin.AGENT
    entry = AuditEntry.objects.get(action="service_done")
    assert entry.reason == "Livraison achevée le lendemain" and entry.state == AuditEntry.State.DONE
    # no reason: refused, nothing changed
    response = recipient_client.post(f"/factures/{invoice.pk}/service-fait/", {"date_service_fait": ""})
    assert response.status_code == 422
    invoice.refresh_from_db()
    assert invoice.service_done_date == day


def test_suspension_lists_missing_pieces(clocks):
    invoice = clocks["fresh"]
    form = ProcessForm(
        {
            "cible": lc.SUSPENDUE,
            "pieces": ["bon de commande", "RIB"],
            "motif": "",
            "cle": "k",
            "statut_vu": invoice.status,
        },
        invoice=invoice,
        clock=services.invoice_clock(invoice),
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["motif"] == "Pièces manquantes : bon de commande, RIB."
    empty = ProcessForm(
        {"cible": lc.SUSPENDUE, "motif": "", "cle": "k", "statut_vu": invoice.status},
        invoice=invoice,
        clock=services.invoice_clock(invoice),
    )
    assert not empty.is_valid() and "pieces" in empty.errors


def test_second_suspension_warns_before_allowing(connection):
    invoice = _invoice(connection, [(lc.MISE_A_DISPOSITION, 30), (lc.SUSPENDUE, 25), (lc.COMPLETEE, 20)])
    clock = services.invoice_clock(invoice)
    data = {"cible": lc.SUSPENDUE, "motif": "RIB", "cle": "k", "statut_vu": invoice.status}
    form = ProcessForm(data, invoice=invoice, clock=clock)
    assert form.second_suspension
    assert not form.is_valid() and "qu'une fois" in form.errors["confirme_suspension"][0]
    assert ProcessForm({**data, "confirme_suspension": "on"}, invoice=invoice, clock=clock).is_valid()


def test_suspension_after_the_mandate_is_refused_with_the_rule(connection, recipient):
    invoice = _invoice(connection, [(lc.MISE_A_DISPOSITION, 30), (lc.MANDATEE, 20), (lc.SERVICE_FAIT, 10)])
    with pytest.raises(ActionRejected) as info:
        services.invoice_process(user=recipient, invoice=invoice, target=lc.SUSPENDUE, reason="RIB")
    assert "R2192-27" in info.value.message
    assert not AuditEntry.objects.exists()  # never sent


def test_rejection_shows_its_cost(recipient_client, clocks):
    html = recipient_client.get(f"/factures/{clocks['soon'].pk}/").content.decode()
    assert "nouvelle facture et un nouveau délai" in html


def test_profile_of_a_hospital_gives_50_days(connection):
    invoice = _invoice(connection, [(lc.MISE_A_DISPOSITION, 40)], recipient_code="26000000000011")
    assert invoice.clock_state == pd.State.RUNNING and invoice.clock_days_late == 10
    StructureProfile.objects.create(structure_code="26000000000011", kind=50, delay_days=50, ordonnateur_days=35)
    call_command("payment_delay_recompute", "--structure", "26000000000011", "--all")
    invoice.refresh_from_db()
    assert invoice.clock_days_late == 0
    assert invoice.clock_due == invoice.clock_start + timedelta(days=50)
    assert invoice.clock_ordonnateur_due == invoice.clock_start + timedelta(days=35)


def test_profile_longer_than_the_law_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        StructureProfile(structure_code="1", kind=30, delay_days=45, ordonnateur_days=20).full_clean()


def test_daily_recompute_advances_running_clocks(connection):
    invoice = _invoice(connection, [(lc.MISE_A_DISPOSITION, 42)])
    later = timezone.localdate() + timedelta(days=3)
    assert clocks_recompute(running_only=True, today=later) == 1
    invoice.refresh_from_db()
    assert invoice.clock_days_late == 15

    from invoices.tasks import payment_delay_recompute

    assert payment_delay_recompute.enqueue().return_value == 1


def test_missing_rate_warns_the_administrator(db):
    missing = missing_rates()
    warnings = check_interest_rates()
    assert [w.id for w in warnings] == ["invoices.W001"] * len(missing)
    for half, warning in zip(missing, warnings, strict=True):
        assert f"year {half.year}, half {half.half}" in warning.hint
    if timezone.localdate() >= date(2026, 7, 1):
        assert pd.HalfYear(2026, 2) in missing or InterestRate.objects.filter(year=2026, half=2).exists()
    for half in missing:
        InterestRate.objects.create(year=half.year, half=half.half, rate=Decimal("10.00"))
    assert check_interest_rates() == []


def test_rates_shipped_as_data(db):
    table = InterestRate.table()
    assert table[pd.HalfYear(2024, 1)] == Decimal("12.50")
    assert table[pd.HalfYear(2025, 1)] == Decimal("11.15")
    assert table[pd.HalfYear(2026, 1)] == Decimal("10.15")
