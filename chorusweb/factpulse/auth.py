"""Authentication: the token endpoints, their bodies and answers, and zero-trust credentials.

FactPulse hands out a JWT pair (`access`, `refresh`) for the account's e-mail and password
(and `client_uid` when the account has several clients); a connection in zero-trust mode also
sends its Chorus Pro credentials in each POST body. The client caches and renews the tokens.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chorusweb.factpulse.coerce import to_int
from chorusweb.factpulse.errors import FactPulseMalformed

if TYPE_CHECKING:
    from chorusweb.models import Connection

TOKEN_PATH = "/api/token/"  # noqa: S105 (a URL path, not a secret)
REFRESH_PATH = "/api/token/refresh/"
#: Lifetime assumed when the token answer says nothing (FactPulse's helpers use 28 minutes).
DEFAULT_ACCESS_LIFETIME = 28 * 60
SECRET_KEYS = ("access", "refresh")


def login_body(connection: Connection) -> dict[str, Any]:
    body: dict[str, Any] = {"username": connection.account_email, "password": connection.password}
    if connection.client_uid:
        body["client_uid"] = str(connection.client_uid)
    return body


def refresh_body(refresh: str) -> dict[str, Any]:
    return {"refresh": refresh}


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (not verified: only used to know when to renew)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        exp = claims.get("exp")
    except (ValueError, TypeError, AttributeError):
        return None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return float(exp)
    return None


def read_token(data: Any, *, previous_refresh: str = "") -> dict[str, Any]:
    """The cached entry `{access, refresh, expires_at}` from a login or refresh answer.

    The expiry comes from `access_lifetime`, else the JWT's `exp`, else 28 minutes; a refresh
    answer without a new refresh token keeps the previous one.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("access"), str) or not data["access"]:
        raise FactPulseMalformed("The token answer has no access token.", endpoint="token")
    access = data["access"]
    now = time.time()
    lifetime = to_int(data.get("access_lifetime"))
    if lifetime and lifetime > 0:
        expires_at = now + lifetime
    else:
        expires_at = jwt_expiry(access) or now + DEFAULT_ACCESS_LIFETIME
    refresh = data.get("refresh") if isinstance(data.get("refresh"), str) else previous_refresh
    return {"access": access, "refresh": refresh or "", "expires_at": expires_at}


def masked(data: Mapping[str, Any]) -> dict[str, Any]:
    """A token answer with its secrets replaced by `***` (for the probe)."""
    return {k: ("***" if k in SECRET_KEYS else v) for k, v in data.items()}


def credentials_body(connection: Connection) -> dict[str, Any] | None:
    """The zero-trust `credentials` object (JSON names of the chorus-pro endpoints), or None."""
    if not connection.zero_trust:
        return None
    return {
        "pisteClientId": connection.piste_client_id,
        "pisteClientSecret": connection.piste_client_secret,
        "chorusProLogin": connection.chorus_login,
        "chorusProPassword": connection.chorus_password,
        "sandbox": bool(connection.chorus_sandbox),
    }
