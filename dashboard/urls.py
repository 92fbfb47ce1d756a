from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="page"),
    path("export.xlsx", views.dashboard_xlsx, name="xlsx"),
    path("export/<slug:table>.csv", views.dashboard_csv, name="csv"),
]
