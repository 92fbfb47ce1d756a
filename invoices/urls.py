from django.urls import path

from chorusweb import workspace_views
from invoices import document_views, views
from invoices.workspace import RECEIVED

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("export.csv", views.invoice_export, name="export"),
    path("synchronisation/", workspace_views.sync_refresh, {"workspace": RECEIVED}, name="sync"),
    path("selection/", workspace_views.selection_update, {"workspace": RECEIVED}, name="selection"),
    path("telechargement/", document_views.group_download, name="download"),
    path("lot/", views.bulk_process, name="bulk"),
    path("lot/<uuid:run_id>/", workspace_views.bulk_detail, {"workspace": RECEIVED}, name="bulk_detail"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/traiter/", views.invoice_process, name="process"),
    path("<int:pk>/service-fait/", views.invoice_service_done, name="service_done"),
    path("<int:pk>/document/", document_views.invoice_document, name="document"),
    path("<int:pk>/document/fichier/", document_views.invoice_document_file, name="document_file"),
    path("<int:pk>/document/pdf/", document_views.invoice_document_pdf, name="document_pdf"),
    path("<int:pk>/document/piece/<int:index>/", document_views.invoice_attachment, name="attachment"),
]
