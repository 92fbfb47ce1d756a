from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChoruswebConfig(AppConfig):
    name = "chorusweb"
    verbose_name = _("Connexions et rôles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.tasks.signals import task_started

        from chorusweb import checks  # noqa: F401  (registers the system checks)
        from chorusweb.dbstats import after_migrate
        from chorusweb.workers import on_task_started

        task_started.connect(on_task_started, dispatch_uid="chorusweb-worker-heartbeat")
        # once per migrate, after every app's migrations (sent for each app: this one only)
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="chorusweb-planner-statistics")
