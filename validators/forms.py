"""Forms of the validation workspace: queue filters, approve / refuse, bulk approval, selection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb.forms import BulkSendForm, DownloadForm, SelectionForm, SingleSendForm, WorkspaceFilterForm, text_field
from validators.selectors import SORTS, TABS, URGENCY_CHOICES, QueueFilters

__all__ = ["BulkApproveForm", "DecisionForm", "DownloadForm", "QueueFilterForm", "SelectionForm"]


class QueueFilterForm(WorkspaceFilterForm):
    """The queue's query string: unreadable values are shown back with a message (see FilterForm)."""

    tabs = TABS
    sorts = SORTS
    filters_class = QueueFilters
    kept = ("structure", "service")

    fournisseur = forms.CharField(label=_("Fournisseur (nom ou SIRET)"), max_length=200, required=False)
    destinataire = forms.CharField(label=_("Destinataire ou service"), max_length=200, required=False)
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
    # Set by the dashboard's links (kept as hidden fields by the queue's filter form).
    structure = forms.CharField(label=_("Structure (SIRET)"), max_length=50, required=False)
    service = forms.CharField(label=_("Code service"), max_length=100, required=False)

    def own_filters(self, data: dict) -> dict:
        return {
            "supplier": data.get("fournisseur") or "",
            "recipient": data.get("destinataire") or "",
            "framework": data.get("cadre") or "",
            "level": data.get("niveau"),
            "urgency": data.get("echeance") or "",
            "structure": data.get("structure") or "",
            "service": data.get("service") or "",
        }


class DecisionForm(SingleSendForm):
    """Approve or refuse one invoice. A refusal needs a reason and an explicit confirmation."""

    decision = forms.ChoiceField(
        choices=[
            (lc.VALIDATION_ACTION_APPROVE, _("Valider")),
            (lc.VALIDATION_ACTION_REFUSE, _("Refuser")),
        ],
        widget=forms.HiddenInput,
    )
    motif = text_field(
        _("Motif du refus"),
        rows=3,
        help_text=_("Obligatoire, 255 caractères au plus : il est transmis au fournisseur."),
    )
    complement = text_field(_("Complément d'information (facultatif)"), rows=2)
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
    complement = text_field(_("Complément d'information (facultatif, pour chaque facture)"), rows=2)
    confirme = forms.BooleanField(label=_("Je confirme la validation de ces factures"), required=True)
