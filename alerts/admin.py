from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alerts import services
from alerts.models import Notice, Preferences


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "invoice_label", "connection", "channel", "status", "attempts")
    list_filter = ("status", "kind", "channel", "connection")
    search_fields = ("user__username", "user__email", "=invoice_id", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("user", "connection")
    show_full_result_count = False
    actions = ("retry_now",)
    readonly_fields = [f.name for f in Notice._meta.fields]

    @admin.display(description=_("facture"))
    def invoice_label(self, obj: Notice) -> str:
        return obj.data.get("number") or str(obj.invoice_id)

    @admin.action(description=_("Réessayer l'envoi maintenant"))
    def retry_now(self, request, queryset):
        count = services.notices_retry(pks=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(n)d notification remise dans la file d'envoi.",
                "%(n)d notifications remises dans la file d'envoi.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "digest_hour", "language", "last_digest_at", "updated_at")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
