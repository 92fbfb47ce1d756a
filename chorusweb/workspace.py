"""What a workspace declares about itself, once, for the views every workspace shares.

Each app declares one frozen `WorkspaceSpec` (`invoices/workspace.py`, `validators/workspace.py`)
and passes it to the generic views of `chorusweb/workspace_views.py` from its URLconf:

    path("synchronisation/", workspace_views.sync_refresh, {"workspace": RECEIVED}, name="sync")

No registry: the URLconf says which spec a view serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chorusweb.access import Action
from chorusweb.models import SyncRun
from chorusweb.selection import SessionSelection
from chorusweb.sync import SyncStatus


@dataclass(frozen=True)
class WorkspaceSpec:
    """A workspace: its permission, list page and template, selection, sync and client event."""

    name: str  # chorusweb.models.Workspace value
    view_action: Action  # needed to open the workspace at all
    list_url: str  # URL name of the list page
    list_template: str  # the list page; its regions are named partials
    selection: SessionSelection
    #: `(user=, ids=)` -> the rows of `ids` the user may see (they have a `pk`).
    by_ids: Callable[..., Iterable[Any]]
    #: `(user=)` -> the sync runs started (Refresh button).
    sync_enqueue: Callable[..., Sequence[SyncRun]]
    #: `(user=)` -> the sync statuses shown on the list page.
    sync_statuses: Callable[..., Sequence[SyncStatus]]
    #: The client event the list's results region listens to, sent once a sync has finished.
    synced_event: str
    #: What a page without JavaScript says after the Refresh button.
    sync_started_message: str
    #: `(user)` -> the flags the selection bar needs (which bulk actions to offer).
    action_flags: Callable[[Any], dict[str, bool]]
    #: `(user=, ids=)` -> the selection's count and net totals (`count`, `total_incl_tax`, ...).
    selection_summary: Callable[..., Any]
    #: `(user=, query=, limit=)` -> (the ids of the view whose query string is `query`, at most
    #: `limit`, and its count up to `limit` + 1): "select the N results of this view".
    view_ids: Callable[..., tuple[list[int], int]]
    #: URL name of one invoice's page (`pk`): where an action sent without JavaScript lands;
    #: and its template (regions `invoice-body`, the action forms).
    detail_url: str = ""
    detail_template: str = ""
    #: URL name of a bulk run's page (`run_id`), and its template (region `bulk-progress`);
    #: empty for a workspace without bulk runs.
    bulk_detail_url: str = ""
    bulk_detail_template: str = ""
    #: The list's sortable columns (`tri`), and those sorted newest or largest first on the
    #: first click (dates, amounts).
    sorts: Sequence[str] = ()
    desc_first: frozenset[str] = frozenset()
    #: The list's filter form class (`(data, connections=)`, `to_filters()`).
    filter_form: type | None = None
    #: `(user=)` -> (sync statuses, polling) of the list; a mirror never synchronised starts filling.
    first_visit: Callable[..., tuple[Sequence[SyncStatus], bool]] | None = None
    #: `(user=, filters=, page=, per_page=)` -> one page of the list (`tabs`, its rows).
    list_read: Callable[..., Any] | None = None
