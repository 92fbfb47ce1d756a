"""Form plumbing shared by the workspaces' action forms."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from chorusweb.audit import IDEMPOTENCY_KEY_PATTERN, new_idempotency_key

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
    operation = forms.ChoiceField(
        choices=[("set", "set"), ("add", "add"), ("remove", "remove"), ("clear", "clear")], initial="set"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(v, v) for v in raw if is_id(v)]

    def page_pks(self) -> list[int]:
        raw = self.cleaned_data.get("page_ids") or ""
        return [int(v) for v in (part.strip() for part in raw.split(",")) if is_id(v)]
