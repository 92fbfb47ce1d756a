"""Views of the validation workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, action_failure, already_submitted, outcome_context
from chorusweb.bulk import BulkAlreadyStarted, bulk_results, bulk_summary
from chorusweb.exports import download_stamp
from chorusweb.factpulse import FactPulseError
from chorusweb.http import (
    http_status_for,
    is_partial_request,
    list_url_back,
    list_url_remember,
    no_store,
    render_fragment,
    render_partial,
    sort_links,
)
from chorusweb.models import BulkRun, Workspace
from chorusweb.workspace_views import selection_context
from validators import selectors, services
from validators.forms import BulkApproveForm, DecisionForm, DownloadForm, QueueFilterForm
from validators.models import ValidationInvoice
from validators.workspace import VALIDATION, action_flags

SELECTION = VALIDATION.selection

#: Sort keys whose first click sorts descending (largest, newest first).
DESC_FIRST = {"depot", "date", "ttc"}


def _back_url(request: HttpRequest) -> str:
    """The queue view the user came from (tab, filters, sort, page), for every back link."""
    return list_url_back(request, VALIDATION.name, VALIDATION.list_url)


def _require(request: HttpRequest, action: Action) -> None:
    if not access_for(request.user).can(action):
        raise PermissionDenied


# --- Queue --------------------------------------------------------------------------------


@require_GET
@no_store
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, Action.VIEW_VALIDATION)
    connections = access_for(request.user).connections(Action.VIEW_VALIDATION)
    form = QueueFilterForm(request.GET or None, connections=connections)
    filters = form.to_filters()
    sync_statuses, polling = services.sync_validation_first_visit(user=request.user)
    result = selectors.queue_list(
        user=request.user, filters=filters, page=request.GET.get("page", 1), per_page=settings.CHORUSWEB_PAGE_SIZE
    )
    selection = selection_context(request, VALIDATION, list_url=request.get_full_path())
    context = {
        "form": form,
        "result": result,
        "rows": result.rows,
        "filters": filters,
        "tabs": result.tabs,
        **selection,
        "page_selected": bool(result.rows) and all(r.id in selection["selected"] for r in result.rows),
        "page_ids": ",".join(str(r.id) for r in result.rows),
        "sync_statuses": sync_statuses,
        "polling": polling,
        "sort_links": sort_links(request, filters.sort, selectors.SORTS, desc_first=DESC_FIRST),
        "urgent_count": selectors.queue_urgent_count(request.user),
        **action_flags(request.user),
    }
    response = render_partial(request, "validators/queue.html", context, partial="results-table")
    return list_url_remember(request, response, VALIDATION.name)


# --- Detail, decision, document -------------------------------------------------------------


def _decision_forms(invoice: ValidationInvoice, bound: DecisionForm | None = None) -> dict:
    approve = DecisionForm(invoice=invoice, decision=lc.VALIDATION_ACTION_APPROVE)
    refuse = DecisionForm(invoice=invoice, decision=lc.VALIDATION_ACTION_REFUSE)
    if bound is not None:
        if bound.decision_value == lc.VALIDATION_ACTION_REFUSE:
            refuse = bound
        else:
            approve = bound
    return {"approve_form": approve, "refuse_form": refuse}


def _detail_context(request: HttpRequest, invoice: ValidationInvoice, *, bound=None, read=None, **extra) -> dict:
    access = access_for(request.user)
    can_validate = access.can(Action.VALIDATE, invoice.connection_id, invoice.service_code)
    if read is None:
        read = services.validation_detail_read(invoice=invoice)
    return {
        "invoice": invoice,
        "back_url": _back_url(request),
        "urgency": selectors.urgency(invoice.deadline) if invoice.awaiting else None,
        "read": read,
        "detail": read.detail,
        "audit": selectors.validation_audit(invoice=invoice),
        "can_validate": can_validate and invoice.awaiting,
        "may_validate": can_validate,
        "can_download": access.can(Action.DOWNLOAD_VALIDATION, invoice.connection_id, invoice.service_code),
        "download_form": DownloadForm(initial={"format": "PDF"}),
        "received_access": selectors.received_access(user=request.user, invoice=invoice),
        "received": selectors.received_counterpart(user=request.user, invoice=invoice),
        "next_invoice": selectors.next_awaiting(user=request.user, after=invoice),
        "reason_max": lc.REASON_MAX_LENGTH,
        "can_resend_actions": can_validate,
        **outcome_context(
            connection_id=invoice.connection_id, workspace=Workspace.VALIDATION, invoice_id=invoice.invoice_id
        ),
        **_decision_forms(invoice, bound),
        **extra,
    }


@require_GET
@no_store
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.validation_get(user=request.user, pk=pk)
    context = _detail_context(request, invoice)
    read = context["read"]
    status = None
    if read.error is not None and read.detail is None:
        status = http_status_for(read.error)
    return render_partial(request, "validators/detail.html", context, partial="invoice-body", status=status)


@require_http_methods(["GET", "POST"])
@no_store
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.validation_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.VALIDATE, invoice.connection_id, invoice.service_code)
    if request.method == "GET":
        if request.htmx:  # the decision region, polled while an outcome is unknown
            context = _detail_context(request, invoice, audit_oob=is_partial_request(request, "decision-form"))
            return render_partial(request, "validators/detail.html", context, partial="decision-form")
        return redirect("validators:detail", pk=invoice.pk)
    form = DecisionForm(request.POST, invoice=invoice)
    replay = already_submitted(request.POST.get("cle"))
    if replay is not None:
        return _decision_refused(request, invoice, form, status=409, message=replay.message)
    if not form.is_valid():
        return _decision_response(request, invoice, form, status=422)
    data = form.cleaned_data
    try:
        outcome = services.invoice_decide(
            user=request.user,
            invoice=invoice,
            action=data["decision"],
            reason=data["motif"],
            complement=data["complement"],
            idempotency_key=data["cle"],
            expected_status=data["statut_vu"],
        )
    except (ActionRejected, FactPulseError) as exc:
        status, message = action_failure(exc)
    else:
        messages.success(request, outcome.message)
        SELECTION.discard(request, invoice.pk)
        if not request.htmx:
            return redirect("validators:detail", pk=invoice.pk)
        response = render_fragment(
            request,
            "validators/detail.html",
            _detail_context(request, outcome.invoice, just_decided=True),
            partial="invoice-body",
        )
        return reswap(retarget(response, "#invoice-body"), "outerHTML")
    return _decision_refused(request, invoice, form, status=status, message=message)


def _decision_refused(request: HttpRequest, invoice, form: DecisionForm, *, status: int, message: str):
    """The key was spent (or the invoice moved on): a fresh key lets the user decide again."""
    return _decision_response(request, invoice, form.renewed(message), status=status)


def _decision_response(request: HttpRequest, invoice, form: DecisionForm, *, status: int) -> HttpResponse:
    if request.htmx:
        # Only the decision region is re-rendered: no upstream read for it.
        context = {
            "invoice": invoice,
            "can_validate": invoice.awaiting,
            "may_validate": True,
            "reason_max": lc.REASON_MAX_LENGTH,
            "audit": selectors.validation_audit(invoice=invoice),
            "audit_oob": True,  # "Nos actions" shows the attempt at once, failed or refused
            **_decision_forms(invoice, form),
        }
        return render_fragment(request, "validators/detail.html", context, partial="decision-form", status=status)
    context = _detail_context(request, invoice, bound=form)
    return render_partial(request, "validators/detail.html", context, partial="decision-form", status=status)


@require_POST
def document(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's document through the group download (as in the received workspace)."""
    invoice = selectors.validation_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.DOWNLOAD_VALIDATION, invoice.connection_id, invoice.service_code)
    form = DownloadForm(request.POST)
    back = reverse("validators:detail", args=[invoice.pk])
    if not form.is_valid():
        messages.error(request, _("Choisissez un format."))
        return redirect(back)
    try:
        doc = services.validation_document(
            user=request.user,
            invoice=invoice,
            file_format=form.cleaned_data["format"],
            include_attachments=form.cleaned_data["pieces_jointes"],
        )
    except ActionRejected as exc:
        messages.error(request, exc.message)
        return redirect(back)
    except FactPulseError as exc:
        messages.error(request, _("Le téléchargement a échoué : %(error)s") % {"error": exc.user_message})
        return redirect(back)
    handle = doc.open()
    doc.cleanup()  # the open handle keeps the data until the response is sent
    extension = os.path.splitext(doc.filename)[1]
    name = f"facture-{invoice.invoice_number or invoice.invoice_id}-{download_stamp()}{extension}"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=doc.content_type)
    response["Content-Length"] = str(doc.size)
    return response


