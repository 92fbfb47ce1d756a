"""The validation workspace, declared once for the views every workspace shares."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chorusweb.access import Action, access_for
from chorusweb.models import Workspace
from chorusweb.selection import SessionSelection
from chorusweb.workspace import WorkspaceSpec
from validators import selectors, services


def action_flags(user) -> dict[str, bool]:
    access = access_for(user)
    return {
        "can_validate": access.can(Action.VALIDATE),
        "nav_received_too": access.can(Action.VIEW_RECEIVED),
    }


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
)
