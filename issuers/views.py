"""Views of the issued invoices workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected
from chorusweb.factpulse import FactPulseError
from chorusweb.forms import is_id
from chorusweb.http import csv_response, is_partial_request, no_store, render_partial
from chorusweb.view_helpers import connection_for, failed_form, require, send_failed
from chorusweb.workspace_views import back_url, filter_form, invoice_outcome, list_context, list_response
from issuers import directory, exports, selectors, services
from issuers.forms import CompleteForm, RecycleForm, StructureSearchForm, SubmitForm
from issuers.models import IssuedInvoice
from issuers.workspace import ISSUED

# --- List and export ----------------------------------------------------------------------------


@require_GET
@no_store
def issued_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.VIEW_ISSUED)
    context = list_context(request, ISSUED)
    return list_response(request, ISSUED, context)


@require_GET
def issued_export(request: HttpRequest) -> StreamingHttpResponse:
    require(request, Action.VIEW_ISSUED)
    filters = filter_form(request, ISSUED).to_filters()
    ids = ISSUED.selection.get(request) if request.GET.get("selection") == "1" else None
    rows = selectors.issued_iter_export(user=request.user, filters=filters, ids=ids)
    return csv_response(exports.issued_csv_lines(rows), exports.export_filename())


# --- Detail and status check -------------------------------------------------------------------


def _detail_context(request: HttpRequest, invoice: IssuedInvoice, **extra) -> dict:
    may_write = access_for(request.user).can(Action.SUBMIT_ISSUED, invoice.connection_id, invoice.service_code)
    context = {
        "invoice": invoice,
        "timeline": selectors.issued_timeline(invoice=invoice),
        "audit": selectors.issued_audit(invoice=invoice),
        "may_write": may_write,
        "can_resend": False,
        "back_url": back_url(request, ISSUED),
        **invoice_outcome(ISSUED, invoice),
    }
    if may_write and invoice.can_complete and "complete_form" not in extra:
        context["complete_form"] = CompleteForm(invoice=invoice)
    context.update(extra)
    return context


@require_GET
@no_store
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.issued_get(user=request.user, pk=pk)
    # The outcome notice polls this page for its own region while an outcome is unknown.
    partial = "outcome-region" if is_partial_request(request, "outcome-region") else "invoice-body"
    return render_partial(request, ISSUED.detail_template, _detail_context(request, invoice), partial=partial)


@require_POST
def check_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask Chorus Pro for the invoice's status now (`factures/consulter`)."""
    invoice = selectors.issued_get(user=request.user, pk=pk)
    before = invoice.status
    try:
        invoice = services.status_check(user=request.user, invoice=invoice)
    except FactPulseError as exc:
        messages.error(request, _("Le statut n'a pas pu être vérifié : %(error)s") % {"error": exc.user_message})
        return redirect(ISSUED.detail_url, pk=pk)
    if invoice.status != before:
        messages.success(
            request, _("Statut vérifié : la facture est passée à « %(status)s ».") % {"status": invoice.status_label}
        )
    else:
        messages.info(request, _("Statut vérifié : toujours « %(status)s ».") % {"status": invoice.status_label})
    return redirect(ISSUED.detail_url, pk=pk)


# --- Submit --------------------------------------------------------------------------------------


def _directory(request: HttpRequest, connection) -> dict:
    """The directory search of a page (GET `q`): found structures, or what went wrong."""
    search = StructureSearchForm(request.GET or None)
    context = {"search_form": search, "structures": None, "directory_error": ""}
    if search.is_valid() and search.cleaned_data["q"]:
        try:
            context["structures"] = directory.structures_find(connection=connection, query=search.cleaned_data["q"])
        except FactPulseError as exc:
            context["directory_error"] = exc.user_message
    return context


def _asked_structure(request: HttpRequest) -> str | None:
    """The structure the form sent (POST) or the page was opened for (GET)."""
    return request.POST.get("structure") if request.method == "POST" else request.GET.get("structure")


def _structure_missing() -> str:
    return _("Cette structure est introuvable dans l'annuaire Chorus Pro, ou l'annuaire ne répond pas.")


