"""Alerts: what each user must hear about, recorded once, then mailed once (or shown in the app).

Two steps, each safe to run again at any time:

* `notices_compute()` reads the mirror with one query per connection and kind (set-based),
  spreads each event to the users whose scope (`chorusweb.access`) lets them see the invoice,
  and records one `Notice` per user, kind, invoice and state. The database refuses a second
  one (`notice_once`), so a re-sync or a second run records nothing new.
* `notices_send_due()` sends what is due: immediate notices at once, the daily digest at the
  user's hour. A mail first *claims* its notices (a conditional UPDATE: a second process finds
  nothing left to claim), is sent, then its notices are marked sent; a failure marks them
  failed and the schedule tries again with backoff; a claim whose process died is released and
  sent by the next run. A notice the user may no longer see is cancelled, never mailed.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection as db
from django.db.models import F, Q
from django.db.models.constants import OnConflict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.models import KIND_ORDER, RECEIVED_KINDS, VALIDATION_KINDS, Channel, Kind, Notice, Preferences
from alerts.selectors import WORKSPACE_ACTION, notice_visible, unread_forget
from alerts.texts import absolute, count_phrase, invoice_path, list_path, notice_line
from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd
from chorusweb.access import Access, Action, access_for, accesses_for
from chorusweb.models import AuditEntry, Connection, Membership, Role, Workspace

logger = logging.getLogger(__name__)

#: Items listed per kind in a mail; the rest is a count and a link to the filtered list.
MAIL_ITEMS_PER_KIND = 10
#: A validation deadline this close (days) is worth its own notice.
VALIDATION_SOON_DAYS = 3
#: "Now late": invoices whose due date passed within this many days (older ones were told then).
LATE_WINDOW_DAYS = 30
#: Notices are kept this long (longer than every window above, so a purged notice is never
#: recorded again), then deleted by the daily job; waiting ones are never deleted.
RETENTION_DAYS = 180
#: A failed action of the last N days is told to its author.
ACTION_WINDOW_DAYS = 7
#: Send attempts of a mail before it waits for an administrator ("Réessayer" in the admin).
MAX_ATTEMPTS = 5
#: Wait before each new attempt after a failure.
BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
#: A claim older than this lost its process (killed between claim and send): released.
STALE_CLAIM = timedelta(minutes=15)
DEFAULT_DIGEST_HOUR = 8
UNSUBSCRIBE_SALT = "alerts.unsubscribe"
#: Notices waiting for their mail.
_WAITING = [Notice.Status.PENDING, Notice.Status.FAILED]


# --- Preferences ---------------------------------------------------------------------------

#: Sensible defaults per role; a user holding several roles gets the strongest of each kind.
ROLE_DEFAULTS: dict[str, dict[str, str]] = {
    Role.RECIPIENT: {
        Kind.LATE: Channel.IMMEDIATE,
        Kind.DUE_TODAY: Channel.IMMEDIATE,
        Kind.ACTION_PROBLEM: Channel.IMMEDIATE,
        Kind.COMPLETED: Channel.DIGEST,
        Kind.DUE_SOON: Channel.DIGEST,
        Kind.TO_PROCESS: Channel.DIGEST,
    },
    Role.VALIDATOR: {
        Kind.VALIDATION_DEADLINE: Channel.IMMEDIATE,
        Kind.ACTION_PROBLEM: Channel.IMMEDIATE,
        Kind.TO_VALIDATE: Channel.DIGEST,
    },
    Role.VIEWER: {Kind.LATE: Channel.DIGEST, Kind.DUE_TODAY: Channel.DIGEST},
}
_STRENGTH = {Channel.NEVER: 0, Channel.APP: 1, Channel.DIGEST: 2, Channel.IMMEDIATE: 3}


def default_channels(roles: Iterable[str]) -> dict[str, str]:
    channels = {kind.value: Channel.NEVER.value for kind in Kind}
    for role in roles:
        for kind, channel in ROLE_DEFAULTS.get(role, {}).items():
            if _STRENGTH[channel] > _STRENGTH[channels[kind]]:
                channels[kind] = channel.value
    return channels


def channels_of(prefs: Preferences | None, roles: Iterable[str]) -> dict[str, str]:
    """Each kind's channel: the user's choice, else the default of their roles."""
    channels = default_channels(roles)
    if prefs is not None:
        channels.update({k: v for k, v in prefs.channels.items() if k in channels and v in Channel.values})
    return channels


def user_roles(user) -> set[str]:
    return set(Membership.objects.filter(user=user, connection__is_active=True).values_list("role", flat=True))


def kinds_for(access: Access) -> list[str]:
    """The kinds a user can receive (those of the workspaces they may see)."""
    kinds = []
    if access.can(Action.VIEW_RECEIVED):
        kinds += RECEIVED_KINDS
    if access.can(Action.VIEW_VALIDATION):
        kinds += VALIDATION_KINDS
    if access.has_any:
        kinds.append(Kind.ACTION_PROBLEM)
    return sorted((Kind(k).value for k in kinds), key=lambda k: KIND_ORDER[k])


@dataclass(frozen=True)
class PreferencesView:
    prefs: Preferences
    channels: dict[str, str]
    kinds: list[str]


def preferences_get(*, user) -> PreferencesView:
    prefs = Preferences.objects.filter(user=user).first() or Preferences(
        user=user, language=translation.get_language() or "fr", digest_hour=DEFAULT_DIGEST_HOUR
    )
    return PreferencesView(prefs, channels_of(prefs, user_roles(user)), kinds_for(access_for(user)))


def preferences_save(*, user, channels: dict[str, str], digest_hour: int, language: str) -> Preferences:
    """Save the user's choices; notices waiting for a mail of a kind now silenced stay in the app only."""
    prefs, _created = Preferences.objects.get_or_create(user=user)
    prefs.channels = {**prefs.channels, **{k: v for k, v in channels.items() if k in Kind.values}}
    prefs.digest_hour = digest_hour
    prefs.language = language
    prefs.save()
    # A notice waiting for a mail of a kind now silenced stays in the app only; one of a kind
    # moved between "at once" and "in the digest" leaves by the new way.
    _silence_waiting(user.pk, [k for k, v in prefs.channels.items() if v in (Channel.APP, Channel.NEVER)])
    for kind, channel in channels.items():
        if channel in (Channel.IMMEDIATE, Channel.DIGEST):
            Notice.objects.filter(user=user, kind=kind, status__in=_WAITING).exclude(channel=channel).update(
                channel=channel
            )
    return prefs


