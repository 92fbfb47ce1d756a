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
