"""Which connections, services and actions a user may use.

Every selector and service goes through `access_for(user)`: views check it, selectors filter
with `Access.scope()`, services call `Access.require()` before anything is sent upstream.
Superusers may do everything on every active connection.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import connection as db_connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chorusweb.fields import EncryptedTextField
from chorusweb.models import Connection, Membership, Role


class Action(StrEnum):
    VIEW_RECEIVED = "view_received"
    PROCESS_RECEIVED = "process_received"
    DOWNLOAD_RECEIVED = "download_received"
    VIEW_VALIDATION = "view_validation"
    VALIDATE = "validate"
    DOWNLOAD_VALIDATION = "download_validation"
    VIEW_ISSUED = "view_issued"
    SUBMIT_ISSUED = "submit_issued"  # submit, complete, recycle issued invoices


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.RECIPIENT: frozenset({Action.VIEW_RECEIVED, Action.PROCESS_RECEIVED, Action.DOWNLOAD_RECEIVED}),
    Role.VALIDATOR: frozenset({Action.VIEW_VALIDATION, Action.VALIDATE, Action.DOWNLOAD_VALIDATION}),
    # Read-only: downloading marks the invoice as downloaded in Chorus Pro, so it is a write.
    Role.VIEWER: frozenset({Action.VIEW_RECEIVED, Action.VIEW_VALIDATION}),
    Role.ISSUER: frozenset({Action.VIEW_ISSUED, Action.SUBMIT_ISSUED}),
}
ALL_ACTIONS = frozenset(Action)
#: Actions that change something upstream (downloads mark invoices as downloaded).
WRITE_ACTIONS = frozenset(
    {
        Action.PROCESS_RECEIVED,
        Action.DOWNLOAD_RECEIVED,
        Action.VALIDATE,
        Action.DOWNLOAD_VALIDATION,
        Action.SUBMIT_ISSUED,
    }
)


@dataclass(frozen=True)
class Grant:
    """What a user may do on one connection: actions, limited to some services or not."""

    connection_id: int
    actions: frozenset[Action]
    #: None means every service of the connection.
    service_codes: frozenset[str] | None


@dataclass
class Access:
    user_id: int | None
    is_superuser: bool
    grants: dict[int, list[Grant]] = field(default_factory=dict)
    _connections: dict[int, Connection] = field(default_factory=dict)

    # --- questions -----------------------------------------------------------------------

    def connections(self, action: Action | None = None) -> list[Connection]:
        """Active connections on which the user may do `action` (any action if None)."""
        return [c for cid, c in self._connections.items() if action is None or self._grants_for(cid, action)]

    def connection_ids(self, action: Action) -> set[int]:
        return {c.pk for c in self.connections(action)}

    def can(self, action: Action, connection_id: int | None = None, service_code: str | None = None) -> bool:
        """May the user do `action` (on this connection, for an invoice of this service)?"""
        if connection_id is None:
            return bool(self.connections(action))
        for grant in self._grants_for(connection_id, action):
            if grant.service_codes is None or (service_code or "") in grant.service_codes:
                return True
        return False

    def actions(self, connection_id: int, service_code: str | None = None) -> set[Action]:
        return {a for a in ALL_ACTIONS if self.can(a, connection_id, service_code)}

    def services(self, action: Action, connection_id: int) -> frozenset[str] | None:
        """Service codes the user is limited to on this connection; None means all."""
        codes: set[str] = set()
        for grant in self._grants_for(connection_id, action):
            if grant.service_codes is None:
                return None
            codes |= grant.service_codes
        return frozenset(codes)

    def scope(
        self,
        action: Action,
        *,
        connection_field: str = "connection_id",
        service_field: str = "service_code",
    ) -> Q:
        """A filter keeping the rows the user may see for `action`; matches nothing if none."""
        q = Q(pk__in=[])
        for cid in self.connection_ids(action):
            codes = self.services(action, cid)
            if codes is None:
                q |= Q(**{connection_field: cid})
            else:
                q |= Q(**{connection_field: cid, f"{service_field}__in": sorted(codes)})
        return q

    def require(self, action: Action, connection_id: int, service_code: str | None = None) -> None:
        if not self.can(action, connection_id, service_code):
            raise PermissionDenied(_("Vous n'avez pas accès à cette action."))

    @property
    def has_any(self) -> bool:
        return bool(self._connections) and any(self.connections(a) for a in ALL_ACTIONS)

    @property
    def can_act(self) -> bool:
        """May the user change anything upstream on some connection (two-factor rule)?"""
        return any(self.connections(a) for a in WRITE_ACTIONS)

    def fingerprint(self) -> list[str]:
        """One line per grant (connection, actions, services): a session remembers it at login."""
        return sorted(
            f"{cid}|{','.join(sorted(g.actions))}|{','.join(sorted(g.service_codes)) if g.service_codes else '*'}"
            for cid in self._connections
            for g in self.grants.get(cid, [])
        )

    # --- internals -----------------------------------------------------------------------

    def _grants_for(self, connection_id: int, action: Action) -> list[Grant]:
        if connection_id not in self._connections:
            return []
        return [g for g in self.grants.get(connection_id, []) if action in g.actions]


def build_access(user) -> Access:
    if user is None or not user.is_authenticated or not user.is_active:
        return Access(user_id=None, is_superuser=False)
    if user.is_superuser:
        connections = {c.pk: c for c in Connection.objects.active().defer(*_secret_fields())}
        grants = {cid: [Grant(cid, ALL_ACTIONS, None)] for cid in connections}
        return Access(user.pk, True, grants, connections)
    return _access_from(user, _memberships_of(user))


@functools.cache
def _secret_fields() -> tuple[str, ...]:
    """The connection's encrypted fields (the models do not change once loaded: read once)."""
    return tuple(f.name for f in Connection._meta.concrete_fields if isinstance(f, EncryptedTextField))


