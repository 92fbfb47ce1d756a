"""The mirror of received invoices, their observed timeline and their stored documents."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle, money
from chorusweb import payment_delay as pd
from chorusweb.models import AuditEntry, Connection
from chorusweb.search import fold

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}


#: The fields the search box reads (by number, supplier name or SIRET, Chorus Pro id, service,
#: engagement / purchase order, contract).
SEARCHED_FIELDS = {
    "invoice_number",
    "invoice_id",
    "supplier_name",
    "supplier_code",
    "service_code",
    "service_name",
    "purchase_order_number",
    "contract_number",
}


def search_columns(values) -> tuple[str, str]:
    """The folded supplier (name and SIRET) and the folded text of every searched field."""
    get = values.get
    supplier = fold(get("supplier_name"), get("supplier_code"))
    text = fold(
        get("invoice_number"),
        get("invoice_id"),
        get("supplier_name"),
        get("supplier_code"),
        get("service_code"),
        get("service_name"),
        get("purchase_order_number"),
        get("contract_number"),
    )
    return supplier[:300], text


#: The fields the signed amounts are derived from.
NET_SOURCES = {"invoice_type", "total_excl_tax", "total_incl_tax"}


def net_columns(values) -> tuple:
    """The signed HT and TTC amounts of a row (a credit note's negative)."""
    kind = values.get("invoice_type")
    return money.signed_amount(values.get("total_excl_tax"), kind), money.signed_amount(
        values.get("total_incl_tax"), kind
    )


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
    #: The amounts as they count in a total and a sort: a credit note's are negative
    #: (`chorusweb.money.signed_amount`), written with every write of the amounts.
    net_excl_tax = models.DecimalField(_("montant HT signé"), **MONEY)
    net_incl_tax = models.DecimalField(_("montant TTC signé"), **MONEY)
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
    #: Day the service was done, recorded by an agent (R2192-13); never written by the sync.
    service_done_date = models.DateField(_("service fait le"), null=True, blank=True)

    # The payment-delay clock (chorusweb.payment_delay), recomputed with every status change
    # recorded and once a day for the running ones (invoices.clock).
    clock_state = models.CharField(
        _("délai de paiement"), max_length=10, choices=pd.State.CHOICES, default="", db_default="", blank=True
    )
    clock_start = models.DateField(_("début du délai"), null=True, blank=True)
    clock_start_origin = models.CharField(
        _("origine du début"), max_length=10, choices=pd.Origin.CHOICES, default="", db_default="", blank=True
    )
    clock_due = models.DateField(_("échéance"), null=True, blank=True)
    #: The due date as a sort key: the far future when there is none (paused, no clock).
    clock_order = models.DateField(_("ordre d'échéance"), default=pd.NO_DUE_DATE, db_default=pd.NO_DUE_DATE)
    clock_ordonnateur_due = models.DateField(_("échéance de l'ordonnateur"), null=True, blank=True)
    clock_stop = models.DateField(_("fin du délai"), null=True, blank=True)
    clock_days_late = models.IntegerField(_("jours de retard"), default=0, db_default=0)
    clock_paid_in = models.IntegerField(_("payée en (jours)"), null=True, blank=True)
    clock_interest = models.DecimalField(_("intérêts moratoires estimés"), **MONEY)
    clock_rate_to_confirm = models.BooleanField(_("taux à confirmer"), default=False, db_default=False)
    # Folded copies for searches that forgive case, accents and word order (chorusweb.search),
    # indexed by trigrams: GIN pg_trgm on PostgreSQL, an FTS5 table on SQLite (see the migration adding them).
    supplier_search = models.CharField(_("fournisseur (recherche)"), max_length=300, blank=True, default="")
    search_text = models.TextField(_("texte de recherche"), blank=True, default="")
    # Digest of the upstream row last written: a sync rewrites a row only when it changed.
    fingerprint = models.CharField(_("empreinte de la ligne reçue"), max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("facture reçue")
        verbose_name_plural = _("factures reçues")
        ordering = ["-deposit_date", "-invoice_id"]
        constraints = [models.UniqueConstraint(fields=["connection", "invoice_id"], name="received_unique_upstream_id")]
        # Every sort key of the list under the connection (the scope of every user), with the
        # invoice id as tiebreak: a page, first or last, is an index walk (chorusweb.keyset).
        indexes = [
            models.Index(fields=["connection", "status", "-deposit_date", "-invoice_id"], name="ri_queue"),
            models.Index(fields=["connection", "-deposit_date", "-invoice_id"], name="ri_deposit"),
            models.Index(fields=["connection", "invoice_date", "invoice_id"], name="ri_invoice_date"),
            models.Index(fields=["connection", "total_incl_tax", "invoice_id"], name="ri_total"),
            models.Index(fields=["connection", "total_excl_tax", "invoice_id"], name="ri_total_ht"),
            models.Index(fields=["connection", "net_incl_tax", "invoice_id"], name="ri_net"),
            models.Index(fields=["connection", "net_excl_tax", "invoice_id"], name="ri_net_ht"),
            # The structure filter, in the order of the default sort (a page is an index walk).
            models.Index(
                fields=["connection", "recipient_code", "status", "-deposit_date", "-invoice_id"], name="ri_structure"
            ),
            models.Index(fields=["connection", "supplier_name", "invoice_id"], name="ri_supplier"),
            models.Index(fields=["connection", "invoice_number", "invoice_id"], name="ri_number"),
            models.Index(fields=["connection", "status_changed_at", "invoice_id"], name="ri_status_changed"),
            models.Index(fields=["connection", "service_code", "invoice_id"], name="ri_service"),
            models.Index(fields=["connection", "status", "invoice_id"], name="ri_status"),
            # The clock filters, counts and interest total read these indexes only (covering).
            models.Index(
                fields=[
                    "clock_state",
                    "clock_due",
                    "connection",
                    "service_code",
                    "status",
                    "clock_interest",
                    "total_excl_tax",
                    "total_incl_tax",
                ],
                name="ri_clock",
            ),
            models.Index(
                fields=["clock_state", "clock_interest", "connection", "service_code", "status"],
                name="ri_clock_interest",
            ),
            # The clock filters' counts within a tab: its statuses first, then the due date.
            models.Index(
                fields=["clock_state", "status", "clock_due", "connection", "service_code", "clock_interest"],
                name="ri_clock_status",
            ),
            models.Index(fields=["clock_order", "invoice_id"], name="ri_clock_order"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.invoice_id} — {self.supplier_name}"

    def save(self, *args, **kwargs):
        self.supplier_search, self.search_text = search_columns(vars(self))
        self.net_excl_tax, self.net_incl_tax = net_columns(vars(self))
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & SEARCHED_FIELDS:
            kwargs["update_fields"] = {*update_fields, "supplier_search", "search_text"}
        if update_fields is not None and set(update_fields) & NET_SOURCES:
            kwargs["update_fields"] = {*kwargs["update_fields"], "net_excl_tax", "net_incl_tax"}
        super().save(*args, **kwargs)

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)

    @property
    def is_credit_note(self) -> bool:
        return money.is_credit_note(self.invoice_type)

    @property
    def deduction(self):
        """A credit note's amount to deduct from what is owed to the supplier (positive), else None."""
        if not self.is_credit_note:
            return None
        amount = self.amount_due if self.amount_due else self.total_incl_tax
        return None if amount is None else abs(amount)

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
    #: The recipient structure (SIRET) and its name as last written: tab counts per structure.
    recipient_code = models.CharField(max_length=50, blank=True, default="")
    recipient_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=60)
    count = models.IntegerField(default=0)
    #: Net totals: credit notes count with their sign (the `net_*` columns of the mirror).
    total_excl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    total_incl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    #: The credit notes' part of the bucket (their count and negative totals), shown apart.
    credit_count = models.IntegerField(default=0)
    credit_excl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    credit_incl_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("compteur de file")
        verbose_name_plural = _("compteurs de file")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "service_code", "recipient_code", "status"], name="queuestat_unique_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.service_code} {self.status}: {self.count}"


