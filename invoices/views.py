"""Views of the received invoices workspace. Thin: bind a form, call a selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected
from chorusweb.bulk import bulk_already_started, bulk_summary
from chorusweb.forms import is_id
from chorusweb.http import (
    csp_frames_self,
    csv_response,
    is_partial_request,
    no_store,
    render_partial,
)
from chorusweb.view_helpers import require, send_action
from chorusweb.workspace_views import (
    back_url,
    bulk_run_page,
    bulk_start,
    filter_form,
    invoice_outcome,
    list_context,
    list_response,
)
from invoices import exports, selectors, services
from invoices.clock import invoice_clock
from invoices.forms import BulkProcessForm, ProcessForm, ServiceDoneForm
from invoices.rows import rows_html
from invoices.workspace import RECEIVED

DETAIL = RECEIVED.detail_template


@require_GET
@no_store
def invoice_list(request: HttpRequest) -> HttpResponse:
    """The received invoices of a tab, filtered and sorted, with the payment clock's filters."""
    require(request, Action.VIEW_RECEIVED)
    context = list_context(request, RECEIVED, rows=lambda result: list(result.page.object_list))
    result, filters = context["result"], context["filters"]
    context |= {
        "rows_html": rows_html(context["rows"], selected=context["selected"]),
        **_facets(request),
        # The menu count, from the counts just read when they cover every invoice (no query).
        **({"nav_received_count": result.to_process} if result.to_process is not None else {}),
        "clock_filters": [
            {"key": key, "label": label, "count": result.clock_counts.get(key), "active": filters.clock == key}
            for key, label in selectors.CLOCK_FILTERS.items()
        ],
    }
    return list_response(request, RECEIVED, context)


def _facets(request: HttpRequest) -> dict:
    """The service codes and structures to pick from: for the filter form of a full page only."""
    if request.htmx:
        return {"service_codes": [], "structures": []}
    codes, structures = selectors.list_facets(user=request.user)
    return {"service_codes": codes, "structures": structures}


@require_GET
def invoice_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current filtered list, every page, as a CSV file for spreadsheets (French format)."""
    require(request, Action.VIEW_RECEIVED)
    filters = filter_form(request, RECEIVED).to_filters()
    rows = selectors.invoice_iter_export(user=request.user, filters=filters, fields=exports.EXPORT_FIELDS)
    return csv_response(exports.invoices_csv_lines(rows), exports.export_filename())


@require_GET
@no_store
@csp_frames_self
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    return render_partial(request, DETAIL, detail_context(request, invoice), partial="invoice-body")


def detail_context(request: HttpRequest, invoice, form: ProcessForm | None = None, **extra) -> dict:
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
        extra["service_done_form"] = ServiceDoneForm(initial={"date_service_fait": invoice.service_done_date})
    return {
        "invoice": invoice,
        "back_url": back_url(request, RECEIVED),
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
        **invoice_outcome(RECEIVED, invoice),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@no_store
def invoice_process(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    access_for(request.user).require(Action.PROCESS_RECEIVED, invoice.connection_id, invoice.service_code)
    if request.method == "GET":  # the form region, polled while an outcome is unknown
        context = detail_context(request, invoice, audit_oob=is_partial_request(request, "process-form"))
        return render_partial(request, DETAIL, context, partial="process-form")
    return send_action(
        request,
        RECEIVED,
        ProcessForm(request.POST, invoice=invoice, clock=invoice_clock(invoice)),
        send=lambda data, **sent: services.invoice_process(
            target=data["cible"],
            reason=data["motif"],
            comment=data["commentaire"],
            mandate_number=data["numero_mandat"],
            **sent,
        ),
        partial="process-form",
        form_context=lambda form: detail_context(request, invoice, form=form),
        body_context=lambda invoice: detail_context(request, invoice, just_processed=True),
    )


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
            return redirect(RECEIVED.detail_url, pk=invoice.pk)
    context = detail_context(request, invoice, service_done_form=form)
    return render_partial(request, DETAIL, context, partial="invoice-body", status=422)


def _selected_invoices(request: HttpRequest, action: Action):
    return selectors.invoices_by_ids(user=request.user, ids=RECEIVED.selection.get(request), action=action)


@require_http_methods(["GET", "POST"])
@no_store
def bulk_process(request: HttpRequest) -> HttpResponse:
    """Two steps, as the single page asks: choose the status (only those allowed for at least one
    selected invoice, none chosen beforehand), then confirm a summary that lists the invoices that
    cannot take it; only the invoices confirmed as eligible are sent."""
    require(request, Action.PROCESS_RECEIVED)
    invoices = _selected_invoices(request, Action.VIEW_RECEIVED)
    form = BulkProcessForm(request.POST or None, targets=lc.targets_for_any(inv.status for inv in invoices))
    if (replay := bulk_already_started(request.POST.get("cle"))) is not None:
        return bulk_run_page(request, RECEIVED, replay)  # sent again (Back, double click)
    plan = summary = None
    status = 422 if request.method == "POST" and not form.is_valid() else 200
    if request.method == "POST" and status == 200 and request.POST.get("etape") == "envoyer":
        started = bulk_start(request, RECEIVED, form=form, start=lambda: _bulk_send(request, invoices, form))
        if started is not None:
            return started
        status = 422
    elif request.method == "POST" and status == 200:
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
        "back_url": back_url(request, RECEIVED),
    }
    return render_partial(request, "invoices/bulk.html", context, partial="bulk-form", status=status)


def _bulk_send(request: HttpRequest, invoices, form: BulkProcessForm):
    """Start the run on the invoices the summary listed and the user confirmed (`lot`)."""
    confirmed = {int(v) for v in request.POST.getlist("lot") if is_id(v)}
    if not any(inv.pk in confirmed for inv in invoices):
        raise ActionRejected(_("Aucune facture confirmée : rien n'a été envoyé."))
    data = form.cleaned_data
    return services.bulk_process_start(
        user=request.user,
        invoices=invoices,
        confirmed=confirmed,
        target=data["cible"],
        reason=data["motif"],
        mandate_number=data["numero_mandat"],
        idempotency_key=data["cle"],
    )
