from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("compte/notifications/", views.preferences, name="preferences"),
    path("compte/notices/", views.notices, name="notices"),
    path("compte/notices/lues/", views.notices_read, name="notices_read"),
    path("compte/notices/<int:pk>/lue/", views.notice_read, name="notice_read"),
    path("notifications/desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notifications/courriels/", views.mails, name="mails"),
]
