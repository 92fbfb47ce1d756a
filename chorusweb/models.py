"""Connections (FactPulse accounts) and memberships (who may do what on which connection)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorusweb.fields import EncryptedTextField


def default_api_url() -> str:
    return settings.FACTPULSE_API_URL


class ConnectionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Connection(models.Model):
    """A FactPulse account used to reach Chorus Pro for one public entity."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    api_base_url = models.URLField(
        _("URL de l'API FactPulse"),
        max_length=300,
        default=default_api_url,
        help_text=_("https://factpulse.fr en production ; l'adresse du bac à sable en démonstration."),
    )
    account_email = models.EmailField(_("e-mail du compte FactPulse"))
    password = EncryptedTextField(_("mot de passe FactPulse"), blank=True, default="")
    client_uid = models.UUIDField(
        _("identifiant client (client_uid)"),
        null=True,
        blank=True,
        help_text=_("Le client FactPulse dont les identifiants Chorus Pro sont utilisés."),
    )
    # Optional zero-trust mode: Chorus Pro credentials sent in each request body.
    piste_client_id = EncryptedTextField(_("PISTE client id"), blank=True, default="")
    piste_client_secret = EncryptedTextField(_("PISTE client secret"), blank=True, default="")
    chorus_login = EncryptedTextField(_("identifiant Chorus Pro"), blank=True, default="")
    chorus_password = EncryptedTextField(_("mot de passe Chorus Pro"), blank=True, default="")
    chorus_sandbox = models.BooleanField(
        _("qualification Chorus Pro (bac à sable PISTE)"),
        default=True,
        help_text=_("Utilisé seulement en mode zéro confiance."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    #: Changes whenever the credentials change, so cached tokens of old credentials are dropped.
    credentials_version = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("connexion FactPulse")
        verbose_name_plural = _("connexions FactPulse")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never show secrets, even in debug output
        return f"<Connection {self.pk}: {self.name}>"

    @property
    def zero_trust(self) -> bool:
        """True when Chorus Pro credentials are held here and sent with each call."""
        return bool(
            self.piste_client_id and self.piste_client_secret and self.chorus_login and self.chorus_password
        )

    def clean(self) -> None:
        zero_trust_fields = [
            self.piste_client_id,
            self.piste_client_secret,
            self.chorus_login,
            self.chorus_password,
        ]
        if any(zero_trust_fields) and not all(zero_trust_fields):
            raise ValidationError(
                _(
                    "Le mode zéro confiance demande les quatre identifiants Chorus Pro "
                    "(client id et secret PISTE, identifiant et mot de passe Chorus Pro)."
                )
            )


class Role(models.TextChoices):
    RECIPIENT = "recipient", _("Comptable / destinataire")
    VALIDATOR = "validator", _("Valideur")
    VIEWER = "viewer", _("Lecteur")


class Membership(models.Model):
    """A user's role on a connection, optionally limited to some Chorus Pro service codes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("utilisateur"),
    )
    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("connexion"),
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    service_codes = models.JSONField(
        _("codes service"),
        default=list,
        blank=True,
        help_text=_("Vide : tous les services. Sinon, seulement les factures de ces codes service."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        ordering = ["connection__name", "user__username", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "connection", "role"], name="membership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.connection} · {self.get_role_display()}"

    def clean(self) -> None:
        codes = self.service_codes or []
        if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
            raise ValidationError({"service_codes": _("Une liste de codes service est attendue.")})
        self.service_codes = sorted({c.strip() for c in codes})
