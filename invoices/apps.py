from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Factures reçues")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from invoices import checks  # noqa: F401  (registers the system checks)
