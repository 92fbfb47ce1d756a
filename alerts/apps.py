from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alertes et récapitulatifs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.tasks import on_sync_succeeded
        from chorusweb.sync import sync_succeeded

        sync_succeeded.connect(on_sync_succeeded, dispatch_uid="alerts-after-sync")