@require_http_methods(["GET", "POST"])
@no_store
def submit(request: HttpRequest) -> HttpResponse:
    connection = connection_for(request, Action.SUBMIT_ISSUED)
    raw_structure = _asked_structure(request)
    info = directory.structure_info_from(connection, raw_structure)
    context = {
        "connection": connection,
        "connections": access_for(request.user).connections(Action.SUBMIT_ISSUED),
        "info": info,
        "back_url": back_url(request, ISSUED),
        **_directory(request, connection),
    }
    status = 200
    if raw_structure and info is None:
        context["directory_error"] = _structure_missing()
        if request.method == "POST":
            status = 503 if is_id(str(raw_structure)) else 400
    if request.method == "GET":
        context["form"] = SubmitForm(info=info, initial={"structure": info.structure_id} if info else None)
        return render_partial(request, "issuers/submit.html", context, partial="submit-form", status=status)
    form = context["form"] = SubmitForm(request.POST, request.FILES, info=info)
    if info is None or not form.is_valid():
        return render_partial(
            request, "issuers/submit.html", context, partial="submit-form", status=status if info is None else 422
        )
    try:
        outcome = services.invoice_submit(
            user=request.user,
            submission=form.submission(connection=connection, info=info),
            idempotency_key=form.cleaned_data["cle"],
        )
    except (ActionRejected, FactPulseError) as exc:
        return send_failed(request, exc, context, template="issuers/submit.html", partial="submit-form", info=info)
    messages.success(request, outcome.message)
    if outcome.invoice is not None:
        return redirect(ISSUED.detail_url, pk=outcome.invoice.pk)
    return redirect("issuers:list")


# --- Complete ------------------------------------------------------------------------------------


@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.issued_get(user=request.user, pk=pk, action=Action.SUBMIT_ISSUED)
    form = CompleteForm(request.POST, request.FILES, invoice=invoice)
    if not form.is_valid():
        return _detail_with(request, invoice, complete_form=form, status=422)
    try:
        outcome = services.invoice_complete(
            user=request.user,
            invoice=invoice,
            comment=form.cleaned_data.get("commentaire") or "",
            files=form.uploads,
            idempotency_key=form.cleaned_data["cle"],
        )
    except (ActionRejected, FactPulseError) as exc:
        form, status, message = failed_form(request, exc, form, invoice=invoice)
        invoice.refresh_from_db()
        if not invoice.can_complete:  # the form is gone from the page: say it at the top
            messages.error(request, message)
        return _detail_with(request, invoice, complete_form=form, status=status)
    messages.success(request, outcome.message)
    return redirect(ISSUED.detail_url, pk=invoice.pk)


def _detail_with(request, invoice, *, status: int, **extra) -> HttpResponse:
    context = _detail_context(request, invoice, **extra)
    return render_partial(request, ISSUED.detail_template, context, partial="invoice-body", status=status)


# --- Recycle -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@no_store
def recycle(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.issued_get(user=request.user, pk=pk, action=Action.SUBMIT_ISSUED)
    connection = invoice.connection
    info = directory.structure_info_from(connection, _asked_structure(request) or invoice.recipient_id)
    context = {"invoice": invoice, "info": info, **_directory(request, connection)}
    if request.method == "GET":
        context["form"] = RecycleForm(invoice=invoice, info=info)
        return render_partial(request, "issuers/recycle.html", context, partial="recycle-form")
    form = context["form"] = RecycleForm(request.POST, invoice=invoice, info=info)
    if info is None:
        form.is_valid()
        form.add_error(None, _structure_missing())
        return render_partial(request, "issuers/recycle.html", context, partial="recycle-form", status=503)
    if not form.is_valid():
        return render_partial(request, "issuers/recycle.html", context, partial="recycle-form", status=422)
    try:
        outcome = services.invoice_recycle(
            user=request.user,
            invoice=invoice,
            structure_id=info.structure_id,
            recipient_name=info.name,
            recipient_code=info.identifier,
            idempotency_key=form.cleaned_data["cle"],
            **form.routing(),
        )
    except (ActionRejected, FactPulseError) as exc:
        return send_failed(
            request, exc, context, template="issuers/recycle.html", partial="recycle-form", invoice=invoice, info=info
        )
    messages.success(request, outcome.message)
    return redirect(ISSUED.detail_url, pk=invoice.pk)
