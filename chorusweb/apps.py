from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChoruswebConfig(AppConfig):
    name = "chorusweb"
    verbose_name = _("Connexions et rôles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorusweb import checks  # noqa: F401  (registers the system checks)
