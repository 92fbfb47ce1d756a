"""The dashboard's figures as tables: the page, its charts, the CSV files and the workbook read them.

Each cell carries its value, its kind (how to show it) and the link to the list filtered to
exactly the invoices it counts (the received list, or the validation queue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorusweb import lifecycle as lc
from dashboard.selectors import (
    ACCOUNTANT_STATUSES,
    AGE_BUCKETS,
    BACKLOG_STATUSES,
    ORDONNATEUR_STATUSES,
    Dashboard,
    age_range,
)

AGE_LABELS = {
    "0-10": gettext_lazy("0 à 10 jours"),
    "11-20": gettext_lazy("11 à 20 jours"),
    "21-30": gettext_lazy("21 à 30 jours"),
    "31+": gettext_lazy("plus de 30 jours"),
}


@dataclass
class Cell:
    value: Any
    kind: str = "text"  # text, count, money, days, percent, date
    url: str = ""
    header: bool = False  # the row's header cell (<th scope="row">)


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    foot: list[Cell] | None = None
    note: str = ""
    chart: dict | None = None
    empty: str = ""
    extra: dict = field(default_factory=dict)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


class Links:
    """URLs of the list (or the validation queue) narrowed like the dashboard, plus a figure's filters."""

    def __init__(self, board: Dashboard):
        self.board = board
        self.list_url = reverse("invoices:list")
        f = board.filters
        self.base: list[tuple[str, str]] = [("onglet", "toutes")]
        if f.connection_id:
            self.base.append(("connexion", str(f.connection_id)))
        if f.structure:
            self.base.append(("structure", f.structure))
        if f.service:
            self.base.append(("service", f.service))

    def received(self, *, structure: str | None = None, service: str | None = None, **params) -> str:
        query = [(k, v) for k, v in self.base if not (k == "structure" and structure is not None)]
        if structure is not None:
            query.append(("structure", structure))
        if service is not None:
            query = [(k, v) for k, v in query if k != "service"]
            query.append(("service", service) if service else ("sans_service", "on"))
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                query += [(key, v) for v in value]
            elif value not in (None, ""):
                query.append((key, str(value)))
        return f"{self.list_url}?{urlencode(query)}"

    def paid(self, *, start: date, end: date, structure: str | None = None, payment: str = "") -> str:
        return self.received(structure=structure, paye_du=_iso(start), paye_au=_iso(end), paiement=payment)

    def validation(self, **params) -> str:
        f = self.board.filters
        query = [("onglet", "a-valider")]
        if f.connection_id:
            query.append(("connexion", str(f.connection_id)))
        if f.structure:
            query.append(("structure", f.structure))
        if f.service:
            query.append(("service", f.service))
        query += [(k, v) for k, v in params.items() if v]
        return f"{reverse('validators:queue')}?{urlencode(query)}"


def _month_label(month: date) -> str:
    return formats.date_format(month, "F Y").capitalize()


def _structure_label(code: str, name: str) -> str:
    return f"{name} ({code})" if name and code else name or code or _("(sans structure)")