@functools.cache
def _memberships_sql(vendor: str) -> str:
    """The memberships statement, its names quoted for the database (built once per vendor)."""
    quote = db_connection.ops.quote_name
    secret = _secret_fields()
    columns = ", ".join(f"c.{quote(f.column)}" for f in Connection._meta.concrete_fields if f.name not in secret)
    return (
        f"SELECT {columns}, m.role AS membership_role, m.service_codes AS membership_services "  # noqa: S608 (names from the models)
        f"FROM {quote(Membership._meta.db_table)} m JOIN {quote(Connection._meta.db_table)} c "
        "ON c.id = m.connection_id WHERE m.user_id = %s AND c.is_active = %s ORDER BY m.id"
    )


def _memberships_of(user) -> list[tuple[Connection, str, list[str] | None]]:
    """(connection, role, service codes) of each membership of the user on an active connection.

    Every request reads them (SessionHygieneMiddleware, then the view), so the statement is
    written out: the ORM spent longer compiling the join than the database spent answering it.
    The connection's secrets are not read: they stay encrypted until the gateway asks for one.
    """
    rows = Connection.objects.raw(_memberships_sql(db_connection.vendor), [user.pk, True])
    services = Membership._meta.get_field("service_codes")
    return [(c, c.membership_role, services.from_db_value(c.membership_services, None, db_connection)) for c in rows]


def _access_from(user, memberships) -> Access:
    grants: dict[int, list[Grant]] = {}
    connections: dict[int, Connection] = {}
    for connection, role, service_codes in memberships:
        connections.setdefault(connection.pk, connection)
        codes = frozenset(service_codes) if service_codes else None
        grants.setdefault(connection.pk, []).append(Grant(connection.pk, ROLE_ACTIONS.get(role, frozenset()), codes))
    return Access(user.pk, False, grants, connections)


def accesses_for(users) -> dict[int, Access]:
    """The access of many users at once (one query for their memberships), for background jobs."""
    users = list(users)
    memberships: dict[int, list[tuple[Connection, str, list[str] | None]]] = {}
    plain = [u.pk for u in users if u.is_active and not u.is_superuser]
    rows = Membership.objects.filter(user_id__in=plain, connection__is_active=True).select_related("connection")
    for m in rows.defer(*(f"connection__{name}" for name in _secret_fields())):
        memberships.setdefault(m.user_id, []).append((m.connection, m.role, m.service_codes))
    return {
        u.pk: build_access(u) if u.is_superuser or not u.is_active else _access_from(u, memberships.get(u.pk, []))
        for u in users
    }


def access_for(user) -> Access:
    """The user's access, computed once per user object (so once per request)."""
    cached = getattr(user, "_chorusweb_access", None)
    if cached is None:
        cached = build_access(user)
        if user is not None:
            try:
                user._chorusweb_access = cached
            except AttributeError:
                pass
    return cached
