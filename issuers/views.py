"""Views of the issued invoices workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, OutcomeUnknown, action_failure, outcome_context
from chorusweb.factpulse import FactPulseError
from chorusweb.forms import is_id
from chorusweb.http import is_partial_request, list_url_back, list_url_remember, no_store, render_partial, sort_links
from chorusweb.models import Workspace
from chorusweb.workspace_views import selection_context
from issuers import directory, exports, selectors, services
from issuers.forms import CompleteForm, IssuedFilterForm, RecycleForm, StructureSearchForm, SubmitForm
from issuers.models import IssuedInvoice
from issuers.workspace import ISSUED

SELECTION = ISSUED.selection
DESC_FIRST = {"depot", "date", "ttc"}


def _require(request: HttpRequest, action: Action) -> None:
    if not access_for(request.user).can(action):
        raise PermissionDenied


# --- List and export ----------------------------------------------------------------------------


@require_GET
@no_store
def issued_list(request: HttpRequest) -> HttpResponse:
    _require(request, Action.VIEW_ISSUED)
    connections = access_for(request.user).connections(Action.VIEW_ISSUED)
    form = IssuedFilterForm(request.GET or None, connections=connections)
    filters = form.to_filters()
    sync_statuses, polling = services.sync_issued_first_visit(user=request.user)
    result = selectors.issued_list(
        user=request.user, filters=filters, page=request.GET.get("page", 1), per_page=settings.CHORUSWEB_PAGE_SIZE
    )
    selection = selection_context(request, ISSUED, list_url=request.get_full_path())
    rows = result.rows
    context = {
        "form": form,
        "result": result,
        "rows": rows,
        "filters": filters,
        "tabs": result.tabs,
        **selection,
        "page_selected": bool(rows) and all(r["id"] in selection["selected"] for r in rows),
        "page_ids": ",".join(str(r["id"]) for r in rows),
        "sync_statuses": sync_statuses,
        "polling": polling,
        "sort_links": sort_links(request, filters.sort, selectors.SORTS, desc_first=DESC_FIRST),
    }
    response = render_partial(request, "issuers/list.html", context, partial="results-table")
    return list_url_remember(request, response, ISSUED.name)


@require_GET
def issued_export(request: HttpRequest) -> StreamingHttpResponse:
    _require(request, Action.VIEW_ISSUED)
    connections = access_for(request.user).connections(Action.VIEW_ISSUED)
    filters = IssuedFilterForm(request.GET or None, connections=connections).to_filters()
    ids = SELECTION.get(request) if request.GET.get("selection") == "1" else None
    rows = selectors.issued_iter_export(user=request.user, filters=filters, ids=ids)
    response = StreamingHttpResponse(exports.issued_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename()}"'
    return response


# --- Detail and status check -------------------------------------------------------------------


def _detail_context(request: HttpRequest, invoice: IssuedInvoice, **extra) -> dict:
    may_write = access_for(request.user).can(Action.SUBMIT_ISSUED, invoice.connection_id, invoice.service_code)
    context = {
        "invoice": invoice,
        "timeline": selectors.issued_timeline(invoice=invoice),
        "audit": selectors.issued_audit(invoice=invoice),
        "may_write": may_write,
        "can_resend": False,
        "back_url": list_url_back(request, ISSUED.name, ISSUED.list_url),
        **outcome_context(
            connection_id=invoice.connection_id, workspace=Workspace.ISSUED, invoice_id=invoice.invoice_id
        ),
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
    return render_partial(request, "issuers/detail.html", _detail_context(request, invoice), partial=partial)


@require_POST
def check_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask Chorus Pro for the invoice's status now (`factures/consulter`)."""
    invoice = selectors.issued_get(user=request.user, pk=pk)
    before = invoice.status
    try:
        invoice = services.status_check(user=request.user, invoice=invoice)
    except FactPulseError as exc:
        messages.error(request, _("Le statut n'a pas pu être vérifié : %(error)s") % {"error": exc.user_message})
        return redirect("issuers:detail", pk=pk)
    if invoice.status != before:
        messages.success(
            request, _("Statut vérifié : la facture est passée à « %(status)s ».") % {"status": invoice.status_label}
        )
    else:
        messages.info(request, _("Statut vérifié : toujours « %(status)s ».") % {"status": invoice.status_label})
    return redirect("issuers:detail", pk=pk)


# --- Submit --------------------------------------------------------------------------------------


def _connection_for(request: HttpRequest):
    """The connection the user submits with (the first one allowed; `connexion` picks another)."""
    connections = access_for(request.user).connections(Action.SUBMIT_ISSUED)
    if not connections:
        raise PermissionDenied
    wanted = request.POST.get("connexion") or request.GET.get("connexion")
    if is_id(wanted):
        for c in connections:
            if c.pk == int(wanted):
                return c
    return connections[0]


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


def _structure(connection, raw) -> directory.StructureInfo | None:
    return (
        directory.structure_info_or_none(connection=connection, structure_id=int(raw))
        if is_id(str(raw or ""))
        else None
    )