def delay_tables(board: Dashboard, links: Links) -> list[Table]:
    period = board.period
    headers = [
        _("Structure"),
        _("Délai légal (jours)"),
        _("Payées"),
        _("Délai moyen (jours)"),
        _("Délai médian (jours)"),
        _("Payées dans le délai"),
        _("Part dans le délai (%)"),
        _("Payées en retard"),
    ]

    def row(label: str, legal, stats, structure: str | None, *, header: bool = True) -> list[Cell]:
        all_url = links.paid(start=period.start, end=period.end, structure=structure)
        on_time_url = links.paid(start=period.start, end=period.end, structure=structure, payment="a-temps")
        late_url = links.paid(start=period.start, end=period.end, structure=structure, payment="en-retard")
        return [
            Cell(label, header=header),
            Cell(legal, "days" if legal is not None else "text"),
            Cell(stats.count, "count", all_url),
            Cell(stats.average, "days", all_url),
            Cell(stats.median, "days", all_url),
            Cell(stats.on_time, "count", on_time_url),
            Cell(stats.on_time_share, "percent", on_time_url),
            Cell(stats.late, "count", late_url),
        ]

    structures = Table(
        slug="delais",
        title=_("Délai de paiement des factures payées, par structure"),
        headers=headers,
        rows=[row(_structure_label(s.code, s.name), s.legal_days, s.stats, s.code) for s in board.delays],
        foot=row(_("Toutes structures"), None, board.delay_total, None) if board.delays else None,
        note=_("Jours de délai écoulés entre le début du délai et la mise en paiement, suspensions déduites."),
        empty=_("Aucune facture payée sur la période."),
    )
    structures.chart = {
        "type": "bar",
        "title": structures.title,
        "labels": [s.name or s.code for s in board.delays],
        "datasets": [
            {"label": _("Délai moyen (jours)"), "data": [_num(s.stats.average) for s in board.delays]},
            {"label": _("Délai médian (jours)"), "data": [_num(s.stats.median) for s in board.delays]},
            {"label": _("Délai légal (jours)"), "data": [s.legal_days for s in board.delays], "kind": "line"},
        ],
    }
    months_rows = []
    for m in board.delay_months:
        start, end = period.clip(m.month)
        url = links.paid(start=start, end=end)
        months_rows.append(
            [
                Cell(_month_label(m.month), header=True),
                Cell(m.stats.count, "count", url),
                Cell(m.stats.average, "days", url),
                Cell(m.stats.median, "days", url),
                Cell(m.stats.on_time_share, "percent", links.paid(start=start, end=end, payment="a-temps")),
            ]
        )
    trend = Table(
        slug="tendance",
        title=_("Évolution mensuelle du délai de paiement"),
        headers=[
            _("Mois"),
            _("Payées"),
            _("Délai moyen (jours)"),
            _("Délai médian (jours)"),
            _("Part dans le délai (%)"),
        ],
        rows=months_rows,
    )
    trend.chart = {
        "type": "line",
        "title": trend.title,
        "labels": [_month_label(m.month) for m in board.delay_months],
        "datasets": [
            {"label": _("Délai moyen (jours)"), "data": [_num(m.stats.average) for m in board.delay_months]},
            {"label": _("Délai médian (jours)"), "data": [_num(m.stats.median) for m in board.delay_months]},
        ],
    }
    return [structures, trend]


def late_tables(board: Dashboard, links: Links) -> list[Table]:
    late = board.late
    url = links.received(delai="retard")
    summary = Table(
        slug="retards",
        title=_("En retard aujourd'hui"),
        headers=[
            _("Factures en retard"),
            _("Montant TTC"),
            _("Intérêts moratoires estimés"),
            _("Indemnités forfaitaires (40 € par facture)"),
            _("Total dû aux fournisseurs"),
        ],
        rows=[
            [
                Cell(late.count, "count", url),
                Cell(late.amount, "money", url),
                Cell(late.interest, "money", url),
                Cell(late.indemnities, "money", url),
                Cell(late.owed, "money", url),
            ]
        ],
        note=_("Factures dont le délai court encore et dont l'échéance est passée (articles R2192-31 et R2192-32)."),
    )
    top = Table(
        slug="plus-en-retard",
        title=_("Les %(n)d factures les plus en retard") % {"n": 10},
        headers=[
            _("Numéro"),
            _("Fournisseur"),
            _("Destinataire"),
            _("Service"),
            _("Montant TTC"),
            _("Échéance"),
            _("Jours de retard"),
            _("Intérêts estimés"),
        ],
        rows=[
            [
                Cell(r["invoice_number"] or "—", url=reverse("invoices:detail", args=[r["id"]]), header=True),
                Cell(r["supplier_name"]),
                Cell(r["recipient_name"]),
                Cell(r["service_code"]),
                Cell(r["total_incl_tax"], "money"),
                Cell(r["clock_due"], "date"),
                Cell(r["clock_days_late"], "count"),
                Cell(r["clock_interest"], "money"),
            ]
            for r in late.rows
        ],
        empty=_("Aucune facture en retard."),
    )
    return [summary, top]


