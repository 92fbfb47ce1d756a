"""Forms of the received invoices workspace: list filters, processing, bulk, download."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.forms import DATE, BulkSendForm, SingleSendForm, WorkspaceFilterForm, text_field
from chorusweb.forms import DownloadForm as DownloadForm
from invoices.reasons import REASON_CHOICES
from invoices.selectors import CLOCK_FILTERS, PAYMENT_FILTERS, SORTS, TABS, InvoiceFilters

YES_NO = [("", _("Indifférent")), ("oui", _("Oui")), ("non", _("Non"))]


def _status_choices(statuses) -> list[tuple[str, str]]:
    # Lazy labels (not status_label's str): class-level choices are built once, at import time.
    return [(s, lc.STATUS_LABELS.get(s, s)) for s in statuses]


#: The statuses offered in the status filter: the recipient's, and the one received after a
#: credit note is taken into account (any other status is under the "Autres statuts" tab).
FILTER_STATUSES = (*lc.RECIPIENT_STATUSES, lc.PRISE_EN_COMPTE_DESTINATAIRE)


class _DashboardFilters(forms.Form):
    """Filters set by the dashboard's links, kept as hidden fields and said by the list's filter form
    in this order (the dashboard's structure links use the list's own `structure` filter)."""

    sans_service = forms.BooleanField(label=_("Sans code service"), required=False)
    siret = forms.CharField(label=_("Identifiant du fournisseur"), max_length=50, required=False)
    paye_du = forms.DateField(label=_("Payée du"), required=False, widget=DATE)
    paye_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    paiement = forms.ChoiceField(
        label=_("Paiement"), choices=[("", _("Tous")), *list(PAYMENT_FILTERS.items())], required=False
    )
    motif = forms.ChoiceField(label=_("Motif"), choices=[("", _("Tous")), *REASON_CHOICES], required=False)
    statut_du = forms.DateField(label=_("Statut du"), required=False, widget=DATE)
    statut_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    suspendue_du = forms.DateField(label=_("Suspendue du"), required=False, widget=DATE)
    suspendue_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    motif_suspension = forms.ChoiceField(
        label=_("Motif de la suspension"), choices=[("", _("Tous")), *REASON_CHOICES], required=False
    )


class InvoiceFilterForm(_DashboardFilters, WorkspaceFilterForm):
    """The list's query string: unreadable values are shown back with a message (see FilterForm)."""

    tabs = TABS
    sorts = SORTS
    filters_class = InvoiceFilters
    kept = ("delai",)
    DASHBOARD_FIELDS = tuple(_DashboardFilters.base_fields)

    statut = forms.MultipleChoiceField(label=_("Statut"), choices=_status_choices(FILTER_STATUSES), required=False)
    q = forms.CharField(label=_("Rechercher"), max_length=200, required=False)
    service = forms.CharField(label=_("Code service"), max_length=100, required=False)
    structure = forms.CharField(label=_("Structure destinataire"), max_length=50, required=False)
    fournisseur = forms.CharField(label=_("Fournisseur (nom ou SIRET)"), max_length=200, required=False)
    telechargee = forms.ChoiceField(label=_("Téléchargée"), choices=YES_NO, required=False)
    avoirs = forms.BooleanField(label=_("Avoirs seulement"), required=False)
    delai = forms.ChoiceField(
        label=_("Délai de paiement"), choices=[("", _("Tous")), *list(CLOCK_FILTERS.items())], required=False
    )

    def own_filters(self, data: dict) -> dict:
        return {
            "statuses": tuple(data.get("statut") or ()),
            "service_code": data.get("service") or "",
            "structure": (data.get("structure") or "").strip(),
            "supplier": data.get("fournisseur") or "",
            "query": data.get("q") or "",
            "downloaded": {"oui": True, "non": False}.get(data.get("telechargee") or ""),
            "credit_notes": bool(data.get("avoirs")),
            "clock": data.get("delai") or "",
            "no_service": bool(data.get("sans_service")),
            "supplier_code": data.get("siret") or "",
            "paid_from": data.get("paye_du"),
            "paid_to": data.get("paye_au"),
            "payment": data.get("paiement") or "",
            "reason": data.get("motif") or "",
            "changed_from": data.get("statut_du"),
            "changed_to": data.get("statut_au"),
            "suspended_from": data.get("suspendue_du"),
            "suspended_to": data.get("suspendue_au"),
            "suspension_reason": data.get("motif_suspension") or "",
        }