def _silence_waiting(user_id: int, kinds: Sequence[str]) -> int:
    if not kinds:
        return 0
    return Notice.objects.filter(
        user_id=user_id, kind__in=kinds, status__in=[Notice.Status.PENDING, Notice.Status.FAILED]
    ).update(status=Notice.Status.APP)


# --- Unsubscribe links -----------------------------------------------------------------------


def unsubscribe_token(user_id: int, kinds: Sequence[str]) -> str:
    """A signed token that silences these kinds for this user (no login needed, no expiry)."""
    return signing.dumps({"u": user_id, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT, compress=True)


@dataclass(frozen=True)
class Unsubscription:
    user: object
    kinds: list[str]

    @property
    def labels(self) -> list[str]:
        return [str(Kind(k).label) for k in self.kinds]


def unsubscribe_read(token: str) -> Unsubscription:
    """The user and kinds of a token; raises signing.BadSignature when it was not ours."""
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    kinds = [k for k in payload.get("k", []) if k in Kind.values]
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or not kinds:
        raise signing.BadSignature("unknown user or kind")
    return Unsubscription(user, kinds)


def unsubscribe(*, token: str) -> Unsubscription:
    """Silence the token's kinds (mails and app) for its user."""
    unsubscription = unsubscribe_read(token)
    prefs, _created = Preferences.objects.get_or_create(user=unsubscription.user)
    prefs.channels = {**prefs.channels, **dict.fromkeys(unsubscription.kinds, Channel.NEVER.value)}
    prefs.save(update_fields=["channels", "updated_at"])
    _silence_waiting(unsubscription.user.pk, unsubscription.kinds)
    return unsubscription


# --- Computing the notices -----------------------------------------------------------------


@dataclass
class Event:
    """Something about one invoice that some users should hear (or one user, for an action)."""

    kind: str
    workspace: str
    invoice_id: int
    invoice_pk: int | None
    service_code: str
    state_key: str
    data: dict
    user_id: int | None = None


_RECEIVED_FIELDS = (
    "pk",
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "supplier_name",
    "service_code",
    "recipient_name",
    "total_incl_tax",
    "amount_due",
    "currency",
    "status_changed_at",
    "deposit_date",
    "clock_due",
    "clock_days_late",
    "clock_interest",
)
_VALIDATION_FIELDS = (
    "pk",
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "supplier_name",
    "service_code",
    "recipient_name",
    "total_incl_tax",
    "amount_due",
    "currency",
    "status",
    "deadline",
    "deposit_date",
)


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localdate(value).isoformat() if timezone.is_aware(value) else value.date().isoformat()
    return value.isoformat()


def _base_data(row: dict, connection: Connection) -> dict:
    amount = row["amount_due"] if row.get("amount_due") is not None else row.get("total_incl_tax")
    if amount is not None and (row.get("invoice_type") or "").upper() == "AVOIR":
        amount = -abs(amount)  # a credit note counts with its sign
    return {
        "number": row.get("invoice_number") or str(row["invoice_id"]),
        "supplier": row.get("supplier_name") or "",
        "amount": str(amount) if amount is not None else "",
        "currency": row.get("currency") or "EUR",
        "recipient": row.get("recipient_name") or "",
        "connection": connection.name,
        "deposit": _iso(row.get("deposit_date")),
    }


def _received_events(connection: Connection, *, since: datetime | None, today: date, soon_days: int) -> list[Event]:
    from invoices.models import InterestRate, ReceivedInvoice

    base = ReceivedInvoice.objects.filter(connection=connection)
    running = base.filter(clock_state=pd.State.RUNNING)
    touched = base.filter(synced_at__gte=since) if since is not None else base
    queries = (
        (Kind.TO_PROCESS, touched.filter(status=lc.MISE_A_DISPOSITION)),
        (Kind.COMPLETED, touched.filter(status=lc.COMPLETEE)),
        (Kind.DUE_SOON, running.filter(clock_due__gt=today, clock_due__lte=today + timedelta(days=soon_days))),
        (Kind.DUE_TODAY, running.filter(clock_due=today)),
        (Kind.LATE, running.filter(clock_due__lt=today, clock_due__gte=today - timedelta(days=LATE_WINDOW_DAYS))),
    )
    rates = None
    events = []
    for kind, qs in queries:
        for row in qs.values(*_RECEIVED_FIELDS).iterator(chunk_size=2000):
            data = _base_data(row, connection)
            due = row["clock_due"]
            if kind == Kind.TO_PROCESS:
                key = lc.MISE_A_DISPOSITION
            elif kind == Kind.COMPLETED:
                key = f"{lc.COMPLETEE}:{_iso(row['status_changed_at'])}"
                data["completed"] = _iso(row["status_changed_at"])
            else:
                key = f"{kind}:{due.isoformat()}"
                data["due"] = due.isoformat()
            if kind == Kind.LATE:
                if rates is None:
                    rates = InterestRate.table()
                rate = pd.rate_for(due + timedelta(days=1), rates).rate
                amount = Decimal(data["amount"]) if data["amount"] else None
                data["days_late"] = row["clock_days_late"] or (today - due).days
                data["interest"] = str(row["clock_interest"]) if row["clock_interest"] is not None else ""
                data["per_day"] = (
                    str(pd.interest_amount(amount, 1, rate)) if amount is not None and amount > 0 and rate else ""
                )
            events.append(
                Event(kind, Workspace.RECEIVED, row["invoice_id"], row["pk"], row["service_code"] or "", key, data)
            )
    return events


def _validation_events(connection: Connection, *, since: datetime | None, today: date) -> list[Event]:
    from validators.models import QueueState, ValidationInvoice

    awaiting = ValidationInvoice.objects.filter(connection=connection, state=QueueState.AWAITING)
    touched = awaiting.filter(synced_at__gte=since) if since is not None else awaiting
    queries = (
        (Kind.TO_VALIDATE, touched),
        (
            Kind.VALIDATION_DEADLINE,
            awaiting.filter(deadline__gte=today, deadline__lte=today + timedelta(days=VALIDATION_SOON_DAYS)),
        ),
    )
    events = []
    for kind, qs in queries:
        for row in qs.values(*_VALIDATION_FIELDS).iterator(chunk_size=2000):
            data = {**_base_data(row, connection), "deadline": _iso(row["deadline"])}
            key = row["status"] if kind == Kind.TO_VALIDATE else f"deadline:{_iso(row['deadline'])}"
            events.append(
                Event(kind, Workspace.VALIDATION, row["invoice_id"], row["pk"], row["service_code"] or "", key, data)
            )
    return events


def _action_events(connection: Connection, *, user_ids: Iterable[int], now: datetime) -> list[Event]:
    from invoices.models import ReceivedInvoice
    from validators.models import ValidationInvoice

    entries = list(
        AuditEntry.objects.filter(
            connection=connection,
            user_id__in=list(user_ids),
            state__in=[AuditEntry.State.UNCONFIRMED, AuditEntry.State.FAILED],
            created_at__gte=now - timedelta(days=ACTION_WINDOW_DAYS),
        )
    )
    if not entries:
        return []
    mirrors = {Workspace.RECEIVED: ReceivedInvoice, Workspace.VALIDATION: ValidationInvoice}
    rows: dict[tuple[str, int], dict] = {}
    for workspace, model in mirrors.items():
        ids = {e.invoice_id for e in entries if e.workspace == workspace and e.invoice_id}
        for row in model.objects.filter(connection=connection, invoice_id__in=ids).values(*_RECEIVED_FIELDS[:10]):
            rows[(workspace, row["invoice_id"])] = row
    events = []
    for entry in entries:
        row = rows.get((entry.workspace, entry.invoice_id))
        data = (
            _base_data(row, connection)
            if row
            else {"number": entry.invoice_number or str(entry.invoice_id or ""), "connection": connection.name}
        )
        data.update(
            {
                "action": entry.summary,
                "outcome": entry.get_state_display(),
                "detail": entry.outcome[:300],
                "audit": entry.pk,
            }
        )
        events.append(
            Event(
                Kind.ACTION_PROBLEM,
                entry.workspace,
                entry.invoice_id or 0,
                row["pk"] if row else None,
                (row or {}).get("service_code") or "",
                f"{entry.pk}:{entry.state}",
                data,
                user_id=entry.user_id,
            )
        )
    return events


def _existing(connection: Connection, events: Sequence[Event]) -> set[tuple]:
    """Keys of the notices already recorded for these events (a few chunked queries)."""
    found: set[tuple] = set()
    ids = sorted({e.invoice_id for e in events})
    kinds = sorted({e.kind for e in events})
    for start in range(0, len(ids), 500):
        found.update(
            Notice.objects.filter(connection=connection, kind__in=kinds, invoice_id__in=ids[start : start + 500])
            .values_list("user_id", "kind", "workspace", "invoice_id", "state_key")
            .iterator(chunk_size=5000)
        )
    return found


@dataclass
class _Audience:
    """Who on a connection sees what: per workspace, the users seeing every service, and by service."""

    everything: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_service: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, user_id: int, access: Access, connection_id: int) -> None:
        for workspace, action in WORKSPACE_ACTION.items():
            if connection_id not in access.connection_ids(action):
                continue
            codes = access.services(action, connection_id)
            if codes is None:
                self.everything[workspace].append(user_id)
            else:
                for code in codes:
                    self.by_service[workspace][code].append(user_id)

    def users(self, workspace: str, service_code: str) -> list[int]:
        return self.everything.get(workspace, []) + self.by_service.get(workspace, {}).get(service_code, [])


