"""The CSV export of the issued invoices: the current view (or the selection), French format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb import lifecycle
from chorusweb.exports import csv_cell, csv_row
from chorusweb.money import plain_amount


class _Echo:
    def write(self, value: str) -> str:
        return value


def _date(value) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


def _datetime(value) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def issued_csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """`;`-separated, with a BOM; `rows` are tuples of `selectors.EXPORT_FIELDS`."""
    writer = csv.writer(_Echo(), delimiter=";")
    header = [
        _("Numéro"),
        _("Type"),
        _("Destinataire"),
        _("SIRET destinataire"),
        _("Code service"),
        _("Date de facture"),
        _("Date de dépôt"),
        _("Statut"),
        _("Statut depuis"),
        _("Montant HT"),
        _("Montant TTC"),
        _("Devise"),
        _("Id Chorus Pro"),
    ]
    yield "\ufeff" + writer.writerow(csv_row(header))
    for number, kind, recipient, code, service, day, deposit, status, since, ht, ttc, currency, iid in rows:
        yield writer.writerow(
            [
                csv_cell(number),
                csv_cell(kind),
                csv_cell(recipient),
                csv_cell(code),
                csv_cell(service),
                _date(day),
                _date(deposit),
                lifecycle.status_label(status),
                _datetime(since),
                plain_amount(ht),
                plain_amount(ttc),
                csv_cell(currency),
                csv_cell(iid),
            ]
        )


def export_filename() -> str:
    return f"factures-emises-{timezone.localtime().strftime('%Y%m%d-%H%M')}.csv"
