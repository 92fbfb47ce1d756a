from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = _("Bac à sable FactPulse")
    default_auto_field = "django.db.models.BigAutoField"
