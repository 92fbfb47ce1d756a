"""The dashboard: each figure against a hand count, each figure's link against the list it opens."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.models import Role
from dashboard.forms import period_of
from invoices.clock import clocks_recompute
from invoices.models import InvoiceEvent, ReceivedInvoice
from tests.factories import ConnectionFactory, MembershipFactory, ReceivedInvoiceFactory, UserFactory
from tests.validators.factories import ValidationInvoiceFactory

S1, S2 = "21000000000011", "21000000000022"
TODAY = timezone.localdate()


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _invoice(connection, events, *, comment: str = "", **kwargs) -> ReceivedInvoice:
    """An invoice whose observed timeline is `events` [(status, days ago)], clock computed.

    `comment` is the reason of its suspension or rejection (on that event and, when it is the
    current status, on the invoice).
    """
    status = events[-1][0]
    invoice = ReceivedInvoiceFactory(
        connection=connection,
        status=status,
        status_changed_at=_at(TODAY - timedelta(days=events[-1][1])),
        status_comment=comment if status in (lc.SUSPENDUE, lc.REJETEE) else "",
        deposit_date=TODAY - timedelta(days=events[0][1]),
        **kwargs,
    )
    previous = ""
    for code, ago in events:
        InvoiceEvent.objects.create(
            invoice=invoice,
            status=code,
            previous_status=previous,
            occurred_at=_at(TODAY - timedelta(days=ago)),
            comment=comment if code in (lc.SUSPENDUE, lc.REJETEE) else "",
            source="sync",
        )
        previous = code
    clocks_recompute(pks=[invoice.pk])
    invoice.refresh_from_db()
    return invoice


def _money(value: str) -> dict:
    amount = Decimal(value)
    return {"total_incl_tax": amount, "amount_due": amount, "total_excl_tax": amount}


@pytest.fixture
def fixture(connection):
    MAD, MEP = lc.MISE_A_DISPOSITION, lc.MISE_EN_PAIEMENT
    s1 = {"recipient_code": S1, "recipient_name": "Commune A", "service_code": "FIN"}
    s1_rh = {**s1, "service_code": "RH", "service_name": "Ressources humaines"}
    s2 = {"recipient_code": S2, "recipient_name": "Commune B", "service_code": "RH", "service_name": "RH"}
    invoices = {
        # paid on time (24 days), paid late (40 days: 10 late), paid on time elsewhere (10 days)
        "paid_on_time": _invoice(connection, [(MAD, 60), (MEP, 36)], **s1, **_money("1000.00")),
        "paid_late": _invoice(connection, [(MAD, 80), (MEP, 40)], **s1, **_money("2000.00")),
        "paid_s2": _invoice(connection, [(MAD, 50), (MEP, 40)], **s2, **_money("500.00")),
        # running and late: 12 and 5 days
        "late": _invoice(connection, [(MAD, 42)], **s1, **_money("3650.00")),
        "late_s2": _invoice(connection, [(MAD, 35)], **s2, **_money("1000.00")),
        # suspended once, for two reasons
        "suspended": _invoice(
            connection,
            [(MAD, 20), (lc.SUSPENDUE, 10)],
            comment="Pièces manquantes : bon de commande, RIB.",
            **s1_rh,
            **_money("700.00"),
        ),
        # suspended once, then completed 5 days later (a 5-day pause)
        "completed": _invoice(
            connection,
            [(MAD, 30), (lc.SUSPENDUE, 25), (lc.COMPLETEE, 20)],
            comment="RIB manquant",
            **s1_rh,
            **_money("400.00"),
        ),
        # a credit note (stored with a positive amount): netted
        "credit": _invoice(connection, [(MAD, 5)], invoice_type="AVOIR", **s1, **_money("200.00")),
        "fresh": _invoice(connection, [(MAD, 3)], **s2, **_money("1200.00")),
        "mandated": _invoice(connection, [(MAD, 25), (lc.MANDATEE, 5)], **s1, **_money("300.00")),
        "rejected": _invoice(
            connection, [(MAD, 15), (lc.REJETEE, 5)], comment="Doublon de la facture F-12", **s1, **_money("90.00")
        ),
    }
    # Not seen by the accountant: another connection.
    _invoice(ConnectionFactory(), [(MAD, 42)], **s1, **_money("99999.00"))
    return invoices


PERIOD = {"periode": "perso", "du": (TODAY - timedelta(days=365)).isoformat(), "au": TODAY.isoformat()}


def _page(client, **params):
    response = client.get("/tableau-de-bord/?" + urlencode({**PERIOD, **params}))
    assert response.status_code == 200
    return response


def _tables(response) -> dict:
    return {slug.replace("_", "-"): table for slug, table in response.context["tables"].items()}


def _list_count(client, url: str) -> int:
    # the list's table alone (an htmx request for it): the same selector and count as the page
    response = client.get(url, headers={"HX-Request": "true", "HX-Target": "results-table"})
    assert response.status_code == 200, url
    return response.context["result"].total_count


def _row(table, label: str):
    return next(row for row in table.rows if label in str(row[0].value))


def test_payment_delay_per_structure_against_a_hand_count(recipient_client, fixture):
    tables = _tables(_page(recipient_client))
    delays = tables["delais"]
    a = _row(delays, S1)
    # Commune A: paid in 24 and 40 days (one late by 10 days)
    assert [c.value for c in a[1:]] == [30, 2, Decimal("32.0"), Decimal("32.0"), 1, Decimal("50.0"), 1]
    b = _row(delays, S2)
    assert [c.value for c in b[1:]] == [30, 1, Decimal("10.0"), Decimal("10.0"), 1, Decimal("100.0"), 0]
    total = delays.foot
    assert [c.value for c in total[2:]] == [3, Decimal("24.7"), Decimal("24.0"), 2, Decimal("66.7"), 1]
    assert sum(row[1].value for row in tables["tendance"].rows) == 3


def test_late_now_against_the_clock(recipient_client, fixture):
    tables = _tables(_page(recipient_client))
    late, late_s2 = fixture["late"], fixture["late_s2"]
    assert late.clock_days_late == 12 and late_s2.clock_days_late == 5
    interest = late.clock_interest + late_s2.clock_interest
    assert interest > 0
    row = tables["retards"].rows[0]
    assert [c.value for c in row] == [2, Decimal("4650.00"), interest, Decimal("80.00"), interest + Decimal("80.00")]
    top = tables["plus-en-retard"].rows
    assert [r[0].value for r in top] == [late.invoice_number, late_s2.invoice_number]
    assert top[0][0].url == f"/factures/{late.pk}/"


def test_backlog_by_age_and_holder(recipient_client, fixture):
    stock = _tables(_page(recipient_client))["stock"]
    # ages 0–10: credit note, fresh; 11–20: suspended; 21–30: mandated, completed; over 30: the two late ones
    assert [c.value for c in stock.foot[2:]] == [2, 1, 2, 2, 7, 6, 1]
    fin = next(r for r in stock.rows if S1 in r[0].value and r[1].value == "FIN")
    assert [c.value for c in fin[2:]] == [1, 0, 1, 1, 3, 2, 1]


def test_volumes_net_credit_notes_and_top_suppliers(recipient_client, fixture):
    tables = _tables(_page(recipient_client))
    volumes = tables["volumes"]
    gross = sum(
        (inv.total_incl_tax for key, inv in fixture.items() if key != "credit"),
        Decimal(0),
    )
    assert [c.value for c in volumes.foot[1:]] == [11, 1, gross - Decimal("200.00")]
    suppliers = tables["fournisseurs"].rows  # ten of the eleven suppliers, largest net amount first
    assert len(suppliers) == 10 and suppliers[0][1].value == fixture["late"].supplier_code
    assert Decimal("-200.00") not in [r[3].value for r in suppliers]
    suppliers = _tables(_page(recipient_client, structure=S1))["fournisseurs"].rows  # eight suppliers
    assert suppliers[-1][1].value == fixture["credit"].supplier_code
    assert suppliers[-1][3].value == Decimal("-200.00")  # the credit note's supplier, netted


def test_suspensions_and_rejections_per_reason(recipient_client, fixture):
    rows = _tables(_page(recipient_client))["motifs"].rows
    found = {(r[0].value, r[1].value): (r[2].value, r[3].value) for r in rows}
    # suspended 10 days ago and still suspended (10 days); suspended 25 days ago, completed 20 days ago (5 days)
    assert found == {
        (lc.status_label(lc.SUSPENDUE), "Bon de commande ou engagement"): (1, 10),
        (lc.status_label(lc.SUSPENDUE), "Coordonnées bancaires (RIB)"): (2, 15),
        (lc.status_label(lc.REJETEE), "Doublon"): (1, 10),
    }


def test_every_figure_links_to_a_list_of_the_same_count(recipient_client, fixture):
    tables = _tables(_page(recipient_client))
    checked = 0
    for table in tables.values():
        for row in [*table.rows, *([table.foot] if table.foot else [])]:
            for cell in row:
                if cell.url.startswith("/factures/?") and cell.kind == "count":
                    assert _list_count(recipient_client, cell.url) == cell.value, (table.slug, cell.url)
                    checked += 1
    assert checked >= 40


def test_money_figures_link_to_lists_with_the_same_total(recipient_client, fixture):
    tables = _tables(_page(recipient_client))
    late = tables["retards"].rows[0]
    response = recipient_client.get(late[1].url)
    assert response.context["result"].total_incl_tax == late[1].value
    paid = tables["delais"].foot[2]
    assert _list_count(recipient_client, paid.url) == 3


def test_service_limited_user_sees_only_their_services(client, connection, fixture):
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.RECIPIENT, service_codes=["RH"])
    client.force_login(user)
    tables = _tables(_page(client))
    # RH: paid_s2 (paid), late_s2 (late), suspended, completed, fresh
    assert tables["delais"].foot[2].value == 1
    assert tables["retards"].rows[0][0].value == 1
    assert tables["stock"].foot[6].value == 4
    assert tables["volumes"].foot[1].value == 5
    assert {r[1].value for r in tables["motifs"].rows} == {
        "Bon de commande ou engagement",
        "Coordonnées bancaires (RIB)",
    }
    html = client.get("/tableau-de-bord/?" + urlencode(PERIOD)).content.decode()
    assert fixture["late"].invoice_number not in html
    assert fixture["late_s2"].invoice_number in html


def test_filters_by_structure_service_and_connection(recipient_client, fixture, connection):
    tables = _tables(_page(recipient_client, structure=S2))
    assert tables["delais"].foot[2].value == 1
    assert tables["volumes"].foot[1].value == 3
    assert _list_count(recipient_client, tables["volumes"].foot[1].url) == 3
    tables = _tables(_page(recipient_client, service="fin"))  # late, credit note, mandated
    assert tables["stock"].foot[6].value == 3
    assert _list_count(recipient_client, tables["stock"].foot[6].url) == 3
    other = ConnectionFactory()
    tables = _tables(_page(recipient_client, connexion=other.pk))  # not the user's: ignored
    assert tables["volumes"].foot[1].value == 11


def test_periods():
    day = date(2026, 5, 17)
    assert (period_of("mois", day).start, period_of("mois", day).end) == (date(2026, 5, 1), date(2026, 5, 31))
    assert (period_of("trimestre", day).start, period_of("trimestre", day).end) == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    assert period_of("annee", day).end == date(2026, 12, 31)
    custom = period_of("perso", day, date(2026, 3, 10), date(2026, 1, 5))
    assert (custom.start, custom.end) == (date(2026, 1, 5), date(2026, 3, 10))
    assert len(custom.months()) == 3 and custom.clip(date(2026, 3, 1)) == (date(2026, 3, 1), date(2026, 3, 10))


def test_validation_figures_link_to_the_queue(client, connection):
    user = UserFactory()
    MembershipFactory(user=user, connection=connection, role=Role.VALIDATOR)
    ValidationInvoiceFactory(connection=connection, deadline=TODAY + timedelta(days=2))
    ValidationInvoiceFactory(connection=connection, deadline=TODAY + timedelta(days=10))
    ValidationInvoiceFactory(connection=connection, deadline=TODAY - timedelta(days=1))
    client.force_login(user)
    assert client.get("/")["Location"] == "/validation/"  # validators keep their queue as home
    response = client.get("/tableau-de-bord/")
    row = _tables(response)["validation"].rows[0]
    assert [c.value for c in row] == [3, 1, 1]
    for cell in row:
        assert client.get(cell.url).context["result"].total_count == cell.value
    assert "delais" not in _tables(response)  # no received figures without the received role
    ValidationInvoiceFactory(connection=connection, recipient_code=S1, service_code="RH", deadline=TODAY)
    row = _tables(client.get("/tableau-de-bord/?" + urlencode({"structure": S1, "service": "rh"})))["validation"].rows[
        0
    ]
    assert [c.value for c in row] == [1, 1, 0]
    for cell in row:
        assert client.get(cell.url).context["result"].total_count == cell.value


def test_accountant_home_is_the_dashboard(recipient_client):
    assert recipient_client.get("/")["Location"] == "/tableau-de-bord/"
    html = recipient_client.get("/tableau-de-bord/").content.decode()
    assert 'aria-current="page">Tableau de bord' in html


def test_constant_query_count(recipient_client, connection, fixture, django_assert_max_num_queries):
    _page(recipient_client)  # warm the session
    with django_assert_max_num_queries(20) as small:
        _page(recipient_client)
    for i in range(30):
        _invoice(
            connection,
            [(lc.MISE_A_DISPOSITION, 40 + i), (lc.MISE_EN_PAIEMENT, 5 + i)],
            recipient_code=f"2100000000{i:04d}",
            recipient_name=f"Structure {i}",
            service_code=f"S{i}",
            supplier_code=f"9{i:013d}",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        _page(recipient_client)


def test_csv_and_excel_exports(recipient_client, fixture):
    query = urlencode(PERIOD)
    response = recipient_client.get(f"/tableau-de-bord/export/stock.csv?{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Structure" and rows[-1][:7] == ["Total", "", "2", "1", "2", "2", "7"]
    assert recipient_client.get(f"/tableau-de-bord/export/inconnu.csv?{query}").status_code == 404
    response = recipient_client.get(f"/tableau-de-bord/export.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == len(_tables(_page(recipient_client)))
    volumes = next(book[name] for name in book.sheetnames if name.startswith("Factures reçues par mois"))
    last = [c.value for c in volumes[volumes.max_row]]
    assert last[1] == 11 and last[2] == 1


def test_page_is_complete_without_javascript_and_strict_csp(recipient_client, fixture):
    response = _page(recipient_client)
    html = response.content.decode()
    assert "<table" in html and "Voir les données" in html
    assert 'type="application/json"' in html  # the charts' data, through json_script
    for tag in html.split("<script")[1:]:
        assert "src=" in tag.split(">")[0] or 'type="application/json"' in tag.split(">")[0]
    assert 'style="' not in html


def test_htmx_request_gets_only_the_figures(recipient_client, fixture):
    response = recipient_client.get(
        "/tableau-de-bord/?" + urlencode(PERIOD), headers={"HX-Request": "true", "HX-Target": "dashboard-figures"}
    )
    html = response.content.decode()
    assert 'id="dashboard-figures"' in html and "<html" not in html


def test_clock_states_used_by_the_fixture(fixture):
    assert fixture["paid_late"].clock_state == pd.State.PAID and fixture["paid_late"].clock_days_late == 10
    assert fixture["credit"].clock_state == pd.State.NONE
    assert fixture["suspended"].clock_state == pd.State.PAUSED
    assert fixture["completed"].clock_state == pd.State.RUNNING and fixture["completed"].status == lc.COMPLETEE


def test_vendored_chartjs_is_the_pinned_version():
    import json
    from pathlib import Path

    from django.conf import settings

    lock = json.loads((Path(settings.BASE_DIR) / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/chart.js"]["version"]
    vendored = (Path(settings.BASE_DIR) / "static/vendor/chartjs/chart.umd.min.js").read_text()
    assert f"Chart.js v{version}" in vendored[:200]
    assert "sourceMappingURL" not in vendored  # the manifest storage would look for a missing map
    assert (Path(settings.BASE_DIR) / "static/vendor/chartjs/LICENSE.md").exists()


def test_list_keeps_the_dashboard_filters_within_its_query_budget(recipient_client, fixture):
    """The dashboard's filters cost what the list's own free filters cost (one matching invoice each)."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    recipient_client.get("/factures/")  # warm the session
    params = {
        "onglet": "toutes",
        "structure": S1,
        "paye_du": (TODAY - timedelta(days=365)).isoformat(),
        "paye_au": TODAY.isoformat(),
        "paiement": "en-retard",
    }
    with CaptureQueriesContext(db) as own:
        recipient_client.get(
            "/factures/?" + urlencode({"onglet": "toutes", "numero": fixture["paid_late"].invoice_number})
        )
    with CaptureQueriesContext(db) as ctx:
        response = recipient_client.get("/factures/?" + urlencode(params))
    assert len(ctx.captured_queries) <= len(own.captured_queries)
    assert response.context["result"].total_count == 1
    html = response.content.decode()
    # kept when filtering again: the structure by the list's own filter, the others as hidden fields
    assert f'<option value="{S1}" selected>' in html
    assert '<input type="hidden" name="paiement" value="en-retard">' in html
    assert "Filtres venant du tableau de bord" in html and "Payées en retard" in html
    # Reason kinds: a text matching none is "autre"; an unknown kind is ignored, not a 500.
    autre = recipient_client.get("/factures/?onglet=toutes&statut=SUSPENDUE&statut=REJETEE&motif=autre")
    assert autre.context["result"].total_count == 0
    assert recipient_client.get("/factures/?onglet=toutes&motif=nimporte").status_code == 200


def test_print_stylesheet():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/css/dashboard.css").read_text()
    assert "@media print" in css and "#dashboard-filters" in css.split("@media print", 1)[1]
