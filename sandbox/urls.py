"""The sandbox's URLs, mounted under /sandbox/ only when SANDBOX_ENABLED is true.

Same paths as https://factpulse.fr: `api/token/`, `api/token/refresh/` and the 16
`api/v1/chorus-pro/...` endpoints (trailing slash optional), plus the control API `_control/`.
"""

from django.urls import re_path

from sandbox import control, views

app_name = "sandbox"

CP = r"^api/v1/chorus-pro/"

urlpatterns = [
    re_path(r"^api/token/?$", views.token_obtain, name="token"),
    re_path(r"^api/token/refresh/?$", views.token_refresh, name="token_refresh"),
    re_path(CP + r"factures/rechercher-destinataire/?$", views.search_recipient, name="search_recipient"),
    re_path(CP + r"factures/rechercher-fournisseur/?$", views.search_supplier, name="search_supplier"),
    re_path(CP + r"factures/traiter-facture-recue/?$", views.process_received, name="process_received"),
    re_path(CP + r"factures/telecharger-groupe/?$", views.download_group, name="download_group"),
    re_path(CP + r"factures/valideur/rechercher/?$", views.search_validator, name="search_validator"),
    re_path(CP + r"factures/valideur/consulter/?$", views.validator_detail, name="validator_detail"),
    re_path(CP + r"factures/valideur/traiter/?$", views.validator_process, name="validator_process"),
    re_path(CP + r"factures/consulter/?$", views.invoice_status, name="invoice_status"),
    re_path(CP + r"factures/soumettre/?$", views.submit, name="submit"),
    re_path(CP + r"factures/completer/?$", views.complete, name="complete"),
    re_path(CP + r"factures/recycler/?$", views.recycle, name="recycle"),
    re_path(CP + r"transverses/ajouter-fichier/?$", views.add_file, name="add_file"),
    re_path(CP + r"structures/rechercher/?$", views.structures_search, name="structures_search"),
    re_path(CP + r"structures/consulter/?$", views.structure_detail, name="structure_detail"),
    re_path(
        CP + r"structures/(?P<id_structure_cpp>[^/]+)/services/?$",
        views.structure_services,
        name="structure_services",
    ),
    re_path(CP + r"structures/obtenir-id-depuis-siret/?$", views.structure_from_siret, name="structure_from_siret"),
    re_path(r"^_control/faults/?$", control.faults_view, name="control_faults"),
    re_path(r"^_control/calls/?$", control.calls_view, name="control_calls"),
    re_path(r"^_control/reset/?$", control.reset_view, name="control_reset"),
    re_path(r"^_control/deposit/?$", control.deposit_view, name="control_deposit"),
    re_path(r"^_control/clock/?$", control.clock_view, name="control_clock"),
    re_path(r"^_control/state/?$", control.state_view, name="control_state"),
]
