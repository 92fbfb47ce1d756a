"""Form plumbing shared by the workspaces' action forms."""

from __future__ import annotations

from django import forms

from chorusweb.audit import new_idempotency_key


class SingleSendForm(forms.Form):
    """A form that sends one action upstream, exactly once.

    It carries a one-time key (`cle`: a double click or a replayed form is recognised and not
    sent again) and the status the invoice had when the form was shown (`statut_vu`: an
    invoice that moved on meanwhile is not acted on blindly).
    """

    cle = forms.CharField(widget=forms.HiddenInput)
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
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit()]

    def page_pks(self) -> list[int]:
        raw = self.cleaned_data.get("page_ids") or ""
        return [int(v) for v in raw.split(",") if v.strip().isdigit()]