_DATA_FIELD = Notice._meta.get_field("data")
_INSERTED = (
    "user",
    "kind",
    "workspace",
    "connection",
    "invoice_id",
    "state_key",
    "invoice_pk",
    "service_code",
    "data",
    "channel",
    "status",
    "created_at",
)


def _insert_notices(rows: list[tuple], batch: int = 2000) -> None:
    """Insert notices in batches of one prepared statement; the constraint makes a duplicate a no-op.

    (Django's bulk_create spends most of its time building SQL row by row: ten times slower here.)
    """
    if not rows:
        return
    ops = db.ops
    meta = Notice._meta
    columns = [meta.get_field(name).column for name in _INSERTED] + ["attempts", "last_error"]
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(meta.db_table)} "
        f"({', '.join(ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        + (ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None) or "")
    )
    with db.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [(*row, 0, "") for row in rows[start : start + batch]])


def notices_compute(
    *,
    connection_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> int:
    """Record the notices due on these connections (every active one by default).

    `since`: only invoices written to the mirror since then can be "new" (to process, completed,
    to validate); None considers every one (each is told once all the same). Returns how many
    notices were recorded.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    soon_days = settings.CHORUSWEB_ALERTS_DUE_SOON_DAYS
    connections = Connection.objects.active()
    if connection_ids is not None:
        connections = connections.filter(pk__in=list(connection_ids))
    connections = list(connections)
    memberships = Membership.objects.filter(connection__in=connections, user__is_active=True).values_list(
        "user_id", "connection_id", "role"
    )
    roles: dict[int, set[str]] = defaultdict(set)
    on_connection: dict[int, set[int]] = defaultdict(set)
    for user_id, connection_id, role in memberships:
        roles[user_id].add(role)
        on_connection[connection_id].add(user_id)
    if not roles:
        return 0
    users = get_user_model().objects.filter(pk__in=list(roles))
    accesses = accesses_for(users)
    prefs = {p.user_id: p for p in Preferences.objects.filter(user_id__in=list(roles))}
    channels = {uid: channels_of(prefs.get(uid), roles[uid]) for uid in roles}
    recorded = 0
    created = db.ops.adapt_datetimefield_value(now)
    for connection in connections:
        user_ids = sorted(on_connection.get(connection.pk, ()))
        if not user_ids:
            continue
        audience = _Audience()
        for uid in user_ids:
            audience.add(uid, accesses[uid], connection.pk)
        events: list[Event] = []
        if audience.everything.get(Workspace.RECEIVED) or audience.by_service.get(Workspace.RECEIVED):
            events += _received_events(connection, since=since, today=today, soon_days=soon_days)
        if audience.everything.get(Workspace.VALIDATION) or audience.by_service.get(Workspace.VALIDATION):
            events += _validation_events(connection, since=since, today=today)
        events += _action_events(connection, user_ids=user_ids, now=now)
        if not events:
            continue
        existing = _existing(connection, events)
        fresh: list[tuple] = []
        touched: set[int] = set()
        for event in events:
            if event.user_id is not None:
                access = accesses.get(event.user_id)
                action = WORKSPACE_ACTION.get(event.workspace)
                visible = access is not None and action is not None and connection.pk in access.connection_ids(action)
                if visible and event.invoice_pk is not None:
                    visible = access.can(action, connection.pk, event.service_code)
                targets = [event.user_id] if visible else []
            else:
                targets = audience.users(event.workspace, event.service_code)
            data = None
            for uid in targets:
                channel = channels[uid][event.kind]
                if channel == Channel.NEVER:
                    continue
                if (uid, event.kind, event.workspace, event.invoice_id, event.state_key) in existing:
                    continue
                if data is None:
                    data = _DATA_FIELD.get_db_prep_save(event.data, db)  # encoded once per event
                status = Notice.Status.APP if channel == Channel.APP else Notice.Status.PENDING
                fresh.append(
                    (
                        uid,
                        event.kind,
                        event.workspace,
                        connection.pk,
                        event.invoice_id,
                        event.state_key,
                        event.invoice_pk,
                        event.service_code,
                        data,
                        channel,
                        status,
                        created,
                    )
                )
                touched.add(uid)
        _insert_notices(fresh)
        unread_forget(touched)
        recorded += len(fresh)
    return recorded


# --- Mails ---------------------------------------------------------------------------------


@dataclass
class Section:
    kind: str
    title: str
    count: int
    items: list[dict]
    more: int
    link: str
    unsubscribe_url: str


def mail_sections(user_id: int, notices: Sequence[Notice], today: date | None = None) -> list[Section]:
    by_kind: dict[str, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_kind[notice.kind].append(notice)
    sections = []
    for kind in sorted(by_kind, key=lambda k: KIND_ORDER.get(k, 99)):
        group = sorted(by_kind[kind], key=lambda n: (n.data.get("due") or n.data.get("deadline") or "", n.invoice_id))
        items = [{"line": notice_line(n, today), "url": absolute(invoice_path(n))} for n in group[:MAIL_ITEMS_PER_KIND]]
        sections.append(
            Section(
                kind=kind,
                title=str(Kind(kind).label),
                count=len(group),
                items=items,
                more=len(group) - len(items),
                link=absolute(list_path(kind)),
                unsubscribe_url=absolute(reverse("alerts:unsubscribe", args=[unsubscribe_token(user_id, [kind])])),
            )
        )
    return sections


def mail_subject(sections: Sequence[Section], organisation: str) -> str:
    """ "3 factures en retard, 12 à traiter — Commune de Saint-Aubin": counts, most urgent first."""
    parts = ", ".join(count_phrase(s.kind, s.count) for s in sections[:3])
    return f"{parts} — {organisation}" if organisation else parts


def _organisation(notices: Sequence[Notice]) -> str:
    names = Counter(n.data.get("recipient") or n.data.get("connection") or "" for n in notices)
    names.pop("", None)
    return names.most_common(1)[0][0] if names else ""


def mail_build(*, user, notices: Sequence[Notice], language: str, digest: bool) -> EmailMultiAlternatives:
    """The mail of these notices: subject with counts, a plain-text part and an accessible HTML part."""
    with translation.override(language):
        sections = mail_sections(user.pk, notices)
        kinds = [s.kind for s in sections]
        unsubscribe_all = absolute(reverse("alerts:unsubscribe", args=[unsubscribe_token(user.pk, kinds)]))
        context = {
            "user": user,
            "sections": sections,
            "digest": digest,
            "subject": mail_subject(sections, _organisation(notices)),
            "preferences_url": absolute(reverse("alerts:preferences")),
            "notices_url": absolute(reverse("alerts:notices")),
            "unsubscribe_all": unsubscribe_all,
            "language": language,
        }
        text = render_to_string("alerts/mail/notices.txt", context)
        html = render_to_string("alerts/mail/notices.html", context)
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=text,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_all}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- Sending -------------------------------------------------------------------------------


@dataclass
class SendReport:
    mails: int = 0
    notices: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _retry_due(now: datetime) -> Q:
    return Q(status__in=_WAITING, attempts__lt=MAX_ATTEMPTS) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def claims_release(*, now: datetime | None = None) -> int:
    """Claims older than STALE_CLAIM lost their process: back to the queue, counted as an attempt."""
    now = now or timezone.now()
    return Notice.objects.filter(status=Notice.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Notice.Status.FAILED,
        claim=None,
        attempts=F("attempts") + 1,
        next_attempt_at=now,
        last_error=_("Envoi interrompu (processus arrêté) : nouvel essai."),
    )


def notices_claim(
    pks: Sequence[int] | None = None,
    *,
    now: datetime,
    user_id: int | None = None,
    channel: str | None = None,
) -> uuid.UUID | None:
    """Take waiting notices for one mail: these `pks`, or every one of a user and channel whose
    attempt is due. A conditional UPDATE: a second process finds nothing left to take (None)."""
    claim = uuid.uuid4()
    waiting = Notice.objects.filter(_retry_due(now))
    if user_id is not None:
        waiting = waiting.filter(user_id=user_id, channel=channel)  # the outbox index
    if pks is not None:
        waiting = waiting.filter(pk__in=list(pks))
    taken = waiting.update(status=Notice.Status.SENDING, claim=claim, claimed_at=now)
    return claim if taken else None


def mail_send(
    claim: uuid.UUID,
    *,
    digest: bool,
    now: datetime | None = None,
    user=None,
    access: Access | None = None,
    prefs: Preferences | None = None,
) -> SendReport:
    """Send the mail of a claim, then record the outcome on its notices.

    `user`, `access` and `prefs` may be given when already loaded (the sender loads them for
    every user at once); a notice the user may no longer see is cancelled, never mailed.
    """
    now = now or timezone.now()
    report = SendReport()
    notices = list(Notice.objects.filter(claim=claim, status=Notice.Status.SENDING))
    if not notices:
        return report
    if user is None:
        user = get_user_model().objects.get(pk=notices[0].user_id)
        prefs = Preferences.objects.filter(user=user).first()
    access = access or access_for(user)
    gone = [n.pk for n in notices if not notice_visible(access, n)]
    if gone:
        report.cancelled = Notice.objects.filter(pk__in=gone).update(status=Notice.Status.CANCELLED, claim=None)
        unread_forget([user.pk])
        notices = [n for n in notices if n.pk not in set(gone)]
    if not notices:
        return report
    if not user.is_active or not user.email:
        Notice.objects.filter(claim=claim, status=Notice.Status.SENDING).update(
            status=Notice.Status.APP, last_error=_("Pas d'adresse e-mail : visible dans l'application seulement.")
        )
        return report
    language = prefs.language if prefs else settings.LANGUAGE_CODE
    try:
        mail_build(user=user, notices=notices, language=language, digest=digest).send()
    except Exception as exc:
        logger.warning("Mail of %d notices to user %s failed: %s", len(notices), user.pk, exc)
        attempt = notices[0].attempts
        Notice.objects.filter(claim=claim, status=Notice.Status.SENDING).update(
            status=Notice.Status.FAILED,
            attempts=F("attempts") + 1,
            next_attempt_at=now + BACKOFF[min(attempt, len(BACKOFF) - 1)],
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        report.failed = len(notices)
        return report
    report.notices = Notice.objects.filter(claim=claim, status=Notice.Status.SENDING).update(
        status=Notice.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    report.mails = 1
    if digest and not Preferences.objects.filter(user=user).update(last_digest_at=now):
        Preferences.objects.create(user=user, last_digest_at=now, language=language)
    return report


def _digest_due(prefs: Preferences | None, local: datetime) -> bool:
    hour = prefs.digest_hour if prefs else DEFAULT_DIGEST_HOUR
    if local.hour < hour:
        return False
    last = prefs.last_digest_at if prefs else None
    return last is None or timezone.localtime(last).date() < local.date()


def notices_send_due(*, now: datetime | None = None, user_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Send what is due: one mail per user for their immediate notices, one digest at their hour."""
    now = now or timezone.now()
    report = SendReport(released=claims_release(now=now))
    waiting = Notice.objects.filter(_retry_due(now), channel__in=[Channel.IMMEDIATE, Channel.DIGEST])
    if user_ids is not None:
        waiting = waiting.filter(user_id__in=list(user_ids))
    plan = sorted(waiting.values_list("user_id", "channel").order_by().distinct())
    # Everything about the users at once: a mail then costs its claim, its read and its outcome.
    ids = {uid for uid, _channel in plan}
    prefs = {p.user_id: p for p in Preferences.objects.filter(user_id__in=ids)}
    users = get_user_model().objects.in_bulk(ids)
    accesses = accesses_for(users.values())
    local = timezone.localtime(now)
    for user_id, channel in plan:
        digest = channel == Channel.DIGEST
        if digest and not _digest_due(prefs.get(user_id), local):
            continue
        if user_id not in users:
            continue
        claim = notices_claim(now=now, user_id=user_id, channel=channel)
        if claim is None:
            continue
        outcome = mail_send(
            claim, digest=digest, now=now, user=users[user_id], access=accesses[user_id], prefs=prefs.get(user_id)
        )
        for name in ("mails", "notices", "failed", "cancelled"):
            setattr(report, name, getattr(report, name) + getattr(outcome, name))
    return report.as_dict()


def notices_purge(*, now: datetime | None = None) -> int:
    """Delete notices older than RETENTION_DAYS that wait for nothing."""
    limit = (now or timezone.now()) - timedelta(days=RETENTION_DAYS)
    deleted, _by_model = (
        Notice.objects.filter(created_at__lt=limit).exclude(status__in=[*_WAITING, Notice.Status.SENDING]).delete()
    )
    return deleted


def notices_retry(*, pks: Sequence[int], now: datetime | None = None) -> int:
    """Put failed notices back in the queue now (admin action): attempts start again."""
    return Notice.objects.filter(pk__in=list(pks), status=Notice.Status.FAILED).update(
        attempts=0, next_attempt_at=now or timezone.now()
    )


# --- The bell ------------------------------------------------------------------------------


def notices_mark_read(*, user, pk: int | None = None) -> int:
    qs = Notice.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    unread_forget([user.pk])
    return qs.update(read_at=timezone.now())