def backlog_table(board: Dashboard, links: Links) -> Table:
    today = board.today
    headers = [
        _("Structure"),
        _("Service"),
        *[str(AGE_LABELS[slug]) for slug, *_bounds in AGE_BUCKETS],
        _("Total"),
        _("Chez l'ordonnateur"),
        _("Chez le comptable"),
    ]

    def cells(ages, total, ordonnateur, accountant, structure, service) -> list[Cell]:
        def url(slug: str = "total", statuses=BACKLOG_STATUSES) -> str:
            first, last = age_range(slug, today)
            return links.received(
                structure=structure, service=service, statut=list(statuses), depot_du=_iso(first), depot_au=_iso(last)
            )

        return [
            *[Cell(ages[slug], "count", url(slug)) for slug, *_bounds in AGE_BUCKETS],
            Cell(total, "count", url()),
            Cell(ordonnateur, "count", url(statuses=ORDONNATEUR_STATUSES)),
            Cell(accountant, "count", url(statuses=ACCOUNTANT_STATUSES)),
        ]

    rows = [
        [
            Cell(_structure_label(r.structure_code, r.structure_name), header=True),
            Cell(r.service_code or _("(sans service)")),
            *cells(r.ages, r.total, r.ordonnateur, r.accountant, r.structure_code, r.service_code),
        ]
        for r in board.backlog
    ]
    totals = {slug: sum(r.ages[slug] for r in board.backlog) for slug, *_bounds in AGE_BUCKETS}
    foot = [
        Cell(_("Total"), header=True),
        Cell(""),
        *cells(
            totals,
            sum(r.total for r in board.backlog),
            sum(r.ordonnateur for r in board.backlog),
            sum(r.accountant for r in board.backlog),
            None,
            None,
        ),
    ]
    table = Table(
        slug="stock",
        title=_("Factures en cours de traitement, par ancienneté du dépôt"),
        headers=headers,
        rows=rows,
        foot=foot if rows else None,
        note=_(
            "Chez l'ordonnateur : mises à disposition, complétées, service fait ou suspendues ; chez le comptable : "
            "mandatées, mises à disposition du comptable ou comptabilisées. Situation à ce jour."
        ),
        empty=_("Aucune facture en cours de traitement."),
    )
    table.chart = {
        "type": "bar",
        "title": table.title,
        "labels": [str(AGE_LABELS[slug]) for slug, *_bounds in AGE_BUCKETS],
        "datasets": [{"label": _("Factures en cours"), "data": [totals[slug] for slug, *_bounds in AGE_BUCKETS]}],
    }
    return table


def volume_tables(board: Dashboard, links: Links) -> list[Table]:
    period = board.period
    rows = []
    for v in board.volumes:
        start, end = period.clip(v.month)
        url = links.received(depot_du=_iso(start), depot_au=_iso(end))
        rows.append(
            [
                Cell(_month_label(v.month), header=True),
                Cell(v.count, "count", url),
                Cell(v.credit_notes, "count", links.received(depot_du=_iso(start), depot_au=_iso(end), avoirs="on")),
                Cell(v.net, "money", url),
            ]
        )
    all_url = links.received(depot_du=_iso(period.start), depot_au=_iso(period.end))
    volumes = Table(
        slug="volumes",
        title=_("Factures reçues par mois (avoirs déduits)"),
        headers=[_("Mois de dépôt"), _("Reçues"), _("dont avoirs"), _("Montant net TTC")],
        rows=rows,
        foot=[
            Cell(_("Période"), header=True),
            Cell(sum(v.count for v in board.volumes), "count", all_url),
            Cell(
                sum(v.credit_notes for v in board.volumes),
                "count",
                links.received(depot_du=_iso(period.start), depot_au=_iso(period.end), avoirs="on"),
            ),
            Cell(sum((v.net for v in board.volumes), Decimal(0)), "money", all_url),
        ],
        note=_("Un avoir compte en négatif dans le montant net."),
    )
    volumes.chart = {
        "type": "bar",
        "title": volumes.title,
        "labels": [_month_label(v.month) for v in board.volumes],
        "datasets": [{"label": _("Montant net TTC (€)"), "data": [_num(v.net) for v in board.volumes]}],
    }
    suppliers = Table(
        slug="fournisseurs",
        title=_("Principaux fournisseurs de la période"),
        headers=[_("Fournisseur"), _("Identifiant (SIRET)"), _("Factures et avoirs"), _("Montant net TTC")],
        rows=[
            [
                Cell(s.name or s.code, header=True),
                Cell(s.code),
                Cell(s.count, "count", _supplier_url(links, s.code, period)),
                Cell(s.net, "money", _supplier_url(links, s.code, period)),
            ]
            for s in board.suppliers
        ],
        empty=_("Aucune facture reçue sur la période."),
    )
    return [volumes, suppliers]


