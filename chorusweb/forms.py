"""Form plumbing shared by the workspaces' forms: amounts, list filters, action forms, downloads, selection."""

from __future__ import annotations

from collections.abc import Collection

from django import forms
from django.core.validators import RegexValidator
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc
from chorusweb.audit import IDEMPOTENCY_KEY_PATTERN, new_idempotency_key
from chorusweb.money import parse_amount

INVALID_KEY = _("Ce formulaire est invalide ou incomplet : vérifiez-le puis envoyez-le de nouveau.")


class SingleSendKeyField(forms.CharField):
    """The one-time key of a form: a short token of letters, digits, `-`, `_` and `:`."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("validators", [RegexValidator(IDEMPOTENCY_KEY_PATTERN, INVALID_KEY)])
        super().__init__(**kwargs)


class KeyedForm(forms.Form):
    """A form sent with a one-time key (`cle`): a double submit or a replayed form is recognised.

    A malformed key (over-long, binary, forged) is a form error shown at the top, and the
    page gets a fresh key so that the user can simply send again.
    """

    cle = SingleSendKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("cle", new_idempotency_key())

    def clean(self):
        data = super().clean()
        if "cle" in self.errors:
            del self.errors["cle"]
            self.data = self.data.copy()
            self.data["cle"] = new_idempotency_key()
            self.add_error(None, INVALID_KEY)
        return data


class BulkSendForm(KeyedForm):
    """A bulk form: its one-time key (`cle`) makes a double submit start one run only."""


class SingleSendForm(KeyedForm):
    """A form that sends one action upstream, exactly once.

    It carries a one-time key (`cle`: a double click or a replayed form is recognised and not
    sent again) and the status the invoice had when the form was shown (`statut_vu`: an
    invoice that moved on meanwhile is not acted on blindly).
    """

    statut_vu = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        if not self.is_bound and invoice is not None:
            self.initial.setdefault("statut_vu", invoice.status)

    def renewed(self, message: str, **kwargs) -> SingleSendForm:
        """The same input with a fresh key and the invoice's current status, showing `message`.

        Used once the key was spent (sent, refused) or the invoice moved on, so that the
        user can correct and decide again knowingly.
        """
        self.invoice.refresh_from_db()
        data = self.data.copy()
        data["cle"] = new_idempotency_key()
        data["statut_vu"] = self.invoice.status
        form = type(self)(data, invoice=self.invoice, **kwargs)
        form.is_valid()
        form.errors.clear()
        form.add_error(None, message)
        return form


def text_field(label, *, rows: int, max_length: int = lc.REASON_MAX_LENGTH, required: bool = False, **kwargs):
    """A reason or a comment: a textarea of `rows` rows that takes `max_length` characters at most
    (the browser stops there too)."""
    widget = forms.Textarea(attrs={"rows": rows, "maxlength": max_length})
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget, **kwargs)


class DownloadForm(forms.Form):
    """A download of invoices: the format, with or without their attachments."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("ZIP", _("ZIP (PDF Factur-X et XML)")), ("PDF", _("PDF")), ("XML", _("XML"))],
        initial="ZIP",
    )
    pieces_jointes = forms.BooleanField(label=_("Avec les pièces jointes"), required=False)


def is_id(value: object) -> bool:
    """A database id as sent by our pages: 1 to 18 ASCII digits (no `²`, `١٢٣` or 10**30)."""
    return isinstance(value, str) and 0 < len(value) <= 18 and value.isascii() and value.isdigit()


