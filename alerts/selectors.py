"""Reading notices: always within the user's current scope (`chorusweb.access`)."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from alerts.models import Notice
from chorusweb.access import Access, Action, access_for
from chorusweb.models import Workspace

WORKSPACE_ACTION = {Workspace.RECEIVED: Action.VIEW_RECEIVED, Workspace.VALIDATION: Action.VIEW_VALIDATION}
BELL_PAGE_SIZE = 50


def notice_scope(access: Access) -> Q:
    """The notices a user may still see: those of invoices in their current scope."""
    q = Q(pk__in=[])
    for workspace, action in WORKSPACE_ACTION.items():
        # An action on no mirrored invoice (no service to check) is seen on its connection.
        unmirrored = Q(invoice_pk__isnull=True, connection_id__in=sorted(access.connection_ids(action)))
        q |= Q(workspace=workspace) & (access.scope(action) | unmirrored)
    return q


def notice_visible(access: Access, notice: Notice) -> bool:
    """The same question as `notice_scope()`, for a notice already in memory."""
    action = WORKSPACE_ACTION.get(notice.workspace)
    if action is None or notice.connection_id not in access.connection_ids(action):
        return False
    return notice.invoice_pk is None or access.can(action, notice.connection_id, notice.service_code)


def notices_visible(*, user) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(user=user).exclude(status=Notice.Status.CANCELLED).filter(notice_scope(access_for(user)))
    )


#: The bell's count is kept this many seconds in the cache (forgotten at once when notices are
#: recorded or read): pages pay no query for it.
UNREAD_TTL = 60


def _unread_key(user_id: int) -> str:
    return f"alerts:unread:{user_id}"


def notice_unread_count(*, user) -> int:
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = notices_visible(user=user).filter(read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def unread_forget(user_ids) -> None:
    """The bell counts of these users are recomputed on their next page."""
    cache.delete_many([_unread_key(uid) for uid in set(user_ids)])


def notice_list(*, user, limit: int = BELL_PAGE_SIZE) -> list[Notice]:
    """The user's latest notices, each with its sentence (`line`) and link (`url`)."""
    from alerts.texts import invoice_path, notice_line

    rows = list(notices_visible(user=user).select_related("connection").order_by("-created_at", "-pk")[:limit])
    for notice in rows:
        notice.line = notice_line(notice)
        notice.url = invoice_path(notice)
    return rows
