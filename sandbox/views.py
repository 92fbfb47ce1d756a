"""The sandbox's HTTP surface: FactPulse auth, the 16 Chorus Pro endpoints, the control API.

Views are thin: `api_endpoint` does what every FactPulse call shares (call counting, faults,
Bearer authentication, JSON parsing and 422s, refusals, errors), then a selector or service
answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from sandbox import accounts, documents, faults, selectors, services, tokens
from sandbox.accounts import Principal
from sandbox.schemas import Body, ValidationFailed, parse_json_object
from sandbox.selectors import RECIPIENT, SUPPLIER, VALIDATOR, Refusal

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024
ERROR_CODES = {
    500: ("INTERNAL_ERROR", "Erreur interne du service (simulée par le bac à sable)."),
    502: ("BAD_GATEWAY", "Chorus Pro ne répond pas correctement (erreur simulée par le bac à sable)."),
    503: ("SERVICE_UNAVAILABLE", "Service temporairement indisponible (simulé par le bac à sable)."),
    504: ("GATEWAY_TIMEOUT", "Chorus Pro n'a pas répondu à temps (simulé par le bac à sable)."),
}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value)!r}")


def json_response(data: Any, status: int = 200, **headers: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default)
    response = HttpResponse(body, status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(status: int, code: str, message: str, **headers: str) -> HttpResponse:
    """A FactPulse `APIError` body (`errorCode`, `errorMessage`), plus `detail` for 4xx readers."""
    return json_response({"errorCode": code, "errorMessage": message, "detail": message}, status, **headers)


def _read_body(request: HttpRequest) -> bytes:
    # request.read() rather than request.body: uploads of 10 MB exceed Django's default
    # DATA_UPLOAD_MAX_MEMORY_SIZE, which the sandbox must not change for the dashboard.
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY_BYTES:
        raise ValueError("too large")
    return request.read(MAX_BODY_BYTES + 1) if length else b""


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorised(message: str) -> HttpResponse:
    return json_response(
        {"detail": message, "errorCode": "AUTHENTICATION_REQUIRED", "errorMessage": message},
        401,
        WWW_Authenticate='Bearer realm="api"',
    )


def _malformed(response: HttpResponse) -> HttpResponse:
    """A 200 whose JSON body is cut short (the answer got lost on the way)."""
    if isinstance(response, StreamingHttpResponse):
        response.close()
        text = b'{"codeRetour":0,"libelle":"TRA_MSG_00.000","fichierBase64":"JVBERi0xLjcKJ'
    else:
        content = response.content or b"{}"
        text = content[: max(1, len(content) // 2)]
        if text.endswith(b"}"):
            text = text[:-1]
    return HttpResponse(text, status=200, content_type="application/json")


def _dropped(response: HttpResponse) -> HttpResponse:
    """The connection breaks while the answer is sent: a few bytes, then the socket closes."""
    if isinstance(response, StreamingHttpResponse):
        response.close()
        content = b'{"codeRetour":0,"fichierBase64":"JVBERi0xLjcK'
    else:
        content = response.content or b"{}"
    cut = HttpResponse(content[: max(1, len(content) // 3)], status=200, content_type="application/json")
    # The announced length is never reached and the server closes the connection.
    cut["Content-Length"] = str(len(content) + 1024)
    cut["Connection"] = "close"
    return cut


ApiView = Callable[..., HttpResponse | dict[str, Any]]


def api_endpoint(
    name: str,
    *,
    methods: tuple[str, ...] = ("POST",),
    auth: bool = True,
    typed: bool = False,
    body: bool = True,
) -> Callable[[ApiView], Callable[..., HttpResponse]]:
    """Everything a FactPulse call shares; `name` is the path after `api/v1/chorus-pro/`.

    Order: count the call; 405; faults that stop the call (latency, 429, 5xx); Bearer
    token (401); body (422); the view (refusals answered 200 with `codeRetour`); faults that
    spoil the answer after the work is done (malformed JSON, dropped connection, timeout).
    """

    def decorator(func: ApiView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @login_not_required
        @wraps(func)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if not settings.SANDBOX_ENABLED:
                raise Http404("sandbox disabled")
            path = name.format(**kwargs)
            with translation.override("fr"):
                faults.call_record(path)
                if request.method not in methods:
                    return json_response({"detail": "Method Not Allowed"}, 405, Allow=", ".join(methods))
                fault = faults.fault_for_call(path)
                if fault and fault.latency_ms:
                    time.sleep(fault.latency_ms / 1000)
                if fault and fault.rate_limit_retry_after:
                    return error_response(
                        429,
                        "RATE_LIMIT_EXCEEDED",
                        "Trop de requêtes : réessayez plus tard.",
                        Retry_After=str(fault.rate_limit_retry_after),
                    )
                if fault and fault.error_status:
                    code, message = ERROR_CODES.get(fault.error_status, ERROR_CODES[500])
                    return error_response(fault.error_status, code, message)
                response = _dispatch(request, func, kwargs, auth=auth, typed=typed, with_body=body)
                if fault and fault.malformed:
                    response = _malformed(response)
                if fault and fault.dropped:
                    response = _dropped(response)
                if fault and fault.timeout_seconds:
                    time.sleep(fault.timeout_seconds)
                return response

        return view

    return decorator


def _dispatch(
    request: HttpRequest, func: ApiView, kwargs: dict[str, Any], *, auth: bool, typed: bool, with_body: bool
) -> HttpResponse:
    try:
        principal: Principal | None = None
        if auth:
            token = _bearer(request)
            if token is None:
                return _unauthorised("Jeton d'authentification absent (en-tête Authorization: Bearer).")
            try:
                claims = tokens.decode(token, token_type=tokens.ACCESS)
                principal = accounts.principal_for(account_id=claims.account_id, client_uid=claims.client_uid)
            except (tokens.TokenError, accounts.AuthenticationFailed) as exc:
                return _unauthorised(f"Jeton invalide ou expiré : {exc}")
            services.validations_expire()
        parsed: Body | None = None
        if with_body:
            try:
                raw = _read_body(request)
            except ValueError:
                return error_response(413, "PAYLOAD_TOO_LARGE", "Corps de requête trop volumineux.")
            parsed = Body(parse_json_object(raw, allow_empty=not typed and request.method == "GET"))
        result = func(request, principal=principal, body=parsed, **kwargs)
    except ValidationFailed as exc:
        return json_response({"detail": exc.errors}, 422)
    except Refusal as refusal:
        if typed:
            return json_response({"returnCode": refusal.code, "message": refusal.message})
        return json_response({"codeRetour": refusal.code, "libelle": refusal.message})
    except Exception:
        logger.exception("sandbox: unexpected error")
        return error_response(500, "INTERNAL_ERROR", "Erreur interne du bac à sable.")
    return result if isinstance(result, HttpResponseBase) else json_response(result)


# --- authentication ---------------------------------------------------------------------------------------


@api_endpoint("token", auth=False)
def token_obtain(request: HttpRequest, *, principal: None, body: Body) -> HttpResponse:
    """`POST /api/token/`: `{"username", "password", "client_uid"?}` → `{"access", "refresh"}`."""
    username = body.str("username", "email")
    password = body.str("password")
    client_uid = body.str("client_uid", "clientUid")
    body.raise_if_errors()
    missing = {
        key: ["Ce champ est obligatoire."]
        for key, value in (("username", username), ("password", password))
        if not value
    }
    if missing:
        return json_response(missing, 400)
    try:
        pair = accounts.token_pair(
            email=username or "",
            password=password or "",
            client_uid=client_uid,
            access_lifetime=faults.token_lifetime(),
        )
    except accounts.AuthenticationFailed as exc:
        return json_response({"detail": str(exc), "errorCode": "INVALID_CREDENTIALS", "errorMessage": str(exc)}, 401)
    return json_response(pair)


@api_endpoint("token/refresh", auth=False)
def token_refresh(request: HttpRequest, *, principal: None, body: Body) -> HttpResponse:
    """`POST /api/token/refresh/`: `{"refresh"}` → `{"access"}`."""
    refresh = body.str("refresh")
    body.raise_if_errors()
    if not refresh:
        return json_response({"refresh": ["Ce champ est obligatoire."]}, 400)
    try:
        return json_response(accounts.token_refresh(refresh=refresh, access_lifetime=faults.token_lifetime()))
    except tokens.TokenError as exc:
        return json_response(
            {
                "detail": f"Jeton de rafraîchissement invalide ou expiré : {exc}",
                "code": "token_not_valid",
                "errorCode": "TOKEN_NOT_VALID",
                "errorMessage": str(exc),
            },
            401,
        )


# --- invoices: searches -----------------------------------------------------------------------------------


@api_endpoint("factures/rechercher-destinataire")
def search_recipient(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return selectors.invoice_search(principal=principal, role=RECIPIENT, body=body)


@api_endpoint("factures/rechercher-fournisseur")
def search_supplier(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return selectors.invoice_search(principal=principal, role=SUPPLIER, body=body)


@api_endpoint("factures/valideur/rechercher")
def search_validator(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return selectors.invoice_search(principal=principal, role=VALIDATOR, body=body)


# --- invoices: actions --------------------------------------------------------------------------------------


@api_endpoint("factures/traiter-facture-recue")
def process_received(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.invoice_process(principal=principal, body=body)


@api_endpoint("factures/valideur/consulter")
def validator_detail(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    invoice_id = body.int("idFacture", "identifiantFactureCPP")
    body.raise_if_errors()
    if invoice_id is None:
        raise Refusal(20001, "L'identifiant de la facture (idFacture) est obligatoire.")
    invoice = selectors.invoice_get(principal, invoice_id)
    return {"codeRetour": 0, "libelle": selectors.OK, "facture": selectors.invoice_detail(invoice)}


@api_endpoint("factures/valideur/traiter")
def validator_process(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.invoice_validate(principal=principal, body=body)


@api_endpoint("factures/telecharger-groupe")
def download_group(request: HttpRequest, *, principal: Principal, body: Body) -> HttpResponse:
    download = services.invoices_download(principal=principal, body=body)
    names = ",".join(str(i.pk) for i in download.invoices)
    prefix = (
        '{"codeRetour":0,"libelle":"TRA_MSG_00.000",'
        f'"formatFichier":"{download.file_format}","listeIdentifiantsFactureCPP":[{names}],'
        f'"tailleFichier":{download.size},"fichierBase64":"'
    ).encode()
    suffix = b'"}'
    response = StreamingHttpResponse(
        documents.stream_base64_json(download.file, prefix=prefix, suffix=suffix),
        content_type="application/json",
    )
    response["Content-Length"] = str(len(prefix) + documents.base64_length(download.size) + len(suffix))
    return response


@api_endpoint("factures/completer")
def complete(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.invoice_complete(principal=principal, body=body)


@api_endpoint("factures/recycler")
def recycle(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.invoice_recycle(principal=principal, body=body)


@api_endpoint("transverses/ajouter-fichier")
def add_file(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.attachment_add(principal=principal, body=body)


# --- typed endpoints ----------------------------------------------------------------------------------------


@api_endpoint("factures/consulter", typed=True)
def invoice_status(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    invoice_id = body.int("chorusInvoiceId", required=True)
    body.raise_if_errors()
    assert invoice_id is not None
    return selectors.invoice_status_typed(selectors.invoice_get(principal, invoice_id))


@api_endpoint("factures/soumettre", typed=True)
def submit(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return services.invoice_submit(principal=principal, body=body)


@api_endpoint("structures/rechercher", typed=True)
def structures_search(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    return selectors.structure_search(body)


@api_endpoint("structures/consulter", typed=True)
def structure_detail(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    structure_id = body.int("structureId", required=True)
    body.str("languageCode")
    body.raise_if_errors()
    assert structure_id is not None
    return selectors.structure_detail(structure_id)


@api_endpoint("structures/{id_structure_cpp}/services", methods=("GET",), typed=True, body=False)
def structure_services(
    request: HttpRequest, *, principal: Principal, body: None, id_structure_cpp: str
) -> dict[str, Any]:
    try:
        structure_id = int(id_structure_cpp)
    except ValueError as exc:
        raise ValidationFailed(
            [
                {
                    "type": "int_parsing",
                    "loc": ["path", "id_structure_cpp"],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": id_structure_cpp,
                }
            ]
        ) from exc
    return selectors.structure_services(structure_id)


@api_endpoint("structures/obtenir-id-depuis-siret", typed=True)
def structure_from_siret(request: HttpRequest, *, principal: Principal, body: Body) -> dict[str, Any]:
    siret = body.str("siret", required=True)
    identifier_type = body.str("identifierType")
    body.raise_if_errors()
    assert siret is not None
    return selectors.structure_id_from_siret(siret=siret, identifier_type=identifier_type or "SIRET")
