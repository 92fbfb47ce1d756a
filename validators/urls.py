from django.urls import path

from validators import views

app_name = "validators"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("synchronisation/", views.sync_refresh, name="sync"),
    path("selection/", views.selection_update, name="selection"),
    path("lot/", views.bulk_approve, name="bulk"),
    path("lot/<uuid:run_id>/", views.bulk_detail, name="bulk_detail"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decision/", views.decide, name="decide"),
    path("<int:pk>/document/", views.document, name="document"),
]
