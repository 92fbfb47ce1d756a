"""The audit trail of user actions, and the single-send guarantee built on it.

`audit_begin()` records an action as *pending* in its own committed transaction before
anything is sent upstream. Two database constraints make a second send impossible:
each submitted form carries an idempotency key that can be used once, and at most one
exclusive action may be pending on an invoice at a time. `audit_settle()` records the
outcome, one of: applied (done), refused by Chorus Pro (with its libelle), not sent, or
*unknown* (a timeout, a connection dropped after sending, an unreadable answer: the write may
have been applied). An unknown outcome is checked upstream at once and again by the
reconciliation job (`chorusweb.recovery`); while it is unknown no action is sent on the
invoice, and if it cannot be confirmed it becomes "non confirmée": only a person can decide
to resend it. An action left pending by a process that died is reconciled the same way.

Every upstream write of a workspace has the same shape, `send_once()`: the entry begun, the one
gateway call, what each failure settles; then the mirror update and `audit_settle()` in one
transaction. `resend()` is a person's decision to send again.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorusweb.factpulse import FactPulseError, FactPulseRefused
from chorusweb.http import http_status_for
from chorusweb.models import AuditEntry, Connection


class ActionRejected(Exception):
    """The action was not sent; `message` says why, in French, for the user."""

    http_status = 409

    def __init__(self, message: str, entry: AuditEntry | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry


class UpstreamRefused(ActionRejected):
    """Sent, and refused by Chorus Pro (non-zero codeRetour): shown on the form with its libelle."""

    http_status = 422


class AlreadySubmitted(ActionRejected):
    """This form (idempotency key) was already submitted: nothing is sent again."""


class ActionInProgress(ActionRejected):
    """Another action is being sent for the same invoice right now."""


#: What a form's one-time key looks like (ours are uuid4 hex; bulk entries use `bulk:<run>:<pk>`).
IDEMPOTENCY_KEY_PATTERN = r"\A[A-Za-z0-9_:-]{1,64}\Z"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def is_idempotency_key(value: object) -> bool:
    """True for a well-formed key (anything else, over-long or binary, is never looked up)."""
    return isinstance(value, str) and bool(_KEY.match(value))


def already_submitted(idempotency_key: str | None) -> AlreadySubmitted | None:
    """The refusal to give a form whose key was already used, or None for a fresh form."""
    if not is_idempotency_key(idempotency_key):
        return None
    previous = AuditEntry.objects.filter(idempotency_key=idempotency_key).first()
    if previous is None:
        return None
    return AlreadySubmitted(_already_submitted_message(previous), previous)


class OutcomeUnknown(ActionRejected):
    """Sent, and no usable answer came back: maybe applied. Never to be resent blindly."""

    http_status = 504


#: States in which an action blocks any new action on its invoice.
UNSETTLED = (AuditEntry.State.PENDING, AuditEntry.State.UNKNOWN)


def unsettled_entry(*, connection: Connection, workspace: str, invoice_id: int | None) -> AuditEntry | None:
    """The action on this invoice whose outcome is not known yet, if any."""
    if invoice_id is None:
        return None
    return (
        AuditEntry.objects.filter(
            connection=connection,
            workspace=workspace,
            invoice_id=invoice_id,
            exclusive=True,
            state__in=UNSETTLED,
        )
        .order_by("-created_at")
        .first()
    )


def outcome_context(*, connection_id: int, workspace: str, invoice_id: int | None) -> dict:
    """What an invoice page shows about the outcome of our last actions on it.

    `unsettled`: an action whose outcome is not known yet (the action forms are replaced by
    this notice, which polls until it is known); `awaiting`: actions "non confirmée" that a
    person may decide to resend; `checked`: the last action whose outcome was checked upstream
    in the last hour (what happened, once known).
    """
    if invoice_id is None:
        return {}
    entries = list(
        AuditEntry.objects.filter(
            connection_id=connection_id, workspace=workspace, invoice_id=invoice_id, exclusive=True
        ).order_by("-created_at", "-pk")[:20]
    )
    unsettled = next((e for e in entries if e.state in UNSETTLED), None)
    recent = timezone.now() - timedelta(hours=1)
    checked = next(
        (e for e in entries if e.checked_at and e.state not in UNSETTLED and e.settled_at and e.settled_at > recent),
        None,
    )
    return {
        "unsettled": unsettled,
        "awaiting": [e for e in entries if e.awaits_decision],
        "checked": checked if checked is not None and not checked.awaits_decision else None,
    }


def unknown_outcome_message(entry: AuditEntry) -> str:
    return _(
        "Chorus Pro n'a pas donné de réponse lisible : l'action « %(action)s » a peut-être été appliquée. "
        "Son issue est vérifiée auprès de Chorus Pro ; aucun nouvel envoi n'est possible sur cette facture "
        "d'ici là."
    ) % {"action": entry.summary}


def audit_begin(
    *,
    workspace: str,
    connection: Connection,
    user,
    action: str,
    target: str = "",
    invoice_id: int | None = None,
    invoice_number: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    exclusive: bool = True,
    batch: uuid.UUID | None = None,
) -> AuditEntry:
    """Record the action as pending (committed at once) or raise why it must not be sent."""
    from chorusweb.workers import current_worker_id

    if (refusal := already_submitted(idempotency_key)) is not None:
        raise refusal
    unsettled = (
        unsettled_entry(connection=connection, workspace=workspace, invoice_id=invoice_id) if exclusive else None
    )
    if unsettled is not None and unsettled.state == AuditEntry.State.UNKNOWN:
        raise OutcomeUnknown(unknown_outcome_message(unsettled), unsettled)
    try:
        with transaction.atomic():
            return AuditEntry.objects.create(
                workspace=workspace,
                connection=connection,
                user=user if getattr(user, "pk", None) else None,
                action=action,
                target=target,
                invoice_id=invoice_id,
                invoice_number=invoice_number,
                reason=reason,
                details=details or {},
                idempotency_key=idempotency_key or None,
                exclusive=exclusive,
                batch=batch,
                worker_id=current_worker_id(),
            )
    except IntegrityError:
        if idempotency_key:
            previous = AuditEntry.objects.filter(idempotency_key=idempotency_key).first()
            if previous is not None:
                raise AlreadySubmitted(_already_submitted_message(previous), previous) from None
        pending = (
            AuditEntry.objects.filter(
                connection=connection,
                workspace=workspace,
                invoice_id=invoice_id,
                state=AuditEntry.State.PENDING,
                exclusive=True,
            )
            .select_related("user")
            .first()
        )
        who = (pending.user.get_full_name() or pending.user.username) if pending and pending.user else ""
        message = (
            _("Une action est déjà en cours d'envoi sur cette facture (par %(who)s). Patientez puis rechargez.")
            % {"who": who}
            if who
            else _("Une action est déjà en cours d'envoi sur cette facture. Patientez puis rechargez.")
        )
        raise ActionInProgress(message, pending) from None


def _already_submitted_message(entry: AuditEntry) -> str:
    if entry.state == AuditEntry.State.PENDING:
        return _("Ce formulaire est déjà en cours d'envoi : il ne sera pas envoyé une seconde fois.")
    return _("Ce formulaire a déjà été envoyé (%(state)s) : il ne sera pas envoyé une seconde fois.") % {
        "state": entry.get_state_display()
    }


def audit_settle(
    entry: AuditEntry,
    *,
    state: str,
    outcome: str = "",
    error: FactPulseError | None = None,
) -> AuditEntry:
    """Record the outcome of an unsettled entry. Call it inside the transaction that updates the mirror.

    Only a pending or unknown entry changes (the reconciliation and a late process never
    overwrite each other's known outcome).
    """
    entry.state = state
    entry.settled_at = timezone.now()
    if error is not None:
        entry.outcome = outcome or error.user_message
        entry.error_code = "" if error.code is None else str(error.code)[:60]
        entry.request_id = (error.request_id or "")[:100]
    else:
        entry.outcome = outcome
    AuditEntry.objects.filter(pk=entry.pk, state__in=UNSETTLED).update(
        state=entry.state,
        settled_at=entry.settled_at,
        outcome=entry.outcome,
        error_code=entry.error_code,
        request_id=entry.request_id,
    )
    return entry


def settle_error(entry: AuditEntry, error: FactPulseError) -> AuditEntry:
    """Settle an entry from a gateway error: refused (Chorus Pro said no), unknown or not sent.

    Unknown: the call may have been applied (timeout while waiting, connection dropped after
    sending, unreadable answer, 5xx other than 503). Not sent: nothing reached Chorus Pro
    (connection refused, 503, 429, authentication).
    """
    if isinstance(error, FactPulseRefused):
        return audit_settle(entry, state=AuditEntry.State.REFUSED, error=error)
    if error.may_have_applied:
        return audit_settle(entry, state=AuditEntry.State.UNKNOWN, outcome=unknown_outcome_message(entry), error=error)
    return audit_settle(
        entry,
        state=AuditEntry.State.FAILED,
        outcome=_("Non envoyée : %(reason)s") % {"reason": error.user_message},
        error=error,
    )


def settle_failure(entry: AuditEntry, error: FactPulseError) -> AuditEntry:
    """Settle after a gateway error; an unknown outcome is checked upstream at once.

    Returns the entry as it stands after the check: done (the write was applied after all),
    still unknown, refused or not sent.
    """
    entry = settle_error(entry, error)
    if entry.state == AuditEntry.State.UNKNOWN:
        from chorusweb.recovery import entry_check

        entry = entry_check(entry, interrupted=False)
    return entry


def raise_unsettled(entry: AuditEntry, error: FactPulseError) -> None:
    """After `settle_failure`: raise what the user must be told (unknown, or the gateway error)."""
    if entry.state in UNSETTLED:
        raise OutcomeUnknown(unknown_outcome_message(entry), entry) from error
    raise error


def action_failure(exc: Exception) -> tuple[int, str]:
    """The HTTP status and the message for a failed action, the same in every workspace.

    The status follows `http_status_for()` (422 refused by Chorus Pro, 504 outcome unknown:
    checked upstream, not to be resent, 409 not sent, 503/502 upstream unavailable or in
    error); the message is the rejection's, or the upstream error's safe user message.
    """
    if isinstance(exc, ActionRejected):
        return http_status_for(exc), exc.message
    if isinstance(exc, FactPulseError):
        return http_status_for(exc), exc.user_message
    raise exc


def audit_trail(*, connection_id: int, workspace: str, invoice_id: int, limit: int = 200) -> list[AuditEntry]:
    """Our actions on one invoice of a workspace, newest first."""
    return list(
        AuditEntry.objects.filter(connection_id=connection_id, workspace=workspace, invoice_id=invoice_id)
        .select_related("user")
        .order_by("-created_at", "-pk")[:limit]
    )


class Sent[T](NamedTuple):
    """A write sent once: its settled or pending entry, and the gateway's answer; no answer (None)
    when none came back but the check upstream found the write applied (the entry then says done)."""

    entry: AuditEntry
    answer: T | None


def send_once[T](
    send: Callable[[], T],
    workspace: str,
    user,
    *,
    invoice: Any = None,
    refused: type[UpstreamRefused] | None = None,
    on_refused: Callable[[], object] | None = None,
    **action: Any,
) -> Sent[T]:
    """Record an upstream write of `user` in `workspace` (`audit_begin(**action)`, committed before
    anything is sent; `invoice`: the mirrored invoice it acts on, for its connection, id and
    number), make its one gateway call `send()`, and settle what went wrong (the caller settles a
    success, with its mirror update, in one transaction).

    Refused by Chorus Pro: the entry says so, `on_refused()` runs (the mirror is behind upstream:
    re-read the invoice, inside a bulk run too) and `refused(libelle, entry)` is raised. No usable
    answer: the outcome is checked upstream at once; unknown still, OutcomeUnknown is raised;
    applied after all, the answer is None. Not sent: the gateway error is raised. Without
    `refused` (a download), every failure is raised: a lost answer is a lost document.
    """
    if invoice is not None:
        action = {
            "connection": invoice.connection,
            "invoice_id": invoice.invoice_id,
            "invoice_number": invoice.invoice_number,
            **action,
        }
    entry = audit_begin(workspace=workspace, user=user, **action)
    try:
        return Sent(entry, send())
    except FactPulseError as exc:
        if refused is not None and isinstance(exc, FactPulseRefused):
            settle_error(entry, exc)
            if on_refused is not None:
                on_refused()
            raise refused(exc.user_message, entry) from exc
        entry = settle_failure(entry, exc)
        if refused is None or entry.state != AuditEntry.State.DONE:
            raise_unsettled(entry, exc)
        return Sent(entry, None)


def check_unchanged(invoice: Any, expected_status: str | None) -> None:
    """Refuse a form whose invoice changed status since it was opened (`expected_status`: the
    status the form showed; None: not checked)."""
    if expected_status is not None and expected_status != invoice.status:
        raise ActionRejected(
            _(
                "La facture est passée au statut « %(status)s » depuis l'ouverture du formulaire : "
                "vérifiez-la avant d'agir."
            )
            % {"status": invoice.status_label}
        )


def resend(entry: AuditEntry, user, model, send: Callable[..., Any]) -> Any:
    """A person's decision: send again an action that could not be confirmed.

    `send(invoice, user=, idempotency_key=)` sends it with the workspace's single-invoice service
    (`model`: its mirror), as `user`, under a one-time key of its own; the entry records the
    action it became.
    """
    invoice = model.objects.select_related("connection").get(connection=entry.connection, invoice_id=entry.invoice_id)
    outcome = send(invoice, user=user, idempotency_key=f"resend:{entry.pk}")
    AuditEntry.objects.filter(pk=entry.pk, resent_as__isnull=True).update(resent_as=outcome.entry)
    return outcome
