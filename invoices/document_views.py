"""Views of a received invoice's documents: its stored Factur-X, PDF and attachments, and the
group download of the selected invoices."""

from __future__ import annotations

import os

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chorusweb.access import Action
from chorusweb.factpulse import FactPulseError
from chorusweb.http import bytes_response, framed_by_self, render_fragment, safe_next
from chorusweb.view_helpers import download_response, require
from invoices import selectors, services, views
from invoices.forms import DownloadForm
from invoices.models import InvoiceDocument
from invoices.workspace import RECEIVED

DETAIL = RECEIVED.detail_template


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
        return redirect(RECEIVED.detail_url, pk=pk)
    return render_fragment(
        request,
        DETAIL,
        views.detail_context(request, invoice, document_error=error, document_swap=True),
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
    name = get_valid_filename(f"facture-{invoice.invoice_number or invoice.invoice_id}.pdf")
    return framed_by_self(bytes_response(pdf, name, inline=True))


@require_GET
def invoice_attachment(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One attachment of the invoice's document, downloaded on its own."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    found = selectors.invoice_document_attachment(invoice=invoice, index=index)
    if found is None:
        raise Http404(_("Cette pièce jointe n'est pas disponible."))
    name, data = found
    return bytes_response(data, get_valid_filename(os.path.basename(name)) or "piece-jointe", type_of=name)


@require_POST
def group_download(request: HttpRequest) -> HttpResponse:
    require(request, Action.DOWNLOAD_RECEIVED)
    invoices = selectors.invoices_by_ids(
        user=request.user, ids=RECEIVED.selection.get(request), action=Action.DOWNLOAD_RECEIVED
    )
    return download_response(
        request,
        DownloadForm(request.POST),
        fetch=lambda **options: services.invoices_download(user=request.user, invoices=invoices, **options),
        back=safe_next(request, reverse("invoices:list")),
        invalid=_("Sélectionnez au moins une facture et un format."),
        ready=bool(invoices),
    )
