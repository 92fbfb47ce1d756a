"""The payment-delay clock (délai global de paiement) of a received invoice: pure rules.

Rules as data, checked by pure functions, like `chorusweb.lifecycle`: `compute_clock()` turns
an observed timeline (the status changes seen at sync and the actions taken here), the deposit
date, an agent-recorded service-done date and the structure's profile into a `Clock`. Nothing
here reads the database or the current time; callers pass `today` and the rate table.

Articles of the Code de la commande publique (shown next to each figure):

* R2192-10: 30 days for the State, local authorities and their public bodies;
* R2192-11: 50 days for public hospitals, 60 days for public undertakings;
* L2192-10: a contract may set a shorter delay, never a longer one;
* R2192-12: the clock starts at the reception of the payment request (for an invoice received
  through Chorus Pro, the day it is made available to the recipient, `MISE_A_DISPOSITION`);
* R2192-13: when the service is done after reception, the clock starts on that day;
* R2192-27: the delay can be interrupted (suspended) once, before the payment order (mandat);
* R2192-28: the interruption states the missing pieces;
* R2192-29: when the pieces arrive, a new delay of 30 days starts, or the remaining balance
  when it is longer;
* R2192-31: late-payment interest at the ECB main refinancing rate in force on the first day
  of the half-year in which the interest started, plus 8 points;
* R2192-32 / D2192-35: a flat €40 indemnity for recovery costs;
* R2192-36: interest and indemnity are paid within 45 days of the principal.

Decisions where the texts leave the dashboard to choose (documented in docs/payment-delay.md):

* a credit note (`AVOIR`) is not a payment request from the supplier: no clock, no interest;
* `REJETEE` and `A_RECYCLER` end the clock with no interest estimate (the supplier issues a
  new invoice; a re-routed invoice starts a new clock where it lands);
* an invoice first seen already completed (`COMPLETEE`) whose suspension date was never
  observed gets the guaranteed new 30-day delay from its completion;
* interest is counted on 365 days in leap years too, as the text says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from chorusweb import lifecycle as lc

# --- Rules as data ---------------------------------------------------------------------------

#: Legal delays (days) by kind of public buyer, with their article.
DELAY_STATE = 30
DELAY_HOSPITAL = 50
DELAY_PUBLIC_UNDERTAKING = 60
LEGAL_DELAYS: dict[int, str] = {
    DELAY_STATE: "R2192-10",
    DELAY_HOSPITAL: "R2192-11",
    DELAY_PUBLIC_UNDERTAKING: "R2192-11",
}
#: Default ordonnateur share (the accountant has the rest) for each legal delay.
DEFAULT_ORDONNATEUR_DAYS: dict[int, int] = {DELAY_STATE: 20, DELAY_HOSPITAL: 35, DELAY_PUBLIC_UNDERTAKING: 60}
#: The new delay after a completed interruption (R2192-29), unless the balance is longer.
DELAY_AFTER_COMPLETION = 30
#: Points added to the ECB main refinancing rate (R2192-31).
RATE_MARGIN_POINTS = Decimal("8")
#: Flat indemnity for recovery costs, per late invoice.
FLAT_INDEMNITY = Decimal("40.00")
INTEREST_DAYS_PER_YEAR = 365
#: Days within which interest and indemnity are paid after the principal (R2192-36).
INTEREST_PAYMENT_DAYS = 45
#: The sort key of an invoice without a due date (paused, no clock): after every real one.
NO_DUE_DATE = date(9999, 12, 31)

ART_DELAY_STATE = "R2192-10"
ART_DELAY_OTHER = "R2192-11"
ART_CONTRACT = "L2192-10"
ART_START = "R2192-12"
ART_SERVICE_DONE = "R2192-13"
ART_SUSPENSION = "R2192-27"
ART_MISSING_PIECES = "R2192-28"
ART_COMPLETION = "R2192-29"
ART_INTEREST = "R2192-31"
ART_INDEMNITY = "R2192-32"
ART_INTEREST_PAYMENT = "R2192-36"

#: Statuses that show the ordonnateur has done its part (payment ordered).
ORDERED = (lc.MANDATEE, lc.MISE_A_DISPOSITION_COMPTABLE, lc.COMPTABILISEE, lc.MISE_EN_PAIEMENT)
#: Statuses that end the clock without payment.
ENDING = (lc.REJETEE, lc.A_RECYCLER)
#: Statuses whose clock cannot be running: it stopped at the payment, or ended (a suspended
#: invoice's clock may still run: a second suspension has no effect).
NEVER_RUNNING = frozenset({lc.MISE_EN_PAIEMENT, *ENDING})
#: Statuses where the invoice has reached the recipient (the clock may run).
RECEIVED = frozenset(lc.RECIPIENT_STATUSES)


class State:
    """Where the clock stands (stored on the mirror row as `clock_state`)."""

    NONE = ""  # no clock: credit note, not yet received
    RUNNING = "running"
    PAUSED = "paused"
    PAID = "paid"
    ENDED = "ended"

    CHOICES = (
        (NONE, _("sans délai")),
        (RUNNING, _("en cours")),
        (PAUSED, _("suspendu")),
        (PAID, _("payée")),
        (ENDED, _("terminé")),
    )


class Origin:
    """Where the start date comes from."""

    OBSERVED = "observed"
    ESTIMATED = "estimated"
    AGENT = "agent"

    CHOICES = (
        (OBSERVED, _("observée")),
        (ESTIMATED, _("date estimée")),
        (AGENT, _("saisie par un agent")),
    )


@dataclass(frozen=True)
class Profile:
    """A structure's payment profile: its delay and the ordonnateur's share of it."""

    delay_days: int = DELAY_STATE
    ordonnateur_days: int = DEFAULT_ORDONNATEUR_DAYS[DELAY_STATE]

    @property
    def accountant_days(self) -> int:
        return max(0, self.delay_days - self.ordonnateur_days)

    @property
    def article(self) -> str:
        if self.delay_days in (DELAY_HOSPITAL, DELAY_PUBLIC_UNDERTAKING):
            return ART_DELAY_OTHER
        if self.delay_days < DELAY_STATE:
            return ART_CONTRACT
        return ART_DELAY_STATE


def check_profile(delay_days: int, ordonnateur_days: int, legal_delay: int = DELAY_STATE) -> str:
    """Why a profile is invalid ("" when valid): a contract may shorten the delay, never lengthen it."""
    if delay_days < 1:
        return str(_("Le délai doit être d'au moins un jour."))
    if delay_days > legal_delay:
        return str(
            _("Un contrat peut raccourcir le délai légal de %(legal)d jours, jamais l'allonger (L2192-10).")
            % {"legal": legal_delay}
        )
    if not 0 <= ordonnateur_days <= delay_days:
        return str(_("La part de l'ordonnateur doit être comprise entre 0 et le délai."))
    return ""


def suspension_refusal(current_status: str | None, *, ordered: bool) -> str:
    """Why a suspension must be refused ("" when allowed): never after the payment order (R2192-27)."""
    if ordered or lc.normalise_status(current_status) in ORDERED:
        return str(
            _(
                "Suspension impossible : la facture est déjà mandatée. L'interruption du délai de paiement "
                "n'est possible qu'avant le mandatement (article R2192-27)."
            )
        )
    return ""


# --- Half-years and rates ------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class HalfYear:
    year: int
    half: int  # 1: January-June, 2: July-December

    @classmethod
    def of(cls, day: date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    def __str__(self) -> str:
        return f"S{self.half} {self.year}"

    @property
    def label(self) -> str:
        return str(
            _("%(half)s semestre %(year)d") % {"half": _("1er") if self.half == 1 else _("2d"), "year": self.year}
        )


@dataclass(frozen=True)
class RateChoice:
    """The rate used for an interest estimate, and whether it must be confirmed."""

    rate: Decimal | None  # percent, ECB rate + 8 points
    half_year: HalfYear  # the half-year the interest started in
    source: HalfYear | None  # the half-year the rate was read from
    to_confirm: bool  # the half-year has no rate yet: the last known one is used


def rate_for(day: date, rates: Mapping[HalfYear, Decimal]) -> RateChoice:
    """The rate in force on the first day of the half-year of `day`, or the last known one."""
    half = HalfYear.of(day)
    if half in rates:
        return RateChoice(Decimal(rates[half]), half, half, False)
    earlier = [h for h in rates if h < half]
    if earlier:
        last = max(earlier)
        return RateChoice(Decimal(rates[last]), half, last, True)
    return RateChoice(None, half, None, True)


# --- The timeline and the clock --------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One status change: its status and the day it happened (Europe/Paris)."""

    status: str
    day: date
    comment: str = ""


