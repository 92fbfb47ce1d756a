from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValidatorsConfig(AppConfig):
    name = "validators"
    verbose_name = _("Circuit de validation")
    default_auto_field = "django.db.models.BigAutoField"
