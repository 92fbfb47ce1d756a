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
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chorusweb import lifecycle as lc
from chorusweb.access import Action, access_for
from chorusweb.audit import audit_trail
from chorusweb.lists import KnownCountPaginator, TabCount
from chorusweb.models import AuditEntry, Workspace
from chorusweb.money import net_amount
from chorusweb.selection import SelectionSummary, summarize
from chorusweb.sync import SyncStatus, sync_statuses
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


# --- The queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    states: tuple[str, ...] | None


TABS: tuple[Tab, ...] = (
    Tab("a-valider", _("À valider"), (QueueState.AWAITING,)),
    Tab("validees", _("Validées"), (QueueState.VALIDATED, QueueState.TACIT)),
    Tab("refusees", _("Refusées"), (QueueState.REFUSED,)),
    # Every status has a home: those unknown to us, and invoices no longer visible upstream.
    Tab("autres", _("Autres statuts"), (QueueState.OTHER, QueueState.GONE)),
    Tab("toutes", _("Toutes"), None),
)
TABS_BY_SLUG = {t.slug: t for t in TABS}
DEFAULT_TAB = "a-valider"

#: Sort keys offered on the queue (URL value -> model fields), each backed by an index.
SORTS: dict[str, tuple[str, ...]] = {
    "urgence": ("deadline", "invoice_id"),
    "depot": ("deposit_date", "invoice_id"),
    "date": ("invoice_date", "invoice_id"),
    "numero": ("invoice_number", "invoice_id"),
    "fournisseur": ("supplier_name", "invoice_id"),
    "destinataire": ("recipient_name", "invoice_id"),
    # Signed (annotated): credit notes sort below zero, where a user expects them.
    "ttc": ("net_incl_tax", "invoice_id"),
}
DEFAULT_SORT = "urgence"

URGENCY_CHOICES = (
    ("retard", _("En retard")),
    ("urgent", _("3 jours ou moins")),
    ("plus-tard", _("Plus de 3 jours")),
)

LIST_FIELDS = (
    "id",
    "connection_id",
    "invoice_id",
    "invoice_number",
    "invoice_type",
    "framework",
    "status",
    "state",
    "level",
    "invoice_date",
    "deposit_date",
    "deadline",
    "total_excl_tax",
    "total_incl_tax",
    "net_excl_tax",
    "net_incl_tax",
    "currency",
    "supplier_code",
    "supplier_name",
    "recipient_name",
    "service_code",
    "service_name",
)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows (from `QueueFilterForm`)."""

    tab: str = DEFAULT_TAB
    connection_id: int | None = None
    supplier: str = ""
    recipient: str = ""
    number: str = ""
    framework: str = ""
    level: int | None = None
    urgency: str = ""
    deposit_from: date | None = None
    deposit_to: date | None = None
    invoice_from: date | None = None
    invoice_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    # Set by the dashboard's links: exact recipient structure (SIRET) and service code.
    structure: str = ""
    service: str = ""
    sort: str = DEFAULT_SORT

    @property
    def tab_obj(self) -> Tab:
        return TABS_BY_SLUG.get(self.tab, TABS_BY_SLUG[DEFAULT_TAB])


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
    total_count: int
    total_incl_tax: Decimal  # net: credit notes count with their sign
    filters: QueueFilters
    credit_count: int = 0
    credit_incl_tax: Decimal = Decimal(0)
    by_state: dict[str, int] = field(default_factory=dict)
    today: date | None = None


CREDIT = Q(invoice_type__iexact="AVOIR")
net = net_amount


def validation_scope(*, user, action: Action = Action.VIEW_VALIDATION) -> QuerySet[ValidationInvoice]:
    """Every mirrored validation invoice the user may see (or act on, for `action`)."""
    return ValidationInvoice.objects.filter(access_for(user).scope(action))


def _filtered(qs: QuerySet, f: QueueFilters, *, on: date) -> QuerySet:
    if f.connection_id:
        qs = qs.filter(connection_id=f.connection_id)
    if f.supplier:
        term = f.supplier.strip()
        qs = qs.filter(Q(supplier_name__icontains=term) | Q(supplier_code__contains=term.replace(" ", "")))
    if f.recipient:
        term = f.recipient.strip()
        qs = qs.filter(
            Q(recipient_name__icontains=term) | Q(recipient_code__contains=term) | Q(service_code__iexact=term)
        )
    if f.number:
        qs = qs.filter(invoice_number__icontains=f.number.strip())
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
    if f.deposit_from:
        qs = qs.filter(deposit_date__gte=f.deposit_from)
    if f.deposit_to:
        qs = qs.filter(deposit_date__lte=f.deposit_to)
    if f.invoice_from:
        qs = qs.filter(invoice_date__gte=f.invoice_from)
    if f.invoice_to:
        qs = qs.filter(invoice_date__lte=f.invoice_to)
    if f.amount_min is not None:
        qs = qs.filter(total_incl_tax__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(total_incl_tax__lte=f.amount_max)
    if f.structure:
        qs = qs.filter(recipient_code=f.structure.strip())
    if f.service:
        qs = qs.filter(service_code__iexact=f.service.strip())
    return qs


def _order(f: QueueFilters) -> list[str]:
    key = f.sort.lstrip("-")
    if key not in SORTS:
        key, desc = DEFAULT_SORT, False
    else:
        desc = f.sort.startswith("-")
    return [f"-{name}" if desc else name for name in SORTS[key]]


def queue_list(*, user, filters: QueueFilters, page: int | str = 1, per_page: int = 50) -> QueuePage:
    """One page of the queue with every tab's count: two queries (grouped counts, page rows)."""
    on = today()
    base = _filtered(validation_scope(user=user), filters, on=on)
    by_state: dict[str, int] = {}
    totals: dict[str, Decimal] = {}
    credits: dict[str, tuple[int, Decimal]] = {}
    for row in (
        base.order_by()
        .values("state")
        .annotate(
            n=Count("id"),
            ttc=Sum(net("total_incl_tax")),
            cn=Count("id", filter=CREDIT),
            cttc=Sum(net("total_incl_tax"), filter=CREDIT),
        )
    ):
        by_state[row["state"]] = row["n"]
        totals[row["state"]] = row["ttc"] or Decimal(0)
        credits[row["state"]] = (row["cn"], row["cttc"] or Decimal(0))

    def count_of(states) -> int:
        return sum(by_state.values()) if states is None else sum(by_state.get(s, 0) for s in states)

    active = filters.tab_obj.states
    rows = base if active is None else base.filter(state__in=active)
    rows = (
        rows.annotate(net_excl_tax=net("total_excl_tax"), net_incl_tax=net("total_incl_tax"))
        .order_by(*_order(filters))
        .values(*LIST_FIELDS)
    )
    page_obj = KnownCountPaginator(rows, per_page, count_of(active)).get_page(page)
    keys = by_state.keys() if active is None else [s for s in active if s in by_state]
    return QueuePage(
        page=page_obj,
        rows=[
            QueueRow(values, urgency(values["deadline"], on=on) if values["state"] == QueueState.AWAITING else None)
            for values in page_obj.object_list
        ],
        tabs=[TabCount(tab, count_of(tab.states)) for tab in TABS],
        total_count=count_of(active),
        total_incl_tax=sum((totals[k] for k in keys), Decimal(0)),
        credit_count=sum(credits[k][0] for k in keys),
        credit_incl_tax=sum((credits[k][1] for k in keys), Decimal(0)),
        filters=filters,
        by_state=by_state,
        today=on,
    )


