"""The status-to-exception table and the reading of every known error body shape."""

from __future__ import annotations

import pytest

from chorusweb.factpulse import envelope
from chorusweb.factpulse import errors as e


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, e.FactPulseRefused),
        (401, e.FactPulseAuthError),
        (403, e.FactPulseAuthError),
        (404, e.FactPulseNotFound),
        (408, e.FactPulseTimeout),
        (409, e.FactPulseRefused),
        (413, e.FactPulseRefused),
        (418, e.FactPulseRefused),  # any other 4xx: a refusal
        (422, e.FactPulseRefused),
        (429, e.FactPulseRateLimited),
        (500, e.FactPulseUpstreamError),
        (502, e.FactPulseUpstreamError),
        (503, e.FactPulseUnavailable),
        (504, e.FactPulseUpstreamError),
        (507, e.FactPulseUpstreamError),  # any other 5xx: upstream error
        (302, e.FactPulseUpstreamError),  # a redirect is not followed: unexpected
    ],
)
def test_status_table(status, expected):
    assert e.error_class_for_status(status) is expected
    error = envelope.error_for(status, None, request_id="rid-1", endpoint="factures/x")
    assert type(error) is expected
    assert error.status == status
    assert error.request_id == "rid-1"
    assert error.endpoint == "factures/x"


def test_dashboard_statuses():
    assert e.FactPulseUnavailable.http_status == 503
    assert e.FactPulseTimeout.http_status == 503
    assert e.FactPulseRateLimited.http_status == 503
    assert e.FactPulseUpstreamError.http_status == 502
    assert e.FactPulseMalformed.http_status == 502
    assert e.FactPulseRefused.http_status == 422
    assert issubclass(e.FactPulseTimeout, e.FactPulseUnavailable)
    assert issubclass(e.FactPulseMalformed, e.FactPulseUpstreamError)


@pytest.mark.parametrize("status", [200, 400, 404, 500])
def test_business_code_is_a_refusal_on_any_status(status):
    error = envelope.error_for(status, {"codeRetour": 20001, "libelle": "Transition interdite"})
    assert type(error) is e.FactPulseRefused
    assert error.code == 20001
    assert error.upstream_message == "Transition interdite"
    assert "Transition interdite" in error.user_message


def test_typed_return_code_is_a_refusal():
    error = envelope.error_for(200, {"returnCode": "3", "message": "Structure inconnue"})
    assert type(error) is e.FactPulseRefused
    assert error.code == 3
    assert error.upstream_message == "Structure inconnue"


def test_zero_business_code_on_an_error_status_keeps_the_status_meaning():
    error = envelope.error_for(503, {"codeRetour": 0, "libelle": "ok"})
    assert type(error) is e.FactPulseUnavailable


def test_401_and_429_do_not_depend_on_the_body():
    assert type(envelope.error_for(401, {"codeRetour": 5})) is e.FactPulseAuthError
    limited = envelope.error_for(429, {"codeRetour": 5}, retry_after=7)
    assert type(limited) is e.FactPulseRateLimited
    assert limited.retry_after == 7


def test_a_2xx_without_refusal_reaching_build_error_is_malformed():
    assert type(envelope.error_for(200, "not an object")) is e.FactPulseMalformed


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"errorCode": "VALIDATION_FAILED", "errorMessage": "Bad", "details": [1]},
            "VALIDATION_FAILED",
            "Bad",
        ),
        ({"detail": "Given token not valid"}, None, "Given token not valid"),
        ({"detail": {"error": "E42", "message": "Nope"}}, "E42", "Nope"),
        ({"detail": {"errorCode": "X", "errorMessage": "Y"}}, "X", "Y"),
        (
            {"detail": [{"loc": ["body", "idFacture"], "msg": "field required", "type": "missing"}]},
            None,
            "idFacture: field required",
        ),
        ({"detail": ["[BR-1] a", "[BR-2] b"]}, None, "[BR-1] a; [BR-2] b"),
        ({"message": "plain"}, None, "plain"),
        ({"codeRetour": "20003", "libelle": "Fichier trop gros"}, 20003, "Fichier trop gros"),
        ([], None, ""),
        (None, None, ""),
    ],
)
def test_describe_body(body, code, message):
    got_code, got_message, _ = envelope.describe_body(body)
    assert got_code == code
    assert got_message == message


def test_422_validation_details_are_kept():
    body = {"detail": [{"loc": ["body", "x"], "msg": "m", "type": "t", "input": 1}]}
    error = envelope.error_for(422, body)
    assert type(error) is e.FactPulseRefused
    assert error.details == body["detail"]


def test_user_messages_are_french_and_safe():
    error = envelope.error_for(500, {"errorMessage": "Traceback: secret stuff"})
    assert "Traceback" not in error.user_message
    assert "FactPulse" in error.user_message
    long_refusal = envelope.error_for(200, {"codeRetour": 1, "libelle": "x" * 1000})
    assert len(long_refusal.upstream_message) == e.MAX_USER_LIBELLE


def test_str_carries_the_reference():
    error = envelope.error_for(502, None, request_id="abc", endpoint="factures/consulter")
    text = str(error)
    assert "status=502" in text
    assert "request_id=abc" in text
    assert "endpoint=factures/consulter" in text
