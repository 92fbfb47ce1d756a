"""Steps the workspaces' views repeat: a permission check, a download, an action sent once.

Plain functions that take what differs (the service call, the form region) as arguments, so
that each view keeps only what is its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget

from chorusweb.access import Action, access_for
from chorusweb.audit import ActionRejected, OutcomeUnknown, action_failure, already_submitted, new_idempotency_key
from chorusweb.factpulse import FactPulseError
from chorusweb.forms import SingleSendForm, is_id
from chorusweb.http import render_fragment, render_partial
from chorusweb.workspace import WorkspaceSpec


def require(request: HttpRequest, action: Action) -> None:
    """403 unless the user may do `action` somewhere (on at least one connection)."""
    if not access_for(request.user).can(action):
        raise PermissionDenied


def download_response(
    request: HttpRequest,
    form,
    *,
    fetch: Callable[..., Any],
    back: str,
    invalid: str,
    ready: bool = True,
    filename: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """The file a download form asks for, as an attachment; or back to `back` saying what failed.

    `form` has the fields `format` and `pieces_jointes`; `invalid` is said when it is not valid
    (or not `ready`: nothing to download). `fetch(file_format=, include_attachments=)` returns
    a temporary file (`path`, `filename`, `content_type`, `size`), deleted here once open;
    `filename(file)` names it when its own name does not suit.
    """
    if not form.is_valid() or not ready:
        messages.error(request, invalid)
        return redirect(back)
    try:
        file = fetch(file_format=form.cleaned_data["format"], include_attachments=form.cleaned_data["pieces_jointes"])
    except ActionRejected as exc:
        messages.error(request, exc.message)
        return redirect(back)
    except FactPulseError as exc:
        messages.error(request, _("Le téléchargement a échoué : %(error)s") % {"error": exc.user_message})
        return redirect(back)
    handle = open(file.path, "rb")  # noqa: SIM115 - FileResponse closes it once sent
    os.unlink(file.path)  # the open handle keeps the data until the response is sent
    name = filename(file) if filename else file.filename
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=file.content_type)
    response["Content-Length"] = str(file.size)
    return response


def send_action(
    request: HttpRequest,
    workspace: WorkspaceSpec,
    form: SingleSendForm,
    *,
    send: Callable[..., Any],
    partial: str,
    form_context: Callable[[SingleSendForm], dict],
    body_context: Callable[[Any], dict],
) -> HttpResponse:
    """POST of a single-invoice action: sent once, its outcome shown, a refusal on the form.

    `send(data, user=, invoice=, idempotency_key=, expected_status=)` sends the form's valid
    `data`. A replayed key (409), an invalid form (422), a refusal or an upstream error (its
    status) answer the form's region `partial` (`form_context(form)`) with a form that can be
    sent again. A success says its message; htmx gets the invoice page's whole body
    (`body_context(invoice)`: status, timeline, audit and a fresh form change together), a page
    without JavaScript a redirect to the invoice's page.
    """

    def refused(form: SingleSendForm, status: int) -> HttpResponse:
        context = form_context(form)
        if not request.htmx:
            return render_partial(request, workspace.detail_template, context, partial=partial, status=status)
        context["audit_oob"] = True  # "Nos actions" shows the attempt at once, failed or refused
        return render_fragment(request, workspace.detail_template, context, partial=partial, status=status)

    replay = already_submitted(request.POST.get("cle"))
    if replay is not None:
        return refused(form.renewed(replay.message), 409)
    if not form.is_valid():
        return refused(form, 422)
    data = form.cleaned_data
    try:
        outcome = send(
            data,
            user=request.user,
            invoice=form.invoice,
            idempotency_key=data["cle"],
            expected_status=data["statut_vu"],
        )
    except (ActionRejected, FactPulseError) as exc:
        status, message = action_failure(exc)
        return refused(form.renewed(message), status)
    messages.success(request, outcome.message)
    if not request.htmx:
        return redirect(workspace.detail_url, pk=form.invoice.pk)
    template = workspace.detail_template
    response = render_fragment(request, template, body_context(outcome.invoice), partial="invoice-body")
    return reswap(retarget(response, "#invoice-body"), "outerHTML")


def renewed_form(form_class: type, request: HttpRequest, **kwargs):
    """The same input with a fresh key (the spent one would be refused as a double submit)."""
    data = request.POST.copy()
    data["cle"] = new_idempotency_key()
    form = form_class(data, request.FILES, **kwargs)
    form.is_valid()
    form.errors.clear()
    return form


def failed_form(request: HttpRequest, exc: Exception, form, **form_kwargs) -> tuple[Any, int, str]:
    """After a failed send: the form to show again (with the reason), the status, the reason.

    Refused or not sent: the same input with a fresh key, to correct and send again. Outcome
    unknown: the form as it was (it may have been applied: no resend offered).
    """
    status, message = action_failure(exc)
    if not isinstance(exc, OutcomeUnknown):
        form = renewed_form(type(form), request, **form_kwargs)
    form.add_error(None, message)
    return form, status, message


def send_failed(request: HttpRequest, exc: Exception, context: dict, *, template: str, partial: str, **form_kwargs):
    """The page of a form (`context["form"]`) after a failed send: see `failed_form`; `unknown`
    says that the outcome is not known yet."""
    context["form"], status, _message = failed_form(request, exc, context["form"], **form_kwargs)
    if isinstance(exc, OutcomeUnknown):
        context["unknown"] = True
    return render_partial(request, template, context, partial=partial, status=status)


def connection_for(request: HttpRequest, action: Action):
    """The connection the user acts with: the one `connexion` asks for among those allowed for
    `action`, else the first of them (403 without any)."""
    connections = access_for(request.user).connections(action)
    if not connections:
        raise PermissionDenied
    wanted = request.POST.get("connexion") or request.GET.get("connexion")
    if is_id(wanted):
        for c in connections:
            if c.pk == int(wanted):
                return c
    return connections[0]
