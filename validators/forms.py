"""Forms of the validation workspace: queue filters, approve / refuse, bulk approval, selection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb.forms import AmountField, BulkSendForm, FilterForm, SelectionForm, SingleSendForm
from invoices.forms import DownloadForm
from validators.selectors import DEFAULT_SORT, SORTS, TABS, URGENCY_CHOICES, QueueFilters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

__all__ = ["BulkApproveForm", "DecisionForm", "DownloadForm", "QueueFilterForm", "SelectionForm"]


class QueueFilterForm(FilterForm):
    """The queue's query string: unreadable values are shown back with a message (see FilterForm)."""

    ranges = (("depot_du", "depot_au"), ("date_du", "date_au"), ("montant_min", "montant_max"))

    onglet = forms.ChoiceField(choices=[(t.slug, t.label) for t in TABS], required=False)
    connexion = forms.TypedChoiceField(label=_("Connexion"), coerce=int, required=False, empty_value=None)
    fournisseur = forms.CharField(label=_("Fournisseur (nom ou SIRET)"), max_length=200, required=False)
    destinataire = forms.CharField(label=_("Destinataire ou service"), max_length=200, required=False)
    numero = forms.CharField(label=_("Numéro de facture"), max_length=100, required=False)
    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"),
        choices=[("", _("Tous"))] + [(code, label) for code, label in lc.FRAMEWORK_LABELS.items()],
        required=False,
    )
    niveau = forms.TypedChoiceField(
        label=_("Niveau de validation"),
        choices=[("", _("Tous")), ("1", _("Niveau 1")), ("2", _("Niveau 2"))],
        coerce=int,
        required=False,
        empty_value=None,
    )
    echeance = forms.ChoiceField(label=_("Échéance"), choices=[("", _("Toutes")), *URGENCY_CHOICES], required=False)
    depot_du = forms.DateField(label=_("Déposée du"), required=False, widget=DATE)
    depot_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    date_du = forms.DateField(label=_("Facture du"), required=False, widget=DATE)
    date_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    montant_min = AmountField(label=_("Montant TTC min."), required=False, min_value=-(10**12))
    montant_max = AmountField(label=_("Montant TTC max."), required=False, max_value=10**12)
    tri = forms.CharField(required=False, widget=forms.HiddenInput)
    # Set by the dashboard's links (kept as hidden fields by the queue's filter form).
    structure = forms.CharField(label=_("Structure (SIRET)"), max_length=50, required=False)
    service = forms.CharField(label=_("Code service"), max_length=100, required=False)

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connexion"].choices = [("", _("Toutes"))] + [(c.pk, c.name) for c in connections]
        if len(connections) < 2:
            self.fields["connexion"].widget = forms.HiddenInput()

    def to_filters(self) -> QueueFilters:
        if not self.is_bound:
            return QueueFilters()
        data = self.valid_data()
        sort = data.get("tri") or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            sort = DEFAULT_SORT
        return QueueFilters(
            tab=data.get("onglet") or QueueFilters.tab,
            connection_id=data.get("connexion"),
            supplier=data.get("fournisseur") or "",
            recipient=data.get("destinataire") or "",
            number=data.get("numero") or "",
            framework=data.get("cadre") or "",
            level=data.get("niveau"),
            urgency=data.get("echeance") or "",
            deposit_from=data.get("depot_du"),
            deposit_to=data.get("depot_au"),
            invoice_from=data.get("date_du"),
            invoice_to=data.get("date_au"),
            amount_min=data.get("montant_min"),
            amount_max=data.get("montant_max"),
            structure=data.get("structure") or "",
            service=data.get("service") or "",
            sort=sort,
        )


class DecisionForm(SingleSendForm):
    """Approve or refuse one invoice. A refusal needs a reason and an explicit confirmation."""

    decision = forms.ChoiceField(
        choices=[
            (lc.VALIDATION_ACTION_APPROVE, _("Valider")),
            (lc.VALIDATION_ACTION_REFUSE, _("Refuser")),
        ],
        widget=forms.HiddenInput,
    )
    motif = forms.CharField(
        label=_("Motif du refus"),
        max_length=lc.REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": lc.REASON_MAX_LENGTH}),
        help_text=_("Obligatoire, 255 caractères au plus : il est transmis au fournisseur."),
    )
    complement = forms.CharField(
        label=_("Complément d'information (facultatif)"),
        max_length=lc.REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": lc.REASON_MAX_LENGTH}),
    )
    confirme = forms.BooleanField(label=_("Je confirme le refus"), required=False)

    def __init__(self, *args, invoice, decision: str | None = None, **kwargs):
        super().__init__(*args, invoice=invoice, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("decision", decision or lc.VALIDATION_ACTION_APPROVE)
        # Two of these forms share the page (approve, refuse): distinct element ids.
        self.auto_id = "id_%s_" + ("refus" if self.decision_value == lc.VALIDATION_ACTION_REFUSE else "validation")

    @property
    def decision_value(self) -> str:
        if self.is_bound:
            return (self.data.get("decision") or "").upper()
        return self.initial.get("decision", "")

    def clean(self):
        data = super().clean()
        data["motif"] = (data.get("motif") or "").strip()
        data["complement"] = (data.get("complement") or "").strip()
        if data.get("decision") == lc.VALIDATION_ACTION_REFUSE:
            if not data["motif"]:
                self.add_error("motif", _("Un motif est obligatoire pour refuser une facture."))
            if not data.get("confirme") and not self.errors:  # one problem, one message
                self.add_error("confirme", _("Cochez « Je confirme le refus » : la facture repartira au fournisseur."))
        else:
            data["motif"] = ""
        return data


class BulkApproveForm(BulkSendForm):
    complement = forms.CharField(
        label=_("Complément d'information (facultatif, pour chaque facture)"),
        max_length=lc.REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": lc.REASON_MAX_LENGTH}),
    )
    confirme = forms.BooleanField(label=_("Je confirme la validation de ces factures"), required=True)
