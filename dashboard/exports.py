"""The dashboard's tables as CSV files (one per table) and as an Excel workbook (one sheet per table)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from chorusweb.exports import csv_cell, csv_row
from chorusweb.money import plain_amount
from dashboard.tables import Cell, Table

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel's number formats for each kind of cell.
XLSX_FORMATS = {
    "money": '#,##0.00 "€";-#,##0.00 "€"',
    "days": "0.0",
    "percent": "0.0",
    "count": "0",
    "date": "DD/MM/YYYY",
}


def _csv_value(cell: Cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if cell.kind == "money":
        return plain_amount(value)
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return csv_cell(value)


def _lines(table: Table) -> list[list]:
    rows = [list(table.headers)]
    rows += [[_csv_value(c) for c in row] for row in table.rows]
    if table.foot:
        rows.append([_csv_value(c) for c in table.foot])
    return rows


def table_csv(table: Table) -> str:
    """One table, `;`-separated, French numbers, with a BOM so that spreadsheets read UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    for i, row in enumerate(_lines(table)):
        writer.writerow(csv_row(row) if i == 0 else row)
    return out.getvalue()


def _sheet_title(table: Table, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    title = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:31].strip() or table.slug
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def _xlsx_value(cell: Cell):
    value = cell.value
    if isinstance(value, Decimal):
        return float(value) if cell.kind in ("days", "percent") else value
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return csv_cell(value)  # text, never a formula
    return value


def tables_xlsx(tables: list[Table], *, title: str) -> bytes:
    """A workbook with one sheet per table: headers in bold, numbers as numbers."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table, used))
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        body = [*table.rows, *([table.foot] if table.foot else [])]
        for row in body:
            sheet.append([_xlsx_value(c) for c in row])
            for target, source in zip(sheet[sheet.max_row], row, strict=False):
                if source.kind in XLSX_FORMATS and source.value is not None:
                    target.number_format = XLSX_FORMATS[source.kind]
        if table.foot:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(str(header)) + 4))
        sheet.freeze_panes = "A2"
    book.properties.title = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(stem: str, extension: str) -> str:
    return f"tableau-de-bord-{stem}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{extension}"
