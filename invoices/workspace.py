"""The received invoices workspace, declared once for the views every workspace shares."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chorusweb.access import Action, access_for
from chorusweb.models import Workspace
from chorusweb.selection import SessionSelection
from chorusweb.workspace import WorkspaceSpec
from invoices import selectors, services
from invoices.forms import InvoiceFilterForm


def action_flags(user) -> dict[str, bool]:
    access = access_for(user)
    return {
        "can_process": access.can(Action.PROCESS_RECEIVED),
        "can_download": access.can(Action.DOWNLOAD_RECEIVED),
    }


def view_ids(*, user, query, limit: int) -> tuple[list[int], int]:
    """The ids of the list view whose query string is `query` (as its page reads it)."""
    form = InvoiceFilterForm(query, connections=access_for(user).connections(Action.VIEW_RECEIVED))
    return selectors.invoice_view_ids(user=user, filters=form.to_filters(), limit=limit)


RECEIVED = WorkspaceSpec(
    name=Workspace.RECEIVED,
    view_action=Action.VIEW_RECEIVED,
    list_url="invoices:list",
    list_template="invoices/list.html",
    selection=SessionSelection("invoices_selection"),
    by_ids=selectors.invoices_by_ids,
    sync_enqueue=services.sync_received_enqueue,
    sync_statuses=selectors.received_sync_statuses,
    synced_event="invoices-synced",
    sync_started_message=_("Synchronisation lancée. La liste sera à jour dans quelques instants."),
    action_flags=action_flags,
    selection_summary=selectors.invoice_selection_summary,
    view_ids=view_ids,
    detail_url="invoices:detail",
    detail_template="invoices/detail.html",
    bulk_detail_url="invoices:bulk_detail",
    bulk_detail_template="invoices/bulk_detail.html",
    sorts=selectors.SORTS,
    desc_first=frozenset({"depot", "date", "maj", "ttc", "ht"}),
    filter_form=InvoiceFilterForm,
    first_visit=services.sync_received_first_visit,
    list_read=selectors.invoice_list,
)