@require_http_methods(["GET", "POST"])
@no_store
def submit(request: HttpRequest) -> HttpResponse:
    connection = _connection_for(request)
    raw_structure = request.POST.get("structure") if request.method == "POST" else request.GET.get("structure")
    info = _structure(connection, raw_structure)
    context = {
        "connection": connection,
        "connections": access_for(request.user).connections(Action.SUBMIT_ISSUED),
        "info": info,
        "back_url": list_url_back(request, ISSUED.name, ISSUED.list_url),
        **_directory(request, connection),
    }
    status = 200
    if raw_structure and info is None:
        context["directory_error"] = _(
            "Cette structure est introuvable dans l'annuaire Chorus Pro, ou l'annuaire ne répond pas."
        )
        if request.method == "POST":
            status = 503 if is_id(str(raw_structure)) else 400
    if request.method == "GET":
        context["form"] = SubmitForm(info=info, initial={"structure": info.structure_id} if info else None)
        return render_partial(request, "issuers/submit.html", context, partial="submit-form", status=status)
    form = SubmitForm(request.POST, request.FILES, info=info)
    context["form"] = form
    if info is None or not form.is_valid():
        return render_partial(
            request, "issuers/submit.html", context, partial="submit-form", status=status if info is None else 422
        )
    data = form.cleaned_data
    try:
        upload = form.upload
        built = data["mode"] == SubmitForm.MODE_BUILD
        if built:
            upload = _built_upload(form, info)
        outcome = services.invoice_submit(
            user=request.user,
            submission=services.Submission(
                connection=connection,
                structure_id=info.structure_id,
                recipient_name=info.name,
                recipient_code=info.identifier,
                invoice_number=data["numero"].strip(),
                invoice_date=data["date_facture"],
                payment_due_date=data.get("echeance"),
                total_excl_tax=data["montant_ht"],
                vat_amount=data["montant_tva"],
                total_incl_tax=data["montant_ttc"],
                file=upload,
                comment=(data.get("commentaire") or "").strip(),
                built=built,
                **form.routing(),
            ),
            idempotency_key=data["cle"],
        )
    except (ActionRejected, FactPulseError) as exc:
        status, message = action_failure(exc)
        if not isinstance(exc, OutcomeUnknown):
            form = _renewed(SubmitForm, request, info=info)  # refused or not sent: correct and send again
        else:
            context["unknown"] = True  # may have been applied: no resend offered
        form.add_error(None, message)
        context["form"] = form
        return render_partial(request, "issuers/submit.html", context, partial="submit-form", status=status)
    messages.success(request, outcome.message)
    if outcome.invoice is not None:
        return redirect("issuers:detail", pk=outcome.invoice.pk)
    return redirect("issuers:list")


def _built_upload(form: SubmitForm, info: directory.StructureInfo) -> services.UploadFile:
    from issuers.facturx_build import InvoiceDraft, Party, build_facturx

    data = form.cleaned_data
    routing = form.routing()
    draft = InvoiceDraft(
        number=data["numero"].strip(),
        invoice_date=data["date_facture"],
        due_date=data.get("echeance"),
        seller=Party(data["emetteur_nom"].strip(), data["emetteur_siret"]),
        buyer=Party(info.name, info.identifier),
        lines=tuple(form.lines),
        service_code=routing["service_code"],
        engagement_number=routing["engagement_number"],
        note=(data.get("commentaire") or "").strip(),
    )
    name = f"facture-{''.join(c for c in draft.number if c.isalnum() or c in '-_')}"[:46] + ".pdf"
    return services.UploadFile(name=name, content=build_facturx(draft), mime_type="application/pdf", extension="PDF")


def _renewed(form_class, request: HttpRequest, **kwargs):
    """The same input with a fresh key (the spent one would be refused as a double submit)."""
    from chorusweb.audit import new_idempotency_key

    data = request.POST.copy()
    data["cle"] = new_idempotency_key()
    form = form_class(data, request.FILES, **kwargs)
    form.is_valid()
    form.errors.clear()
    return form


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
        status, message = action_failure(exc)
        if not isinstance(exc, OutcomeUnknown):
            form = _renewed(CompleteForm, request, invoice=invoice)
        form.add_error(None, message)
        invoice.refresh_from_db()
        if not invoice.can_complete:  # the form is gone from the page: say it at the top
            messages.error(request, message)
        return _detail_with(request, invoice, complete_form=form, status=status)
    messages.success(request, outcome.message)
    return redirect("issuers:detail", pk=invoice.pk)


def _detail_with(request, invoice, *, status: int, **extra) -> HttpResponse:
    return render_partial(
        request,
        "issuers/detail.html",
        _detail_context(request, invoice, **extra),
        partial="invoice-body",
        status=status,
    )


# --- Recycle -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@no_store
def recycle(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.issued_get(user=request.user, pk=pk, action=Action.SUBMIT_ISSUED)
    connection = invoice.connection
    raw_structure = request.POST.get("structure") if request.method == "POST" else request.GET.get("structure")
    info = _structure(connection, raw_structure or invoice.recipient_id)
    context = {"invoice": invoice, "info": info, **_directory(request, connection)}
    if request.method == "GET":
        context["form"] = RecycleForm(invoice=invoice, info=info)
        return render_partial(request, "issuers/recycle.html", context, partial="recycle-form")
    form = RecycleForm(request.POST, invoice=invoice, info=info)
    context["form"] = form
    if info is None:
        form.is_valid()
        form.add_error(
            None, _("Cette structure est introuvable dans l'annuaire Chorus Pro, ou l'annuaire ne répond pas.")
        )
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
        status, message = action_failure(exc)
        if not isinstance(exc, OutcomeUnknown):
            form = _renewed(RecycleForm, request, invoice=invoice, info=info)
        else:
            context["unknown"] = True
        form.add_error(None, message)
        context["form"] = form
        return render_partial(request, "issuers/recycle.html", context, partial="recycle-form", status=status)
    messages.success(request, outcome.message)
    return redirect("issuers:detail", pk=invoice.pk)