#: One-click examples of missing pieces for a suspension (R2192-28): sent in French, shown translated.
MISSING_PIECES = [
    (piece, _(piece))
    for piece in (
        gettext_noop("bon de commande"),
        gettext_noop("attestation de service fait"),
        gettext_noop("RIB"),
        gettext_noop("numéro d'engagement"),
        gettext_noop("bordereau de livraison"),
        gettext_noop("pièces justificatives de la facture"),
    )
]


def suspension_reason(pieces: list[str], reason: str) -> str:
    """The reason sent with a suspension: the missing pieces ticked, then the agent's own text."""
    if not pieces:
        return reason
    listed = "Pièces manquantes : " + ", ".join(pieces) + "."
    return f"{listed} {reason}".strip() if reason else listed


class ServiceDoneForm(forms.Form):
    """The day the service was done, when after the reception of the invoice (R2192-13)."""

    date_service_fait = forms.DateField(label=_("Service fait le"), required=False, widget=DATE)
    motif_service_fait = text_field(
        _("Justification"),
        rows=2,
        max_length=255,
        required=True,
        help_text=_(
            "Par exemple : livraison achevée après réception de la facture. Laissez la date vide pour l'effacer."
        ),
    )


REASON_HELP = _("Obligatoire pour suspendre, rejeter ou renvoyer au fournisseur (255 caractères au plus).")


def _mandate_field() -> forms.CharField:
    """The mandate number, asked for « Mandatée » only (see status_field_errors)."""
    return forms.CharField(
        label=_("Numéro de mandat"), max_length=50, required=False, help_text=_("Seulement pour « Mandatée ».")
    )


class ProcessForm(SingleSendForm):
    """Set a new status on one invoice: only the targets allowed from its current status."""

    cible = forms.ChoiceField(label=_("Nouveau statut"), widget=forms.RadioSelect)
    motif = text_field(_("Motif"), rows=3, help_text=REASON_HELP)
    numero_mandat = _mandate_field()
    commentaire = text_field(_("Commentaire (facultatif)"), rows=2, max_length=255)
    confirme = forms.BooleanField(
        label=_("Je confirme le rejet définitif de cette facture."),
        required=False,
    )
    pieces = forms.MultipleChoiceField(
        label=_("Pièces manquantes (pour une suspension)"),
        choices=MISSING_PIECES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("La suspension doit lister les pièces manquantes (article R2192-28)."),
    )
    confirme_suspension = forms.BooleanField(
        label=_("Je suspends quand même, sachant que le délai ne s'arrêtera pas."),
        required=False,
    )

    def __init__(self, *args, invoice, clock=None, **kwargs):
        super().__init__(*args, invoice=invoice, **kwargs)
        self.fields["cible"].choices = _status_choices(invoice.allowed_targets)
        self.clock = clock

    @property
    def second_suspension(self) -> bool:
        """The one interruption allowed has been used: a new suspension will not stop the clock."""
        return bool(self.clock and self.clock.interrupted)

    def clean(self):
        data = super().clean()
        target = data.get("cible")
        reason = (data.get("motif") or "").strip()
        target_errors = status_field_errors(self, target, reason=reason, pieces=data.get("pieces") or [])
        if target == lc.SUSPENDUE and not target_errors:
            reason = suspension_reason(data.get("pieces") or [], reason)
            if len(reason) > lc.REASON_MAX_LENGTH:
                self.add_error(
                    "motif",
                    _("Le motif et les pièces ne doivent pas dépasser %(max)d caractères.")
                    % {"max": lc.REASON_MAX_LENGTH},
                )
            refusal = pd.suspension_refusal(self.invoice.status, ordered=bool(self.clock and self.clock.ordered))
            if refusal:
                self.add_error("cible", refusal)
            elif self.second_suspension and not data.get("confirme_suspension") and not self.errors:
                self.add_error(
                    "confirme_suspension",
                    _(
                        "L'interruption du délai n'est possible qu'une fois (article R2192-27) : cette nouvelle "
                        "suspension n'arrêtera pas le délai de paiement. Cochez la case pour suspendre quand même."
                    ),
                )
        data["motif"] = reason
        if target == lc.REJETEE and not data.get("confirme") and not self.errors:
            # One problem, one message: the confirmation is asked once the rest is right.
            self.add_error("confirme", _("Cochez la case pour confirmer le rejet : il est définitif."))
        return data


