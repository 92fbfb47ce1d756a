"""render_partial() and the htmx middlewares: full page vs partial, Vary, messages, redirects, errors."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django.utils.html import escape
from django_htmx.middleware import HtmxMiddleware

from chorusweb.audit import ActionRejected, AlreadySubmitted, UpstreamRefused
from chorusweb.factpulse import FactPulseRefused, FactPulseUnavailable, FactPulseUpstreamError
from chorusweb.http import http_status_for, render_fragment, render_partial
from chorusweb.middleware import (
    HtmxMessagesMiddleware,
    HtmxRedirectMiddleware,
    HtmxVaryMiddleware,
    UpstreamErrorMiddleware,
)
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def test_templates(settings):
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], django_settings.BASE_DIR / "tests" / "templates"]
    settings.TEMPLATES = templates


@pytest.fixture
def rf_user(db):
    return UserFactory()


def _request(rf_user, **headers):
    request = RequestFactory().get("/page", **headers)
    request.user = rf_user
    request.session = {}
    request._messages = FallbackStorage(request)
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


def test_full_page_without_htmx(test_templates, rf_user):
    response = render_partial(_request(rf_user), "tests/partial_page.html", {"value": 7}, partial="results-table")
    html = response.render().content.decode()
    assert "<!DOCTYPE html>" in html and "Page complète" in html and "Rangée 7" in html


def test_partial_for_htmx_aimed_at_it(test_templates, rf_user):
    request = _request(rf_user, **HTMX, HTTP_HX_TARGET="results-table")
    response = render_partial(request, "tests/partial_page.html", {"value": 8}, partial="results-table")
    html = response.render().content.decode()
    assert html.strip() == '<div id="results-table">Rangée 8</div>'


def test_htmx_aimed_elsewhere_or_boosted_gets_full_page(test_templates, rf_user):
    for headers in ({**HTMX, "HTTP_HX_TARGET": "main"}, {**HTMX, "HTTP_HX_BOOSTED": "true"}):
        response = render_partial(
            _request(rf_user, **headers), "tests/partial_page.html", {"value": 1}, partial="results-table"
        )
        assert "<!DOCTYPE html>" in response.render().content.decode()


def test_render_fragment_answers_only_the_region(test_templates, rf_user):
    for headers in ({}, {**HTMX, "HTTP_HX_TARGET": "main"}):
        response = render_fragment(
            _request(rf_user, **headers), "tests/partial_page.html", {"value": 2}, partial="results-table"
        )
        assert response.render().content.decode().strip() == '<div id="results-table">Rangée 2</div>'


def test_vary_middleware_adds_header_once():
    mw = HtmxVaryMiddleware(lambda r: HttpResponse(headers={"Vary": "Cookie"}))
    response = mw(RequestFactory().get("/"))
    assert response["Vary"] == "Cookie, HX-Request"


def test_messages_go_out_of_band_on_htmx_fragments(rf_user):
    request = _request(rf_user, **HTMX)

    def view(r):
        messages.success(r, "Facture suspendue.")
        return HttpResponse("<p>fragment</p>")

    response = HtmxMessagesMiddleware(view)(request)
    html = response.content.decode()
    assert html.startswith("<p>fragment</p>")
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html and "Facture suspendue." in html


def test_messages_untouched_on_full_pages(rf_user):
    request = _request(rf_user)

    def view(r):
        messages.info(r, "Bonjour")
        return HttpResponse("<p>page</p>")

    response = HtmxMessagesMiddleware(view)(request)
    assert response.content.decode() == "<p>page</p>"


def test_redirect_becomes_hx_redirect(rf_user):
    mw = HtmxRedirectMiddleware(lambda r: HttpResponseRedirect("/factures/"))
    response = mw(_request(rf_user, **HTMX))
    assert response["HX-Redirect"] == "/factures/"
    plain = mw(_request(rf_user))
    assert plain.status_code == 302


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (FactPulseUnavailable("down"), 503),
        (FactPulseUpstreamError("boom"), 502),
        (FactPulseRefused("no", upstream_message="Statut invalide"), 502),
    ],
)
def test_upstream_errors_become_pages_or_alerts(rf_user, exc, status):
    mw = UpstreamErrorMiddleware(lambda r: HttpResponse())
    page = mw.process_exception(_request(rf_user), exc)
    assert page.status_code == status
    assert escape(exc.user_message) in page.content.decode()
    assert "<!DOCTYPE html>" in page.content.decode()

    fragment = mw.process_exception(_request(rf_user, **HTMX), exc)
    assert fragment.status_code == status
    assert fragment["HX-Retarget"] == "#alerts"
    assert "<!DOCTYPE html>" not in fragment.content.decode()
    assert escape(exc.user_message) in fragment.content.decode()


def test_other_exceptions_are_not_handled(rf_user):
    mw = UpstreamErrorMiddleware(lambda r: HttpResponse())
    assert mw.process_exception(_request(rf_user), ValueError("x")) is None


def test_one_status_rule_for_every_failure():
    assert http_status_for(UpstreamRefused("refusée")) == 422
    assert http_status_for(ActionRejected("non envoyée")) == 409
    assert http_status_for(AlreadySubmitted("déjà envoyée")) == 409
    assert http_status_for(FactPulseUnavailable()) == 503
    assert http_status_for(FactPulseUpstreamError()) == 502
    assert http_status_for(FactPulseRefused()) == 502  # a raw refusal reaching a page is an upstream error
