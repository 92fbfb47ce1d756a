"""Connections (FactPulse accounts) and memberships (who may do what on which connection)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    is_active = models.BooleanField(pgettext_lazy("connexion", "active"), default=True)
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
        return bool(self.piste_client_id and self.piste_client_secret and self.chorus_login and self.chorus_password)

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
    ISSUER = "emetteur", _("Émetteur (factures émises)")


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
        constraints = [models.UniqueConstraint(fields=["user", "connection", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.connection} · {self.get_role_display()}"

    def clean(self) -> None:
        codes = self.service_codes or []
        if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
            raise ValidationError({"service_codes": _("Une liste de codes service est attendue.")})
        self.service_codes = sorted({c.strip() for c in codes})


class Workspace(models.TextChoices):
    RECEIVED = "received", _("Factures reçues")
    VALIDATION = "validation", _("Validation")
    ISSUED = "issued", _("Factures émises")


class SyncRun(models.Model):
    """One run of the mirror's synchronisation for a connection and a workspace."""

    class State(models.TextChoices):
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("réussie")
        FAILED = "failed", _("échouée")

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="sync_runs", verbose_name=_("connexion")
    )
    workspace = models.CharField(_("espace"), max_length=20, choices=Workspace.choices)
    full = models.BooleanField(_("complète"), default=False)
    since = models.DateTimeField(_("changements depuis"), null=True, blank=True)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages lues"), default=0)
    rows_seen = models.PositiveIntegerField(_("lignes lues"), default=0)
    rows_created = models.PositiveIntegerField(_("lignes créées"), default=0)
    rows_changed = models.PositiveIntegerField(_("statuts changés"), default=0)
    total_expected = models.PositiveIntegerField(_("lignes attendues"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True, default="")
    #: Written every few seconds while the run works: a silent run lost its process.
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lancée par"),
    )

    class Meta:
        verbose_name = _("synchronisation")
        verbose_name_plural = _("synchronisations")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["connection", "workspace", "-started_at"], name="syncrun_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "workspace"],
                condition=models.Q(state="running"),
                name="syncrun_one_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection} · {self.get_workspace_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def progress_percent(self) -> int | None:
        if not self.total_expected:
            return None
        return min(100, round(100 * self.rows_seen / self.total_expected))


#: Writes of the issued invoices workspace, in words (the audit tables' summary).
ISSUED_ACTIONS = {"submit": _("Dépôt"), "complete": _("Complément"), "recycle": _("Recyclage")}


