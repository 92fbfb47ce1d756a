"""htmx plumbing: Vary, out-of-band messages, redirects; upstream errors as pages or alerts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from chorusweb.factpulse import FactPulseError
from chorusweb.http import http_status_for

logger = logging.getLogger(__name__)


class HtmxVaryMiddleware:
    """Every response varies on HX-Request: the same URL answers a page or a fragment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class HtmxMessagesMiddleware:
    """Appends pending Django messages to htmx fragments as an out-of-band `#messages` swap."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or response.streaming:
            return response
        if "HX-Redirect" in response.headers or "HX-Location" in response.headers:
            return response  # the next page load shows the messages
        if 300 <= response.status_code < 400:
            return response
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("text/html"):
            return response
        storage = messages.get_messages(request)
        if not storage:
            return response
        response.write(render_to_string("includes/messages.html", {"messages": storage, "oob": True}, request=request))
        return response


class HtmxRedirectMiddleware:
    """A 3xx answer to an htmx request becomes HX-Redirect, so the browser really navigates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if htmx and response.status_code in (301, 302, 303, 307, 308) and "Location" in response:
            return HttpResponseClientRedirect(response["Location"])
        return response


class UpstreamErrorMiddleware:
    """An uncaught gateway error becomes a clear 502/503 page, or an `#alerts` fragment for htmx."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, FactPulseError):
            return None
        logger.warning("Upstream error on %s: %s", request.path, exception)
        status = http_status_for(exception)
        context = {"error": exception, "message": exception.user_message, "status": status}
        if getattr(request, "htmx", None):
            response = HttpResponse(render_to_string("includes/alert.html", context, request=request), status=status)
            # Swap the alert into #alerts whatever the request targeted.
            return reswap(retarget(response, "#alerts"), "innerHTML")
        return HttpResponse(render_to_string("errors/upstream.html", context, request=request), status=status)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """French unless the user chose another language (cookie): the browser's language is ignored.

    chorusweb serves French public bodies: an agent whose browser is set to English still gets
    the French interface until they pick English in the language switch.
    """

    def process_request(self, request: HttpRequest) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
