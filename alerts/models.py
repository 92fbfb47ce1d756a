"""What a user is told, and how: notices (one per user, kind, invoice and state) and preferences.

A `Notice` is recorded before anything is sent; the database forbids a second one for the same
user, kind, invoice and state (`notice_once`), so a re-sync or a restart never tells the same
thing twice. Its status says where the mail stands: pending, being sent (claimed by one
process), sent, failed (retried by the schedule), in the app only, or cancelled (the user lost
access before it was sent).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorusweb.models import Connection, Workspace


class Kind(models.TextChoices):
    """The events worth telling, most urgent first (the order of mails and subjects)."""

    LATE = "late", _("Factures désormais en retard de paiement")
    DUE_TODAY = "due_today", _("Échéance de paiement aujourd'hui")
    ACTION_PROBLEM = "action_problem", _("Mes actions non confirmées ou échouées")
    VALIDATION_DEADLINE = "validation_deadline", _("Fin du délai de validation dans 3 jours ou moins")
    COMPLETED = "completed", _("Factures complétées par le fournisseur (délai relancé)")
    DUE_SOON = "due_soon", _("Échéance de paiement proche")
    TO_VALIDATE = "to_validate", _("Factures à valider")
    TO_PROCESS = "to_process", _("Nouvelles factures à traiter")


#: Kinds of each workspace (the action that must allow the user to see the invoice).
RECEIVED_KINDS = (Kind.LATE, Kind.DUE_TODAY, Kind.COMPLETED, Kind.DUE_SOON, Kind.TO_PROCESS)
VALIDATION_KINDS = (Kind.VALIDATION_DEADLINE, Kind.TO_VALIDATE)
KIND_ORDER = {kind: rank for rank, kind in enumerate(Kind)}


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("Tout de suite, par e-mail")
    DIGEST = "digest", _("Dans le récapitulatif quotidien")
    APP = "app", _("Dans l'application seulement")
    NEVER = "never", _("Jamais")


class Preferences(models.Model):
    """A user's choices: per kind, a channel; the digest's hour; the mails' language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_preferences",
        verbose_name=_("utilisateur"),
    )
    #: {kind: channel}; a kind missing takes the default of the user's roles.
    channels = models.JSONField(_("canaux"), default=dict, blank=True)
    digest_hour = models.PositiveSmallIntegerField(_("heure du récapitulatif"), default=8)
    language = models.CharField(_("langue des e-mails"), max_length=5, choices=settings.LANGUAGES, default="fr")
    last_digest_at = models.DateTimeField(_("dernier récapitulatif"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiées le"), auto_now=True)

    class Meta:
        verbose_name = _("préférences de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return str(self.user)


class Notice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENDING = "sending", _("en cours d'envoi")
        SENT = "sent", pgettext_lazy("notice", "envoyée")
        FAILED = "failed", _("échec d'envoi (nouvel essai prévu)")
        APP = "app", _("dans l'application seulement")
        CANCELLED = "cancelled", _("annulée (plus d'accès)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("utilisateur")
    )
    kind = models.CharField(_("nature"), max_length=30, choices=Kind.choices)
    workspace = models.CharField(_("espace"), max_length=20, choices=Workspace.choices)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+", verbose_name=_("connexion"))
    #: The invoice's Chorus Pro id (0 for an action on no single invoice).
    invoice_id = models.BigIntegerField(_("id facture Chorus Pro"))
    #: What changed: a status, a due date, an action's outcome. A new state is a new notice.
    state_key = models.CharField(_("état signalé"), max_length=64)
    #: The mirror row, for links (None when the invoice is not mirrored).
    invoice_pk = models.BigIntegerField(_("facture (miroir)"), null=True, blank=True)
    service_code = models.CharField(_("code service"), max_length=100, blank=True, default="")
    #: What the mail and the bell say about the invoice, as it was when recorded.
    data = models.JSONField(_("contenu"), default=dict, blank=True)
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("essais d'envoi"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True, default="")
    #: The mail (one claim per mail) that carries it; set when a process claims it for sending.
    claim = models.UUIDField(_("envoi"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("pris pour envoi le"), null=True, blank=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "workspace", "connection", "invoice_id", "state_key"], name="notice_once"
            )
        ]
        indexes = [
            models.Index(fields=["status", "channel", "user"], name="notice_outbox"),
            models.Index(fields=["user", "read_at", "-created_at"], name="notice_bell"),
            models.Index(fields=["connection", "kind", "invoice_id"], name="notice_invoice"),
            models.Index(fields=["claim"], name="notice_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.data.get('number') or self.invoice_id} · {self.user}"

    @property
    def kind_rank(self) -> int:
        return KIND_ORDER.get(self.kind, 99)
