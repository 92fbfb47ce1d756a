"""The payment-delay rules (chorusweb.payment_delay): one table row per rule, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chorusweb import lifecycle as lc
from chorusweb import payment_delay as pd

E = pd.TimelineEvent
D = date
H = pd.HalfYear
RATES = {
    H(2024, 1): Decimal("12.50"),
    H(2024, 2): Decimal("12.25"),
    H(2025, 1): Decimal("11.15"),
    H(2025, 2): Decimal("10.15"),
    H(2026, 1): Decimal("10.15"),
}
TODAY = D(2026, 11, 30)
HOSPITAL = pd.Profile(delay_days=50, ordonnateur_days=35)
STATE = pd.Profile()


def clock(events, *, deposit=None, today=TODAY, profile=STATE, amount="1000.00", kind="FACTURE", done=None):
    return pd.compute_clock(
        timeline=[E(s, d) for s, d in events],
        deposit_date=deposit,
        today=today,
        profile=profile,
        amount_due=Decimal(amount),
        invoice_type=kind,
        service_done_date=done,
        rates=RATES,
    )


# (id, events, deposit, service done, profile, today) -> (state, start, origin, due, days_left, days_late)
START_CASES = [
    (
        "observed at availability",
        [(lc.MISE_A_DISPOSITION, D(2026, 11, 2))],
        D(2026, 11, 1),
        None,
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 11, 2), pd.Origin.OBSERVED, D(2026, 12, 2), 2, 0),
    ),
    (
        "never observed at availability: deposit date, estimated",
        [(lc.SERVICE_FAIT, D(2026, 11, 20))],
        D(2026, 11, 1),
        None,
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 11, 1), pd.Origin.ESTIMATED, D(2026, 12, 1), 1, 0),
    ),
    (
        "service done after reception, set by an agent (R2192-13)",
        [(lc.MISE_A_DISPOSITION, D(2026, 11, 2))],
        D(2026, 11, 1),
        D(2026, 11, 10),
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 11, 10), pd.Origin.AGENT, D(2026, 12, 10), 10, 0),
    ),
    (
        "service done before reception: reception stays the start",
        [(lc.MISE_A_DISPOSITION, D(2026, 11, 2))],
        D(2026, 11, 1),
        D(2026, 10, 20),
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 11, 2), pd.Origin.OBSERVED, D(2026, 12, 2), 2, 0),
    ),
    (
        "hospital: 50 days (R2192-11)",
        [(lc.MISE_A_DISPOSITION, D(2026, 10, 20))],
        None,
        None,
        HOSPITAL,
        (pd.State.RUNNING, D(2026, 10, 20), pd.Origin.OBSERVED, D(2026, 12, 9), 9, 0),
    ),
    (
        "last day",
        [(lc.MISE_A_DISPOSITION, D(2026, 10, 31))],
        None,
        None,
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 10, 31), pd.Origin.OBSERVED, D(2026, 11, 30), 0, 0),
    ),
    (
        "running late",
        [(lc.MISE_A_DISPOSITION, D(2026, 10, 19))],
        None,
        None,
        pd.Profile(),
        (pd.State.RUNNING, D(2026, 10, 19), pd.Origin.OBSERVED, D(2026, 11, 18), -12, 12),
    ),
    (
        "leap year: 30 days from 10 February 2028 end on 11 March",
        [(lc.MISE_A_DISPOSITION, D(2028, 2, 10))],
        None,
        None,
        pd.Profile(),
        (pd.State.RUNNING, D(2028, 2, 10), pd.Origin.OBSERVED, D(2028, 3, 11), 0, 0),
    ),
]


@pytest.mark.parametrize("label,events,deposit,done,profile,expected", START_CASES, ids=[c[0] for c in START_CASES])
def test_start_and_due_date(label, events, deposit, done, profile, expected):
    today = D(2028, 3, 11) if events[0][1].year == 2028 else TODAY
    c = clock(events, deposit=deposit, done=done, profile=profile, today=today)
    assert (c.state, c.start, c.start_origin, c.due, c.days_left, c.days_late) == expected


# (id, events, today) -> (state, due, pauses, days_late, paid_in)
INTERRUPTION_CASES = [
    (
        "suspended: paused, no due date",
        [(lc.MISE_A_DISPOSITION, D(2026, 11, 1)), (lc.SUSPENDUE, D(2026, 11, 11))],
        (pd.State.PAUSED, None, [pd.Pause(D(2026, 11, 11), None)], 0, None),
    ),
    (
        "completed: a new 30-day delay (balance of 20 days is shorter)",
        [(lc.MISE_A_DISPOSITION, D(2026, 10, 1)), (lc.SUSPENDUE, D(2026, 10, 11)), (lc.COMPLETEE, D(2026, 11, 5))],
        (pd.State.RUNNING, D(2026, 12, 5), [pd.Pause(D(2026, 10, 11), D(2026, 11, 5))], 0, None),
    ),
    (
        "completed: the longer balance (hospital, 45 days left)",
        [(lc.MISE_A_DISPOSITION, D(2026, 10, 1)), (lc.SUSPENDUE, D(2026, 10, 6)), (lc.COMPLETEE, D(2026, 11, 5))],
        (pd.State.RUNNING, D(2026, 12, 20), [pd.Pause(D(2026, 10, 6), D(2026, 11, 5))], 0, None),
    ),
    (
        "a second suspension does not pause",
        [
            (lc.MISE_A_DISPOSITION, D(2026, 10, 1)),
            (lc.SUSPENDUE, D(2026, 10, 11)),
            (lc.COMPLETEE, D(2026, 10, 21)),
            (lc.SUSPENDUE, D(2026, 11, 1)),
        ],
        (pd.State.RUNNING, D(2026, 11, 20), [pd.Pause(D(2026, 10, 11), D(2026, 10, 21))], 10, None),
    ),
    (
        "stops at payment: paid in 24 days",
        [(lc.MISE_A_DISPOSITION, D(2026, 9, 1)), (lc.MANDATEE, D(2026, 9, 15)), (lc.MISE_EN_PAIEMENT, D(2026, 9, 25))],
        (pd.State.PAID, D(2026, 10, 1), [], 0, 24),
    ),
    (
        "paid after an interruption: the pause is not counted",
        [
            (lc.MISE_A_DISPOSITION, D(2026, 9, 1)),
            (lc.SUSPENDUE, D(2026, 9, 11)),
            (lc.COMPLETEE, D(2026, 9, 21)),
            (lc.MISE_EN_PAIEMENT, D(2026, 10, 1)),
        ],
        (pd.State.PAID, D(2026, 10, 21), [pd.Pause(D(2026, 9, 11), D(2026, 9, 21))], 0, 20),
    ),
    (
        "completed while the suspension was never observed: 30 days from completion",
        [(lc.COMPLETEE, D(2026, 11, 20))],
        (pd.State.RUNNING, D(2026, 12, 20), [pd.Pause(D(2026, 11, 20), D(2026, 11, 20))], 0, None),
    ),
]


@pytest.mark.parametrize("label,events,expected", INTERRUPTION_CASES, ids=[c[0] for c in INTERRUPTION_CASES])
def test_interruption_and_payment(label, events, expected):
    profile = HOSPITAL if "hospital" in label else pd.Profile()
    c = clock(events, deposit=D(2026, 9, 1), profile=profile)
    assert (c.state, c.due, c.pauses, c.days_late, c.paid_in) == expected


def test_second_suspension_is_listed_as_without_effect():
    c = clock(
        [
            (lc.MISE_A_DISPOSITION, D(2026, 10, 1)),
            (lc.SUSPENDUE, D(2026, 10, 11)),
            (lc.COMPLETEE, D(2026, 10, 21)),
            (lc.SUSPENDUE, D(2026, 11, 1)),
        ]
    )
    assert any("qu'une fois" in e.text and e.article == "R2192-27" for e in c.events)


def test_suspension_after_the_mandate_does_not_pause():
    c = clock([(lc.MISE_A_DISPOSITION, D(2026, 11, 1)), (lc.MANDATEE, D(2026, 11, 5)), (lc.SUSPENDUE, D(2026, 11, 6))])
    assert c.state == pd.State.RUNNING and c.pauses == []
    assert pd.suspension_refusal(lc.MANDATEE, ordered=True)
    assert pd.suspension_refusal(lc.MISE_A_DISPOSITION, ordered=False) == ""


@pytest.mark.parametrize("status", [lc.REJETEE, lc.A_RECYCLER])
def test_rejection_and_rerouting_end_the_clock(status):
    c = clock([(lc.MISE_A_DISPOSITION, D(2026, 9, 1)), (status, D(2026, 11, 10))])
    assert c.state == pd.State.ENDED
    assert c.stop == D(2026, 11, 10)
    assert c.interest is None and c.days_late == 0
    assert "nouve" in c.reason


# (id, profile, events) -> (ordonnateur due, accountant days, ordonnateur done)
SHARE_CASES = [
    ("20 of 30 days", pd.Profile(), (D(2026, 11, 21), 10, D(2026, 11, 15))),
    ("35 of 50 days for a hospital", HOSPITAL, (D(2026, 12, 6), 15, D(2026, 11, 15))),
    ("a local agreement: 25 of 30", pd.Profile(30, 25), (D(2026, 11, 26), 5, D(2026, 11, 15))),
]


@pytest.mark.parametrize("label,profile,expected", SHARE_CASES, ids=[c[0] for c in SHARE_CASES])
def test_ordonnateur_share(label, profile, expected):
    c = clock([(lc.MISE_A_DISPOSITION, D(2026, 11, 1)), (lc.MANDATEE, D(2026, 11, 15))], profile=profile)
    assert (c.ordonnateur_due, c.accountant_days, c.ordonnateur_done) == expected


# (id, availability, payment, amount) -> (days late, rate, half-year, to confirm, interest)
INTEREST_CASES = [
    # due 2025-06-15, late from 2025-06-16 (H1 2025: 11.15 %) even though paid in H2
    ("started in H1, paid in H2", D(2025, 5, 16), D(2025, 7, 5), "12000.00", (20, "11.15", H(2025, 1), False, "73.32")),
    # due 2025-06-30, late from 2025-07-01: the H2 2025 rate (10.15 %)
    ("started on 1 July", D(2025, 5, 31), D(2025, 7, 10), "12000.00", (10, "10.15", H(2025, 2), False, "33.37")),
    # due 2024-02-29 (leap day), 10 days late, 365-day year
    ("leap year", D(2024, 1, 30), D(2024, 3, 10), "5000.00", (10, "12.50", H(2024, 1), False, "17.12")),
    # late from 2026-07-01: no H2 2026 rate, the last known one (H1 2026) and "taux à confirmer"
    ("missing rate", D(2026, 5, 31), D(2026, 7, 30), "10000.00", (30, "10.15", H(2026, 2), True, "83.42")),
]


@pytest.mark.parametrize("label,available,paid,amount,expected", INTEREST_CASES, ids=[c[0] for c in INTEREST_CASES])
def test_interest(label, available, paid, amount, expected):
    c = clock([(lc.MISE_A_DISPOSITION, available), (lc.MISE_EN_PAIEMENT, paid)], amount=amount)
    days, rate, half, to_confirm, interest = expected
    assert c.days_late == days
    assert c.rate.rate == Decimal(rate)
    assert c.rate.half_year == half
    assert c.rate.to_confirm is to_confirm
    assert c.interest == Decimal(interest)
    # by hand: amount x days x rate / 365
    assert c.interest == (Decimal(amount) * days * Decimal(rate) / 100 / 365).quantize(Decimal("0.01"))
    assert c.indemnity == Decimal("40.00")
    assert c.interest_due_by == date.fromordinal(paid.toordinal() + 45)


def test_no_interest_when_paid_on_time():
    c = clock([(lc.MISE_A_DISPOSITION, D(2026, 9, 1)), (lc.MISE_EN_PAIEMENT, D(2026, 10, 1))])
    assert (c.days_late, c.interest, c.indemnity) == (0, Decimal("0.00"), Decimal("0.00"))


def test_no_rate_at_all():
    c = pd.compute_clock(timeline=[E(lc.MISE_A_DISPOSITION, D(2026, 9, 1))], deposit_date=None, today=TODAY, rates={})
    assert c.days_late == 60 and c.interest is None and c.rate.rate is None and c.rate.to_confirm


def test_credit_note_has_no_clock():
    c = clock([(lc.MISE_A_DISPOSITION, D(2026, 9, 1))], kind="AVOIR")
    assert c.state == pd.State.NONE and c.interest is None and c.reason


def test_not_yet_received_has_no_clock():
    c = clock([(lc.A_VALIDER_1, D(2026, 11, 1))], deposit=D(2026, 11, 1))
    assert c.state == pd.State.NONE


@pytest.mark.parametrize(
    "delay,ordonnateur,legal,ok",
    [
        (30, 20, 30, True),
        (25, 15, 30, True),
        (45, 20, 30, False),
        (50, 35, 50, True),
        (50, 60, 50, False),
        (0, 0, 30, False),
    ],
)
def test_profile_never_longer_than_the_law(delay, ordonnateur, legal, ok):
    assert (pd.check_profile(delay, ordonnateur, legal) == "") is ok


def test_missing_half_years():
    assert pd.missing_half_years(RATES, TODAY) == [H(2026, 2)]
    assert pd.missing_half_years(RATES, D(2026, 6, 30)) == []
    assert pd.missing_half_years({}, TODAY) == [H(2026, 2)]


@pytest.mark.parametrize(
    "state,due,paid_in,late,label",
    [
        (pd.State.RUNNING, D(2026, 12, 5), None, 0, "J-5"),
        (pd.State.RUNNING, TODAY, None, 0, "Dernier jour"),
        (pd.State.RUNNING, D(2026, 11, 18), None, 12, "En retard de 12 j"),
        (pd.State.PAID, D(2026, 10, 1), 24, 0, "Payée en 24 j"),
        (pd.State.PAUSED, None, None, 0, "Suspendu"),
    ],
)
def test_short_labels(state, due, paid_in, late, label):
    assert pd.short_label(state=state, due=due, today=TODAY, paid_in=paid_in, days_late=late) == label


@pytest.mark.parametrize("last", sorted(pd.NEVER_RUNNING))
@pytest.mark.parametrize(
    "before",
    [
        [],
        [lc.SUSPENDUE],
        [lc.SUSPENDUE, lc.COMPLETEE],
        [lc.SUSPENDUE, lc.COMPLETEE, lc.SUSPENDUE],
        [lc.SERVICE_FAIT, lc.MANDATEE],
        [lc.MANDATEE, lc.SUSPENDUE],
    ],
)
def test_a_status_said_never_running_never_holds_a_running_clock(before, last):
    """The list skips the clock counts of a tab whose statuses are all NEVER_RUNNING: whatever
    the way there, an invoice in such a status has no running clock."""
    days = [D(2026, 9, 1 + 7 * i) for i in range(len(before) + 2)]
    events = [(lc.MISE_A_DISPOSITION, days[0]), *zip(before, days[1:], strict=False), (last, days[-1])]
    assert clock(events, deposit=D(2026, 8, 30)).state != pd.State.RUNNING
