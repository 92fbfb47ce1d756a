"""Views of the validation workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

import functools
import os

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.bulk import bulk_summary
from chorusweb.exports import download_stamp
from chorusweb.http import http_status_for, is_partial_request, no_store, render_partial
from chorusweb.view_helpers import download_response, require, send_action
from chorusweb.workspace_views import back_url, bulk_start, invoice_outcome, list_context, list_response
from validators import selectors, services
from validators.forms import BulkApproveForm, DecisionForm, DownloadForm
from validators.models import ValidationInvoice
from validators.workspace import VALIDATION

DETAIL = VALIDATION.detail_template


# --- Queue --------------------------------------------------------------------------------


@require_GET
@no_store
def queue(request: HttpRequest) -> HttpResponse:
    require(request, Action.VIEW_VALIDATION)
    context = list_context(request, VALIDATION)
    context["urgent_count"] = selectors.queue_urgent_count(request.user)
    return list_response(request, VALIDATION, context)


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
        "back_url": back_url(request, VALIDATION),
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
        **invoice_outcome(VALIDATION, invoice),
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
    return render_partial(request, DETAIL, context, partial="invoice-body", status=status)


@require_http_methods(["GET", "POST"])
@no_store
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.validation_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.VALIDATE, invoice.connection_id, invoice.service_code)
    if request.method == "GET":
        if request.htmx:  # the decision region, polled while an outcome is unknown
            context = _detail_context(request, invoice, audit_oob=is_partial_request(request, "decision-form"))
            return render_partial(request, DETAIL, context, partial="decision-form")
        return redirect(VALIDATION.detail_url, pk=invoice.pk)
    return send_action(
        request,
        VALIDATION,
        DecisionForm(request.POST, invoice=invoice),
        send=functools.partial(_decide, request),
        partial="decision-form",
        form_context=functools.partial(_decision_context, request, invoice),
        body_context=lambda invoice: _detail_context(request, invoice, just_decided=True),
    )


def _decide(request: HttpRequest, data: dict, **sent):
    """Send the decision; once sent, the invoice leaves the selection (it awaits no more)."""
    outcome = services.invoice_decide(
        action=data["decision"], reason=data["motif"], complement=data["complement"], **sent
    )
    VALIDATION.selection.discard(request, sent["invoice"].pk)
    return outcome


def _decision_context(request: HttpRequest, invoice: ValidationInvoice, form: DecisionForm) -> dict:
    if not request.htmx:
        return _detail_context(request, invoice, bound=form)
    # Only the decision region is re-rendered: no upstream read for it.
    return {
        "invoice": invoice,
        "can_validate": invoice.awaiting,
        "may_validate": True,
        "reason_max": lc.REASON_MAX_LENGTH,
        "audit": selectors.validation_audit(invoice=invoice),
        **_decision_forms(invoice, form),
    }


@require_POST
def document(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's document through the group download (as in the received workspace)."""
    invoice = selectors.validation_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.DOWNLOAD_VALIDATION, invoice.connection_id, invoice.service_code)
    stem = f"facture-{invoice.invoice_number or invoice.invoice_id}"
    return download_response(
        request,
        DownloadForm(request.POST),
        fetch=lambda **options: services.validation_document(user=request.user, invoice=invoice, **options),
        back=reverse(VALIDATION.detail_url, args=[invoice.pk]),
        invalid=_("Choisissez un format."),
        filename=lambda doc: f"{stem}-{download_stamp()}{os.path.splitext(doc.filename)[1]}",
    )


# --- Bulk approval --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@no_store
def bulk_approve(request: HttpRequest) -> HttpResponse:
    require(request, Action.VALIDATE)
    invoices = selectors.validations_by_ids(user=request.user, ids=VALIDATION.selection.get(request))
    form = BulkApproveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            started = bulk_start(request, VALIDATION, form=form, start=lambda: _approve_start(request, invoices, form))
            if started is not None:
                return started
    plan = services.bulk_approve_plan(user=request.user, invoices=invoices)
    summary = bulk_summary(plan.sendable)
    context = {
        "summary": summary,
        "question": summary.question(lc.VALIDATION_ACTION_APPROVE),
        "form": form,
        "invoices": invoices,
        "max": services.BULK_APPROVE_MAX,
        "plan": plan,
        "back_url": back_url(request, VALIDATION),
    }
    return render_partial(request, "validators/bulk.html", context, partial="bulk-form", status=status)


def _approve_start(request: HttpRequest, invoices, form: BulkApproveForm):
    return services.bulk_approve_start(
        user=request.user,
        invoices=invoices,
        complement=form.cleaned_data["complement"],
        idempotency_key=form.cleaned_data["cle"],
    )
