"""Reads of the validation queue mirror, always scoped by the user's validator memberships.

Days left before tacit validation are computed from one clock, `today()`, so that tests (and
only they) can move it. The queue is sorted by the stored, indexed `deadline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chorusweb import lifecycle as lc
from chorusweb import workspace
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.models import AuditEntry, Workspace
from chorusweb.money import net_amount
from chorusweb.selection import SelectionSummary
from chorusweb.sync import SyncStatus, sync_statuses
from chorusweb.workspace import GroupedCounts, ListFilters, Tab, TabCount
from invoices.selectors import invoice_scope
from validators.models import QueueState, ValidationInvoice

#: Days left at or under which an invoice is shown as urgent.
SOON_DAYS = 3


def today() -> date:
    """The validators' today (Paris): the one clock of the urgency computation."""
    return timezone.localdate()


# --- Urgency ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urgency:
    """Days left before tacit validation, with a state and a label that do not rely on colour."""

    days_left: int | None
    state: str  # "overdue" | "today" | "soon" | "later" | "unknown"

    @property
    def label(self) -> str:
        n = self.days_left
        if n is None:
            return str(_("Date de dépôt inconnue"))
        if n < 0:
            return ngettext("En retard de %(n)d j", "En retard de %(n)d j", -n) % {"n": -n}
        if n == 0:
            return str(_("Dernier jour"))
        return ngettext("%(n)d j restant", "%(n)d j restants", n) % {"n": n}

    @property
    def css(self) -> str:
        return {"overdue": "danger", "today": "danger", "soon": "waiting", "later": "todo"}.get(self.state, "final")


def urgency(deadline: date | None, *, on: date | None = None) -> Urgency:
    """The urgency of an invoice whose last validation day is `deadline` (deposit + 15 days)."""
    if deadline is None:
        return Urgency(None, "unknown")
    n = (deadline - (on or today())).days
    if n < 0:
        state = "overdue"
    elif n == 0:
        state = "today"
    elif n <= SOON_DAYS:
        state = "soon"
    else:
        state = "later"
    return Urgency(n, state)


#: The urgency filter of the queue (URL value -> label).
URGENCY_CHOICES = (
    ("retard", _("En retard")),
    ("urgent", _("3 jours ou moins")),
    ("plus-tard", _("Plus de 3 jours")),
)


# --- The queue -------------------------------------------------------------------------------


DEFAULT_TAB = "a-valider"
TABS: tuple[Tab, ...] = workspace.tab_set(
    Tab("a-valider", _("À valider"), (QueueState.AWAITING,)),
    Tab("validees", _("Validées"), (QueueState.VALIDATED, QueueState.TACIT)),
    Tab("refusees", _("Refusées"), (QueueState.REFUSED,)),
    # Every status has a home: those unknown to us, and invoices no longer visible upstream.
    Tab("autres", _("Autres statuts"), (QueueState.OTHER, QueueState.GONE)),
    workspace.ALL_STATUSES,
)

#: Sort keys offered on the queue (URL value -> model fields), each backed by an index.
SORTS: dict[str, tuple[str, ...]] = {
    "urgence": ("deadline", "invoice_id"),
    **workspace.SORTS,
    "fournisseur": ("supplier_name", "invoice_id"),
    "destinataire": ("recipient_name", "invoice_id"),
    # Signed (annotated): credit notes sort below zero, where a user expects them.
    "ttc": ("net_incl_tax", "invoice_id"),
}
DEFAULT_SORT = "urgence"

LIST_FIELDS = (*workspace.LIST_FIELDS, "framework", "state", "level", "deadline", "supplier_code", "supplier_name")


@dataclass(frozen=True)
class QueueFilters(ListFilters, tabs=TABS):
    """What the queue shows (from `QueueFilterForm`)."""

    tab: str = DEFAULT_TAB
    supplier: str = ""
    recipient: str = ""
    framework: str = ""
    level: int | None = None
    urgency: str = ""
    sort: str = DEFAULT_SORT
    # Set by the dashboard's links: exact recipient structure (SIRET) and service code.
    structure: str = ""
    service: str = ""