@dataclass(frozen=True)
class ClockEvent:
    """Something that moved the clock, in the order it happened."""

    day: date
    text: str
    article: str = ""


@dataclass(frozen=True)
class Pause:
    start: date
    end: date | None  # None: still paused


@dataclass
class Clock:
    state: str = State.NONE
    reason: str = ""  # why there is no clock / why it ended
    start: date | None = None
    start_origin: str = ""
    delay_days: int = 0
    delay_article: str = ""
    due: date | None = None  # None while paused
    ordonnateur_due: date | None = None
    ordonnateur_done: date | None = None
    accountant_days: int = 0
    ordonnateur_days: int = 0
    pauses: list[Pause] = field(default_factory=list)
    remaining_at_pause: int | None = None
    stop: date | None = None  # payment day, or the day the clock ended
    days_left: int | None = None  # running: days until the due date (0: last day)
    days_late: int = 0
    paid_in: int | None = None  # paid: days the clock ran
    amount: Decimal | None = None
    interest: Decimal | None = None
    indemnity: Decimal = Decimal("0.00")
    rate: RateChoice | None = None
    interest_due_by: date | None = None
    events: list[ClockEvent] = field(default_factory=list)

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    @property
    def interrupted(self) -> bool:
        """The one interruption allowed (R2192-27) has been used."""
        return bool(self.pauses)

    @property
    def ordered(self) -> bool:
        return self.ordonnateur_done is not None

    @property
    def total_owed(self) -> Decimal | None:
        if self.interest is None:
            return None
        return self.interest + self.indemnity