class AuditEntry(models.Model):
    """One user action sent upstream: written pending before the call, settled after it.

    At most one *exclusive* action may be pending on an invoice at a time (a database
    constraint), and each submitted form carries a key that can be used once: a double click,
    a replayed form or two users acting at once never send the same action twice.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("en cours")
        DONE = "done", _("effectuée")
        REFUSED = "refused", _("refusée par Chorus Pro")
        FAILED = "failed", _("non envoyée")
        UNKNOWN = "unknown", _("issue inconnue")
        UNCONFIRMED = "unconfirmed", _("non confirmée")

    workspace = models.CharField(_("espace"), max_length=20, choices=Workspace.choices)
    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="audit_entries", verbose_name=_("connexion")
    )
    invoice_id = models.BigIntegerField(_("id facture Chorus Pro"), null=True, blank=True)
    invoice_number = models.CharField(_("numéro de facture"), max_length=100, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("utilisateur"),
    )
    action = models.CharField(_("action"), max_length=30)
    target = models.CharField(_("cible"), max_length=60, blank=True, default="")
    reason = models.TextField(_("motif"), blank=True, default="")
    details = models.JSONField(_("détails"), default=dict, blank=True)
    exclusive = models.BooleanField(default=True, editable=False)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.PENDING)
    outcome = models.TextField(_("résultat"), blank=True, default="")
    error_code = models.CharField(_("code retour"), max_length=60, blank=True, default="")
    request_id = models.CharField(_("référence de requête"), max_length=100, blank=True, default="")
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    batch = models.UUIDField(_("lot"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    settled_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    #: The worker process that sends it (empty: a web process); a silent worker died.
    worker_id = models.CharField(_("processus"), max_length=64, blank=True, default="", editable=False)
    checked_at = models.DateTimeField(_("vérifiée auprès de Chorus Pro le"), null=True, blank=True)
    resent_as = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renvoyée par"),
    )

    class Meta:
        verbose_name = _("action (journal)")
        verbose_name_plural = _("journal des actions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "workspace", "invoice_id"],
                condition=models.Q(state="pending", exclusive=True),
                name="audit_one_pending_action_per_invoice",
            )
        ]
        indexes = [
            models.Index(fields=["connection", "workspace", "invoice_id"], name="audit_invoice"),
            models.Index(fields=["batch"], name="audit_batch"),
            models.Index(fields=["state", "created_at"], name="audit_state"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target} · {self.invoice_number or self.invoice_id} · {self.get_state_display()}"

    @property
    def summary(self) -> str:
        """What was asked, in words (for the audit tables)."""
        from chorusweb import lifecycle

        if self.action == "process":
            return lifecycle.status_label(self.target)
        if self.action == "validate":
            return str(_("Refus") if self.target == lifecycle.VALIDATION_ACTION_REFUSE else _("Validation"))
        if self.action == "download":
            return str(_("Téléchargement %(format)s") % {"format": self.target})
        if self.action in ISSUED_ACTIONS:
            return f"{ISSUED_ACTIONS[self.action]} {self.target}".strip()
        if self.action == "service_done":
            return str(_("Date du service fait : %(day)s") % {"day": self.target or "—"})
        return f"{self.action} {self.target}".strip()

    @property
    def note(self) -> str:
        """The comment the user sent with the action (a validator's complement, an agent's comment)."""
        details = self.details or {}
        return str(details.get("complement") or details.get("comment") or "")

    @property
    def state_class(self) -> str:
        """The badge style of the state (the state's label always goes with it)."""
        return {"done": "done", "pending": "todo", "unknown": "waiting"}.get(self.state, "danger")

    @property
    def awaits_decision(self) -> bool:
        """Not confirmed upstream and not resent yet: a person decides whether to resend."""
        return self.state == self.State.UNCONFIRMED and self.resent_as_id is None


class BulkRun(models.Model):
    """A bulk action over many invoices: what was asked, what was skipped, and its progress.

    Each invoice actually sent has its own AuditEntry carrying this run's id as `batch`;
    the per-invoice result table is built from those entries and `skipped`.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("en cours")
        FINISHED = "finished", _("terminé")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.CharField(_("espace"), max_length=20, choices=Workspace.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("utilisateur"),
    )
    action = models.CharField(_("action"), max_length=30)
    target = models.CharField(_("cible"), max_length=60, blank=True, default="")
    reason = models.TextField(_("motif"), blank=True, default="")
    invoice_pks = models.JSONField(_("factures à traiter"), default=list)
    skipped = models.JSONField(_("factures écartées"), default=list, blank=True)
    total = models.PositiveIntegerField(_("nombre à envoyer"), default=0)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.RUNNING)
    #: The bulk form's one-time key: a double submit finds the run started by the first one.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("lancé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("traitement par lot")
        verbose_name_plural = _("traitements par lot")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target} × {self.total}"


class WorkerBeat(models.Model):
    """A worker process's sign of life, written every few seconds while it is up."""

    worker_id = models.CharField(_("processus"), max_length=64, primary_key=True)
    hostname = models.CharField(_("machine"), max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(_("n° de processus"), default=0)
    started_at = models.DateTimeField(_("démarré le"), auto_now_add=True)
    beat_at = models.DateTimeField(_("dernier signe de vie"))

    class Meta:
        verbose_name = _("processus de fond")
        verbose_name_plural = _("processus de fond")
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id[:8]})"
