"""Pages of the alerts: preferences, the bell's notices, one-click unsubscribe, the demo's mails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alerts import mailbox, selectors, services
from alerts.forms import PreferencesForm
from chorusweb.http import render_partial
from chorusweb.security import second_factor_exempt


def preferences(request: HttpRequest) -> HttpResponse:
    current = services.preferences_get(user=request.user)
    initial = {
        "digest_hour": current.prefs.digest_hour,
        "language": current.prefs.language,
        **{f"kind_{k}": current.channels[k] for k in current.kinds},
    }
    form = PreferencesForm(request.POST or None, kinds=current.kinds, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.preferences_save(
                user=request.user,
                channels=form.channels(),
                digest_hour=form.cleaned_data["digest_hour"],
                language=form.cleaned_data["language"],
            )
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("alerts:preferences")
        return render(request, "alerts/preferences.html", {"form": form}, status=422)
    return render(request, "alerts/preferences.html", {"form": form})


def notices(request: HttpRequest) -> HttpResponse:
    context = {"notices": selectors.notice_list(user=request.user)}
    return render_partial(request, "alerts/notices.html", context, partial="notice-list")


@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    services.notices_mark_read(user=request.user, pk=None)
    messages.success(request, _("Toutes les notifications sont marquées comme lues."))
    return redirect("alerts:notices")


@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notices_mark_read(user=request.user, pk=pk)
    return redirect("alerts:notices")


@csrf_exempt  # one-click unsubscribe (RFC 8058) comes from mail clients: the signed token is the proof
@login_not_required
@second_factor_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link silences and a button; POST (the button or the mail client): done."""
    try:
        unsubscription = services.unsubscribe_read(token)
    except signing.BadSignature:
        return render(request, "alerts/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        unsubscription = services.unsubscribe(token=token)
        return render(request, "alerts/unsubscribe.html", {"done": True, "unsubscription": unsubscription})
    return render(request, "alerts/unsubscribe.html", {"unsubscription": unsubscription, "token": token})


def mails(request: HttpRequest) -> HttpResponse:
    """Staff only: the mails the file backend wrote (the demo's outbox)."""
    if not request.user.is_staff:
        raise PermissionDenied
    context = {
        "mails": mailbox.recent_mails(),
        "file_backend": mailbox.backend().endswith("filebased.EmailBackend"),
        "backend": mailbox.backend(),
    }
    return render(request, "alerts/mails.html", context)