# --- Bulk approval --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@no_store
def bulk_approve(request: HttpRequest) -> HttpResponse:
    _require(request, Action.VALIDATE)
    invoices = selectors.validations_by_ids(user=request.user, ids=SELECTION.get(request))
    form = BulkApproveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.bulk_approve_start(
                    user=request.user,
                    invoices=invoices,
                    complement=form.cleaned_data["complement"],
                    idempotency_key=form.cleaned_data["cle"],
                )
            except BulkAlreadyStarted as exc:
                messages.info(request, exc.message)
                return redirect("validators:bulk_detail", run_id=exc.run.pk)
            except ActionRejected as exc:
                form.add_error(None, exc.message)
                status = 422
            else:
                SELECTION.save(request, [])
                return redirect("validators:bulk_detail", run_id=run.pk)
        else:
            status = 422
    plan = services.bulk_approve_plan(user=request.user, invoices=invoices)
    summary = bulk_summary(plan.sendable)
    context = {
        "summary": summary,
        "question": summary.question(lc.VALIDATION_ACTION_APPROVE),
        "form": form,
        "invoices": invoices,
        "max": services.BULK_APPROVE_MAX,
        "plan": plan,
        "back_url": _back_url(request),
    }
    return render_partial(request, "validators/bulk.html", context, partial="bulk-form", status=status)


@require_GET
@no_store
def bulk_detail(request: HttpRequest, run_id) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id, workspace=Workspace.VALIDATION)
    if run.user_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied
    results = bulk_results(run)
    counts: dict[str, int] = {}
    for entry in results:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    context = {
        "run": run,
        "back_url": _back_url(request),
        "results": results,
        "done": (done := sum(1 for entry in results if entry.state != "pending")),
        "percent": round(100 * done / run.total) if run.total else 100,
        "counts": counts,
    }
    return render_partial(request, "validators/bulk_detail.html", context, partial="bulk-progress")