def status_field_errors(form: forms.Form, target: str | None, *, reason: str, pieces=()) -> bool:
    """The rule of a processing form: each field only where its status means it.

    A reason only for a status that needs one (suspend, reject, send back: then it is required),
    the missing pieces only for a suspension, a mandate number only for « Mandatée » (then it is
    required). A value given where the chosen status does not take it is an error on its field,
    never sent silently nor dropped silently; with JavaScript those fields are hidden and not
    sent. Returns True when an error was added.
    """
    before = len(form.errors)
    mandate = (form.cleaned_data.get("numero_mandat") or "").strip()
    if not target:
        return False
    if target in lc.REASON_REQUIRED:
        if not reason and target != lc.SUSPENDUE:
            form.add_error("motif", _("Un motif est obligatoire pour ce statut."))
        elif not reason and not pieces:
            form.add_error(
                "pieces" if "pieces" in form.fields else "motif",
                _("Indiquez les pièces manquantes : cochez-les ou écrivez-les dans le motif."),
            )
    elif reason:
        form.add_error(
            "motif",
            _("Un motif ne s'indique que pour suspendre, rejeter ou renvoyer au fournisseur : effacez-le."),
        )
    if pieces and target != lc.SUSPENDUE:
        form.add_error("pieces", _("Les pièces manquantes ne s'indiquent que pour une suspension : décochez-les."))
    if target == lc.MANDATE_TARGET:
        if not mandate:
            form.add_error("numero_mandat", _("Indiquez le numéro de mandat."))
    elif mandate:
        form.add_error("numero_mandat", _("Le numéro de mandat ne s'indique que pour « Mandatée » : effacez-le."))
    form.cleaned_data["numero_mandat"] = mandate
    return len(form.errors) > before


class BulkProcessForm(BulkSendForm):
    """Set one status on a selection: only the statuses allowed for at least one invoice, none chosen
    beforehand; the same field rules as the single form (`status_field_errors`)."""

    cible = forms.ChoiceField(label=_("Nouveau statut"))
    motif = text_field(_("Motif (pour suspendre, rejeter ou renvoyer)"), rows=2, help_text=REASON_HELP)
    numero_mandat = _mandate_field()
    confirme = forms.BooleanField(label=_("Je confirme le rejet définitif de ces factures."), required=False)

    def __init__(self, *args, targets=lc.RECIPIENT_TARGETS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cible"].choices = [("", _("— Choisissez un statut —")), *_status_choices(targets)]

    def clean(self):
        data = super().clean()
        target = data.get("cible")
        data["motif"] = (data.get("motif") or "").strip()
        status_field_errors(self, target, reason=data["motif"])
        if target == lc.REJETEE and not data.get("confirme") and not self.errors:
            self.add_error("confirme", _("Cochez la case pour confirmer le rejet : il est définitif."))
        return data
