"""The mirror of the validation queue (`valideur/rechercher`) and a cache of invoice details."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb import money
from chorusweb.models import Connection

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}


class QueueState(models.TextChoices):
    """Where an invoice stands for its validator: in the queue, or gone from it (and how)."""

    AWAITING = "awaiting", _("à valider")
    VALIDATED = "validated", _("validée")
    REFUSED = "refused", _("refusée")
    TACIT = "tacit", _("validée tacitement (hors délai)")
    GONE = "gone", _("plus visible dans Chorus Pro")
    OTHER = "other", _("autre statut")


_VALIDATED = {lc.VALIDEE_1, lc.VALIDEE_2}
_REFUSED = {lc.REFUSEE_1, lc.REFUSEE_2}
_TACIT = set(lc.TACIT_VALIDATION.values())


def state_of(status: str) -> str:
    """The queue state of an upstream validation status."""
    if status in lc.AWAITING_VALIDATION:
        return QueueState.AWAITING
    if status in _VALIDATED:
        return QueueState.VALIDATED
    if status in _REFUSED:
        return QueueState.REFUSED
    if status in _TACIT:
        return QueueState.TACIT
    return QueueState.OTHER


def level_of(status: str) -> int | None:
    """The validation level (1 or 2) carried by a validation status, None when it carries none."""
    if status.endswith("_1") or "_1_" in status:
        return 1
    if status.endswith("_2") or "_2_" in status:
        return 2
    return None


class ValidationInvoice(models.Model):
    """One invoice a connection sees as validator in `valideur/rechercher`, as last synchronised.

    Rows that left the queue (validated, refused, tacitly validated) are kept with their final
    status; the queue shows the `awaiting` ones, most urgent first (`deadline` is stored, and
    indexed, so that sorting by urgency never computes anything per row).
    """

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="validation_invoices", verbose_name=_("connexion")
    )
    invoice_id = models.BigIntegerField(_("id Chorus Pro"))
    invoice_number = models.CharField(_("numéro"), max_length=100, blank=True, default="")
    invoice_type = models.CharField(_("type"), max_length=30, blank=True, default="")
    framework = models.CharField(_("cadre de facturation"), max_length=60, blank=True, default="")
    status = models.CharField(_("statut"), max_length=60)
    state = models.CharField(_("état dans la file"), max_length=20, choices=QueueState.choices)
    level = models.PositiveSmallIntegerField(_("niveau"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("statut depuis le"), null=True, blank=True)
    status_comment = models.TextField(_("commentaire du statut"), blank=True, default="")
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    deposit_date = models.DateField(_("date de dépôt"), null=True, blank=True)
    deadline = models.DateField(_("date limite de validation"), null=True, blank=True)
    total_excl_tax = models.DecimalField(_("montant HT"), **MONEY)
    total_incl_tax = models.DecimalField(_("montant TTC"), **MONEY)
    amount_due = models.DecimalField(_("montant à payer"), **MONEY)
    currency = models.CharField(_("devise"), max_length=3, blank=True, default="EUR")
    supplier_upstream_id = models.BigIntegerField(_("id fournisseur"), null=True, blank=True)
    supplier_code = models.CharField(_("identifiant fournisseur"), max_length=50, blank=True, default="")
    supplier_name = models.CharField(_("fournisseur"), max_length=200, blank=True, default="")
    recipient_id = models.BigIntegerField(_("id destinataire"), null=True, blank=True)
    recipient_code = models.CharField(_("identifiant destinataire"), max_length=50, blank=True, default="")
    recipient_name = models.CharField(_("destinataire"), max_length=200, blank=True, default="")
    service_id = models.BigIntegerField(_("id service"), null=True, blank=True)
    service_code = models.CharField(_("code service"), max_length=100, blank=True, default="")
    service_name = models.CharField(_("service"), max_length=200, blank=True, default="")
    validator_code = models.CharField(_("identifiant valideur"), max_length=50, blank=True, default="")
    validator_name = models.CharField(_("valideur"), max_length=200, blank=True, default="")
    moe_name = models.CharField(_("maîtrise d'œuvre"), max_length=200, blank=True, default="")
    moa_name = models.CharField(_("maîtrise d'ouvrage"), max_length=200, blank=True, default="")
    contract_number = models.CharField(_("numéro de marché"), max_length=100, blank=True, default="")
    engagement_number = models.CharField(_("numéro d'engagement"), max_length=100, blank=True, default="")
    raw = models.JSONField(_("ligne reçue"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    synced_at = models.DateTimeField(_("synchronisée le"))

    class Meta:
        verbose_name = _("facture à valider")
        verbose_name_plural = _("factures à valider")
        ordering = ["deadline", "invoice_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "invoice_id"], name="validation_unique_upstream_id")
        ]
        indexes = [
            models.Index(fields=["connection", "state", "deadline", "invoice_id"], name="vi_queue"),
            models.Index(fields=["deadline", "invoice_id"], name="vi_deadline"),
            models.Index(fields=["deposit_date"], name="vi_deposit"),
            models.Index(fields=["invoice_date"], name="vi_invoice_date"),
            models.Index(fields=["total_incl_tax"], name="vi_total"),
            models.Index(fields=["supplier_name"], name="vi_supplier"),
            models.Index(fields=["recipient_name"], name="vi_recipient"),
            models.Index(fields=["invoice_number"], name="vi_number"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.invoice_id} — {self.supplier_name}"

    @property
    def status_label(self) -> str:
        return lc.status_label(self.status)

    @property
    def framework_label(self) -> str:
        return str(lc.FRAMEWORK_LABELS.get(self.framework, self.framework))

    @property
    def awaiting(self) -> bool:
        return self.status in lc.AWAITING_VALIDATION

    @property
    def is_credit_note(self) -> bool:
        return money.is_credit_note(self.invoice_type)

    @property
    def net_excl_tax(self):
        """The amount as it counts in a total: negative for a credit note."""
        return money.signed_amount(self.total_excl_tax, self.invoice_type)

    @property
    def net_incl_tax(self):
        return money.signed_amount(self.total_incl_tax, self.invoice_type)


class ValidationDetail(models.Model):
    """The last `valideur/consulter` answer of an invoice, shown when upstream cannot answer."""

    invoice = models.OneToOneField(
        ValidationInvoice, on_delete=models.CASCADE, related_name="detail_cache", verbose_name=_("facture")
    )
    answer = models.JSONField(_("réponse reçue"), default=dict, encoder=DjangoJSONEncoder)
    fetched_at = models.DateTimeField(_("lue le"))

    class Meta:
        verbose_name = _("détail lu")
        verbose_name_plural = _("détails lus")

    def __str__(self) -> str:
        return f"{self.invoice} ({self.fetched_at:%Y-%m-%d %H:%M})"
