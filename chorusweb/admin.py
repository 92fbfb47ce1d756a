"""Admin for connections and memberships. Secrets are write-only: never rendered back."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from chorusweb.models import AuditEntry, BulkRun, Connection, Membership, SyncRun, WorkerBeat
from chorusweb.workspace import LargeTablePaginator
from issuers.admin_tools import ConnectionTestMixin, MembershipForm

admin.site.site_header = _("Administration de chorusweb")
admin.site.site_title = _("chorusweb")
admin.site.index_title = _("Connexions, utilisateurs, rôles et journal")

SECRET_FIELDS = ("password", "piste_client_id", "piste_client_secret", "chorus_login", "chorus_password")


class ConnectionAdminForm(forms.ModelForm):
    """Secrets are typed in but never shown: blank keeps the stored value, a box clears it."""

    clear_password = forms.BooleanField(required=False)
    clear_piste_client_id = forms.BooleanField(required=False)
    clear_piste_client_secret = forms.BooleanField(required=False)
    clear_chorus_login = forms.BooleanField(required=False)
    clear_chorus_password = forms.BooleanField(required=False)

    class Meta:
        model = Connection
        fields = [
            "name",
            "api_base_url",
            "account_email",
            "password",
            "client_uid",
            "is_active",
            "piste_client_id",
            "piste_client_secret",
            "chorus_login",
            "chorus_password",
            "chorus_sandbox",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            if name not in self.fields:  # a view-only administrator gets no secret field at all
                continue
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            field.required = False
            field.initial = ""
            stored = bool(getattr(self.instance, name, "")) if self.instance.pk else False
            note = (
                _("Valeur enregistrée (chiffrée). Laisser vide pour la conserver.")
                if stored
                else _("Aucune valeur enregistrée.")
            )
            field.help_text = note
            self.fields[f"clear_{name}"].label = _("Effacer « %(label)s »") % {"label": field.label}
        if not self.instance.pk and "password" in self.fields:
            self.fields["password"].required = True

    def get_initial_for_field(self, field, field_name):
        if field_name in SECRET_FIELDS:
            return ""
        return super().get_initial_for_field(field, field_name)

    def clean(self):
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name, "")
        # Apply to the instance before model validation (zero-trust completeness check).
        for name in SECRET_FIELDS:
            setattr(self.instance, name, cleaned.get(name, ""))
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        for name in SECRET_FIELDS:
            setattr(instance, name, self.cleaned_data.get(name, ""))
        if instance.pk:
            stored = Connection.objects.get(pk=instance.pk)
            credential_fields = ("account_email", "client_uid", "api_base_url", *SECRET_FIELDS)
            if any(getattr(stored, f) != getattr(instance, f) for f in credential_fields):
                instance.credentials_version = uuid.uuid4()
        if commit:
            instance.save()
            self.save_m2m()
        return instance


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm  # service codes picked from the connection's services
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "service_codes"]


@admin.register(Connection)
class ConnectionAdmin(ConnectionTestMixin, admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ["name", "api_base_url", "account_email", "client_uid", "mode", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "account_email", "api_base_url"]
    inlines = [MembershipInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        if not self._may_edit(request, obj):
            # View-only rights: what the connection is, never its secrets (not even encrypted).
            return [
                (None, {"fields": ["name", "api_base_url", "is_active"]}),
                (_("Compte FactPulse"), {"fields": ["account_email", "client_uid", "mode", "secrets_stored"]}),
                (_("Historique"), {"fields": ["created_at", "updated_at"]}),
            ]
        return [
            (None, {"fields": ["name", "api_base_url", "is_active"]}),
            (
                _("Compte FactPulse"),
                {"fields": ["account_email", "password", "clear_password", "client_uid"]},
            ),
            (
                _("Mode zéro confiance (facultatif)"),
                {
                    "classes": ["collapse"],
                    "description": _(
                        "Identifiants Chorus Pro envoyés à chaque appel au lieu d'être stockés chez "
                        "FactPulse. Laisser vide pour utiliser les identifiants du client FactPulse."
                    ),
                    "fields": [
                        "piste_client_id",
                        "clear_piste_client_id",
                        "piste_client_secret",
                        "clear_piste_client_secret",
                        "chorus_login",
                        "clear_chorus_login",
                        "chorus_password",
                        "clear_chorus_password",
                        "chorus_sandbox",
                    ],
                },
            ),
            (_("Historique"), {"fields": ["created_at", "updated_at"]}),
        ]

    def _may_edit(self, request, obj) -> bool:
        return self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self._may_edit(request, obj):
            fields += ["mode", "secrets_stored"]
        return fields

    @admin.display(description=_("mode"))
    def mode(self, obj: Connection) -> str:
        return str(_("zéro confiance") if obj.zero_trust else _("identifiants chez FactPulse"))

    @admin.display(description=_("secrets enregistrés"))
    def secrets_stored(self, obj: Connection) -> str:
        stored = [str(obj._meta.get_field(name).verbose_name) for name in SECRET_FIELDS if getattr(obj, name, "")]
        return ", ".join(stored) if stored else str(_("aucun"))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "connection", "role", "services", "created_at"]
    list_filter = ["role", "connection"]
    search_fields = ["user__username", "user__email", "connection__name"]
    autocomplete_fields = ["user", "connection"]
    list_select_related = ["user", "connection"]

    @admin.display(description=_("services"))
    def services(self, obj: Membership) -> str:
        return ", ".join(obj.service_codes) if obj.service_codes else str(_("tous"))


class ReadOnlyAdminMixin:
    """Records kept for the record: viewable and filterable, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "user",
        "workspace",
        "action",
        "target",
        "invoice_number",
        "state",
        "connection",
    ]
    list_filter = ["workspace", "state", "action", "connection", "created_at"]
    search_fields = ["invoice_number", "=invoice_id", "user__username", "reason", "outcome", "request_id"]
    list_select_related = ["user", "connection"]
    ordering = ["-pk"]  # newest first through the primary key (no index starts with created_at)
    show_full_result_count = False
    actions = ["resend"]

    def has_resend_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description=_("Renvoyer les actions non confirmées sélectionnées"), permissions=["resend"])
    def resend(self, request, queryset):
        """A person's decision: resend actions that could not be confirmed upstream, once each."""
        from chorusweb.audit import ActionRejected, action_failure
        from chorusweb.factpulse import FactPulseError
        from chorusweb.recovery import entry_resend

        for entry in queryset.select_related("connection"):
            if not entry.awaits_decision:
                self.message_user(
                    request,
                    _("%(entry)s : seule une action non confirmée peut être renvoyée.") % {"entry": entry},
                    messages.WARNING,
                )
                continue
            try:
                outcome = entry_resend(user=request.user, entry=entry)
            except (ActionRejected, FactPulseError) as exc:
                self.message_user(request, f"{entry} : {action_failure(exc)[1]}", messages.ERROR)
            else:
                self.message_user(request, f"{entry} : {outcome.message}", messages.SUCCESS)

    # No date hierarchy (it reads the distinct dates of every entry); no COUNT(*) of the table.
    paginator = LargeTablePaginator


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "connection",
        "workspace",
        "full",
        "state",
        "rows_seen",
        "rows_created",
        "rows_changed",
        "finished_at",
    ]
    list_filter = ["workspace", "state", "full", "connection"]
    list_select_related = ["connection"]


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "beat_at", "alive"]

    @admin.display(boolean=True, description=_("en vie"))
    def alive(self, obj: WorkerBeat) -> bool:
        from chorusweb.workers import stale_before

        return obj.beat_at >= stale_before()