def _d(days: int) -> timedelta:
    return timedelta(days=days)


def interest_amount(amount: Decimal, days_late: int, rate_percent: Decimal) -> Decimal:
    """Amount due × days late × rate / 365, rounded to the cent."""
    value = Decimal(amount) * days_late * Decimal(rate_percent) / Decimal(100) / INTEREST_DAYS_PER_YEAR
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute_clock(
    *,
    timeline: Sequence[TimelineEvent],
    deposit_date: date | None,
    today: date,
    profile: Profile | None = None,
    amount_due: Decimal | None = None,
    invoice_type: str = "FACTURE",
    service_done_date: date | None = None,
    rates: Mapping[HalfYear, Decimal] | None = None,
) -> Clock:
    """The clock of one received invoice (see the module docstring for the rules)."""
    rates = rates or {}
    profile = profile or Profile()
    events = sorted(timeline, key=lambda e: e.day)  # stable: same-day events keep their order
    clock = Clock(delay_days=profile.delay_days, delay_article=profile.article, amount=amount_due)
    clock.ordonnateur_days = min(profile.ordonnateur_days, profile.delay_days)
    clock.accountant_days = profile.accountant_days
    if (invoice_type or "").upper() == "AVOIR":
        clock.reason = str(_("Un avoir n'est pas une demande de paiement : aucun délai ne court."))
        return clock

    # Start (R2192-12): the day the invoice was made available, else the deposit date.
    received = [e for e in events if lc.normalise_status(e.status) in RECEIVED]
    available = next((e for e in received if lc.normalise_status(e.status) == lc.MISE_A_DISPOSITION), None)
    if available is not None:
        start, origin = available.day, Origin.OBSERVED
        clock.events.append(ClockEvent(start, str(_("Mise à disposition : le délai commence")), ART_START))
    elif received and deposit_date is not None:
        start, origin = deposit_date, Origin.ESTIMATED
        clock.events.append(
            ClockEvent(start, str(_("Dépôt (date estimée : mise à disposition non observée)")), ART_START)
        )
    elif received:
        start, origin = received[0].day, Origin.ESTIMATED
        clock.events.append(ClockEvent(start, str(_("Premier statut observé (date estimée)")), ART_START))
    else:
        clock.reason = str(_("La facture n'a pas encore été reçue par le destinataire."))
        return clock
    # R2192-13: service done after reception.
    if service_done_date is not None and service_done_date > start:
        start, origin = service_done_date, Origin.AGENT
        clock.events.append(
            ClockEvent(start, str(_("Service fait après réception : le délai part de ce jour")), ART_SERVICE_DONE)
        )
    clock.start, clock.start_origin = start, origin

    due = start + _d(profile.delay_days)
    paused_at: date | None = None
    interrupted = False
    ordered = False
    stop: date | None = None
    for event in events:
        status = lc.normalise_status(event.status)
        day = max(event.day, start) if status not in ENDING else event.day
        if status == lc.SUSPENDUE:
            if interrupted or ordered:
                why = (
                    _("Nouvelle suspension : sans effet, l'interruption n'est possible qu'une fois")
                    if interrupted
                    else _("Suspension après le mandat : sans effet sur le délai")
                )
                clock.events.append(ClockEvent(event.day, str(why), ART_SUSPENSION))
                continue
            interrupted = True
            paused_at = day
            clock.remaining_at_pause = (due - day).days
            clock.pauses.append(Pause(day, None))
            clock.events.append(
                ClockEvent(
                    day,
                    str(
                        _("Suspension (pièces manquantes) : le délai s'arrête, %(n)d jours restants")
                        % {"n": clock.remaining_at_pause}
                    ),
                    ART_SUSPENSION,
                )
            )
        elif status == lc.COMPLETEE:
            if paused_at is not None:
                balance = clock.remaining_at_pause or 0
                new_delay = max(DELAY_AFTER_COMPLETION, balance)
                clock.pauses[-1] = Pause(paused_at, day)
                paused_at = None
            elif not interrupted:
                # completed while the suspension was never observed: the guaranteed new delay.
                interrupted = True
                new_delay = DELAY_AFTER_COMPLETION
                clock.pauses.append(Pause(day, day))
            else:
                continue
            due = day + _d(new_delay)
            clock.events.append(
                ClockEvent(
                    day,
                    str(_("Pièces reçues : nouveau délai de %(n)d jours") % {"n": new_delay}),
                    ART_COMPLETION,
                )
            )
        elif status in ORDERED and not ordered:
            ordered = True
            clock.ordonnateur_done = day
            if status != lc.MISE_EN_PAIEMENT:
                clock.events.append(ClockEvent(day, str(_("Mandatement : la part de l'ordonnateur est faite")), ""))
            if status == lc.MISE_EN_PAIEMENT:
                stop = day
                break
        elif status == lc.MISE_EN_PAIEMENT:
            stop = day
            break
        elif status in ENDING:
            clock.state = State.ENDED
            clock.stop = event.day
            clock.reason = str(
                _("Rejetée : le fournisseur doit émettre une nouvelle facture, avec un nouveau délai.")
                if status == lc.REJETEE
                else _("Renvoyée pour ré-acheminement : un nouveau délai court chez le nouveau destinataire.")
            )
            clock.events.append(ClockEvent(event.day, clock.reason, ""))
            clock.due = due if paused_at is None else None
            if clock.due is not None:
                clock.ordonnateur_due = clock.due - _d(clock.accountant_days)
            return clock

    if paused_at is not None:
        clock.state = State.PAUSED
        clock.due = None
        clock.ordonnateur_due = None
        return clock

    clock.due = due
    clock.ordonnateur_due = due - _d(clock.accountant_days)
    if stop is not None:
        clock.state = State.PAID
        clock.stop = stop
        paused = sum(((p.end or stop) - p.start).days for p in clock.pauses)
        clock.paid_in = (stop - start).days - paused
        clock.days_late = max(0, (stop - due).days)
        clock.events.append(ClockEvent(stop, str(_("Mise en paiement : le délai s'arrête")), ""))
        end = stop
    else:
        clock.state = State.RUNNING
        clock.days_left = (due - today).days
        clock.days_late = max(0, (today - due).days)
        end = today

    if clock.days_late > 0:
        clock.events.append(
            ClockEvent(due + _d(1), str(_("Échéance dépassée : les intérêts moratoires courent")), ART_INTEREST)
        )
        clock.rate = rate_for(due + _d(1), rates)
        amount = amount_due if amount_due is not None else Decimal(0)
        if clock.rate.rate is not None:
            clock.interest = interest_amount(amount, clock.days_late, clock.rate.rate)
        clock.indemnity = FLAT_INDEMNITY
        if clock.state == State.PAID:
            clock.interest_due_by = end + _d(INTEREST_PAYMENT_DAYS)
    else:
        clock.interest = Decimal("0.00")
    clock.events.sort(key=lambda e: e.day)
    return clock


