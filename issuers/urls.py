from django.urls import path

from chorusweb import workspace_views
from issuers import views
from issuers.workspace import ISSUED

app_name = "issuers"

urlpatterns = [
    path("", views.issued_list, name="list"),
    path("export.csv", views.issued_export, name="export"),
    path("synchronisation/", workspace_views.sync_refresh, {"workspace": ISSUED}, name="sync"),
    path("selection/", workspace_views.selection_update, {"workspace": ISSUED}, name="selection"),
    path("soumettre/", views.submit, name="submit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/statut/", views.check_status, name="check_status"),
    path("<int:pk>/completer/", views.complete, name="complete"),
    path("<int:pk>/recycler/", views.recycle, name="recycle"),
]