def queue_count(user) -> int:
    """Invoices awaiting the user's validation (for the menu): one indexed COUNT."""
    if not access_for(user).can(Action.VIEW_VALIDATION):
        return 0
    return validation_scope(user=user).filter(state=QueueState.AWAITING).count()


def queue_urgent_count(user) -> int:
    """Invoices awaiting the user's validation whose deadline is at most 3 days away (or past)."""
    if not access_for(user).can(Action.VIEW_VALIDATION):
        return 0
    limit = today() + timedelta(days=SOON_DAYS)
    return validation_scope(user=user).filter(state=QueueState.AWAITING, deadline__lte=limit).count()


def validation_selection_summary(*, user, ids: list[int]) -> SelectionSummary:
    """The count and net totals of the selected invoices the user sees: one aggregate."""
    if not ids:
        return SelectionSummary()
    rows = validation_scope(user=user).filter(pk__in=ids)
    return summarize(rows, excl_tax=net("total_excl_tax"), incl_tax=net("total_incl_tax"))


def queue_view_ids(*, user, filters: QueueFilters, limit: int) -> tuple[list[int], int]:
    """The ids of every invoice of the current queue view (tab, filters, sort), at most `limit`,
    and how many it holds (counted up to `limit` + 1)."""
    on = today()
    qs = _filtered(validation_scope(user=user), filters, on=on)
    states = filters.tab_obj.states
    if states is not None:
        qs = qs.filter(state__in=states)
    qs = qs.annotate(net_incl_tax=net("total_incl_tax")).order_by(*_order(filters))
    pks = list(qs.values_list("pk", flat=True)[: limit + 1])
    return pks[:limit], len(pks)


def validation_get(*, user, pk: int, action: Action = Action.VIEW_VALIDATION) -> ValidationInvoice:
    """One invoice the user may see as validator; 404 otherwise (never reveal others' invoices)."""
    invoice = validation_scope(user=user, action=action).select_related("connection").filter(pk=pk).first()
    if invoice is None:
        raise Http404(_("Facture introuvable."))
    return invoice


def validations_by_ids(*, user, ids: list[int], action: Action = Action.VIEW_VALIDATION) -> list[ValidationInvoice]:
    """The invoices among `ids` (mirror pks) the user may see/act on, in the given order."""
    found = {
        inv.pk: inv
        for inv in validation_scope(user=user, action=action).filter(pk__in=ids).select_related("connection")
    }
    return [found[i] for i in ids if i in found]


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
