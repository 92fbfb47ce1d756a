"""The preferences form: one channel per kind the user can receive, the digest's hour, the language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from alerts.models import Channel, Kind

HOURS = [(h, f"{h:02d} h") for h in range(24)]


class PreferencesForm(forms.Form):
    digest_hour = forms.TypedChoiceField(label=_("Heure du récapitulatif quotidien"), choices=HOURS, coerce=int)
    language = forms.ChoiceField(label=_("Langue des e-mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, kinds: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=Kind(kind).label, choices=Channel.choices, widget=forms.RadioSelect
            )

    @property
    def kind_fields(self):
        return [self[f"kind_{kind}"] for kind in self.kinds]

    def channels(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"kind_{kind}"] for kind in self.kinds}
