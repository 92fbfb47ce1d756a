"""Views of the received invoices workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

import mimetypes
import os

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, action_failure, already_submitted, outcome_context
from chorusweb.bulk import BulkAlreadyStarted, bulk_already_started, bulk_results, bulk_summary
from chorusweb.factpulse import FactPulseError
from chorusweb.forms import is_id
from chorusweb.http import (
    csp_frames_self,
    framed_by_self,
    is_partial_request,
    list_url_back,
    list_url_remember,
    no_store,
    render_fragment,
    render_partial,
    safe_next,
    sort_links,
)
from chorusweb.models import BulkRun, Workspace
from chorusweb.workspace_views import selection_context
from invoices import exports, selectors, services
from invoices.clock import invoice_clock
from invoices.forms import BulkProcessForm, DownloadForm, InvoiceFilterForm, ProcessForm, ServiceDoneForm
from invoices.models import InvoiceDocument
from invoices.rows import rows_html
from invoices.workspace import RECEIVED

SELECTION = RECEIVED.selection
#: Columns sorted newest or largest first on the first click.
DESC_FIRST = {"depot", "date", "maj", "ttc", "ht"}


def _back_url(request: HttpRequest) -> str:
    """The list view the user came from (tab, filters, sort, page), for every back link."""
    return list_url_back(request, RECEIVED.name, RECEIVED.list_url)


def _require(request: HttpRequest, action: Action) -> None:
    if not access_for(request.user).can(action):
        raise PermissionDenied


def _filter_form(request: HttpRequest) -> InvoiceFilterForm:
    connections = access_for(request.user).connections(Action.VIEW_RECEIVED)
    return InvoiceFilterForm(request.GET or None, connections=connections)


@require_GET
@no_store
def invoice_list(request: HttpRequest) -> HttpResponse:
    _require(request, Action.VIEW_RECEIVED)
    form = _filter_form(request)
    filters = form.to_filters() if form.is_bound else InvoiceFilterForm(connections=()).to_filters()
    sync_statuses, polling = services.sync_received_first_visit(user=request.user)
    result = selectors.invoice_list(
        user=request.user,
        filters=filters,
        page=request.GET.get("page", 1),
        per_page=settings.CHORUSWEB_PAGE_SIZE,
    )
    page_rows = list(result.page.object_list)
    selection = selection_context(request, RECEIVED, list_url=request.get_full_path())
    context = {
        "form": form,
        "result": result,
        "rows": page_rows,
        "rows_html": rows_html(page_rows, selected=set(selection["selected"])),
        "filters": filters,
        "tabs": result.tabs,
        **selection,
        "page_selected": bool(page_rows) and all(r["id"] in selection["selected"] for r in page_rows),
        "page_ids": ",".join(str(r["id"]) for r in page_rows),
        "sync_statuses": sync_statuses,
        "polling": polling,
        "sort_links": sort_links(request, filters.sort, selectors.SORTS, desc_first=DESC_FIRST),
        **_facets(request),
        # The menu count, from the counts just read when they cover every invoice (no query).
        **({"nav_received_count": result.to_process} if result.to_process is not None else {}),
        "can_process": access_for(request.user).can(Action.PROCESS_RECEIVED),
        "can_download": access_for(request.user).can(Action.DOWNLOAD_RECEIVED),
        "clock_filters": [
            {"key": key, "label": label, "count": result.clock_counts.get(key), "active": filters.clock == key}
            for key, label in selectors.CLOCK_FILTERS.items()
        ],
    }
    response = render_partial(request, "invoices/list.html", context, partial="results-table")
    return list_url_remember(request, response, RECEIVED.name)


def _facets(request: HttpRequest) -> dict:
    """The service codes and structures to pick from: for the filter form of a full page only."""
    if request.htmx:
        return {"service_codes": [], "structures": []}
    codes, structures = selectors.list_facets(user=request.user)
    return {"service_codes": codes, "structures": structures}


@require_GET
def invoice_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current filtered list, every page, as a CSV file for spreadsheets (French format)."""
    _require(request, Action.VIEW_RECEIVED)
    filters = _filter_form(request).to_filters()
    rows = selectors.invoice_iter_export(user=request.user, filters=filters, fields=exports.EXPORT_FIELDS)
    response = StreamingHttpResponse(exports.invoices_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename()}"'
    return response


@require_GET
@no_store
@csp_frames_self
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    return render_partial(request, "invoices/detail.html", _detail_context(request, invoice), partial="invoice-body")


