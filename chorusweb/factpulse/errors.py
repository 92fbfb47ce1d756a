"""The gateway's errors: one base class that keeps status, code, upstream message and details.

Every exception carries a safe French `user_message` (never a secret, never a raw body) and
the HTTP status the dashboard answers with (`http_status`: 503 for an unavailable upstream,
502 for an upstream error, 422 for a refusal shown on a form).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class FactPulseError(Exception):
    """Base of every error raised by the gateway."""

    default_user_message = _("Le service FactPulse / Chorus Pro a répondu par une erreur.")
    http_status = 502
    #: True when the call may have been applied upstream although no usable answer came back
    #: (timeout while waiting, connection dropped after sending, unreadable answer, 5xx other
    #: than 503): the outcome of a write is then *unknown*, never "failed".
    may_have_applied = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | int | None = None,
        upstream_message: str = "",
        details: Any = None,
        request_id: str = "",
        endpoint: str = "",
        user_message: str | None = None,
        may_have_applied: bool | None = None,
    ) -> None:
        if may_have_applied is not None:
            self.may_have_applied = may_have_applied
        self.status = status
        self.code = code
        self.upstream_message = upstream_message
        self.details = details
        self.request_id = request_id
        self.endpoint = endpoint
        self._user_message = user_message
        super().__init__(message or upstream_message or str(self.default_user_message))

    @property
    def user_message(self) -> str:
        if self._user_message:
            return str(self._user_message)
        return str(self.default_user_message)

    def __str__(self) -> str:
        parts = [super().__str__()]
        if self.endpoint:
            parts.append(f"endpoint={self.endpoint}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code not in (None, ""):
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class FactPulseUnavailable(FactPulseError):
    """Timeout, connection error or 503: upstream cannot be reached right now."""

    default_user_message = _(
        "Chorus Pro (via FactPulse) ne répond pas pour le moment. Réessayez dans quelques minutes."
    )
    http_status = 503


class FactPulseTimeout(FactPulseUnavailable):
    """No answer in time. Sent and unanswered unless raised with `may_have_applied=False`
    (the connection itself could not be opened)."""

    default_user_message = _(
        "Chorus Pro (via FactPulse) a mis trop de temps à répondre. Réessayez dans quelques minutes."
    )
    may_have_applied = True


class FactPulseNoAnswer(FactPulseUnavailable):
    """The call was sent and the connection broke before its whole answer came back."""

    default_user_message = _("La connexion avec FactPulse a été coupée avant sa réponse.")
    may_have_applied = True


class FactPulseUpstreamError(FactPulseError):
    """A 5xx other than 503, or an answer that cannot be read (malformed body, missing key)."""

    default_user_message = _(
        "FactPulse a renvoyé une réponse inattendue. L'incident est consigné ; réessayez plus tard."
    )
    http_status = 502
    may_have_applied = True


class FactPulseMalformed(FactPulseUpstreamError):
    """The body is not JSON, not the expected shape, or lacks a required key."""


class FactPulseRateLimited(FactPulseUnavailable):
    """429: too many calls; `retry_after` seconds before trying again, when known."""

    default_user_message = _("Trop de requêtes ont été envoyées à FactPulse. Patientez un instant puis réessayez.")

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class FactPulseAuthError(FactPulseError):
    """Authentication failed even after one fresh login: the connection's credentials are wrong."""

    default_user_message = _(
        "La connexion FactPulse est refusée (identifiants invalides ou expirés). "
        "Un administrateur doit vérifier la connexion."
    )
    http_status = 502


class FactPulseNotFound(FactPulseError):
    default_user_message = _("Cet élément est introuvable dans Chorus Pro.")
    http_status = 404


class FactPulseRefused(FactPulseError):
    """A business refusal: non-zero codeRetour/returnCode on any status, 4xx refusal, 422."""

    default_user_message = _("Chorus Pro a refusé l'opération.")
    http_status = 422

    @property
    def user_message(self) -> str:
        if self._user_message:
            return str(self._user_message)
        if self.upstream_message:
            return str(_("Chorus Pro a refusé l'opération : %(libelle)s") % {"libelle": self.upstream_message})
        return str(self.default_user_message)


# --- The status-to-exception table ---------------------------------------------------------

#: HTTP status -> exception class. Statuses not listed fall back on their family
#: (other 4xx: refusal, other 5xx: upstream error); see `error_class_for_status`.
STATUS_ERRORS: dict[int, type[FactPulseError]] = {
    400: FactPulseRefused,
    401: FactPulseAuthError,
    403: FactPulseAuthError,
    404: FactPulseNotFound,
    408: FactPulseTimeout,
    409: FactPulseRefused,
    413: FactPulseRefused,
    422: FactPulseRefused,
    429: FactPulseRateLimited,
    500: FactPulseUpstreamError,
    501: FactPulseUpstreamError,
    502: FactPulseUpstreamError,
    503: FactPulseUnavailable,
    504: FactPulseUpstreamError,
}

#: Statuses at which a read is retried (with backoff); writes are never retried.
RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})

#: The libelle shown to a user is cut to this length (upstream messages can be long).
MAX_USER_LIBELLE = 300


def error_class_for_status(status: int) -> type[FactPulseError]:
    """The exception class for an HTTP error status (the one table above, then its family)."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if 400 <= status < 500:
        return FactPulseRefused
    return FactPulseUpstreamError


def build_error(
    status: int,
    *,
    code: Any = None,
    message: str = "",
    details: Any = None,
    business_code: int | None = None,
    request_id: str = "",
    endpoint: str = "",
    retry_after: float | None = None,
) -> FactPulseError:
    """The exception for an answer: HTTP status through the table, business code on any status.

    `code`, `message` and `details` are those the answer's body holds (`envelope.describe_body`
    reads them), `business_code` its Chorus Pro return code. A non-zero business code is a
    refusal whatever the HTTP status (except 401 and 429, whose meaning does not depend on the
    body); a 2xx that reaches here without one is a malformed answer.
    """
    if status not in (401, 429):
        if business_code not in (None, 0):
            cls: type[FactPulseError] = FactPulseRefused
        elif 200 <= status < 300:
            cls = FactPulseMalformed
        else:
            cls = error_class_for_status(status)
    else:
        cls = error_class_for_status(status)
    upstream_message = message[:MAX_USER_LIBELLE] if cls is FactPulseRefused else message
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "upstream_message": upstream_message,
        "details": details,
        "request_id": request_id,
        "endpoint": endpoint,
    }
    summary = f"FactPulse answered HTTP {status}" + (f": {message[:200]}" if message else "")
    if cls is FactPulseRateLimited:
        return FactPulseRateLimited(summary, retry_after=retry_after, **kwargs)
    return cls(summary, **kwargs)