@admin.register(BulkRun)
class BulkRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "workspace", "action", "target", "total", "state", "finished_at"]
    list_filter = ["workspace", "state", "action"]
    list_select_related = ["user"]


# The task runs of the durable queue (django-tasks-db's own admin, with the error in the list).
from django_tasks_db.admin import DBTaskResultAdmin  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskRunAdmin(DBTaskResultAdmin):
    list_display = ["task_name", "status", "enqueued_at", "started_at", "finished_at", "error", "queue_name"]
    search_fields = ["task_path", "exception_class_path"]

    @admin.display(description=_("erreur"))
    def error(self, obj: DBTaskResult) -> str:
        return obj.exception_class_path.rsplit(".", 1)[-1] if obj.exception_class_path else ""


# --- Users: unlock a login locked by failed attempts, reset a lost second factor -----------

from django.contrib import messages as admin_messages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin  # noqa: E402

User = get_user_model()


class ChoruswebUserAdmin(UserAdmin):
    actions = ["unlock_login", "reset_second_factor"]

    @admin.action(description=_("Débloquer la connexion (essais manqués)"), permissions=["change"])
    def unlock_login(self, request, queryset):
        from axes.utils import reset

        count = sum(reset(username=user.get_username()) for user in queryset)
        self.message_user(
            request,
            _("Connexion débloquée pour %(users)d utilisateur(s) (%(attempts)d blocage(s) levé(s)).")
            % {"users": queryset.count(), "attempts": count},
            admin_messages.SUCCESS,
        )

    @admin.action(description=_("Réinitialiser la double authentification"), permissions=["change"])
    def reset_second_factor(self, request, queryset):
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.filter(user__in=queryset).delete()
        StaticDevice.objects.filter(user__in=queryset).delete()
        self.message_user(
            request,
            _("Double authentification réinitialisée : chacun l'activera de nouveau à sa prochaine connexion."),
            admin_messages.SUCCESS,
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ChoruswebUserAdmin)
