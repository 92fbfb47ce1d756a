from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuersConfig(AppConfig):
    name = "issuers"
    verbose_name = _("Factures émises")
    default_auto_field = "django.db.models.BigAutoField"
