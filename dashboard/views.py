"""The dashboard: where the money and the delays stand. Thin: bind the filters, read, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chorusweb.access import Action, access_for
from chorusweb.http import render_partial
from dashboard import exports
from dashboard.forms import DashboardFilterForm
from dashboard.selectors import Dashboard, dashboard_get
from dashboard.tables import Table, dashboard_tables
from invoices import selectors as received


def _board(request: HttpRequest) -> tuple[DashboardFilterForm, Dashboard, list[Table]]:
    access = access_for(request.user)
    if not (access.can(Action.VIEW_RECEIVED) or access.can(Action.VIEW_VALIDATION)):
        raise PermissionDenied
    connections = access.connections(Action.VIEW_RECEIVED) or access.connections(Action.VIEW_VALIDATION)
    form = DashboardFilterForm(request.GET or None, connections=connections)
    board = dashboard_get(user=request.user, filters=form.to_filters(today=timezone.localdate()))
    return form, board, dashboard_tables(board)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, board, tables = _board(request)
    structures = sorted(
        {(d.code, d.name) for d in board.delays} | {(b.structure_code, b.structure_name) for b in board.backlog}
    )
    context = {
        "form": form,
        "board": board,
        "tables": {t.slug.replace("-", "_"): t for t in tables},
        "service_codes": received.service_codes(user=request.user) if board.can_received else [],
        "structures": [(code, name) for code, name in structures if code],
        "query": request.GET.urlencode(),
    }
    return render_partial(request, "dashboard/page.html", context, partial="dashboard-figures")


@require_GET
def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the dashboard, under the same filters, as a CSV file."""
    *_, tables = _board(request)
    found = next((t for t in tables if t.slug == table), None)
    if found is None:
        raise Http404
    response = HttpResponse(exports.table_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(found.slug, "csv")}"'
    return response


@require_GET
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    """Every table of the dashboard, under the same filters, as an Excel workbook (one sheet each)."""
    _form, board, tables = _board(request)
    title = _("Tableau de bord, %(period)s") % {"period": board.period.label}
    response = HttpResponse(exports.tables_xlsx(tables, title=title), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename("complet", "xlsx")}"'
    return response
