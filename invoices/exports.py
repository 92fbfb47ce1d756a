"""The CSV export of the received invoices list: every row of the current view, French format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb import lifecycle, payment_delay
from chorusweb.exports import csv_cell, csv_row
from chorusweb.money import plain_amount
from invoices.models import ReceivedInvoice


class _Echo:
    """A file-like object whose `write` returns the line: csv.writer then yields strings."""

    def write(self, value: str) -> str:
        return value


def _header() -> list[str]:
    return [
        _("Numéro"),
        _("Type"),
        _("Fournisseur"),
        _("SIRET / identifiant"),
        _("Destinataire"),
        _("Code service"),
        _("Date de facture"),
        _("Date de dépôt"),
        _("Statut"),
        _("Statut depuis"),
        _("Montant HT"),
        _("Montant TTC"),
        _("Devise"),
        _("Téléchargée"),
        _("Id Chorus Pro"),
        _("Délai"),
        _("Début du délai"),
        _("Origine du début"),
        _("Échéance"),
        _("Échéance de l'ordonnateur"),
        _("Jours de retard"),
        _("Payée en (jours)"),
        _("Intérêts moratoires estimés"),
        _("Taux à confirmer"),
    ]


#: The columns a CSV row reads (no model instances: the mirror's `raw` JSON and search columns stay
#: in the database, and a million rows stream in tens of seconds).
EXPORT_FIELDS = (
    "invoice_number",
    "invoice_type",
    "supplier_name",
    "supplier_code",
    "recipient_name",
    "service_code",
    "invoice_date",
    "deposit_date",
    "status",
    "status_changed_at",
    # signed, as in the list: a column's sum in the spreadsheet is the list's net total
    "net_excl_tax",
    "net_incl_tax",
    "currency",
    "downloaded",
    "invoice_id",
    "clock_state",
    "clock_start",
    "clock_start_origin",
    "clock_due",
    "clock_ordonnateur_due",
    "clock_days_late",
    "clock_paid_in",
    "clock_interest",
    "clock_rate_to_confirm",
)
#: Lines joined into one chunk of the streamed response (one write per chunk, not per line).
CHUNK_LINES = 500


def _date(value) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


class _Labels:
    """What a CSV writes many times, worked out once per export: translated words, formatted
    dates (a mirror holds a few thousand distinct days), the clock's cell per clock state."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.yes, self.no = _("oui"), _("non")
        self.origins = {
            value: str(label) for value, label in ReceivedInvoice._meta.get_field("clock_start_origin").choices
        }
        self.statuses: dict[str, str] = {}
        self.dates: dict[date, str] = {}
        self.clocks: dict[tuple, str] = {}

    def status(self, code: str) -> str:
        label = self.statuses.get(code)
        if label is None:
            label = self.statuses[code] = lifecycle.status_label(code)
        return label

    def date(self, value) -> str:
        if not value:
            return ""
        text = self.dates.get(value)
        if text is None:
            text = self.dates[value] = _date(value)
        return text

    def datetime(self, value) -> str:
        if not value:
            return ""
        local = timezone.localtime(value)
        return f"{self.date(local.date())} {local.hour:02d}:{local.minute:02d}"

    def clock(self, state: str, due, paid_in, days_late) -> str:
        key = (state, due, paid_in, days_late)
        text = self.clocks.get(key)
        if text is None:
            text = self.clocks[key] = payment_delay.short_label(
                state=state, due=due, today=self.today, paid_in=paid_in, days_late=days_late
            )
        return text


def _row(values: tuple, labels: _Labels) -> list:
    """One CSV row; the cells that come from Chorus Pro (free text) go through `csv_cell`."""
    (
        number,
        kind,
        supplier,
        supplier_code,
        recipient,
        service,
        invoice_date,
        deposit_date,
        status,
        status_changed_at,
        excl_tax,
        incl_tax,
        currency,
        downloaded,
        invoice_id,
        clock_state,
        clock_start,
        clock_start_origin,
        clock_due,
        clock_ordonnateur_due,
        clock_days_late,
        clock_paid_in,
        clock_interest,
        clock_rate_to_confirm,
    ) = values
    return [
        csv_cell(number),
        csv_cell(kind),
        csv_cell(supplier),
        csv_cell(supplier_code),
        csv_cell(recipient),
        csv_cell(service),
        labels.date(invoice_date),
        labels.date(deposit_date),
        labels.status(status),
        labels.datetime(status_changed_at),
        plain_amount(excl_tax),
        plain_amount(incl_tax),
        csv_cell(currency),
        labels.yes if downloaded else labels.no,
        csv_cell(invoice_id),
        # the payment-delay clock
        labels.clock(clock_state, clock_due, clock_paid_in, clock_days_late),
        labels.date(clock_start),
        labels.origins.get(clock_start_origin, "") if clock_start_origin else "",
        labels.date(clock_due),
        labels.date(clock_ordonnateur_due),
        clock_days_late or "",
        "" if clock_paid_in is None else clock_paid_in,
        plain_amount(clock_interest),
        labels.yes if clock_rate_to_confirm else "",
    ]


def invoices_csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """The CSV (`;`-separated, with a BOM so that spreadsheets read UTF-8), lazily, in chunks of
    lines; `rows` are tuples of `EXPORT_FIELDS`."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(csv_row(_header()))
    labels = _Labels(timezone.localdate())
    chunk: list[str] = []
    for values in rows:
        chunk.append(writer.writerow(_row(values, labels)))
        if len(chunk) >= CHUNK_LINES:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def export_filename() -> str:
    return f"factures-recues-{timezone.localtime().strftime('%Y%m%d-%H%M')}.csv"
