"""The dashboard's filters: connection, structure, service and period, all in the query string."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

PERIODS = [
    ("mois", _("Mois")),
    ("trimestre", _("Trimestre")),
    ("annee", _("Année")),
    ("perso", _("Dates choisies")),
]
DEFAULT_PERIOD = "annee"


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        return _("du %(start)s au %(end)s") % {
            "start": formats.date_format(self.start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(self.end, "SHORT_DATE_FORMAT"),
        }

    def months(self) -> list[date]:
        """The first day of every month the period touches, oldest first."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        return months

    def clip(self, month: date) -> tuple[date, date]:
        """The part of `month` (its first day) inside the period."""
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        return max(month, self.start), min(last, self.end)


def period_of(kind: str, day: date, start: date | None = None, end: date | None = None) -> Period:
    """The month, quarter or year holding `day`, or the chosen dates (swapped when reversed)."""
    if kind == "mois":
        return Period(kind, day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))
    if kind == "trimestre":
        first = 3 * ((day.month - 1) // 3) + 1
        last = first + 2
        return Period(kind, date(day.year, first, 1), date(day.year, last, calendar.monthrange(day.year, last)[1]))
    if kind == "perso":
        start = start or date(day.year, 1, 1)
        end = end or day
        if end < start:
            start, end = end, start
        return Period(kind, start, end)
    return Period("annee", date(day.year, 1, 1), date(day.year, 12, 31))


@dataclass(frozen=True)
class DashboardFilters:
    connection_id: int | None = None
    structure: str = ""  # recipient structure code (SIRET)
    service: str = ""  # a service code, as typed (resolved like the list's)
    period: Period | None = None


class DashboardFilterForm(forms.Form):
    """Invalid values are dropped (the default applies), never a 500."""

    connexion = forms.TypedChoiceField(label=_("Connexion"), coerce=int, required=False, empty_value=None)
    structure = forms.CharField(label=_("Structure (SIRET)"), max_length=50, required=False)
    service = forms.CharField(label=_("Code service"), max_length=100, required=False)
    periode = forms.ChoiceField(label=_("Période"), choices=PERIODS, required=False, initial=DEFAULT_PERIOD)
    jour = forms.DateField(
        label=_("Contenant le"),
        required=False,
        widget=DATE,
        help_text=_("Le mois, le trimestre ou l'année de ce jour (aujourd'hui si vide)."),
    )
    du = forms.DateField(label=_("Du"), required=False, widget=DATE)
    au = forms.DateField(label=_("Au"), required=False, widget=DATE)

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connexion"].choices = [("", _("Toutes"))] + [(c.pk, c.name) for c in connections]
        if len(connections) < 2:
            self.fields["connexion"].widget = forms.HiddenInput()

    def to_filters(self, *, today: date) -> DashboardFilters:
        if self.is_bound:
            self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        kind = data.get("periode") or DEFAULT_PERIOD
        if kind == "perso" and not (data.get("du") or data.get("au")):
            kind = DEFAULT_PERIOD
        return DashboardFilters(
            connection_id=data.get("connexion"),
            structure=(data.get("structure") or "").strip(),
            service=(data.get("service") or "").strip(),
            period=period_of(kind, data.get("jour") or today, data.get("du"), data.get("au")),
        )
