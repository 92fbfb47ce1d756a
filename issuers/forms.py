"""Forms of the issued invoices workspace: list filters, directory search, submit, complete, recycle."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.utils.translation import gettext_lazy as _

from chorusweb import filetypes
from chorusweb.factpulse import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME
from chorusweb.forms import DATE, KeyedForm, SingleSendForm, WorkspaceFilterForm
from chorusweb.models import Connection, Membership
from issuers.directory import StructureInfo
from issuers.facturx_build import InvoiceDraft, Line, Party, build_facturx, compute_totals
from issuers.selectors import SORTS, TABS, IssuedFilters
from issuers.services import Submission, UploadFile, check_amounts

#: File kinds (from their first bytes) accepted upstream, with the extension and MIME type each needs.
KINDS = {"pdf": ("PDF", "application/pdf"), "xml": ("XML", "application/xml"), "zip": ("ZIP", "application/zip")}
VAT_RATES = ("20", "10", "5.5", "2.1", "0")
#: Lines offered by the "build the invoice" form.
LINE_COUNT = 3


def checked_upload(upload, *, kinds=("pdf",)) -> UploadFile:
    """The uploaded file if upstream will take it: size, name length, kind read from its bytes.

    Raises ValidationError with a message that says what to change; nothing is sent before.
    """
    name = PurePath(upload.name or "").name
    if len(name) > MAX_ATTACHMENT_NAME:
        raise forms.ValidationError(
            _("Le nom du fichier a %(n)d caractères : Chorus Pro en accepte %(max)d au plus. Renommez-le."),
            params={"n": len(name), "max": MAX_ATTACHMENT_NAME},
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise forms.ValidationError(
            _("Le fichier pèse %(size)s Mo : Chorus Pro accepte 10 Mo au plus."),
            params={"size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")},
        )
    upload.seek(0)
    content = upload.read()
    kind = filetypes.sniff(content[: filetypes.HEAD_SIZE])
    allowed = ", ".join(KINDS[k][0] for k in kinds)
    if kind not in kinds:
        raise forms.ValidationError(
            _("Le contenu de ce fichier n'est pas un %(allowed)s (quelle que soit son extension)."),
            params={"allowed": allowed},
        )
    extension, mime = KINDS[kind]
    if PurePath(name).suffix.lstrip(".").upper() != extension:
        raise forms.ValidationError(
            _("Le fichier est un %(kind)s : son nom doit finir par .%(ext)s."),
            params={"kind": extension, "ext": extension.lower()},
        )
    if not content:
        raise forms.ValidationError(_("Le fichier est vide."))
    return UploadFile(name=name, content=content, mime_type=mime, extension=extension)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class IssuedFilterForm(WorkspaceFilterForm):
    """The list's query string: unreadable values are shown back with a message (see FilterForm)."""

    ranges = (("depot_du", "depot_au"), ("montant_min", "montant_max"))
    tabs = TABS
    sorts = SORTS
    filters_class = IssuedFilters

    date_du = date_au = None  # no invoice date range
    destinataire = forms.CharField(label=_("Destinataire (nom, SIRET ou service)"), max_length=200, required=False)

    def own_filters(self, data: dict) -> dict:
        return {"recipient": data.get("destinataire") or ""}


class StructureSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Destinataire : SIRET ou nom"),
        max_length=200,
        required=False,
        help_text=_("14 chiffres pour un SIRET, ou une partie du nom de la structure publique."),
    )


class _RoutingMixin:
    """Service code and engagement number, asked for only when the structure requires them."""

    def _routing_fields(self, info: StructureInfo | None, *, always: bool = False) -> None:
        """Add the fields the structure requires (with `always`, offer them, optional, anyway)."""
        self.info = info
        if info is None:
            return
        if info.service_code_required or (always and info.active_services):
            self.fields["code_service"] = forms.ChoiceField(
                label=_("Service destinataire"),
                choices=[("", _("— choisir —"))] + [(s.code, f"{s.code} — {s.label}") for s in info.active_services],
                required=info.service_code_required,
                help_text=_("%(name)s exige un code service.") % {"name": info.name}
                if info.service_code_required
                else _("Facultatif pour %(name)s.") % {"name": info.name},
            )
        if info.engagement_number_required or always:
            self.fields["numero_engagement"] = forms.CharField(
                label=_("Numéro d'engagement"),
                max_length=50,
                required=info.engagement_number_required,
                help_text=_("%(name)s exige un numéro d'engagement (bon de commande).") % {"name": info.name}
                if info.engagement_number_required
                else _("Facultatif pour %(name)s.") % {"name": info.name},
            )

    def routing(self) -> dict:
        code = self.cleaned_data.get("code_service") or ""
        return {
            "service_code": code,
            "service_name": self.info.service_label(code) if (self.info and code) else "",
            "engagement_number": (self.cleaned_data.get("numero_engagement") or "").strip(),
        }


