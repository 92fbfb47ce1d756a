"""The FactPulse client: the only code that speaks HTTP to FactPulse (or to the sandbox).

One `FactPulseClient` per `Connection` (`get_client(connection)`). Every call goes through one
choke point, `_request()`, which

* sends `User-Agent`, `Accept`, `X-Request-ID` (a uuid4 kept on errors) and the bearer token,
  with an explicit (connect, read) timeout from the settings;
* obtains the JWT with the connection's e-mail, password and `client_uid`, caches it in the
  Django cache (shared by every worker, keyed per connection and credentials version,
  encrypted at rest, never logged), renews it shortly before it expires (refresh endpoint,
  then a new login), and on a 401 logs in again once and replays the call once;
* retries **reads only** on connection errors, timeouts, 429 (honouring `Retry-After`), 502,
  503 and 504, with bounded exponential backoff and jitter; writes are sent exactly once;
* logs one line per HTTP exchange (method, path, status, duration, request id), never a body;
* turns every failure into an exception of `errors.py` through its one status table.

The public methods are named after the API's operations (`traiter_facture_recue`, ...), take
keyword-only typed arguments and return the frozen dataclasses of `types.py`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from chorusweb import crypto, filetypes
from chorusweb.factpulse import auth, received, structures, supplier, validator
from chorusweb.factpulse import types as t
from chorusweb.factpulse.envelope import Endpoint, InvoiceSearch, business_code, error_for, message_of
from chorusweb.factpulse.errors import (
    RETRYABLE_STATUSES,
    FactPulseAuthError,
    FactPulseError,
    FactPulseMalformed,
    FactPulseNoAnswer,
    FactPulseRateLimited,
    FactPulseTimeout,
    FactPulseUnavailable,
)
from chorusweb.factpulse.streaming import Base64Sink, DownloadScanner

if TYPE_CHECKING:
    from chorusweb.models import Connection

logger = logging.getLogger("chorusweb.factpulse")

#: Renew the access token this many seconds before it expires.
TOKEN_RENEW_MARGIN = 60
#: How long the cache keeps a token pair (the refresh token lives 7 days).
TOKEN_CACHE_SECONDS = 7 * 24 * 3600 - 3600
#: Longest wait between two attempts, and longest `Retry-After` honoured inside a call.
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 10.0
#: Decoded size above which a download is cut (the contract's limit is 120 MB).
MAX_DOWNLOAD_BYTES = 128 * 1024 * 1024
DOWNLOAD_CHUNK = 512 * 1024

_local = threading.local()


def _session_for(base_url: str) -> requests.Session:
    """One pooled `requests.Session` per thread and API host (keep-alive across calls)."""
    sessions: dict[str, requests.Session] | None = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    session = sessions.get(base_url)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no .netrc credentials or proxies picked up by surprise
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        sessions[base_url] = session
    return session


def get_client(connection: Connection) -> FactPulseClient:
    """The client for `connection` (cheap: the HTTP session is pooled per thread)."""
    return FactPulseClient(connection)


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection could not even be opened (refused, unknown host): nothing left."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RawAnswer:
    """An answer before typing: HTTP status, decoded JSON body and request reference."""

    status: int
    data: Any
    request_id: str


#: The 16 endpoints, by the client's method name.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for module in (received, validator, supplier, structures) for e in module.ENDPOINTS}
)


class FactPulseClient:
    """The FactPulse Chorus Pro API for one `Connection`."""

    def __init__(
        self,
        connection: Connection,
        *,
        session: requests.Session | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.connection = connection
        self.base_url = (connection.api_base_url or "").rstrip("/")
        self.session = session or _session_for(self.base_url)
        self.connect_timeout = float(settings.FACTPULSE_CONNECT_TIMEOUT)
        self.read_timeout = float(settings.FACTPULSE_READ_TIMEOUT)
        self.download_timeout = float(settings.FACTPULSE_DOWNLOAD_TIMEOUT)
        self.max_retries = int(settings.FACTPULSE_MAX_RETRIES)
        self.backoff = float(settings.FACTPULSE_RETRY_BACKOFF)
        self.user_agent = str(settings.FACTPULSE_USER_AGENT)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<FactPulseClient {self.connection.pk} {self.base_url}>"

    # === Authentication ======================================================================

    @property
    def token_cache_key(self) -> str:
        return f"factpulse:token:{self.connection.pk}:{self.connection.credentials_version}"

    def _load_tokens(self) -> dict[str, Any] | None:
        stored = cache.get(self.token_cache_key)
        if not stored:
            return None
        try:
            entry = json.loads(crypto.decrypt(stored))
        except Exception:  # a rotated key or a foreign value: log in again
            return None
        return entry if isinstance(entry, dict) and entry.get("access") else None

    def _store_tokens(self, entry: dict[str, Any]) -> None:
        cache.set(self.token_cache_key, crypto.encrypt(json.dumps(entry)), TOKEN_CACHE_SECONDS)

    def forget_token(self) -> None:
        """Drop the cached token pair: the next call logs in again."""
        cache.delete(self.token_cache_key)

    def _login(self) -> dict[str, Any]:
        return self._do_login()[0]

    def login(self) -> RawAnswer:
        """Log in now (replacing any cached token); the answer's token values are masked.

        For the probe command: the keys are those the server sent, the secrets are not shown.
        """
        return self._do_login()[1]

    def _do_login(self) -> tuple[dict[str, Any], RawAnswer]:
        conn = self.connection
        if not conn.account_email or not conn.password:
            raise FactPulseAuthError("The connection has no FactPulse e-mail or password.", endpoint="token")
        response = self._request(
            "POST", auth.TOKEN_PATH, body=auth.login_body(conn), endpoint="token", retryable=True, authenticated=False
        )
        status = response.status_code
        request_id = response.headers.get("X-Request-ID") or response.request.headers.get("X-Request-ID", "")
        data = self._decode_json(response, "token")
        entry = auth.read_token(data)
        self._store_tokens(entry)
        logger.info("FactPulse login for connection %s (request %s)", conn.pk, request_id)
        return entry, RawAnswer(status=status, data=auth.masked(data), request_id=request_id)

    def _refresh(self, entry: dict[str, Any]) -> dict[str, Any]:
        response = self._request(
            "POST",
            auth.REFRESH_PATH,
            body=auth.refresh_body(entry["refresh"]),
            endpoint="token/refresh",
            retryable=True,
            authenticated=False,
        )
        data = self._decode_json(response, "token/refresh")
        new_entry = auth.read_token(data, previous_refresh=entry["refresh"])
        self._store_tokens(new_entry)
        return new_entry

    def access_token(self) -> str:
        """A valid access token: cached, refreshed before expiry, or from a new login."""
        entry = self._load_tokens()
        if entry and float(entry.get("expires_at", 0)) - TOKEN_RENEW_MARGIN > time.time():
            return entry["access"]
        if entry and entry.get("refresh"):
            try:
                return self._refresh(entry)["access"]
            except FactPulseError as exc:
                logger.info(
                    "FactPulse token refresh failed (%s, request %s); logging in again",
                    type(exc).__name__,
                    exc.request_id or "-",
                )
        return self._login()["access"]

    def _credentials(self) -> dict[str, Any] | None:
        return auth.credentials_body(self.connection)

    # === The choke point =====================================================================

    def _backoff_delay(self, attempt: int, response: requests.Response | None = None) -> float | None:
        """Seconds before the next attempt; None when the server asks for a longer wait."""
        if response is not None and response.status_code in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                return retry_after if retry_after <= MAX_RETRY_AFTER else None
        base = min(MAX_BACKOFF, self.backoff * (2**attempt))
        return base * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        endpoint: str,
        retryable: bool,
        authenticated: bool = True,
        stream: bool = False,
        read_timeout: float | None = None,
    ) -> requests.Response:
        """Send one call (with its retries and its one re-login); return a 2xx response.

        Raises a `FactPulseError` subclass for anything else. The caller closes a streamed
        response.
        """
        if not self.base_url.startswith(("http://", "https://")):
            raise FactPulseUnavailable(
                "The connection's API URL is not an http(s) URL.", endpoint=endpoint, status=None
            )
        request_id = str(uuid.uuid4())
        url = self.base_url + path
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        timeout = (self.connect_timeout, read_timeout or self.read_timeout)
        attempt = 0
        reauthenticated = False
        while True:
            headers = {
                "User-Agent": self.user_agent,
                "Accept": "application/json",
                "X-Request-ID": request_id,
            }
            if data is not None:
                headers["Content-Type"] = "application/json"
            if authenticated:
                headers["Authorization"] = f"Bearer {self.access_token()}"
            started = time.monotonic()
            error: FactPulseError | None = None
            response: requests.Response | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    stream=stream,
                    allow_redirects=False,
                )
            except requests.Timeout as exc:
                error = FactPulseTimeout(
                    f"FactPulse did not answer in time ({type(exc).__name__}).",
                    endpoint=endpoint,
                    request_id=request_id,
                    may_have_applied=not isinstance(exc, requests.ConnectTimeout),
                )
            except requests.ConnectionError as exc:
                cls = FactPulseUnavailable if _never_sent(exc) else FactPulseNoAnswer
                error = cls(
                    f"FactPulse cannot be reached ({type(exc).__name__}).",
                    endpoint=endpoint,
                    request_id=request_id,
                )
            except requests.RequestException as exc:
                # Sent, and the answer broke on the way (truncated body, bad encoding).
                error = FactPulseNoAnswer(
                    f"The call to FactPulse failed ({type(exc).__name__}).",
                    endpoint=endpoint,
                    request_id=request_id,
                )
            elapsed_ms = (time.monotonic() - started) * 1000
            if error is not None:
                logger.warning(
                    "FactPulse %s %s -> %s after %.0f ms (request %s, attempt %d)",
                    method,
                    path,
                    type(error).__name__,
                    elapsed_ms,
                    request_id,
                    attempt + 1,
                )
                if retryable and attempt < self.max_retries:
                    self._sleep(self._backoff_delay(attempt) or 0)
                    attempt += 1
                    continue
                raise error
            assert response is not None
            status = response.status_code
            logger.info(
                "FactPulse %s %s -> %s in %.0f ms (request %s, attempt %d)",
                method,
                path,
                status,
                elapsed_ms,
                response.headers.get("X-Request-ID") or request_id,
                attempt + 1,
            )
            if status == 401 and authenticated and not reauthenticated:
                response.close()
                self.forget_token()
                reauthenticated = True
                continue
            if status in RETRYABLE_STATUSES and retryable and attempt < self.max_retries:
                delay = self._backoff_delay(attempt, response)
                if delay is not None:
                    response.close()
                    self._sleep(delay)
                    attempt += 1
                    continue
            if 200 <= status < 300:
                return response
            raise self._error_for(response, endpoint, request_id)

    def _error_for(self, response: requests.Response, endpoint: str, request_id: str) -> FactPulseError:
        try:
            body = json.loads(response.content, parse_float=Decimal) if response.content else None
        except ValueError:
            body = None
        finally:
            response.close()
        server_id = response.headers.get("X-Request-ID") or (
            str(body.get("request_id")) if isinstance(body, dict) and body.get("request_id") else ""
        )
        error = error_for(
            response.status_code,
            body,
            request_id=server_id or request_id,
            endpoint=endpoint,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        if isinstance(error, FactPulseRateLimited) or response.status_code >= 500:
            logger.warning("FactPulse %s failed: %s", endpoint, error)
        return error

    def _decode_json(self, response: requests.Response, endpoint: str) -> Any:
        request_id = response.request.headers.get("X-Request-ID", "") if response.request else ""
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise FactPulseMalformed(
                "FactPulse answered with a body that is not JSON.",
                status=response.status_code,
                endpoint=endpoint,
                request_id=response.headers.get("X-Request-ID") or request_id,
            ) from None
        finally:
            response.close()

    def call(self, name: str, body: Mapping[str, Any] | None = None, **path_params: Any) -> RawAnswer:
        """Call endpoint `name` (see `ENDPOINTS`) and return its checked JSON answer.

        Zero-trust credentials are added to every POST body; a non-zero business code
        (`codeRetour`/`returnCode`) raises `FactPulseRefused`, except the "no result" code of
        a search. Used by every method below and by the probe command.
        """
        endpoint = ENDPOINTS[name]
        payload: dict[str, Any] | None = None
        if endpoint.method == "POST":
            payload = dict(body or {})
            credentials = self._credentials()
            if credentials:
                payload["credentials"] = credentials
        response = self._request(
            endpoint.method,
            endpoint.url_path(**path_params),
            body=payload,
            endpoint=endpoint.path,
            retryable=endpoint.read,
        )
        status = response.status_code
        request_id = response.headers.get("X-Request-ID") or response.request.headers.get("X-Request-ID", "")
        data = self._decode_json(response, endpoint.path)
        self._check_business(data, endpoint, status, request_id)
        return RawAnswer(status=status, data=data, request_id=request_id)

    @staticmethod
    def _check_business(data: Any, endpoint: Endpoint, status: int, request_id: str) -> None:
        if not isinstance(data, dict):
            raise FactPulseMalformed(
                "FactPulse answered with JSON that is not an object.",
                status=status,
                endpoint=endpoint.path,
                request_id=request_id,
            )
        code = business_code(data)
        if code not in (None, 0) and code != endpoint.empty_code:
            raise error_for(status, data, request_id=request_id, endpoint=endpoint.path)

    def _read(self, reader: Any, data: Any, endpoint: str, request_id: str, **kwargs: Any) -> Any:
        try:
            return reader(data, **kwargs)
        except FactPulseMalformed as exc:
            exc.endpoint = exc.endpoint or endpoint
            exc.request_id = exc.request_id or request_id
            exc.status = exc.status or 200
            raise

    def _typed(self, name: str, body: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        """Call endpoint `name` and read its answer with the endpoint's reader."""
        path_params = kwargs.pop("path_params", {})
        answer = self.call(name, body, **path_params)
        endpoint = ENDPOINTS[name]
        return self._read(endpoint.reader, answer.data, endpoint.path, answer.request_id, **kwargs)

    def _search(self, name: str, search_class: type[InvoiceSearch], search: Any, filters: dict[str, Any]) -> Any:
        search = search or search_class(**filters)
        return self._typed(name, search.to_body(), page=search.page, page_size=search.page_size)

    # === Received invoices ===================================================================

    def rechercher_factures_destinataire(
        self, search: received.ReceivedSearch | None = None, **filters: Any
    ) -> t.Page[t.ReceivedInvoiceRow]:
        """POST /api/v1/chorus-pro/factures/rechercher-destinataire: invoices received.

        Takes a `ReceivedSearch` or its fields as keywords. codeRetour 20000 (no result) gives
        an empty page.
        """
        return self._search("rechercher_factures_destinataire", received.ReceivedSearch, search, filters)

    def iter_factures_destinataire(self, *, page_size: int = 500, **filters: Any) -> Iterator[t.ReceivedInvoiceRow]:
        """Every row of `rechercher_factures_destinataire`, fetching pages lazily."""
        return self._iter_pages(self.rechercher_factures_destinataire, received.ReceivedSearch, page_size, filters)

    def traiter_facture_recue(
        self,
        *,
        invoice_id: int,
        new_status: str,
        reason: str | None = None,
        comment: str | None = None,
        mandate_number: str | None = None,
    ) -> t.ProcessingResult:
        """POST /api/v1/chorus-pro/factures/traiter-facture-recue: set a received invoice's status.

        A write: sent exactly once. A refusal (transition not allowed, reason missing) raises
        `FactPulseRefused` with `code` and `upstream_message` (the libelle).
        """
        body = received.build_process_received(
            invoice_id=invoice_id,
            new_status=new_status,
            reason=reason,
            comment=comment,
            mandate_number=mandate_number,
        )
        return self._typed("traiter_facture_recue", body)

    def telecharger_groupe_factures(
        self,
        *,
        invoice_ids: Sequence[int],
        file_format: str = "ZIP",
        include_attachments: bool = False,
    ) -> t.DownloadedDocument:
        """POST /api/v1/chorus-pro/factures/telecharger-groupe: download invoices as one file.

        The answer is streamed and its base64 member decoded on the fly into a temporary file
        (peak memory: a few 64 KiB chunks). The returned document owns that file: use it as a
        context manager or call `cleanup()`. Never retried: upstream marks the invoices as
        downloaded (`factureTelechargeeParDestinataire`), so a download is a write whose
        unanswered call has an unknown outcome.
        """
        endpoint = ENDPOINTS["telecharger_groupe_factures"]
        request = received.DownloadRequest(tuple(invoice_ids), file_format, include_attachments)
        body = request.to_body()
        credentials = self._credentials()
        if credentials:
            body["credentials"] = credentials
        deadline = time.monotonic() + self.download_timeout
        response = self._request(
            "POST",
            endpoint.url_path(),
            body=body,
            endpoint=endpoint.path,
            retryable=False,
            stream=True,
            read_timeout=self.download_timeout,
        )
        request_id = response.headers.get("X-Request-ID") or response.request.headers.get("X-Request-ID", "")
        fd, name = tempfile.mkstemp(prefix="factpulse-", suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                sink = Base64Sink(out, max_bytes=MAX_DOWNLOAD_BYTES)
                scanner = DownloadScanner(sink, received.DOWNLOAD_FILE_KEYS)
                try:
                    for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK):
                        scanner.feed(chunk)
                        if time.monotonic() > deadline:
                            raise FactPulseTimeout(
                                "The download took longer than FACTPULSE_DOWNLOAD_TIMEOUT.",
                                endpoint=endpoint.path,
                            )
                    scanner.finish()
                except requests.RequestException as exc:
                    raise FactPulseNoAnswer(
                        f"The download was interrupted ({type(exc).__name__}).", endpoint=endpoint.path
                    ) from None
                finally:
                    response.close()
            fields = scanner.fields
            self._check_business(fields, endpoint, response.status_code, request_id)
            if scanner.file_key is None:
                raise FactPulseMalformed(
                    f"The download answer holds no document ({' / '.join(received.DOWNLOAD_FILE_KEYS)}).",
                    details={"keys": sorted(fields)},
                )
            kind = filetypes.sniff(sink.head)
            final = path.with_suffix(t.DOCUMENT_EXTENSIONS[kind])
            os.replace(path, final)
            path = final
        except FactPulseError as exc:
            path.unlink(missing_ok=True)
            exc.endpoint = exc.endpoint or endpoint.path
            exc.request_id = exc.request_id or request_id
            exc.status = exc.status or response.status_code
            raise
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        logger.info(
            "FactPulse download of %d invoice(s): %s, %d bytes (request %s)",
            len(request.invoice_ids),
            kind,
            sink.size,
            request_id,
        )
        return t.DownloadedDocument(
            path=path,
            kind=kind,
            size=sink.size,
            requested_format=request.file_format,
            invoice_ids=request.invoice_ids,
            message=message_of(fields),
        )

    # === Validator ===========================================================================

    def valideur_rechercher_factures(
        self, search: validator.ValidatorSearch | None = None, **filters: Any
    ) -> t.Page[t.ValidatorInvoiceRow]:
        """POST /api/v1/chorus-pro/factures/valideur/rechercher: invoices for the validator."""
        return self._search("valideur_rechercher_factures", validator.ValidatorSearch, search, filters)

    def iter_factures_valideur(self, *, page_size: int = 500, **filters: Any) -> Iterator[t.ValidatorInvoiceRow]:
        """Every row of `valideur_rechercher_factures`, fetching pages lazily."""
        return self._iter_pages(self.valideur_rechercher_factures, validator.ValidatorSearch, page_size, filters)

    def valideur_consulter_facture(self, *, invoice_id: int) -> t.ValidatorInvoiceDetail:
        """POST /api/v1/chorus-pro/factures/valideur/consulter: an invoice's full detail."""
        body = validator.build_validator_consult(invoice_id=invoice_id)
        return self._typed("valideur_consulter_facture", body, invoice_id=int(invoice_id))

    def valideur_traiter_facture(
        self,
        *,
        invoice_id: int,
        action: str,
        reason: str | None = None,
        complement: str | None = None,
    ) -> t.ValidationResult:
        """POST /api/v1/chorus-pro/factures/valideur/traiter: VALIDATION or REFUS (with reason).

        A write: sent exactly once; a refusal raises `FactPulseRefused`.
        """
        body = validator.build_validator_process(
            invoice_id=invoice_id, action=action, reason=reason, complement=complement
        )
        return self._typed("valideur_traiter_facture", body)

    # === Supplier ============================================================================

    def rechercher_factures_fournisseur(
        self, search: supplier.SupplierSearch | None = None, **filters: Any
    ) -> t.Page[t.SupplierInvoiceRow]:
        """POST /api/v1/chorus-pro/factures/rechercher-fournisseur: invoices issued."""
        return self._search("rechercher_factures_fournisseur", supplier.SupplierSearch, search, filters)

    def iter_factures_fournisseur(self, *, page_size: int = 500, **filters: Any) -> Iterator[t.SupplierInvoiceRow]:
        """Every row of `rechercher_factures_fournisseur`, fetching pages lazily."""
        return self._iter_pages(self.rechercher_factures_fournisseur, supplier.SupplierSearch, page_size, filters)

    def consulter_facture(self, *, invoice_id: int) -> t.InvoiceSummary:
        """POST /api/v1/chorus-pro/factures/consulter: an invoice's current status (typed)."""
        return self._typed("consulter_facture", supplier.build_invoice_consult(invoice_id=invoice_id))

    def soumettre_facture(
        self,
        *,
        invoice_number: str,
        invoice_date: date,
        structure_id: int,
        total_excl_tax: Decimal,
        vat_amount: Decimal,
        total_incl_tax: Decimal,
        payment_due_date: date | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
        main_attachment_id: int | None = None,
        main_attachment_label: str | None = None,
        comment: str | None = None,
        purchase_order_reference: str | None = None,
        contract_reference: str | None = None,
    ) -> t.SubmissionResult:
        """POST /api/v1/chorus-pro/factures/soumettre: submit an invoice (typed; amounts as strings)."""
        body = supplier.build_submit(
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            structure_id=structure_id,
            total_excl_tax=total_excl_tax,
            vat_amount=vat_amount,
            total_incl_tax=total_incl_tax,
            payment_due_date=payment_due_date,
            service_code=service_code,
            engagement_number=engagement_number,
            main_attachment_id=main_attachment_id,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order_reference=purchase_order_reference,
            contract_reference=contract_reference,
        )
        return self._typed("soumettre_facture", body)

    def completer_facture(
        self,
        *,
        invoice_id: int,
        comment: str | None = None,
        attachments: Sequence[t.AttachmentRef] = (),
    ) -> t.CompletionResult:
        """POST /api/v1/chorus-pro/factures/completer: complete a SUSPENDUE invoice (supplier)."""
        body = supplier.build_complete(invoice_id=invoice_id, comment=comment, attachments=attachments)
        return self._typed("completer_facture", body)

    def recycler_facture(
        self,
        *,
        invoice_id: int,
        structure_id: int | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
    ) -> t.RecycleResult:
        """POST /api/v1/chorus-pro/factures/recycler: re-route an A_RECYCLER invoice (supplier)."""
        body = supplier.build_recycle(
            invoice_id=invoice_id,
            structure_id=structure_id,
            service_code=service_code,
            engagement_number=engagement_number,
        )
        return self._typed("recycler_facture", body)

    def ajouter_fichier(
        self,
        *,
        content: bytes,
        name: str,
        mime_type: str = "application/pdf",
        extension: str | None = None,
    ) -> t.UploadedFile:
        """POST /api/v1/chorus-pro/transverses/ajouter-fichier: upload an attachment (≤ 10 MB)."""
        body = supplier.build_upload(
            content_base64=base64.b64encode(content).decode("ascii"),
            name=name,
            mime_type=mime_type,
            extension=extension or Path(name).suffix or "PDF",
            size=len(content),
        )
        return self._typed("ajouter_fichier", body)

    # === Structures ==========================================================================

    def rechercher_structures(
        self,
        *,
        identifier: str | None = None,
        identifier_type: str | None = None,
        company_name: str | None = None,
        restrict_private: bool = False,
    ) -> t.Page[t.Structure]:
        """POST /api/v1/chorus-pro/structures/rechercher: find structures (typed)."""
        body = structures.build_structure_search(
            identifier=identifier,
            identifier_type=identifier_type,
            company_name=company_name,
            restrict_private=restrict_private,
        )
        return self._typed("rechercher_structures", body)

    def consulter_structure(self, *, structure_id: int, language: str = "fr") -> t.StructureDetail:
        """POST /api/v1/chorus-pro/structures/consulter: a structure and its required fields."""
        body = structures.build_structure_consult(structure_id=structure_id, language=language)
        return self._typed("consulter_structure", body)

    def lister_services_structure(self, *, structure_id: int) -> tuple[t.Service, ...]:
        """GET /api/v1/chorus-pro/structures/{id_structure_cpp}/services: a structure's services.

        No body, hence stored credentials only (zero-trust credentials cannot be sent).
        """
        return self._typed("lister_services_structure", None, path_params={"id": int(structure_id)})

    def obtenir_id_depuis_siret(self, *, siret: str, identifier_type: str = "SIRET") -> t.StructureLookup:
        """POST /api/v1/chorus-pro/structures/obtenir-id-depuis-siret: structure id of a SIRET.

        `structure_id` is None when no structure, or several, match.
        """
        body = structures.build_siret_lookup(siret=siret, identifier_type=identifier_type)
        return self._typed("obtenir_id_depuis_siret", body)

    # === Helpers =============================================================================

    @staticmethod
    def _iter_pages(
        search: Any, search_class: type[InvoiceSearch], page_size: int, filters: dict[str, Any]
    ) -> Iterator[Any]:
        filters.pop("page", None)
        query = search_class(page_size=page_size, **filters)
        seen_pages = 0
        while True:
            page = search(query)
            yield from page.items
            seen_pages += 1
            if not page.items or page.page >= page.pages or seen_pages >= 10_000:
                return
            query = query.at_page(page.page + 1)
