"""What the connections' admin gains from the structure directory: a "Tester la connexion" button
(log in, read the account's structures with their parameters) and a service-code picker."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from issuers.forms import MembershipForm

__all__ = ["ConnectionTestMixin", "MembershipForm"]


class ConnectionTestMixin:
    """For ConnectionAdmin: the change page's "Tester la connexion" button and its result page."""

    change_form_template = "admin/chorusweb/connection/change_form.html"
    actions = ["test_connections"]

    def get_urls(self):
        urls = super().get_urls()
        view = self.admin_site.admin_view(require_POST(self.connection_test_view))
        return [path("<int:pk>/tester/", view, name="chorusweb_connection_test"), *urls]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """The memberships' rows (new ones too) pick their service codes from this connection."""
        from chorusweb.models import Membership

        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj is not None and obj.pk and inline.model is Membership:
            kwargs["form_kwargs"] = {**kwargs.get("form_kwargs", {}), "connection": obj}
        return kwargs

    def connection_test_view(self, request, pk: int):
        from chorusweb.models import Connection
        from issuers.directory import connection_test

        connection = get_object_or_404(Connection, pk=pk)
        if not self.has_view_permission(request, connection):
            raise PermissionDenied
        report = connection_test(connection)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Test de la connexion « %(name)s »") % {"name": connection.name},
            "opts": self.model._meta,
            "original": connection,
            "report": report,
        }
        return TemplateResponse(request, "admin/chorusweb/connection/test.html", context)

    @admin.action(description=_("Tester la connexion"))
    def test_connections(self, request, queryset):
        from issuers.directory import connection_test

        for connection in queryset:
            report = connection_test(connection)
            self.message_user(
                request, f"{connection.name} : {report.message}", messages.SUCCESS if report.ok else messages.ERROR
            )