def _detail_context(request: HttpRequest, invoice, form: ProcessForm | None = None, **extra) -> dict:
    access = access_for(request.user)
    can_process = access.can(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    stored = selectors.invoice_document(invoice=invoice)
    document, content = (stored.file, stored.content) if stored else (None, None)
    clock = invoice_clock(invoice)
    if form is None and can_process:
        form = ProcessForm(invoice=invoice, clock=clock)
    elif form is not None and getattr(form, "clock", None) is None:
        form.clock = clock
    if "service_done_form" not in extra and can_process and clock.state:
        extra["service_done_form"] = ServiceDoneForm(
            initial={"date_service_fait": invoice.service_done_date},
        )
    return {
        "invoice": invoice,
        "back_url": _back_url(request),
        "clock": clock,
        "rejection_cost": services.invoice_rejection_cost(clock),
        "timeline": selectors.invoice_timeline(invoice=invoice),
        "audit": selectors.invoice_audit(invoice=invoice),
        "can_process": can_process and bool(invoice.allowed_targets),
        "can_download": access.can(Action.DOWNLOAD_RECEIVED, invoice.connection_id, invoice.service_code),
        "form": form,
        "document": document,
        "content": content,
        "parties": [(_("Vendeur"), content.seller), (_("Acheteur"), content.buyer)] if content else [],
        "reason_required": sorted(lc.REASON_REQUIRED),
        "reason_targets": lc.REASON_TARGETS,
        "raw_items": sorted((invoice.raw or {}).items()),
        "can_resend_actions": can_process,
        **outcome_context(
            connection_id=invoice.connection_id, workspace=Workspace.RECEIVED, invoice_id=invoice.invoice_id
        ),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@no_store
def invoice_process(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    if request.method == "GET":  # the form region, polled while an outcome is unknown
        context = _detail_context(request, invoice, audit_oob=is_partial_request(request, "process-form"))
        return render_partial(request, "invoices/detail.html", context, partial="process-form")
    form = ProcessForm(request.POST, invoice=invoice, clock=invoice_clock(invoice))
    replay = already_submitted(request.POST.get("cle"))
    if replay is not None:
        return _process_form_refused(request, invoice, form, status=409, message=replay.message)
    if not form.is_valid():
        return _process_form_response(request, invoice, form, status=422)
    data = form.cleaned_data
    try:
        outcome = services.invoice_process(
            user=request.user,
            invoice=invoice,
            target=data["cible"],
            reason=data["motif"],
            comment=data["commentaire"],
            mandate_number=data["numero_mandat"],
            idempotency_key=data["cle"],
            expected_status=data["statut_vu"],
        )
    except (ActionRejected, FactPulseError) as exc:
        status, message = action_failure(exc)
    else:
        messages.success(request, outcome.message)
        if not request.htmx:
            return redirect("invoices:detail", pk=invoice.pk)
        # The whole body changes together: status badge, timeline, audit and a fresh form.
        response = render_fragment(
            request,
            "invoices/detail.html",
            _detail_context(request, outcome.invoice, just_processed=True),
            partial="invoice-body",
        )
        return reswap(retarget(response, "#invoice-body"), "outerHTML")
    return _process_form_refused(request, invoice, form, status=status, message=message)


def _process_form_refused(request: HttpRequest, invoice, form: ProcessForm, *, status: int, message: str):
    """The key was spent (or the invoice moved on): a fresh form state lets the user decide again."""
    return _process_form_response(request, invoice, form.renewed(message), status=status)


def _process_form_response(request: HttpRequest, invoice, form: ProcessForm, *, status: int) -> HttpResponse:
    context = _detail_context(request, invoice, form=form)
    if request.htmx:
        context["audit_oob"] = True  # "Nos actions" shows the attempt at once, failed or refused
        return render_fragment(
            request,
            "invoices/detail.html",
            context,
            partial="process-form",
            status=status,
        )
    return render_partial(request, "invoices/detail.html", context, partial="process-form", status=status)


@require_POST
def invoice_service_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the day the service was done (R2192-13), with its reason; audited."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    form = ServiceDoneForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_service_done_set(
                user=request.user,
                invoice=invoice,
                day=form.cleaned_data["date_service_fait"],
                reason=form.cleaned_data["motif_service_fait"],
            )
        except ActionRejected as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Date du service fait enregistrée : le délai de paiement est recalculé."))
            return redirect("invoices:detail", pk=invoice.pk)
    context = _detail_context(request, invoice, service_done_form=form)
    return render_partial(request, "invoices/detail.html", context, partial="invoice-body", status=422)


@require_POST
def invoice_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the document once (marks it downloaded in Chorus Pro), store and show its content."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    error = None
    try:
        services.invoice_document_fetch(user=request.user, invoice=invoice)
    except FactPulseError as exc:
        error = exc.user_message
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("invoices:detail", pk=pk)
    return render_fragment(
        request,
        "invoices/detail.html",
        _detail_context(request, invoice, document_error=error, document_swap=True),
        partial="document-content",
        status=502 if error else 200,
    )


@require_GET
def invoice_document_file(request: HttpRequest, pk: int) -> FileResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    document = get_object_or_404(InvoiceDocument, invoice=invoice)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=os.path.basename(document.file.name))


@require_GET
def invoice_document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's PDF, inline: shown in a frame of its page (and by the browser's viewer)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    pdf = selectors.invoice_document_pdf(invoice=invoice)
    if pdf is None:
        raise Http404(_("Cette facture n'a pas de PDF récupéré."))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = get_valid_filename(f"facture-{invoice.invoice_number or invoice.invoice_id}.pdf")
    response["Content-Disposition"] = content_disposition_header(False, name)
    return framed_by_self(response)


