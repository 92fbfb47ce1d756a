"""CSV cells that cannot attack the spreadsheet that opens them (CSV / formula injection).

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage
return) as a formula: a supplier name such as `=HYPERLINK(...)` coming from Chorus Pro would
act in the reader's spreadsheet. Such a cell is written with a leading apostrophe, which
spreadsheets read as "this is text" (OWASP's advice). Numbers stay numbers: a negative amount
(`-12,50`, a credit note) is a value, not a formula, and is written as it is.

Also the rest every download shares: a unique file name (`download_stamp`), real dates on
ZIP entries (`zip_date_time`) and one layout for every ZIP of invoices (`GroupZip`).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import shutil
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb import lifecycle as lc
from chorusweb.money import plain_amount

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
#: A plain number, French or English decimal mark: -12,50  1234.5  +3
_NUMBER = re.compile(r"\A[+-]?\d+(?:[.,]\d+)?\Z")


def csv_cell(value: Any) -> str:
    """The text of one CSV cell, neutralised when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if type(value) is not str:
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        value = str(value)
    if value and value[0] in _FORMULA_FIRST and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[str]:
    """Every cell of a row through `csv_cell`."""
    return [csv_cell(value) for value in values]


def download_stamp() -> str:
    """What makes a download's file name unique: the local time and a short random part
    (`20261201-143502-7f3a`), so that two downloads never overwrite each other."""
    return f"{timezone.localtime():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def zip_date_time(day) -> tuple[int, int, int, int, int, int]:
    """The date of a ZIP entry: the invoice's deposit day (noon), else now; never 1980."""
    if isinstance(day, datetime):
        moment = timezone.localtime(day) if timezone.is_aware(day) else day
    elif isinstance(day, date):
        moment = datetime(day.year, day.month, day.day, 12)
    else:
        moment = timezone.localtime()
    if moment.year < 1980:
        moment = timezone.localtime()
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


#: ZIP member names are matched to their invoice by its id or number; what cannot be matched
#: in a file of several invoices is listed without an owner.
EXTENSIONS = {"pdf": "pdf", "xml": "xml", "zip": "zip"}


class GroupZip:
    """A ZIP of invoices, always laid out the same way whatever the count (one invoice included):
    one folder per upstream file (`lot-001/...`), each entry dated by its invoice's deposit day,
    and `manifest.csv` (number, supplier, amount, status, files) at the root.

    Invoices are any objects with `invoice_id`, `invoice_number`, `supplier_name`,
    `total_incl_tax`, `status` and `deposit_date` (received or validation mirror rows)::

        with GroupZip(path) as merged:
            merged.add(Path(document.path), document.kind, invoices)
    """

    def __init__(self, path: str | Path) -> None:
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.manifest: list[list[str]] = []
        self.batches = 0

    def __enter__(self) -> GroupZip:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                info = zipfile.ZipInfo("manifest.csv", date_time=zip_date_time(None))
                self.archive.writestr(info, self._manifest_csv())
        finally:
            self.archive.close()

    def add(self, path: Path, kind: str, invoices) -> None:
        """Copy one upstream file (a ZIP is unpacked into its folder) and list its invoices."""
        self.batches += 1
        prefix = f"lot-{self.batches:03d}"
        names: dict[int, list[str]] = {inv.invoice_id: [] for inv in invoices}
        by_id = {inv.invoice_id: inv for inv in invoices}

        def owner(member: str) -> int | None:
            for inv in invoices:
                if str(inv.invoice_id) in member or (inv.invoice_number and inv.invoice_number in member):
                    return inv.invoice_id
            return invoices[0].invoice_id if len(invoices) == 1 else None

        def dated(target: str, who: int | None) -> zipfile.ZipInfo:
            invoice = by_id.get(who) if who is not None else None
            day = getattr(invoice, "deposit_date", None) or getattr(invoice, "invoice_date", None)
            return zipfile.ZipInfo(target, date_time=zip_date_time(day))

        def copy(source, target: str, who: int | None) -> None:
            with self.archive.open(dated(target, who), "w", force_zip64=True) as dst:
                shutil.copyfileobj(source, dst, 1024 * 1024)
            if who is not None:
                names[who].append(target)

        if kind == "zip":
            with zipfile.ZipFile(path) as source:
                for info in source.infolist():
                    if not info.is_dir():
                        with source.open(info) as src:
                            copy(src, f"{prefix}/{info.filename}", owner(info.filename))
        else:
            first = invoices[0]
            target = f"{prefix}/{first.invoice_number or first.invoice_id}.{EXTENSIONS.get(kind, 'bin')}"
            with path.open("rb") as src:
                copy(src, target, first.invoice_id)
            for inv in invoices[1:]:
                names[inv.invoice_id].append(target)
        for invoice in invoices:
            self.manifest.append(
                [
                    invoice.invoice_number,
                    invoice.supplier_name,
                    plain_amount(invoice.total_incl_tax),
                    lc.status_label(invoice.status),
                    " | ".join(names.get(invoice.invoice_id, [])),
                ]
            )

    def _manifest_csv(self) -> str:
        return manifest_csv(self.manifest)


def manifest_csv(rows: Iterable[Iterable[Any]]) -> str:
    """The `manifest.csv` of a ZIP of invoices (French spreadsheet form, formulas neutralised)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    header = [_("Numéro de facture"), _("Fournisseur"), _("Montant TTC"), _("Statut"), _("Fichiers")]
    writer.writerow(csv_row(header))
    writer.writerows(csv_row(row) for row in rows)
    return buffer.getvalue()
