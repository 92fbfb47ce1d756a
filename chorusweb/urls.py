from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from chorusweb import account, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("actions/<int:pk>/renvoyer/", views.audit_resend, name="audit_resend"),
    path("aide/statuts/", views.status_glossary, name="status_glossary"),
    path("connexion/", account.LoginView.as_view(), name="login"),
    path("connexion/verification/", account.otp_verify, name="otp_verify"),
    path("compte/double-authentification/", account.otp_setup, name="otp_setup"),
    path("compte/double-authentification/qr.svg", account.otp_qr, name="otp_qr"),
    path("compte/securite/", account.security, name="account_security"),
    path("session/prolonger/", account.session_keepalive, name="session_keepalive"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "mot-de-passe/fait/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("langue/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("factures/", include("invoices.urls")),
    path("validation/", include("validators.urls")),
    path("tableau-de-bord/", include("dashboard.urls")),
    path("", include("alerts.urls")),
    path("factures-emises/", include("issuers.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