def parse_rates(rows: Iterable[tuple[int, int, Decimal]]) -> dict[HalfYear, Decimal]:
    """{HalfYear: rate} from (year, half, rate) rows."""
    return {HalfYear(year, half): Decimal(rate) for year, half, rate in rows}


def missing_half_years(rates: Mapping[HalfYear, Decimal], today: date) -> list[HalfYear]:
    """Half-years from the first known rate to today's that have no rate."""
    current = HalfYear.of(today)
    if not rates:
        return [current]
    missing = []
    half = min(rates)
    while half <= current:
        if half not in rates:
            missing.append(half)
        half = HalfYear(half.year, 2) if half.half == 1 else HalfYear(half.year + 1, 1)
    return missing


# --- Wording shared by the list, the CSV and the panel ----------------------------------------


def rejection_cost(clock: Clock, today: date) -> str:
    """What a rejection costs the supplier, in one sentence ("" when the clock is not running)."""
    if clock.state not in (State.RUNNING, State.PAUSED) or clock.start is None:
        return ""
    elapsed = max(0, (today - clock.start).days - sum(((p.end or today) - p.start).days for p in clock.pauses))
    return str(
        _(
            "Un rejet coûte au fournisseur une nouvelle facture et un nouveau délai de paiement : "
            "%(elapsed)d jours déjà écoulés sur %(delay)d seront perdus pour lui, et il attendra de nouveau "
            "jusqu'à %(delay)d jours après le dépôt de sa nouvelle facture."
        )
        % {"elapsed": elapsed, "delay": clock.delay_days}
    )


