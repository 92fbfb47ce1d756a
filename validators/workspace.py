"""The validation workspace, declared once for the views every workspace shares."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chorusweb.access import Action, access_for
from chorusweb.models import Workspace
from chorusweb.selection import SessionSelection
from chorusweb.workspace import WorkspaceSpec
from validators import selectors, services
from validators.forms import QueueFilterForm


def action_flags(user) -> dict[str, bool]:
    access = access_for(user)
    return {
        "can_validate": access.can(Action.VALIDATE),
        "nav_received_too": access.can(Action.VIEW_RECEIVED),
    }


def view_ids(*, user, query, limit: int) -> tuple[list[int], int]:
    """The ids of the queue view whose query string is `query` (as its page reads it)."""
    form = QueueFilterForm(query or None, connections=access_for(user).connections(Action.VIEW_VALIDATION))
    return selectors.queue_view_ids(user=user, filters=form.to_filters(), limit=limit)


VALIDATION = WorkspaceSpec(
    name=Workspace.VALIDATION,
    view_action=Action.VIEW_VALIDATION,
    list_url="validators:queue",
    list_template="validators/queue.html",
    selection=SessionSelection("validation_selection"),
    by_ids=selectors.validations_by_ids,
    sync_enqueue=services.sync_validation_enqueue,
    sync_statuses=selectors.validation_sync_statuses,
    synced_event="validation-synced",
    sync_started_message=_("Synchronisation lancée. La file sera à jour dans quelques instants."),
    action_flags=action_flags,
    selection_summary=selectors.validation_selection_summary,
    view_ids=view_ids,
    detail_url="validators:detail",
    detail_template="validators/detail.html",
    bulk_detail_url="validators:bulk_detail",
    bulk_detail_template="validators/bulk_detail.html",
    sorts=selectors.SORTS,
    desc_first=frozenset({"depot", "date", "ttc"}),
    filter_form=QueueFilterForm,
    first_visit=services.sync_validation_first_visit,
    list_read=selectors.queue_list,
)