def _supplier_url(links: Links, code: str, period) -> str:
    return links.received(siret=code, depot_du=_iso(period.start), depot_au=_iso(period.end))


def reasons_table(board: Dashboard, links: Links) -> Table:
    period = board.period
    rows = []
    for r in board.reasons:
        if r.status == lc.SUSPENDUE:
            url = links.received(
                suspendue_du=_iso(period.start), suspendue_au=_iso(period.end), motif_suspension=r.kind
            )
        else:
            url = links.received(
                statut=[r.status], motif=r.kind, statut_du=_iso(period.start), statut_au=_iso(period.end)
            )
        rows.append(
            [
                Cell(lc.status_label(r.status), header=True),
                Cell(r.label),
                Cell(r.count, "count", url),
                Cell(r.days, "days", url),
                Cell(r.average_days, "days", url),
            ]
        )
    table = Table(
        slug="motifs",
        title=_("Suspensions et rejets de la période, par motif"),
        headers=[_("Statut"), _("Motif"), _("Factures"), _("Jours ajoutés"), _("Jours ajoutés en moyenne")],
        rows=rows,
        note=_(
            "Suspensions observées sur la période (suspendues à ce jour ou complétées depuis) et factures rejetées "
            "sur la période. Motif regroupé d'après le texte (une facture suspendue pour deux motifs compte dans "
            "les deux). Jours ajoutés : jours où le délai s'est arrêté, de la suspension aux pièces reçues (ou à "
            "aujourd'hui) ; pour un rejet, jours écoulés depuis le dépôt, perdus par le fournisseur qui doit "
            "émettre une nouvelle facture."
        ),
        empty=_("Aucune suspension ni aucun rejet sur la période."),
    )
    table.chart = {
        "type": "bar",
        "horizontal": True,
        "title": table.title,
        "labels": [f"{lc.status_label(r.status)} — {r.label}" for r in board.reasons],
        "datasets": [{"label": _("Factures"), "data": [r.count for r in board.reasons]}],
    }
    return table


def validation_table(board: Dashboard, links: Links) -> Table:
    v = board.validation
    return Table(
        slug="validation",
        title=_("Validation"),
        headers=[_("À valider"), _("Échéance sous 3 jours"), _("Échéance dépassée")],
        rows=[
            [
                Cell(v.awaiting, "count", links.validation()),
                Cell(v.soon, "count", links.validation(echeance="urgent")),
                Cell(v.overdue, "count", links.validation(echeance="retard")),
            ]
        ],
        note=_("Factures en attente de votre validation. Situation à ce jour."),
    )


def dashboard_tables(board: Dashboard) -> list[Table]:
    """Every table of the dashboard, in the order of the page."""
    links = Links(board)
    tables: list[Table] = []
    if board.can_received:
        tables += delay_tables(board, links)
        tables += late_tables(board, links)
        tables.append(backlog_table(board, links))
        tables += volume_tables(board, links)
        tables.append(reasons_table(board, links))
    if board.validation is not None:
        tables.append(validation_table(board, links))
    return tables


def _num(value) -> float | None:
    return float(value) if value is not None else None
