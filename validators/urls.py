from django.urls import path

from chorusweb import workspace_views
from validators import views
from validators.workspace import VALIDATION

app_name = "validators"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("synchronisation/", workspace_views.sync_refresh, {"workspace": VALIDATION}, name="sync"),
    path("selection/", workspace_views.selection_update, {"workspace": VALIDATION}, name="selection"),
    path("lot/", views.bulk_approve, name="bulk"),
    path("lot/<uuid:run_id>/", workspace_views.bulk_detail, {"workspace": VALIDATION}, name="bulk_detail"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decision/", views.decide, name="decide"),
    path("<int:pk>/document/", views.document, name="document"),
]
