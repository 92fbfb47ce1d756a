"""The issued invoices workspace, declared once for the views every workspace shares."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chorusweb.access import Action, access_for
from chorusweb.models import Workspace
from chorusweb.selection import SessionSelection
from chorusweb.workspace import WorkspaceSpec
from issuers import selectors, services
from issuers.forms import IssuedFilterForm


def action_flags(user) -> dict[str, bool]:
    return {"can_submit": access_for(user).can(Action.SUBMIT_ISSUED)}


def view_ids(*, user, query, limit: int) -> tuple[list[int], int]:
    """The ids of the list view whose query string is `query` (as its page reads it)."""
    form = IssuedFilterForm(query, connections=access_for(user).connections(Action.VIEW_ISSUED))
    return selectors.issued_view_ids(user=user, filters=form.to_filters(), limit=limit)


ISSUED = WorkspaceSpec(
    name=Workspace.ISSUED,
    view_action=Action.VIEW_ISSUED,
    list_url="issuers:list",
    list_template="issuers/list.html",
    selection=SessionSelection("issued_selection"),
    by_ids=selectors.issued_by_ids,
    sync_enqueue=services.sync_issued_enqueue,
    sync_statuses=selectors.issued_sync_statuses,
    synced_event="issued-synced",
    sync_started_message=_("Synchronisation lancée. La liste sera à jour dans quelques instants."),
    action_flags=action_flags,
    selection_summary=selectors.issued_selection_summary,
    view_ids=view_ids,
    detail_url="issuers:detail",
    detail_template="issuers/detail.html",
    sorts=selectors.SORTS,
    desc_first=frozenset({"depot", "date", "ttc"}),
    filter_form=IssuedFilterForm,
    first_visit=services.sync_issued_first_visit,
    list_read=selectors.issued_list,
)
