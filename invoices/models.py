"""The mirror of received invoices, their observed timeline and their stored documents."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle
from chorusweb.models import AuditEntry, Connection

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}


class ReceivedInvoice(models.Model):
    """One invoice a connection can see in `rechercher-destinataire`, as last synchronised."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="received_invoices", verbose_name=_("connexion")
    )
    invoice_id = models.BigIntegerField(_("id Chorus Pro"))
    invoice_number = models.CharField(_("numéro"), max_length=100, blank=True, default="")
    invoice_type = models.CharField(_("type"), max_length=30, blank=True, default="")
    status = models.CharField(_("statut"), max_length=60)
    status_changed_at = models.DateTimeField(_("statut depuis le"), null=True, blank=True)
    status_comment = models.TextField(_("commentaire du statut"), blank=True, default="")
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    deposit_date = models.DateField(_("date de dépôt"), null=True, blank=True)
    total_excl_tax = models.DecimalField(_("montant HT"), **MONEY)
    total_incl_tax = models.DecimalField(_("montant TTC"), **MONEY)
    amount_due = models.DecimalField(_("montant à payer"), **MONEY)
    currency = models.CharField(_("devise"), max_length=3, blank=True, default="EUR")
    supplier_code = models.CharField(_("identifiant fournisseur"), max_length=50, blank=True, default="")
    supplier_name = models.CharField(_("fournisseur"), max_length=200, blank=True, default="")
    recipient_id = models.BigIntegerField(_("id destinataire"), null=True, blank=True)
    recipient_code = models.CharField(_("identifiant destinataire"), max_length=50, blank=True, default="")
    recipient_name = models.CharField(_("destinataire"), max_length=200, blank=True, default="")
    service_id = models.BigIntegerField(_("id service"), null=True, blank=True)
    service_code = models.CharField(_("code service"), max_length=100, blank=True, default="")
    service_name = models.CharField(_("service"), max_length=200, blank=True, default="")
    contract_number = models.CharField(_("numéro de marché"), max_length=100, blank=True, default="")
    purchase_order_number = models.CharField(_("bon de commande"), max_length=100, blank=True, default="")
    downloaded = models.BooleanField(_("téléchargée"), default=False)
    raw = models.JSONField(_("ligne reçue"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    synced_at = models.DateTimeField(_("synchronisée le"))

    class Meta:
        verbose_name = _("facture reçue")
        verbose_name_plural = _("factures reçues")
        ordering = ["-deposit_date", "-invoice_id"]
        constraints = [models.UniqueConstraint(fields=["connection", "invoice_id"], name="received_unique_upstream_id")]
        indexes = [
            models.Index(fields=["connection", "status", "-deposit_date", "-invoice_id"], name="ri_queue"),
            models.Index(fields=["-deposit_date", "-invoice_id"], name="ri_deposit"),
            models.Index(fields=["invoice_date"], name="ri_invoice_date"),
            models.Index(fields=["total_incl_tax"], name="ri_total"),
            models.Index(fields=["connection", "supplier_name"], name="ri_supplier"),
            models.Index(fields=["invoice_number"], name="ri_number"),
            models.Index(fields=["status_changed_at"], name="ri_status_changed"),
            models.Index(fields=["service_code"], name="ri_service"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.invoice_id} — {self.supplier_name}"

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)

    @property
    def is_credit_note(self) -> bool:
        return self.invoice_type.upper() == "AVOIR"

    @property
    def allowed_targets(self) -> tuple[str, ...]:
        return lifecycle.allowed_targets(self.status)


class InvoiceEvent(models.Model):
    """A status change we observed (sync) or caused (action): the invoice's timeline."""

    class Source(models.TextChoices):
        SYNC = "sync", _("synchronisation")
        ACTION = "action", _("action chorusweb")

    invoice = models.ForeignKey(
        ReceivedInvoice, on_delete=models.CASCADE, related_name="events", verbose_name=_("facture")
    )
    status = models.CharField(_("statut"), max_length=60)
    previous_status = models.CharField(_("statut précédent"), max_length=60, blank=True, default="")
    occurred_at = models.DateTimeField(_("date"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True, default="")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    audit = models.ForeignKey(
        AuditEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("action"),
    )
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("chronologie")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["invoice", "-occurred_at"], name="event_invoice")]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.status}"

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)


def document_path(instance: InvoiceDocument, filename: str) -> str:
    return f"documents/{instance.invoice.connection_id}/{instance.invoice.invoice_id}/{filename}"


class InvoiceDocument(models.Model):
    """The invoice's document as downloaded once from Chorus Pro, and its parsed content."""

    invoice = models.OneToOneField(
        ReceivedInvoice, on_delete=models.CASCADE, related_name="document", verbose_name=_("facture")
    )
    file = models.FileField(_("fichier"), upload_to=document_path, max_length=300)
    kind = models.CharField(_("nature"), max_length=10)
    size = models.BigIntegerField(_("taille"))
    content = models.JSONField(_("contenu lu"), default=dict, blank=True)
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fetched_at = models.DateTimeField(_("téléchargé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.invoice} ({self.kind})"


class QueueStat(models.Model):
    """Count and totals of mirrored invoices per connection, service and status.

    Kept exact by every write to the mirror (same transaction), so that the list's tab counts
    and totals cost one tiny query instead of an aggregate over every invoice.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    service_code = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=60)
    count = models.IntegerField(default=0)
    total_excl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    total_incl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("compteur de file")
        verbose_name_plural = _("compteurs de file")
        constraints = [
            models.UniqueConstraint(fields=["connection", "service_code", "status"], name="queuestat_unique_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.service_code} {self.status}: {self.count}"