@dataclass
class QueueRow:
    """A row of the queue page: the mirror's values and its urgency."""

    values: dict
    urgency: Urgency

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def framework_label(self) -> str:
        return str(lc.FRAMEWORK_LABELS.get(self.values["framework"], self.values["framework"]))


@dataclass
class QueuePage:
    page: Page
    rows: list[QueueRow]
    tabs: list[TabCount]
    total_count: int  # exact, or COUNT_BOUND when `bounded`
    total_incl_tax: Decimal | None  # net: credit notes count with their sign; None: not computed
    filters: QueueFilters
    credit_count: int = 0
    credit_incl_tax: Decimal = Decimal(0)
    by_state: dict[str, int] = field(default_factory=dict)
    today: date | None = None
    bounded: bool = False  # more invoices than COUNT_BOUND under the filters: not all counted

    @property
    def count_bound(self) -> int:
        return workspace.COUNT_BOUND


CREDIT = Q(invoice_type__iexact="AVOIR")
net = net_amount


def validation_scope(*, user, action: Action = Action.VIEW_VALIDATION) -> QuerySet[ValidationInvoice]:
    """Every mirrored validation invoice the user may see (or act on, for `action`)."""
    return ValidationInvoice.objects.filter(access_for(user).scope(action))


def _filtered(qs: QuerySet, f: QueueFilters, *, on: date) -> QuerySet:
    qs = f.shared(qs)
    if f.supplier:
        term = f.supplier.strip()
        qs = qs.filter(Q(supplier_name__icontains=term) | Q(supplier_code__contains=term.replace(" ", "")))
    if f.recipient:
        term = f.recipient.strip()
        qs = qs.filter(
            Q(recipient_name__icontains=term) | Q(recipient_code__contains=term) | Q(service_code__iexact=term)
        )
    if f.framework:
        qs = qs.filter(framework=f.framework)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.urgency == "retard":
        qs = qs.filter(deadline__lt=on)
    elif f.urgency == "urgent":
        qs = qs.filter(deadline__gte=on, deadline__lte=on + timedelta(days=SOON_DAYS))
    elif f.urgency == "plus-tard":
        qs = qs.filter(deadline__gt=on + timedelta(days=SOON_DAYS))
    if f.structure:
        qs = qs.filter(recipient_code=f.structure.strip())
    if f.service:
        qs = qs.filter(service_code__iexact=f.service.strip())
    return qs


def _order(f: QueueFilters) -> list[str]:
    return workspace.sort_order(f.sort, SORTS, DEFAULT_SORT)


def queue_list(*, user, filters: QueueFilters, page: int | str = 1, per_page: int = 50) -> QueuePage:
    """One page of the queue with every tab's count: a bounded count, the grouped counts, the rows.

    Beyond COUNT_BOUND invoices under the filters, like the received list, the queue does not
    count them all on each view: the tabs are shown without a count, the active tab's count stops
    at the bound ("plus de 10 000") and the totals are said not computed.
    """
    on = today()
    base = _filtered(validation_scope(user=user), filters, on=on)
    tab = filters.tab_obj
    rows = (
        tab.rows(base, "state")
        .annotate(net_excl_tax=net("total_excl_tax"), net_incl_tax=net("total_incl_tax"))
        .order_by(*_order(filters))
        .values(*LIST_FIELDS)
    )
    if not workspace.bounded_count(base)[1]:
        count, exact = workspace.bounded_count(rows)
        page_obj = workspace.KnownCountPaginator(rows, per_page, count).get_page(page)
        return QueuePage(
            page=page_obj,
            rows=_queue_rows(page_obj, on),
            tabs=[TabCount(t, count if t == tab and exact else None) for t in TABS],
            total_count=count,
            total_incl_tax=None,
            filters=filters,
            today=on,
            bounded=not exact,
        )
    counts = GroupedCounts.query(
        base,
        "state",
        ttc=Sum(net("total_incl_tax")),
        cn=Count("id", filter=CREDIT),
        cttc=Sum(net("total_incl_tax"), filter=CREDIT),
    )
    page_obj = workspace.tab_page(rows, counts, tab, page=page, per_page=per_page)
    return QueuePage(
        page=page_obj,
        rows=_queue_rows(page_obj, on),
        tabs=counts.tab_counts(TABS),
        total_count=counts.count(tab),
        total_incl_tax=counts.total(tab, "ttc"),
        credit_count=counts.count(tab, "cn"),
        credit_incl_tax=counts.total(tab, "cttc"),
        filters=filters,
        by_state=counts.by_status,
        today=on,
    )