class SelectionForm(forms.Form):
    """Add or remove rows of the current page to/from a selection kept in the session."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    page_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    #: The page's own checkbox: every row of the page (works without JavaScript, on submit).
    page_all = forms.BooleanField(required=False)
    #: `view`: every result of the view the form was sent from (its URL is `next`).
    operation = forms.ChoiceField(
        choices=[("set", "set"), ("add", "add"), ("remove", "remove"), ("clear", "clear"), ("view", "view")],
        initial="set",
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(v, v) for v in raw if is_id(v)]

    def page_pks(self) -> list[int]:
        raw = self.cleaned_data.get("page_ids") or ""
        return [int(v) for v in (part.strip() for part in raw.split(",")) if is_id(v)]


class AmountField(forms.DecimalField):
    """An amount in euros typed the French way (`1000,50`, `1 000`, `1 000,50`, with a normal,
    no-break or narrow no-break space) or the English way (`1000.50`); every amount field uses it."""

    default_error_messages = {
        "invalid": _("Montant illisible : écrivez-le en chiffres, par exemple 1 000,50."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        amount = parse_amount(str(value))
        if amount is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount

    def widget_attrs(self, widget):
        # A text input (not type=number): the browser must not refuse "1 000,50" before we read it.
        return {}


ENDS_BEFORE_START = _("La fin de la période précède son début : corrigez l'une des deux dates.")
MAX_BELOW_MIN = _("Le montant maximum est inférieur au minimum : corrigez l'un des deux.")


class FilterForm(forms.Form):
    """A list's query string: a value that cannot be read, or a range that ends before it
    starts, is shown back on its field with a message, and the list shows what the other
    fields ask for (it stays usable, never a 500).

    `ranges` names the (start, end) field pairs checked; the error goes on the end field.
    """

    ranges: tuple[tuple[str, str], ...] = ()

    def clean(self):
        data = super().clean()
        for start, end in self.ranges:
            low, high = data.get(start), data.get(end)
            if low is not None and high is not None and high < low:
                message = MAX_BELOW_MIN if isinstance(self.fields[end], forms.DecimalField) else ENDS_BEFORE_START
                self.add_error(end, message)
        return data

    def valid_data(self) -> dict:
        """The values that could be read (fields in error left out)."""
        if not self.is_bound:
            return {}
        if self.is_valid():
            return self.cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    @property
    def checked_fields(self) -> list:
        """The bound fields that can show an error (their message slots are refreshed with the results)."""
        names = {name for pair in self.ranges for name in pair}
        return [self[name] for name in self.fields if name in names]


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkspaceFilterForm(FilterForm):
    """The query string of a workspace's list: the tab, the sort, the connection (among the user's),
    the invoice number, the deposit, invoice date and amount ranges (see FilterForm), and
    `to_filters()`.

    A list declares its own fields, its `tabs` and `sorts`, its frozen `filters_class` (whose
    `tab` and `sort` defaults are the list's) and `own_filters()`; it may drop a shared field by
    setting it to None (and leave its range out of `ranges`).
    """

    ranges = (("depot_du", "depot_au"), ("date_du", "date_au"), ("montant_min", "montant_max"))
    tabs: tuple = ()
    sorts: Collection[str] = ()
    filters_class: type
    #: Fields set by links (no field of their own on the page): the filter form keeps them hidden.
    kept: tuple[str, ...] = ()
    #: Fields set by the dashboard's links, kept and said by the filter form, in that order.
    DASHBOARD_FIELDS: tuple[str, ...] = ()

    onglet = forms.ChoiceField(required=False)
    connexion = forms.TypedChoiceField(label=_("Connexion"), coerce=int, required=False, empty_value=None)
    numero = forms.CharField(label=_("Numéro de facture"), max_length=100, required=False)
    depot_du = forms.DateField(label=_("Déposée du"), required=False, widget=DATE)
    depot_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    date_du = forms.DateField(label=_("Facture du"), required=False, widget=DATE)
    date_au = forms.DateField(label=_("au"), required=False, widget=DATE)
    montant_min = AmountField(label=_("Montant TTC min."), required=False, min_value=-(10**12))
    montant_max = AmountField(label=_("Montant TTC max."), required=False, max_value=10**12)
    tri = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["onglet"].choices = [(t.slug, t.label) for t in self.tabs]
        self.fields["connexion"].choices = [("", _("Toutes"))] + [(c.pk, c.name) for c in connections]
        if len(connections) < 2:
            self.fields["connexion"].widget = forms.HiddenInput()

    def to_filters(self):
        """The list's frozen filters: the values that could be read, the defaults for the others."""
        data = self.valid_data()
        default_sort = self.filters_class.sort
        sort = data.get("tri") or default_sort
        if sort.lstrip("-") not in self.sorts:
            sort = default_sort
        shared = {
            "tab": data.get("onglet") or self.filters_class.tab,
            "connection_id": data.get("connexion"),
            "number": data.get("numero") or "",
            "deposit_from": data.get("depot_du"),
            "deposit_to": data.get("depot_au"),
            "amount_min": data.get("montant_min"),
            "amount_max": data.get("montant_max"),
            "sort": sort,
        }
        if "date_du" in self.fields:
            shared.update(invoice_from=data.get("date_du"), invoice_to=data.get("date_au"))
        return self.filters_class(**shared, **self.own_filters(data))

    def own_filters(self, data: dict) -> dict:
        """The filters of the list's own fields, from `data` (the values that could be read)."""
        return {}

    def kept_values(self) -> list[tuple[str, object]]:
        """The kept fields set and valid, as (name, value): hidden inputs of the filter form."""
        data = self.valid_data()
        return [(name, data[name]) for name in self.kept if data.get(name)]

    def dashboard_state(self) -> list[dict]:
        """The dashboard filters set and valid: hidden inputs that keep them, and what they say."""
        if not self.is_bound:
            return []
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        state = []
        for name in self.DASHBOARD_FIELDS:
            value = data.get(name)
            if name in self.errors or value in (None, "", False):
                continue
            field = self.fields[name]
            raw = self[name].value()
            shown = dict(field.choices).get(value, value) if hasattr(field, "choices") else value
            state.append({"name": name, "value": raw, "label": field.label, "shown": shown})
        return state


class FormRenderer(BaseRenderer):
    """Django's own form and widget templates in their Jinja2 versions, which Django ships beside
    the template-language ones and renders several times faster (a list page's filter panel is
    some fifty widget pieces); a template only the template language has (the admin's widgets, a
    package's) still comes from Django's template renderer. `FORM_RENDERER` in the settings."""

    def __init__(self) -> None:
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