class InterestRate(models.Model):
    """The late-payment interest rate of a half-year: the ECB main refinancing rate + 8 points.

    The rate in force on the first day of the half-year in which the interest started applies
    (R2192-31). Shipped as data; the administrator adds each new half-year.
    """

    year = models.PositiveSmallIntegerField(_("année"))
    half = models.PositiveSmallIntegerField(_("semestre"), choices=[(1, _("1er semestre")), (2, _("2d semestre"))])
    rate = models.DecimalField(
        _("taux (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Taux de la BCE au premier jour du semestre, majoré de 8 points (R2192-31)."),
    )
    note = models.CharField(_("source"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("taux des intérêts moratoires")
        verbose_name_plural = _("taux des intérêts moratoires")
        ordering = ["-year", "-half"]
        constraints = [models.UniqueConstraint(fields=["year", "half"], name="interest_rate_unique_half_year")]

    def __str__(self) -> str:
        return f"{pd.HalfYear(self.year, self.half)} : {self.rate} %"

    @classmethod
    def table(cls) -> dict[pd.HalfYear, object]:
        return pd.parse_rates(cls.objects.values_list("year", "half", "rate"))


class StructureProfile(models.Model):
    """The payment delay of one Chorus Pro structure (recipient) and its split.

    30 days for the State and local authorities (R2192-10), 50 for public hospitals and 60 for
    public undertakings (R2192-11); a contract may shorten it, never lengthen it (L2192-10).
    """

    class Kind(models.IntegerChoices):
        STATE = pd.DELAY_STATE, _("État, collectivité territoriale, établissement public (30 jours)")
        HOSPITAL = pd.DELAY_HOSPITAL, _("Établissement public de santé (50 jours)")
        UNDERTAKING = pd.DELAY_PUBLIC_UNDERTAKING, _("Entreprise publique (60 jours)")

    structure_code = models.CharField(
        _("identifiant de la structure (SIRET)"),
        max_length=50,
        unique=True,
        help_text=_("Le code destinataire des factures reçues (SIRET de la structure publique)."),
    )
    structure_name = models.CharField(_("structure"), max_length=200, blank=True, default="")
    kind = models.PositiveSmallIntegerField(_("catégorie"), choices=Kind.choices, default=Kind.STATE)
    delay_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        default=pd.DELAY_STATE,
        help_text=_("Le délai légal de la catégorie, ou un délai contractuel plus court (L2192-10)."),
    )
    ordonnateur_days = models.PositiveSmallIntegerField(
        _("part de l'ordonnateur (jours)"),
        default=pd.DEFAULT_ORDONNATEUR_DAYS[pd.DELAY_STATE],
        help_text=_("20 jours sur 30 (35 sur 50 pour un hôpital) sauf convention locale ; le comptable a le reste."),
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("profil de délai de paiement")
        verbose_name_plural = _("profils de délai de paiement")
        ordering = ["structure_name", "structure_code"]

    def __str__(self) -> str:
        return f"{self.structure_name or self.structure_code} ({self.delay_days} j)"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        problem = pd.check_profile(self.delay_days, self.ordonnateur_days, int(self.kind))
        if problem:
            raise ValidationError(problem)

    @property
    def profile(self) -> pd.Profile:
        return pd.Profile(delay_days=self.delay_days, ordonnateur_days=self.ordonnateur_days)