def short_label(*, state: str, due: date | None, today: date, paid_in: int | None, days_late: int) -> str:
    """The list's "Délai" cell: "J-5", "Dernier jour", "En retard de 12 j", "Payée en 24 j", "Suspendu"."""
    if state == State.PAUSED:
        return str(_("Suspendu"))
    if state == State.PAID:
        if days_late > 0:
            return str(_("Payée en %(n)d j (%(late)d j de retard)") % {"n": paid_in or 0, "late": days_late})
        return str(_("Payée en %(n)d j") % {"n": paid_in or 0})
    if state == State.ENDED:
        return str(_("Terminé"))
    if state == State.RUNNING and due is not None:
        left = (due - today).days
        if left > 0:
            return f"J-{left}"
        if left == 0:
            return str(_("Dernier jour"))
        return str(_("En retard de %(n)d j") % {"n": -left})
    return ""


def severity(*, state: str, due: date | None, today: date, days_late: int = 0) -> str:
    """A CSS modifier for the cell: late, soon (7 days or fewer), ok, paused, done."""
    if state == State.RUNNING and due is not None:
        left = (due - today).days
        return "late" if left < 0 else "soon" if left <= 7 else "ok"
    if state == State.PAUSED:
        return "paused"
    if state == State.PAID and days_late > 0:
        return "late"
    return "done"
