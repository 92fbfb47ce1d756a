from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChoruswebConfig(AppConfig):
    name = "chorusweb"
    verbose_name = _("Connexions et rôles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.tasks.signals import task_started

        from chorusweb import checks  # noqa: F401  (registers the system checks)
        from chorusweb.workers import on_task_started

        task_started.connect(on_task_started, dispatch_uid="chorusweb-worker-heartbeat")
