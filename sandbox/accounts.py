"""Sandbox FactPulse accounts: password check, token issuance, which structures a token sees."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from sandbox import tokens
from sandbox.models import Account, ChorusAccount, Structure


class AuthenticationFailed(Exception):
    """Bad credentials, unknown or foreign client_uid, inactive account."""


def hash_password(password: str, *, salt: str | None = None) -> str:
    """A salted SHA-256 of a sandbox password (fast on purpose: tests log in often)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def password_matches(password: str, encoded: str) -> bool:
    try:
        _algorithm, salt, _digest = encoded.split("$", 2)
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt=salt), encoded)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the FactPulse account and the Chorus Pro account its token selects."""

    account_id: int
    chorus_account: ChorusAccount
    #: Every structure of the Chorus Pro account (public and private).
    structure_ids: frozenset[int]
    public_ids: frozenset[int]
    private_ids: frozenset[int]


def principal_for(*, account_id: int, client_uid: str) -> Principal:
    """Load the Chorus Pro account a token designates, with its structures."""
    try:
        chorus = ChorusAccount.objects.get(client_uid=client_uid, accounts__id=account_id)
    except (ChorusAccount.DoesNotExist, ValueError) as exc:
        raise AuthenticationFailed("Compte Chorus Pro du jeton introuvable.") from exc
    rows = list(Structure.objects.filter(chorus_account=chorus).values_list("id", "kind"))
    return Principal(
        account_id=account_id,
        chorus_account=chorus,
        structure_ids=frozenset(pk for pk, _kind in rows),
        public_ids=frozenset(pk for pk, kind in rows if kind == Structure.Kind.PUBLIC),
        private_ids=frozenset(pk for pk, kind in rows if kind == Structure.Kind.PRIVATE),
    )


def token_pair(*, email: str, password: str, client_uid: str | None, access_lifetime: float) -> dict:
    """`POST /api/token/`: check the credentials and issue an access and a refresh token.

    Without `client_uid`, the token selects the account's default Chorus Pro account.
    """
    account = Account.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if account is None or not password_matches(password, account.password_hash):
        raise AuthenticationFailed("Aucun compte actif ne correspond à ces identifiants.")
    if client_uid:
        try:
            uid = str(uuid.UUID(str(client_uid)))
        except ValueError as exc:
            raise AuthenticationFailed("client_uid invalide.") from exc
        if not account.chorus_accounts.filter(client_uid=uid).exists():
            raise AuthenticationFailed("Ce client_uid n'appartient pas à ce compte.")
    else:
        uid = str(account.default_chorus_account.client_uid)
    return {
        "access": tokens.encode(
            account_id=account.pk, client_uid=uid, token_type=tokens.ACCESS, lifetime=access_lifetime
        ),
        "refresh": tokens.encode(
            account_id=account.pk,
            client_uid=uid,
            token_type=tokens.REFRESH,
            lifetime=settings.SANDBOX_REFRESH_LIFETIME,
        ),
        "access_lifetime": int(access_lifetime) if float(access_lifetime).is_integer() else access_lifetime,
    }


def token_refresh(*, refresh: str, access_lifetime: float) -> dict:
    """`POST /api/token/refresh/`: a new access token from a valid refresh token."""
    claims = tokens.decode(refresh, token_type=tokens.REFRESH)
    if not Account.objects.filter(pk=claims.account_id, is_active=True).exists():
        raise tokens.TokenError("Compte inactif ou supprimé.")
    return {
        "access": tokens.encode(
            account_id=claims.account_id,
            client_uid=claims.client_uid,
            token_type=tokens.ACCESS,
            lifetime=access_lifetime,
        ),
        "access_lifetime": int(access_lifetime) if float(access_lifetime).is_integer() else access_lifetime,
    }


@transaction.atomic
def account_create(
    *, email: str, password: str, client_uid: str | None = None, name: str = ""
) -> tuple[Account, ChorusAccount]:
    """Create (or update the password of) a sandbox account, with its own Chorus Pro account.

    When `client_uid` names an existing Chorus Pro account, the new account shares it
    (it then sees the same structures and invoices); otherwise a new, empty one is created.
    """
    uid = uuid.UUID(client_uid) if client_uid else uuid.uuid4()
    chorus, _ = ChorusAccount.objects.get_or_create(client_uid=uid, defaults={"name": name or email})
    account, created = Account.objects.get_or_create(
        email=email, defaults={"password_hash": hash_password(password), "default_chorus_account": chorus}
    )
    if not created:
        account.password_hash = hash_password(password)
        account.save(update_fields=["password_hash"])
    account.chorus_accounts.add(chorus)
    return account, chorus
