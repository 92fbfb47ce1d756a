"""The mirror of the invoices a connection issued (`rechercher-fournisseur`) and their status history."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb.models import Connection
from chorusweb.money import signed_amount

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}


class IssuedInvoice(models.Model):
    """One invoice a connection issued, as last synchronised (or checked with `factures/consulter`)."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="issued_invoices", verbose_name=_("connexion")
    )
    invoice_id = models.BigIntegerField(_("id Chorus Pro"))
    invoice_number = models.CharField(_("numéro"), max_length=100, blank=True, default="")
    invoice_type = models.CharField(_("type"), max_length=30, blank=True, default="")
    framework = models.CharField(_("cadre de facturation"), max_length=60, blank=True, default="")
    status = models.CharField(_("statut"), max_length=60)
    status_changed_at = models.DateTimeField(_("statut depuis le"), null=True, blank=True)
    status_comment = models.TextField(_("commentaire du statut"), blank=True, default="")
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    deposit_date = models.DateField(_("date de dépôt"), null=True, blank=True)
    deposit_flow_number = models.CharField(_("numéro de flux de dépôt"), max_length=60, blank=True, default="")
    total_excl_tax = models.DecimalField(_("montant HT"), **MONEY)
    total_incl_tax = models.DecimalField(_("montant TTC"), **MONEY)
    amount_due = models.DecimalField(_("montant à payer"), **MONEY)
    currency = models.CharField(_("devise"), max_length=3, blank=True, default="EUR")
    recipient_id = models.BigIntegerField(_("id destinataire"), null=True, blank=True)
    recipient_code = models.CharField(_("identifiant destinataire"), max_length=50, blank=True, default="")
    recipient_name = models.CharField(_("destinataire"), max_length=200, blank=True, default="")
    service_code = models.CharField(_("code service"), max_length=100, blank=True, default="")
    service_name = models.CharField(_("service"), max_length=200, blank=True, default="")
    contract_number = models.CharField(_("numéro de marché"), max_length=100, blank=True, default="")
    purchase_order_number = models.CharField(_("numéro d'engagement"), max_length=100, blank=True, default="")
    raw = models.JSONField(_("ligne reçue"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    synced_at = models.DateTimeField(_("synchronisée le"))
    checked_at = models.DateTimeField(_("statut vérifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture émise")
        verbose_name_plural = _("factures émises")
        ordering = ["-deposit_date", "-invoice_id"]
        constraints = [models.UniqueConstraint(fields=["connection", "invoice_id"], name="issued_unique_upstream_id")]
        indexes = [
            models.Index(fields=["connection", "status", "deposit_date"], name="ii_status"),
            models.Index(fields=["deposit_date", "invoice_id"], name="ii_deposit"),
            models.Index(fields=["invoice_date", "invoice_id"], name="ii_invoice_date"),
            models.Index(fields=["total_incl_tax", "invoice_id"], name="ii_total"),
            models.Index(fields=["recipient_name", "invoice_id"], name="ii_recipient"),
            models.Index(fields=["invoice_number", "invoice_id"], name="ii_number"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.invoice_id} — {self.recipient_name}"

    @property
    def status_label(self) -> str:
        return lc.status_label(self.status)

    @property
    def is_credit_note(self) -> bool:
        return self.invoice_type.upper() == "AVOIR"

    @property
    def net_excl_tax(self):
        """The amount as it counts in a total: a credit note's negative, whichever sign it came with."""
        return signed_amount(self.total_excl_tax, self.invoice_type)

    @property
    def net_incl_tax(self):
        return signed_amount(self.total_incl_tax, self.invoice_type)

    @property
    def can_complete(self) -> bool:
        return self.status == lc.SUSPENDUE

    @property
    def can_recycle(self) -> bool:
        return self.status == lc.A_RECYCLER


class IssuedStatusChange(models.Model):
    """A status an issued invoice was seen in (sync, status check, our own writes): its timeline."""

    invoice = models.ForeignKey(
        IssuedInvoice, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("facture")
    )
    status = models.CharField(_("statut"), max_length=60)
    changed_at = models.DateTimeField(_("depuis le"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True, default="")
    seen_at = models.DateTimeField(_("vu le"), auto_now_add=True)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("changements de statut")
        ordering = ["seen_at", "pk"]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.status}"

    @property
    def status_label(self) -> str:
        return lc.status_label(self.status)