class SubmitForm(_RoutingMixin, KeyedForm):
    """Submit an invoice to a public structure: upload its PDF, or build a Factur-X from lines."""

    MODE_FILE = "fichier"
    MODE_BUILD = "saisie"

    structure = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    mode = forms.ChoiceField(
        label=_("Document de la facture"),
        choices=[
            (MODE_FILE, _("Déposer le PDF de la facture")),
            (MODE_BUILD, _("Saisir les lignes (Factur-X généré)")),
        ],
        widget=forms.RadioSelect,
        initial=MODE_FILE,
    )
    numero = forms.CharField(label=_("Numéro de facture"), max_length=40)
    date_facture = forms.DateField(label=_("Date de facture"), widget=DATE)
    echeance = forms.DateField(label=_("Date d'échéance (facultative)"), required=False, widget=DATE)
    fichier = forms.FileField(
        label=_("PDF de la facture"),
        required=False,
        help_text=_("PDF ou Factur-X, 10 Mo au plus, nom de 50 caractères au plus."),
    )
    montant_ht = forms.DecimalField(label=_("Montant HT (€)"), required=False, decimal_places=2, max_digits=14)
    montant_tva = forms.DecimalField(label=_("Montant TVA (€)"), required=False, decimal_places=2, max_digits=14)
    montant_ttc = forms.DecimalField(label=_("Montant TTC (€)"), required=False, decimal_places=2, max_digits=14)
    emetteur_nom = forms.CharField(label=_("Votre raison sociale"), max_length=200, required=False)
    emetteur_siret = forms.RegexField(
        label=_("Votre SIRET"),
        regex=r"^\d{14}$",
        required=False,
        error_messages={"invalid": _("Un SIRET a 14 chiffres.")},
    )
    commentaire = forms.CharField(
        label=_("Commentaire (facultatif)"), max_length=255, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, info: StructureInfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, LINE_COUNT + 1):
            self.fields[f"ligne{n}_libelle"] = forms.CharField(label=_("Désignation"), max_length=120, required=False)
            self.fields[f"ligne{n}_quantite"] = forms.DecimalField(
                label=_("Quantité"), required=False, decimal_places=3, max_digits=12, min_value=Decimal("0.001")
            )
            self.fields[f"ligne{n}_prix"] = forms.DecimalField(
                label=_("Prix unitaire HT (€)"), required=False, decimal_places=2, max_digits=12
            )
            self.fields[f"ligne{n}_tva"] = forms.ChoiceField(
                label=_("TVA (%)"), choices=[(r, r.replace(".", ",")) for r in VAT_RATES], required=False, initial="20"
            )
        self._routing_fields(info)
        self.upload: UploadFile | None = None
        self.lines: list[Line] = []

    def line_rows(self):
        return [
            (n, self[f"ligne{n}_libelle"], self[f"ligne{n}_quantite"], self[f"ligne{n}_prix"], self[f"ligne{n}_tva"])
            for n in range(1, LINE_COUNT + 1)
        ]

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == self.MODE_FILE:
            upload = data.get("fichier")
            if not upload:
                self.add_error("fichier", _("Joignez le PDF de la facture."))
            else:
                try:
                    self.upload = checked_upload(upload)
                except forms.ValidationError as exc:
                    self.add_error("fichier", exc)
            for name in ("montant_ht", "montant_tva", "montant_ttc"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Indiquez le montant."))
            amounts_ok = not any(n in self.errors for n in ("montant_ht", "montant_tva", "montant_ttc"))
            if amounts_ok and (why := check_amounts(data["montant_ht"], data["montant_tva"], data["montant_ttc"])):
                self.add_error("montant_ttc", why)
        elif mode == self.MODE_BUILD:
            for name, message in (
                ("emetteur_nom", _("Indiquez votre raison sociale.")),
                ("emetteur_siret", _("Indiquez votre SIRET.")),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
            for n in range(1, LINE_COUNT + 1):
                label, qty, price = (data.get(f"ligne{n}_{k}") for k in ("libelle", "quantite", "prix"))
                if not (label or qty or price):
                    continue
                if not (label and qty and price is not None):
                    self.add_error(
                        f"ligne{n}_libelle",
                        _("Ligne %(n)d : désignation, quantité et prix sont nécessaires.") % {"n": n},
                    )
                    continue
                self.lines.append(Line(label.strip(), qty, price, Decimal(data.get(f"ligne{n}_tva") or "20")))
            if not self.lines and not any(k.startswith("ligne") for k in self.errors):
                self.add_error("ligne1_libelle", _("Saisissez au moins une ligne."))
            if self.lines:
                totals = compute_totals(self.lines)
                data["montant_ht"], data["montant_tva"], data["montant_ttc"] = totals.net, totals.vat, totals.gross
        return data

    def submission(self, *, connection, info: StructureInfo) -> Submission:
        """What the submit form asks to send: its uploaded PDF, or a Factur-X built from its lines."""
        data = self.cleaned_data
        built = data["mode"] == self.MODE_BUILD
        return Submission(
            connection=connection,
            structure_id=info.structure_id,
            recipient_name=info.name,
            recipient_code=info.identifier,
            invoice_number=data["numero"].strip(),
            invoice_date=data["date_facture"],
            payment_due_date=data.get("echeance"),
            total_excl_tax=data["montant_ht"],
            vat_amount=data["montant_tva"],
            total_incl_tax=data["montant_ttc"],
            file=self._built_upload(info) if built else self.upload,
            comment=(data.get("commentaire") or "").strip(),
            built=built,
            **self.routing(),
        )

    def _built_upload(self, info: StructureInfo) -> UploadFile:
        """The Factur-X built from the typed lines, as the file to send."""
        data = self.cleaned_data
        routing = self.routing()
        draft = InvoiceDraft(
            number=data["numero"].strip(),
            invoice_date=data["date_facture"],
            due_date=data.get("echeance"),
            seller=Party(data["emetteur_nom"].strip(), data["emetteur_siret"]),
            buyer=Party(info.name, info.identifier),
            lines=tuple(self.lines),
            service_code=routing["service_code"],
            engagement_number=routing["engagement_number"],
            note=(data.get("commentaire") or "").strip(),
        )
        name = f"facture-{''.join(c for c in draft.number if c.isalnum() or c in '-_')}"[:46] + ".pdf"
        return UploadFile(name=name, content=build_facturx(draft), mime_type="application/pdf", extension="PDF")


class _IssuedActionForm(SingleSendForm):
    """An action on an issued invoice: its status when shown is kept (`statut_vu`), not required."""

    statut_vu = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, invoice=invoice, **kwargs)


class CompleteForm(_IssuedActionForm):
    """Complete a suspended invoice: the missing pieces and/or a comment."""

    pieces = MultipleFileField(
        label=_("Pièces manquantes"),
        required=False,
        help_text=_("PDF, XML ou ZIP ; 10 Mo et 50 caractères de nom au plus par fichier."),
    )
    commentaire = forms.CharField(
        label=_("Commentaire pour le destinataire"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads: list[UploadFile] = []

    def clean(self):
        data = super().clean()
        files = data.get("pieces") or []
        for upload in files[:10]:
            try:
                self.uploads.append(checked_upload(upload, kinds=("pdf", "xml", "zip")))
            except forms.ValidationError as exc:
                self.add_error("pieces", exc)
        if len(files) > 10:
            self.add_error("pieces", _("Dix fichiers au plus à la fois."))
        if not files and not (data.get("commentaire") or "").strip():
            self.add_error(None, _("Ajoutez au moins une pièce jointe ou un commentaire."))
        return data


class RecycleForm(_RoutingMixin, _IssuedActionForm):
    """Re-route an invoice to recycle: the right structure (picked in the directory), service, engagement."""

    structure = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, info: StructureInfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and info is not None:
            self.initial.setdefault("structure", info.structure_id)
        self._routing_fields(info, always=True)


class MembershipForm(forms.ModelForm):
    """A membership whose service codes are picked from the connection's services (read upstream).

    When upstream cannot be reached (or the connection is not chosen yet), the codes are typed
    as text, separated by commas.
    """

    class Meta:
        model = Membership
        fields = ["user", "connection", "role", "service_codes"]

    def __init__(self, *args, connection: Connection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        from issuers.directory import service_options

        if "service_codes" not in self.fields:
            return
        stored = list(self.instance.service_codes or []) if self.instance.pk else []
        if connection is None and self.instance.connection_id:
            connection = Connection.objects.filter(pk=self.instance.connection_id).first()
        options = service_options(connection) if connection is not None else None
        help_text = _("Aucune case cochée : tous les services.")
        if options is not None:
            known = dict(options)
            choices = options + [(c, c) for c in stored if c not in known]
            self.fields["service_codes"] = forms.MultipleChoiceField(
                label=_("codes service"),
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=stored,
                help_text=help_text,
            )
        else:
            self.fields["service_codes"] = forms.CharField(
                label=_("codes service"),
                required=False,
                initial=", ".join(stored),
                help_text=_(
                    "La liste des services n'a pas pu être lue dans Chorus Pro : tapez les codes, séparés par des "
                    "virgules. Vide : tous les services."
                ),
            )

    def get_initial_for_field(self, field, field_name):
        if field_name == "service_codes" and isinstance(field, forms.CharField):
            return ", ".join(self.instance.service_codes or [])
        return super().get_initial_for_field(field, field_name)

    def clean_service_codes(self):
        value = self.cleaned_data.get("service_codes") or []
        if isinstance(value, str):
            value = [part.strip() for part in value.replace(";", ",").split(",")]
        return sorted({v.strip() for v in value if v and v.strip()})
