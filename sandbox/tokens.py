"""Sandbox access and refresh tokens: HS256 JWTs signed with a key derived from SECRET_KEY.

Stateless, so every process serving the sandbox accepts them and they survive restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

ACCESS = "access"
REFRESH = "refresh"


class TokenError(Exception):
    """A token is missing, malformed, badly signed, of the wrong type or expired."""


@dataclass(frozen=True)
class TokenClaims:
    account_id: int
    client_uid: str
    token_type: str
    expires_at: float


def _key() -> bytes:
    return hashlib.sha256(b"chorusweb-sandbox-jwt:" + settings.SECRET_KEY.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(*, account_id: int, client_uid: str, token_type: str, lifetime: float) -> str:
    """A signed token for the account and Chorus Pro client, valid `lifetime` seconds."""
    issued = time.time()
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "token_type": token_type,
        "user_id": account_id,
        "client_uid": client_uid,
        "iat": int(issued),
        "exp": issued + lifetime,
        "jti": uuid.uuid4().hex,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(_key(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def decode(token: str, *, token_type: str) -> TokenClaims:
    """Check the signature, type and expiry of a token and return its claims."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        expected = hmac.new(_key(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature_b64)):
            raise TokenError("Signature du jeton invalide.")
        payload = json.loads(_unb64(payload_b64))
    except (ValueError, TypeError) as exc:
        raise TokenError("Jeton mal formé.") from exc
    if payload.get("token_type") != token_type:
        raise TokenError("Type de jeton incorrect.")
    if float(payload.get("exp", 0)) <= time.time():
        raise TokenError("Le jeton a expiré.")
    return TokenClaims(
        account_id=int(payload["user_id"]),
        client_uid=str(payload["client_uid"]),
        token_type=token_type,
        expires_at=float(payload["exp"]),
    )