@require_GET
def invoice_attachment(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One attachment of the invoice's document, downloaded on its own."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    found = selectors.invoice_document_attachment(invoice=invoice, index=index)
    if found is None:
        raise Http404(_("Cette pièce jointe n'est pas disponible."))
    name, data = found
    response = HttpResponse(data, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        True, get_valid_filename(os.path.basename(name)) or "piece-jointe"
    )
    return response


def _selected_invoices(request: HttpRequest, action: Action):
    return selectors.invoices_by_ids(user=request.user, ids=SELECTION.get(request), action=action)


@require_http_methods(["GET", "POST"])
@no_store
def bulk_process(request: HttpRequest) -> HttpResponse:
    """Two steps, as the single page asks: choose the status (only those allowed for at least one
    selected invoice, none chosen beforehand), then confirm a summary that lists the invoices that
    cannot take it; only the invoices confirmed as eligible are sent."""
    _require(request, Action.PROCESS_RECEIVED)
    invoices = _selected_invoices(request, Action.VIEW_RECEIVED)
    form = BulkProcessForm(request.POST or None, targets=lc.targets_for_any(inv.status for inv in invoices))
    status = 200
    plan = summary = None
    if (replay := bulk_already_started(request.POST.get("cle"))) is not None:
        messages.info(request, replay.message)  # sent again (Back, double click): the run it started
        return redirect("invoices:bulk_detail", run_id=replay.run.pk)
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        elif request.POST.get("etape") == "envoyer":
            data = form.cleaned_data
            confirmed = {int(v) for v in request.POST.getlist("lot") if is_id(v)}
            try:
                if not any(inv.pk in confirmed for inv in invoices):
                    raise ActionRejected(_("Aucune facture confirmée : rien n'a été envoyé."))
                run = services.bulk_process_start(
                    user=request.user,
                    invoices=invoices,
                    confirmed=confirmed,
                    target=data["cible"],
                    reason=data["motif"],
                    mandate_number=data["numero_mandat"],
                    idempotency_key=data["cle"],
                )
            except BulkAlreadyStarted as exc:
                messages.info(request, exc.message)
                return redirect("invoices:bulk_detail", run_id=exc.run.pk)
            except ActionRejected as exc:
                form.add_error(None, exc.message)
                status = 422
            else:
                SELECTION.save(request, [])
                return redirect("invoices:bulk_detail", run_id=run.pk)
        else:
            data = form.cleaned_data
            plan = services.bulk_plan(user=request.user, invoices=invoices, target=data["cible"], reason=data["motif"])
            summary = bulk_summary(plan.sendable)
    context = {
        "form": form,
        "invoices": invoices,
        "max": settings.CHORUSWEB_BULK_MAX,
        "plan": plan,
        "summary": summary,
        "question": summary.question(form.cleaned_data["cible"]) if summary else "",
        "reason_targets": lc.REASON_TARGETS,
        "back_url": _back_url(request),
    }
    return render_partial(request, "invoices/bulk.html", context, partial="bulk-form", status=status)


@require_GET
@no_store
def bulk_detail(request: HttpRequest, run_id) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id, workspace=Workspace.RECEIVED)
    if run.user_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied
    results = bulk_results(run)
    done = sum(1 for entry in results if entry.state != "pending")
    context = {
        "run": run,
        "back_url": _back_url(request),
        "results": results,
        "done": done,
        "percent": round(100 * done / run.total) if run.total else 100,
        "counts": _result_counts(results),
    }
    return render_partial(request, "invoices/bulk_detail.html", context, partial="bulk-progress")


def _result_counts(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in results:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    return counts


@require_POST
def group_download(request: HttpRequest) -> HttpResponse:
    _require(request, Action.DOWNLOAD_RECEIVED)
    form = DownloadForm(request.POST)
    invoices = _selected_invoices(request, Action.DOWNLOAD_RECEIVED)
    back = safe_next(request, reverse("invoices:list"))
    if not form.is_valid() or not invoices:
        messages.error(request, _("Sélectionnez au moins une facture et un format."))
        return redirect(back)
    try:
        result = services.invoices_download(
            user=request.user,
            invoices=invoices,
            file_format=form.cleaned_data["format"],
            include_attachments=form.cleaned_data["pieces_jointes"],
        )
    except ActionRejected as exc:
        messages.error(request, exc.message)
        return redirect(back)
    except FactPulseError as exc:
        messages.error(request, _("Le téléchargement a échoué : %(error)s") % {"error": exc.user_message})
        return redirect(back)
    handle = result.path.open("rb")
    os.unlink(result.path)  # the open handle keeps the data until the response is sent
    response = FileResponse(handle, as_attachment=True, filename=result.filename, content_type=result.content_type)
    response["Content-Length"] = str(result.size)
    return response
