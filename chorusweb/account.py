"""The user's own account: login, second factor (enrolment, verification, recovery codes), session.

The second factor is a TOTP authenticator app (django-otp's TOTP device) with ten single-use
recovery codes (a static device) for the day the phone is lost. The QR code is an SVG image
made here (no third-party service, no inline script, so the strict CSP holds).
"""

from __future__ import annotations

import base64
import io

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from chorusweb.http import is_local_path
from chorusweb.security import (
    HAS_SECOND_FACTOR,
    has_second_factor,
    second_factor_exempt,
    second_factor_missing,
    second_factor_required,
    session_has_second_factor,
)

RECOVERY_CODES = 10
DEVICE_NAME = "application"
RECOVERY_NAME = "codes de secours"


class LoginView(auth_views.LoginView):
    """Django's login, whose `next` is followed only when it is a local path."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        target = self.request.POST.get(self.redirect_field_name, self.request.GET.get(self.redirect_field_name, ""))
        return target if is_local_path(target) else ""


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_local_path(target) else ""


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de vérification"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


def _throttled_message(device) -> str | None:
    allowed, _details = device.verify_is_allowed()
    if allowed:
        return None
    return _("Trop de codes erronés : patientez quelques instants avant d'essayer de nouveau.")


@never_cache
@second_factor_exempt
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The login's second step: a code of the authenticator app, or a recovery code."""
    user = request.user
    if not session_has_second_factor(request, refresh=True):
        return redirect("otp_setup")
    if not second_factor_missing(request):
        return HttpResponseRedirect(_next(request) or "/")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        throttled = totp is not None and _throttled_message(totp)
        if form.is_valid():
            device = _verified_device(user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        _("Code de secours utilisé : il vous en reste %(n)d. Générez-en de nouveaux si besoin.")
                        % {"n": left},
                    )
                return HttpResponseRedirect(_next(request) or "/")
            form.add_error("code", throttled or _("Code incorrect ou expiré."))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)}, status=status)


def _verified_device(user, code: str):
    """The device that accepts `code` (authenticator first, then recovery codes), or None."""
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
        if len(code) >= 8:
            for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return device
    return None


def _pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def _recovery_codes(user) -> list[str]:
    """New recovery codes (the old ones stop working); shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@never_cache
@second_factor_exempt
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then give one code."""
    user = request.user
    if second_factor_missing(request) and session_has_second_factor(request, refresh=True):
        # A password alone never replaces an enrolled device: verify with the current one first.
        return redirect("otp_verify")
    device = _pending_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                codes = _recovery_codes(user)
            request.session[HAS_SECOND_FACTOR] = True
            otp_login(request, device)
            request.session.cycle_key()
            messages.success(request, _("Double authentification activée."))
            return render(request, "registration/otp_codes.html", {"codes": codes, "next": _next(request) or "/"})
        if form.is_valid():
            form.add_error("code", _("Code incorrect : vérifiez l'heure du téléphone et saisissez le code affiché."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": second_factor_required(user),
        "replacing": has_second_factor(user),
        "next": _next(request),
    }
    return render(request, "registration/otp_setup.html", context, status=status)


@never_cache
@second_factor_exempt
@require_GET
def otp_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being enrolled, as an SVG image (never cached)."""
    import qrcode
    import qrcode.image.svg

    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
    if device is None:
        return HttpResponse(status=404)
    buffer = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """The user's security page: second factor status, new recovery codes, switching it off."""
    user = request.user
    required = second_factor_required(user)
    if request.method == "POST":
        operation = request.POST.get("operation")
        if operation == "codes" and has_second_factor(user):
            codes = _recovery_codes(user)
            return render(request, "registration/otp_codes.html", {"codes": codes, "next": "/compte/securite/"})
        if operation == "disable" and has_second_factor(user) and not required:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            request.session[HAS_SECOND_FACTOR] = False
            messages.success(request, _("Double authentification désactivée."))
            return redirect("account_security")
        messages.error(request, _("Cette opération n'est pas possible."))
        return redirect("account_security")
    recovery = StaticDevice.objects.filter(user=user).first()
    context = {
        "enabled": has_second_factor(user),
        "required": required,
        "codes_left": recovery.token_set.count() if recovery else 0,
    }
    return render(request, "registration/security.html", context)


@second_factor_exempt
@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """ "Stay logged in" of the idle notice: the request itself is the activity. Nothing to say."""
    return HttpResponse(status=204)
