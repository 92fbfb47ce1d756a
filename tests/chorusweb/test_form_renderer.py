"""Forms render through Django's Jinja2 copies of its widget templates (chorusweb.forms.FormRenderer):
the same HTML as Django's template renderer, for every field of the project's forms, bound or not."""

from __future__ import annotations

import inspect
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template.backends.jinja2 import Template as Jinja2Template

import alerts.forms
import chorusweb.forms
import dashboard.forms
import invoices.forms
import issuers.forms
import validators.forms
from chorusweb.forms import FormRenderer

MODULES = (alerts.forms, chorusweb.forms, dashboard.forms, invoices.forms, issuers.forms, validators.forms)
#: Data that checks boxes, selects options and fills inputs, so that bound widgets differ from blank ones.
BOUND = {"statut": ["A_RECYCLER", "MISE_A_DISPOSITION"], "telechargee": "oui", "avoirs": "on", "montant_min": "12,5"}


def _html(text: str) -> str:
    """HTML with the whitespace between tags (which the two template languages lay out differently) removed."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", text)).strip()


def _forms():
    for module in MODULES:
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__):
                continue
            for data in (None, BOUND):
                for kwargs in ({}, {"connections": []}):
                    try:
                        yield f"{name}{'(bound)' if data else ''}", cls(data, **kwargs)
                    except TypeError:
                        continue
                    break


@pytest.mark.django_db
def test_every_field_of_our_forms_renders_the_same_html_as_with_django_templates():
    fast, reference = FormRenderer(), DjangoTemplates()
    seen = 0
    for name, form in _forms():
        for field in form:
            widget = field.field.widget
            attrs = field.build_widget_attrs({})
            ours = widget.render(field.html_name, field.value(), attrs, renderer=fast)
            django = widget.render(field.html_name, field.value(), attrs, renderer=reference)
            assert _html(ours) == _html(django), f"{name}.{field.name}"
            seen += 1
    assert seen > 100  # the filter forms, the action forms, the preferences: not an empty loop


def test_the_project_renders_widgets_with_jinja2_and_falls_back_for_other_templates():
    renderer = get_default_renderer()
    assert isinstance(renderer, FormRenderer)
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    # The admin's widgets exist only in the template language: still found there.
    assert not isinstance(renderer.get_template("admin/widgets/related_widget_wrapper.html"), Jinja2Template)
