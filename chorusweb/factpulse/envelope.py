"""What every answer and every call shares: endpoints, business codes, messages, pages.

Chorus Pro wraps each answer in the same envelope: a business return code (`codeRetour` on
native endpoints, `returnCode` on typed ones), a message (`libelle` / `message`) and, for
searches, a list with its page numbers. This module reads that envelope and builds the paging
part of search bodies; the API domains (`received`, `validator`, `supplier`, `structures`) read
and build the rest.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.coerce import (
    compact,
    format_date,
    pick,
    pick_int,
    pick_object,
    pick_str,
    to_int,
    to_number,
    to_str,
)
from chorusweb.factpulse.errors import FactPulseError, FactPulseMalformed, build_error

API_PREFIX = "/api/v1/chorus-pro/"
#: `codeRetour` of a search that found nothing: an empty page, not an error.
EMPTY_SEARCH_CODE = 20000
MAX_PAGE_SIZE = 1000
RETURN_CODE_KEYS = ("codeRetour", "returnCode", "code_retour", "return_code")
MESSAGE_KEYS = ("libelle", "message", "errorMessage")


@dataclass(frozen=True)
class Endpoint:
    """One of the 16 endpoints: where it is, whether it is a read, how its answer is read."""

    name: str  # the client's method name (snake_case of the API operation)
    method: str
    path: str  # after /api/v1/chorus-pro/ ; `{id}` for the structure id of `services`
    read: bool  # reads are retried on transient failures, writes never
    reader: Callable[..., Any] | None = None  # the answer's reader (None: read by the client)
    empty_code: int | None = None  # business code meaning "no result" (searches)

    def url_path(self, **params: Any) -> str:
        return API_PREFIX + self.path.format(**params)


# --- Business codes and messages -----------------------------------------------------------


def business_code(body: Any) -> int | None:
    """The Chorus Pro business return code of a body (`codeRetour` or `returnCode`), if any."""
    if not isinstance(body, Mapping):
        return None
    for key in RETURN_CODE_KEYS:
        if body.get(key) is not None:
            code = to_int(body[key])
            if code is not None:
                return code
    return None


def message_of(body: Mapping[str, Any]) -> str:
    return pick_str(body, *MESSAGE_KEYS)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def describe_body(body: Any) -> tuple[Any, str, Any]:
    """(code, message, details) from any error shape FactPulse or Chorus Pro is known to use.

    Shapes read: native `{codeRetour, libelle}`, typed `{returnCode, message}`, the unified
    `{errorCode, errorMessage, details}`, FastAPI `{detail: [{loc, msg, type}]}`, SimpleJWT
    `{detail: "..."}`, `{detail: {error|errorCode, message|errorMessage, details}}` and
    `{message}`.
    """
    if not isinstance(body, dict):
        return None, "", None
    code: Any = None
    message = ""
    details: Any = body.get("details")
    for key in ("codeRetour", "returnCode", "errorCode", "code_retour"):
        if body.get(key) not in (None, ""):
            code = body[key]
            break
    for key in ("libelle", "errorMessage", "message"):
        if _text(body.get(key)):
            message = _text(body[key])
            break
    detail = body.get("detail")
    if isinstance(detail, str) and not message:
        message = detail.strip()
    elif isinstance(detail, dict):
        if code is None:
            code = detail.get("errorCode") or detail.get("error") or detail.get("code")
        if not message:
            message = _text(detail.get("errorMessage") or detail.get("message") or detail.get("error"))
        if details is None:
            details = detail.get("details")
    elif isinstance(detail, list):
        if details is None:
            details = detail
        if not message:
            parts = []
            for item in detail[:5]:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc") or [] if p != "body")
                    msg = _text(item.get("msg"))
                    parts.append(f"{loc}: {msg}" if loc else msg)
                else:
                    parts.append(_text(item))
            message = "; ".join(p for p in parts if p)
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        code = int(code.strip())
    return code, message, details


def error_for(
    status: int, body: Any, *, request_id: str = "", endpoint: str = "", retry_after: float | None = None
) -> FactPulseError:
    """The exception for an answer (see `errors.build_error` for the rules)."""
    code, message, details = describe_body(body)
    return build_error(
        status,
        code=code,
        message=message,
        details=details,
        business_code=business_code(body),
        request_id=request_id,
        endpoint=endpoint,
        retry_after=retry_after,
    )


# --- Reading answers -----------------------------------------------------------------------


def require_mapping(body: Any, endpoint: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise FactPulseMalformed(
            f"The answer of {endpoint} is not a JSON object.", endpoint=endpoint, details=type(body).__name__
        )
    return body


def require_id(data: Mapping[str, Any], endpoint: str, *keys: str) -> int:
    value = pick_int(data, *keys)
    if value is None:
        raise FactPulseMalformed(
            f"An item of {endpoint} has no usable {' / '.join(keys)}.",
            endpoint=endpoint,
            details={"missing": list(keys), "keys": sorted(data)[:40]},
        )
    return value


def read_list(
    body: Mapping[str, Any], endpoint: str, keys: Sequence[str], *, required: bool
) -> list[Mapping[str, Any]]:
    value = pick(body, keys)
    if value is None:
        if required:
            raise FactPulseMalformed(
                f"The answer of {endpoint} has no {keys[0]}.",
                endpoint=endpoint,
                details={"missing": list(keys), "keys": sorted(body)[:40]},
            )
        return []
    if isinstance(value, Mapping):  # a single item sent as an object
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise FactPulseMalformed(f"{keys[0]} of {endpoint} is not a list of objects.", endpoint=endpoint)
    return value


def is_empty_search(data: Mapping[str, Any]) -> bool:
    return business_code(data) == EMPTY_SEARCH_CODE


def _page_numbers(body: Mapping[str, Any], items: int, requested_page: int, page_size: int) -> tuple:
    meta = pick_object(body, "parametresRetour", "parametreRetour", "pagination")
    source: Mapping[str, Any] = meta or body
    page = pick_int(source, "pageCourante", "page") or pick_int(body, "pageCourante") or requested_page
    size = pick_int(source, "nbResultatsParPage", "pageSize") or pick_int(body, "nbResultatsParPage") or page_size
    total = pick_int(source, "total", "nbResultats")
    if total is None:
        total = pick_int(body, "total")
    if total is None:
        total = items if page == 1 else (page - 1) * size + items
    pages = pick_int(source, "pages", "nbPages")
    if pages is None:
        pages = pick_int(body, "pages")
    if pages is None:
        pages = math.ceil(total / size) if size else (1 if items else 0)
    return page, pages, size, total


def read_page[R](
    body: Any,
    endpoint: str,
    reader: Callable[[Mapping[str, Any], str], R],
    *,
    list_keys: Sequence[str] = ("listeFactures", "factures"),
    requested_page: int = 1,
    page_size: int = 0,
) -> t.Page[R]:
    """A page of invoice search results (the "no result" code is an empty page)."""
    data = require_mapping(body, endpoint)
    if is_empty_search(data):
        return t.Page(items=(), page=requested_page, pages=0, page_size=page_size, total=0)
    rows = read_list(data, endpoint, list_keys, required=False)
    if not rows and pick(data, list_keys) is None:
        # No list at all: only acceptable if the answer says there is nothing to list.
        total = pick_int(pick_object(data, "parametresRetour") or data, "total")
        if total not in (None, 0):
            read_list(data, endpoint, list_keys, required=True)
    items = tuple(reader(row, endpoint) for row in rows)
    page, pages, size, total = _page_numbers(data, len(items), requested_page, page_size)
    return t.Page(items=items, page=page, pages=pages, page_size=size, total=total)


def read_framework(row: Mapping[str, Any]) -> str:
    """The invoicing framework code (`cadreDeFacturation`), as a string or inside an object."""
    value = pick(row, ("cadreDeFacturation", "cadreFacturation", "codeCadreFacturation"))
    if isinstance(value, Mapping):
        return pick_str(value, "codeCadreFacturation", "code")
    return to_str(value)


# --- Searches ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InvoiceSearch:
    """The filters every invoice search shares; each domain adds its own and its paging key.

    `to_body()` gives the request body (empty filters left out); the dataclass refuses an
    unknown filter name, a page below 1 or a page size beyond the contract's limit.
    """

    paging_key: ClassVar[str] = ""

    statuses: Sequence[str] | None = None
    deposited_from: date | None = None
    deposited_to: date | None = None
    invoice_number: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    page: int = 1
    page_size: int = 100
    sort_column: str | None = "DateDepot"
    sort_desc: bool = True

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError("page is 1-based")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")

    def at_page(self, page: int) -> InvoiceSearch:
        return dataclasses.replace(self, page=page)

    def filters(self) -> dict[str, Any]:
        """The domain's own filters (upstream key -> value), added to the shared ones."""
        return {}

    def to_body(self) -> dict[str, Any]:
        body = compact(
            {
                "statutCourant": _statuses(self.statuses),
                "periodeDateDepotDu": format_date(self.deposited_from),
                "periodeDateDepotAu": format_date(self.deposited_to),
                "numeroFacture": self.invoice_number,
                **self.filters(),
                "montantTTCMin": to_number(self.amount_min),
                "montantTTCMax": to_number(self.amount_max),
            }
        )
        body[self.paging_key] = self.paging()
        return body

    def paging(self) -> dict[str, Any]:
        return compact(
            {
                "pageResultatDemandee": self.page,
                "nbResultatsParPage": self.page_size,
                "triColonne": self.sort_column,
                "triSens": "Descendant" if self.sort_desc else "Ascendant",
            }
        )


def _statuses(statuses: Sequence[str] | None) -> list[str] | None:
    if not statuses:
        return None
    if isinstance(statuses, str):
        statuses = [statuses]
    return [lifecycle.normalise_status(s) for s in statuses]
