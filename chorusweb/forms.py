"""Form plumbing shared by the workspaces' forms: amounts, filter forms, action forms, selection."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

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


class _KeyedForm(forms.Form):
    """A malformed key (over-long, binary, forged) is a form error shown at the top, and the
    page gets a fresh key so that the user can simply send again."""

    def clean(self):
        data = super().clean()
        if "cle" in self.errors:
            del self.errors["cle"]
            self.data = self.data.copy()
            self.data["cle"] = new_idempotency_key()
            self.add_error(None, INVALID_KEY)
        return data


class BulkSendForm(_KeyedForm):
    """A bulk form: its one-time key (`cle`) makes a double submit start one run only."""

    cle = SingleSendKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("cle", new_idempotency_key())


class SingleSendForm(_KeyedForm):
    """A form that sends one action upstream, exactly once.

    It carries a one-time key (`cle`: a double click or a replayed form is recognised and not
    sent again) and the status the invoice had when the form was shown (`statut_vu`: an
    invoice that moved on meanwhile is not acted on blindly).
    """

    cle = SingleSendKeyField()
    statut_vu = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        if not self.is_bound:
            self.initial.setdefault("cle", new_idempotency_key())
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