def _queue_rows(page_obj: Page, on: date) -> list[QueueRow]:
    return [
        QueueRow(values, urgency(values["deadline"], on=on) if values["state"] == QueueState.AWAITING else None)
        for values in page_obj.object_list
    ]


def queue_count(user) -> int | workspace.AtLeast:
    """Invoices awaiting the user's validation (for the menu of every page): one indexed COUNT,
    up to COUNT_BOUND (beyond it, `AtLeast`)."""
    if not access_for(user).can(Action.VIEW_VALIDATION):
        return 0
    return workspace.counted(validation_scope(user=user).filter(state=QueueState.AWAITING))


def queue_urgent_count(user) -> int:
    """Invoices awaiting the user's validation whose deadline is at most 3 days away (or past)."""
    if not access_for(user).can(Action.VIEW_VALIDATION):
        return 0
    limit = today() + timedelta(days=SOON_DAYS)
    return validation_scope(user=user).filter(state=QueueState.AWAITING, deadline__lte=limit).count()


def validation_selection_summary(*, user, ids: list[int]) -> SelectionSummary:
    """The count and net totals of the selected invoices the user sees: one aggregate."""
    return workspace.selection_of(validation_scope, user=user, ids=ids)


def queue_view_ids(*, user, filters: QueueFilters, limit: int) -> tuple[list[int], int]:
    """The ids of every invoice of the current queue view (tab, filters, sort), at most `limit`,
    and how many it holds (counted up to `limit` + 1)."""
    qs = filters.tab_obj.rows(_filtered(validation_scope(user=user), filters, on=today()), "state")
    return workspace.first_ids(qs.annotate(net_incl_tax=net("total_incl_tax")).order_by(*_order(filters)), limit)


def validation_get(*, user, pk: int, action: Action = Action.VIEW_VALIDATION) -> ValidationInvoice:
    """One invoice the user may see as validator; 404 otherwise (never reveal others' invoices)."""
    return workspace.visible_row(validation_scope(user=user, action=action), pk)


def validations_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_VALIDATION) -> list[ValidationInvoice]:
    """The invoices among `ids` (mirror pks) the user may see/act on, in the given order."""
    return workspace.in_order(validation_scope(user=user, action=action).select_related("connection"), ids)


def validation_audit(*, invoice: ValidationInvoice) -> list[AuditEntry]:
    """Our actions on the invoice (validation workspace), newest first."""
    return audit_trail(
        connection_id=invoice.connection_id, workspace=Workspace.VALIDATION, invoice_id=invoice.invoice_id
    )


def next_awaiting(*, user, after: ValidationInvoice | None = None) -> ValidationInvoice | None:
    """The most urgent invoice still awaiting the user's validation (other than `after`)."""
    qs = validation_scope(user=user, action=Action.VALIDATE).filter(state=QueueState.AWAITING)
    if after is not None:
        qs = qs.exclude(pk=after.pk)
    return qs.order_by("deadline", "invoice_id").first()


def validation_sync_statuses(*, user) -> list[SyncStatus]:
    """Last successful and last sync run of the validation mirror, per connection the user validates on."""
    return sync_statuses(user=user, workspace=Workspace.VALIDATION, action=Action.VIEW_VALIDATION)


def received_access(*, user, invoice: ValidationInvoice) -> bool:
    """Whether the user also sees, as recipient, where this invoice goes once approved."""
    return access_for(user).can(Action.VIEW_RECEIVED, invoice.connection_id, invoice.service_code)


def received_counterpart(*, user, invoice: ValidationInvoice):
    """The received invoice an approved invoice became, when the user sees it as recipient."""
    if not received_access(user=user, invoice=invoice):
        return None
    return invoice_scope(user=user).filter(connection_id=invoice.connection_id, invoice_id=invoice.invoice_id).first()
