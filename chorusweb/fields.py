"""Model fields for secrets: encrypted in the database, never rendered back."""

from __future__ import annotations

from django.db import models

from chorusweb import crypto


class Secret(str):
    """A decrypted secret whose repr never shows the value (safe in tracebacks and logs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"


class EncryptedTextField(models.TextField):
    """Stores a string encrypted with Fernet; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return Secret(crypto.decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            return Secret(crypto.decrypt(value))
        return Secret(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt(str(value))
