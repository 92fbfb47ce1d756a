"""Deterministic generation of the sandbox's data from a seed number.

`generate(seed=..., size="full")` wipes the sandbox tables and writes:

* two FactPulse accounts (demo and "autre") and two Chorus Pro accounts;
* 5 public structures with services in the demo account, 2 in the other one, 2 private
  structures of the demo account (validators and suppliers), 40 suppliers (Luhn-valid SIRETs);
* received invoices over 18 months in every recipient status (credit notes included), invoices
  waiting for validation (some close to their 15-day deadline), a few attachments.

Dates are relative to the sandbox's today (the *anchor*): the same seed on the same day gives
the same data. Documents (Factur-X PDFs) are generated lazily on first download.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from chorusweb import lifecycle as lc
from sandbox import clock, seed_data
from sandbox.accounts import hash_password
from sandbox.amounts import compute_totals, make_line
from sandbox.models import (
    Account,
    Attachment,
    CallCount,
    ChorusAccount,
    DocumentCache,
    Invoice,
    SandboxState,
    Service,
    Structure,
)

SIZES = {
    # received (demo), awaiting validation (demo), validation history (demo), supplier side
    # (issued by the demo's private structures), other account's invoices
    "full": {"received": 460, "pending": 48, "history": 24, "issued": 36, "other": 60, "attach": 0.15},
    "small": {"received": 40, "pending": 12, "history": 6, "issued": 12, "other": 10, "attach": 0.15},
}
LARGE_ATTACHMENTS = 11
LARGE_ATTACHMENT_SIZE = 10_000_000
INVOICE_ID_BASE = 4_100_000


# --- identifiers -------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (SIREN, SIRET)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


def make_siret(rng: random.Random, first: str = "") -> str:
    """A SIRET whose SIREN (9 digits) and SIRET (14 digits) both pass the Luhn check."""
    siren = _luhn_complete(first + "".join(rng.choice("0123456789") for _ in range(8 - len(first))))
    return _luhn_complete(siren + "".join(rng.choice("0123456789") for _ in range(4)))


def vat_number(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def make_iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(23))
    numeric = int(bban + "152700")  # F=15, R=27, then "00"
    return f"FR{98 - numeric % 97:02d}{bban}"


# --- the generation context --------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    anchor: date
    #: The payment story's own random stream (status dates), so that adding it left the rest as it was.
    story: random.Random = field(default_factory=lambda: random.Random(0))
    invoices: list[Invoice] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    next_id: int = INVOICE_ID_BASE
    next_attachment_id: int = 9_100_000
    numbers: dict[str, int] = field(default_factory=dict)
    services_of: dict[int, list[Service]] = field(default_factory=dict)
    attach_rate: float = 0.0

    def allocate(self) -> int:
        self.next_id += 1
        return self.next_id


def _paris(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), timezone.get_default_timezone())


def _number(ctx: _Context, supplier: Structure, day: date, credit_note: bool) -> str:
    prefix = "AV" if credit_note else "FA"
    initials = "".join(word[0] for word in supplier.name.split()[:2]).upper()
    initials = initials.encode("ascii", "ignore").decode() or "X"
    # One counter per printed prefix: two suppliers with the same initials never share a number.
    stem = f"{prefix}{initials}-{day.year}"
    ctx.numbers[stem] = ctx.numbers.get(stem, 0) + 1
    return f"{stem}-{ctx.numbers[stem]:05d}"


def _lines(rng: random.Random, activity: str) -> list[dict[str, Any]]:
    catalogue = seed_data.CATALOGUE[activity]
    count = rng.choice((1, 1, 2, 2, 3, 3, 4, 5))
    lines = []
    for number in range(1, count + 1):
        label, unit, low, high, rate, max_quantity = rng.choice(catalogue)
        cents = rng.randint(int(low * 100), int(high * 100))
        quantity = Decimal(rng.randint(1, max(1, max_quantity)))
        lines.append(
            make_line(
                number=number,
                reference=f"REF-{rng.randint(100, 999)}",
                label=label,
                quantity=quantity,
                unit=unit,
                unit_price=Decimal(cents) / 100,
                rate=rate,
            )
        )
    return lines


def _invoice(
    ctx: _Context,
    *,
    supplier: Structure,
    activity: str,
    recipient: Structure,
    deposited: datetime,
    status: str,
    status_at: datetime,
    comment: str = "",
    credit_note: bool = False,
    framework: str = "A1_FACTURE_FOURNISSEUR",
    validator: Structure | None = None,
    validation_level: int = 0,
    validation_status: str = "",
    routed: bool = True,
    downloaded: bool = False,
) -> Invoice:
    rng = ctx.rng
    services = ctx.services_of.get(recipient.pk, [])
    service = rng.choice(services) if services and (recipient.service_code_required or rng.random() < 0.85) else None
    lines = _lines(rng, activity)
    if credit_note:
        lines = lines[:1]
    totals = compute_totals(lines)
    invoice_day = (timezone.localtime(deposited) - timedelta(days=rng.randint(0, 12))).date()
    engagement = ""
    if recipient.engagement_required or rng.random() < 0.5:
        engagement = f"EJ{rng.randint(10**9, 10**10 - 1)}"
    invoice = Invoice(
        id=ctx.allocate(),
        numero_facture=_number(ctx, supplier, invoice_day, credit_note),
        type_facture="AVOIR" if credit_note else "FACTURE",
        cadre_facturation=framework,
        mode_depot=rng.choice(("DEPOT_PDF_API", "SAISIE_API", "DEPOT_PDF_PORTAIL", "EDI_XML_STRUCT")),
        numero_flux_depot=f"CPP{rng.randint(10**9, 10**10 - 1)}",
        statut=status,
        date_heure_etat_courant=status_at,
        commentaire_etat_courant=comment,
        routed=routed,
        date_facture=invoice_day,
        date_depot=deposited,
        date_echeance=invoice_day + timedelta(days=30),
        montant_ht=totals.net,
        montant_tva=totals.vat,
        montant_ttc=totals.gross,
        montant_a_payer=Decimal("0.00") if framework == "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE" else totals.gross,
        supplier=supplier,
        code_fournisseur=supplier.identifier,
        designation_fournisseur=supplier.name,
        recipient=recipient,
        code_destinataire=recipient.identifier,
        designation_destinataire=recipient.name,
        service=service,
        code_service_executant=service.code if service else "",
        nom_service_executant=service.label if service else "",
        numero_marche=f"M{invoice_day.year}-{rng.randint(1, 120):03d}" if rng.random() < 0.35 else "",
        numero_bon_commande=engagement,
        numero_dp_mandat=f"DP{rng.randint(10000, 99999)}" if status == lc.MANDATEE else "",
        facture_telechargee=downloaded,
        validator=validator,
        validation_level=validation_level,
        statut_validation=validation_status,
        date_validation=status_at if validation_status.startswith("VALIDEE") else None,
        rejet_traite=False,
        lines=lines,
        doc_seed=rng.randint(1, 2**31),
        taille=30_000,
    )
    ctx.invoices.append(invoice)
    if rng.random() < ctx.attach_rate:
        for _ in range(rng.randint(1, 3)):
            designation, name = rng.choice(seed_data.ATTACHMENT_KINDS)
            ctx.next_attachment_id += 1
            ctx.attachments.append(
                Attachment(
                    id=ctx.next_attachment_id,
                    invoice=invoice,
                    name=name,
                    designation=designation,
                    mime_type="application/pdf",
                    extension="PDF",
                    size=2_000,
                    generator="pdf",
                    generator_seed=rng.randint(1, 2**31),
                )
            )
            invoice.taille += 2_000
    return invoice


# Recipient statuses by age of the invoice: recent ones wait, old ones are paid.
_STATUS_WEIGHTS = {
    "recent": {
        lc.MISE_A_DISPOSITION: 50,
        lc.COMPLETEE: 5,
        lc.SERVICE_FAIT: 14,
        lc.SUSPENDUE: 8,
        lc.A_RECYCLER: 4,
        lc.REJETEE: 5,
        lc.MANDATEE: 6,
        lc.MISE_A_DISPOSITION_COMPTABLE: 3,
        lc.COMPTABILISEE: 2,
        lc.MISE_EN_PAIEMENT: 3,
    },
    "middle": {
        lc.MISE_A_DISPOSITION: 10,
        lc.COMPLETEE: 4,
        lc.SERVICE_FAIT: 12,
        lc.SUSPENDUE: 6,
        lc.A_RECYCLER: 3,
        lc.REJETEE: 7,
        lc.MANDATEE: 16,
        lc.MISE_A_DISPOSITION_COMPTABLE: 12,
        lc.COMPTABILISEE: 12,
        lc.MISE_EN_PAIEMENT: 18,
    },
    "old": {
        lc.MISE_A_DISPOSITION: 2,
        lc.SERVICE_FAIT: 2,
        lc.SUSPENDUE: 2,
        lc.REJETEE: 9,
        lc.MANDATEE: 3,
        lc.MISE_A_DISPOSITION_COMPTABLE: 3,
        lc.COMPTABILISEE: 10,
        lc.MISE_EN_PAIEMENT: 69,
    },
}


def _pick_status(rng: random.Random, age: int) -> str:
    bucket = "recent" if age <= 20 else "middle" if age <= 90 else "old"
    weights = _STATUS_WEIGHTS[bucket]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _deposit_time(ctx: _Context, age: int) -> datetime:
    return _paris(ctx.anchor - timedelta(days=age), ctx.rng.randint(7, 18), ctx.rng.randint(0, 59))


#: Days after the deposit at which each status is reached (low, high): a believable processing
#: story for the payment-delay clock (30 days for most buyers). Suspensions come early, the
#: pieces arrive 1 to 3 weeks later; payment orders within the officer's 20 days; most invoices
#: are paid in 18 to 30 days (see _PAID_LATE for the late ones).
_STATUS_DAYS: dict[str, tuple[int, int]] = {
    lc.SERVICE_FAIT: (2, 14),
    lc.SUSPENDUE: (2, 12),
    lc.COMPLETEE: (12, 35),
    lc.A_RECYCLER: (1, 6),
    lc.REJETEE: (1, 12),
    lc.MANDATEE: (8, 20),
    lc.MISE_A_DISPOSITION_COMPTABLE: (10, 22),
    lc.COMPTABILISEE: (14, 26),
    lc.MISE_EN_PAIEMENT: (18, 30),
    lc.PRISE_EN_COMPTE_DESTINATAIRE: (1, 10),
}
#: Share of paid invoices paid late, and how late they are paid (days after the deposit).
_PAID_LATE = 0.1
_PAID_LATE_DAYS = (31, 60)
#: Statuses of invoices still being processed (their payment-delay clock runs), and the share
#: of them already past the 30-day delay.
_IN_PROCESS = (
    lc.MISE_A_DISPOSITION,
    lc.COMPLETEE,
    lc.SERVICE_FAIT,
    lc.MANDATEE,
    lc.MISE_A_DISPOSITION_COMPTABLE,
    lc.COMPTABILISEE,
)
_LATE_IN_PROCESS = 0.07


def _status_time(ctx: _Context, deposited: datetime, age: int, status: str) -> datetime:
    if status in (lc.MISE_A_DISPOSITION, lc.A_VALIDER_1, lc.A_VALIDER_2):
        return deposited + timedelta(minutes=ctx.rng.randint(1, 30))
    # The main random stream draws as it always did (the rest of the data stays the same); the
    # story's dates come from their own stream.
    days = ctx.rng.randint(0, max(0, age - 1))
    if status in _STATUS_DAYS:
        low, high = _STATUS_DAYS[status]
        if status == lc.MISE_EN_PAIEMENT and ctx.story.random() < _PAID_LATE:
            low, high = _PAID_LATE_DAYS
        days = min(ctx.story.randint(low, high), max(0, age - 1))  # never after the sandbox's today
    return deposited + timedelta(days=days, hours=ctx.rng.randint(0, 5))


def _comment(rng: random.Random, status: str) -> str:
    reasons = seed_data.REASONS.get(status)
    return rng.choice(reasons) if reasons else ""


# --- structures ----------------------------------------------------------------------------------


def _public_structures(
    rng: random.Random, specs: list, chorus_account: ChorusAccount
) -> tuple[list[Structure], list[Service]]:
    structures, services = [], []
    for spec in specs:
        pk, category, name, street, postal, city, service_required, engagement_required, svc = spec
        siret = make_siret(rng, first="2")
        structure = Structure(
            id=pk,
            chorus_account=chorus_account,
            kind=Structure.Kind.PUBLIC,
            category=category,
            identifier=siret,
            name=name,
            vat_number=vat_number(siret[:9]),
            email=f"factures@{pk}.sandbox.chorusweb.test",
            street=street,
            postal_code=postal,
            city=city,
            service_code_required=service_required,
            engagement_required=engagement_required,
            engagement_or_service=service_required or engagement_required,
        )
        structures.append(structure)
        for index, (code, label) in enumerate(svc, start=1):
            services.append(Service(id=pk * 100 + index, structure=structure, code=code, label=label))
    return structures, services


def _private_structure(
    rng: random.Random, pk: int, name: str, street: str, postal: str, city: str, chorus_account=None
) -> Structure:
    siret = make_siret(rng)
    return Structure(
        id=pk,
        chorus_account=chorus_account,
        kind=Structure.Kind.PRIVATE,
        category="entreprise",
        identifier=siret,
        name=name,
        vat_number=vat_number(siret[:9]),
        email=f"compta@{pk}.sandbox.chorusweb.test",
        street=street,
        postal_code=postal,
        city=city,
        iban=make_iban(rng),
    )


# --- wiping --------------------------------------------------------------------------------------


def wipe() -> None:
    """Delete every sandbox row (accounts, structures, invoices, documents, counters)."""
    with connection.cursor() as cursor:
        for model in (DocumentCache, Attachment, Invoice, Service):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
    Account.chorus_accounts.through.objects.all().delete()
    Account.objects.all().delete()
    Structure.objects.all().delete()
    ChorusAccount.objects.all().delete()
    CallCount.objects.all().delete()


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [Invoice, Attachment, Account, ChorusAccount])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# --- generation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSummary:
    seed: int
    size: str
    invoices: int
    received_demo: int
    awaiting_validation_demo: int
    other_account: int
    large_invoice_ids: tuple[int, ...]


@transaction.atomic
def generate(*, seed: int, size: str = "full", large: bool = False, anchor: date | None = None) -> SeedSummary:
    """Wipe the sandbox and write the seed data (see the module docstring)."""
    if size not in SIZES:
        raise ValueError(f"unknown seed size {size!r}")
    counts = SIZES[size]
    wipe()
    rng = random.Random(seed)
    anchor = anchor or clock.localnow().date()
    ctx = _Context(rng=rng, anchor=anchor, attach_rate=SIZES[size]["attach"], story=random.Random(seed + 1))

    # fixed ids: tokens issued before a reset stay valid after it
    demo_chorus = ChorusAccount.objects.create(
        id=1, client_uid=seed_data.DEMO_UID, name=seed_data.DEMO_CHORUS_NAME, login="demo-cpro"
    )
    other_chorus = ChorusAccount.objects.create(
        id=2, client_uid=seed_data.OTHER_UID, name=seed_data.OTHER_CHORUS_NAME, login="autre-cpro"
    )
    demo = Account.objects.create(
        id=1,
        email=seed_data.DEMO_EMAIL,
        password_hash=hash_password(seed_data.DEMO_PASSWORD),
        default_chorus_account=demo_chorus,
    )
    demo.chorus_accounts.set([demo_chorus, other_chorus])
    other = Account.objects.create(
        id=2,
        email=seed_data.OTHER_EMAIL,
        password_hash=hash_password(seed_data.OTHER_PASSWORD),
        default_chorus_account=other_chorus,
    )
    other.chorus_accounts.set([other_chorus])

    demo_public, demo_services = _public_structures(rng, seed_data.DEMO_PUBLIC, demo_chorus)
    other_public, other_services = _public_structures(rng, seed_data.OTHER_PUBLIC, other_chorus)
    demo_private = [
        _private_structure(rng, pk, name, street, postal, city, demo_chorus)
        for pk, name, street, postal, city, _activity in seed_data.DEMO_PRIVATE
    ]
    suppliers = [
        _private_structure(rng, 27100001 + index, name, street, postal, city)
        for index, (name, _activity, street, postal, city) in enumerate(seed_data.SUPPLIERS)
    ]
    Structure.objects.bulk_create(demo_public + other_public + demo_private + suppliers)
    Service.objects.bulk_create(demo_services + other_services)
    activities = {s.pk: a for s, (_, a, *_r) in zip(suppliers, seed_data.SUPPLIERS, strict=True)}
    activities.update({s.pk: spec[5] for s, spec in zip(demo_private, seed_data.DEMO_PRIVATE, strict=True)})
    for service in demo_services + other_services:
        ctx.services_of.setdefault(service.structure_id, []).append(service)

    def received(recipients: list[Structure], issuers: list[Structure], count: int) -> None:
        # the first invoices cycle through every status, so each one is always present
        statuses = [*lc.RECIPIENT_STATUSES, lc.PRISE_EN_COMPTE_DESTINATAIRE]
        for index in range(count):
            age = rng.randint(1, 540)
            status = statuses[index % len(statuses)] if index < 2 * len(statuses) else _pick_status(rng, age)
            if status in (lc.MISE_A_DISPOSITION, lc.COMPLETEE) and age > 60 and index >= 2 * len(statuses):
                age = rng.randint(1, 60)
            if status in _IN_PROCESS and age > 30:
                # invoices still being processed are recent; about one in ten is past its delay
                story = ctx.story
                age = story.randint(31, 75) if story.random() < _LATE_IN_PROCESS else story.randint(1, 30)
            credit_note = status == lc.PRISE_EN_COMPTE_DESTINATAIRE or rng.random() < 0.07
            supplier = rng.choice(issuers)
            deposited = _deposit_time(ctx, age)
            _invoice(
                ctx,
                supplier=supplier,
                activity=activities[supplier.pk],
                recipient=rng.choice(recipients),
                deposited=deposited,
                status=status,
                status_at=_status_time(ctx, deposited, age, status),
                comment=_comment(rng, status),
                credit_note=credit_note,
                framework=rng.choices(("A1_FACTURE_FOURNISSEUR", "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"), weights=(95, 5))[
                    0
                ],
                downloaded=status != lc.MISE_A_DISPOSITION or rng.random() < 0.3,
            )

    received(demo_public, suppliers, int(counts["received"]))
    # the supplier side of the demo: invoices issued by its private structures
    received(demo_public, demo_private, int(counts["issued"]))

    # the validation circuit of the demo: pending (some close to the deadline) and history
    for index in range(int(counts["pending"])):
        level = 2 if index % 6 == 5 else 1
        status = lc.A_VALIDER_2 if level == 2 else lc.A_VALIDER_1
        age = 12 + index % 3 if index % 4 == 0 else rng.randint(1, lc.VALIDATION_DELAY_DAYS - 1)
        supplier = rng.choice(suppliers)
        deposited = _deposit_time(ctx, age)
        _invoice(
            ctx,
            supplier=supplier,
            activity=activities[supplier.pk],
            recipient=rng.choice(demo_public),
            deposited=deposited,
            status=status,
            status_at=_status_time(ctx, deposited, age, status),
            framework="A9_FACTURE_SOUSTRAITANT" if index % 2 == 0 else "A12_FACTURE_COTRAITANT",
            validator=demo_private[index % len(demo_private)],
            validation_level=level,
            validation_status=status,
            routed=False,
        )
    history = [lc.VALIDEE_1, lc.REFUSEE_1, lc.ABSENCE_VALIDATION_1_HORS_DELAI]
    for index in range(int(counts["history"])):
        outcome = history[index % len(history)]
        age = rng.randint(lc.VALIDATION_DELAY_DAYS + 2, 200)
        supplier = rng.choice(suppliers)
        deposited = _deposit_time(ctx, age)
        decided = deposited + timedelta(
            days=lc.VALIDATION_DELAY_DAYS if outcome.startswith("ABSENCE") else rng.randint(1, 10)
        )
        routed = outcome != lc.REFUSEE_1
        _invoice(
            ctx,
            supplier=supplier,
            activity=activities[supplier.pk],
            recipient=rng.choice(demo_public),
            deposited=deposited,
            status=lc.MISE_A_DISPOSITION if routed else lc.REFUSEE_1,
            status_at=decided,
            comment=_comment(rng, lc.REFUSEE_1) if not routed else "",
            framework="A9_FACTURE_SOUSTRAITANT" if index % 2 == 0 else "A12_FACTURE_COTRAITANT",
            validator=demo_private[index % len(demo_private)],
            validation_level=1,
            validation_status=outcome,
            routed=routed,
            downloaded=False,
        )

    received(other_public, suppliers, int(counts["other"]))

    large_ids: list[int] = []
    if large:
        large_ids = _large_invoices(ctx, demo_public, suppliers, activities)

    _issued_deposited(ctx, seed, demo_public, demo_private, activities)

    Invoice.objects.bulk_create(ctx.invoices, batch_size=500)
    Attachment.objects.bulk_create(ctx.attachments, batch_size=500)
    _reset_sequences()
    state, _ = SandboxState.objects.get_or_create(pk=1)
    state.seed = seed
    state.seed_size = size
    state.save(update_fields=["seed", "seed_size"])

    demo_ids = {s.pk for s in demo_public}
    return SeedSummary(
        seed=seed,
        size=size,
        invoices=len(ctx.invoices),
        received_demo=sum(1 for i in ctx.invoices if i.recipient_id in demo_ids and i.routed),
        awaiting_validation_demo=sum(1 for i in ctx.invoices if i.statut in lc.AWAITING_VALIDATION),
        other_account=sum(1 for i in ctx.invoices if i.recipient_id not in demo_ids),
        large_invoice_ids=tuple(large_ids),
    )


#: Invoices the demo issued that Chorus Pro has not routed yet (Déposée): the issuer's first tab.
ISSUED_DEPOSITED = 2


def _issued_deposited(
    ctx: _Context,
    seed: int,
    recipients: list[Structure],
    issuers: list[Structure],
    activities: dict[int, str],
) -> None:
    """Issued invoices deposited minutes ago, not yet at their recipient (drawn last, from their own
    random stream, so that every other invoice stays what it was)."""
    main = ctx.rng
    ctx.rng = random.Random(seed + 17)
    try:
        for index in range(ISSUED_DEPOSITED):
            supplier = issuers[index % len(issuers)]
            deposited = timezone.make_aware(
                datetime.combine(ctx.anchor, time(8, 5 + index)), timezone.get_default_timezone()
            )
            _invoice(
                ctx,
                supplier=supplier,
                activity=activities[supplier.pk],
                recipient=recipients[index % len(recipients)],
                deposited=deposited,
                status=lc.DEPOSEE,
                status_at=deposited,
                routed=False,
            )
    finally:
        ctx.rng = main


def _large_invoices(
    ctx: _Context,
    recipients: list[Structure],
    suppliers: list[Structure],
    activities: dict[int, str],
) -> list[int]:
    """Two invoices carrying ~110 MB of attachments each (large-document mode)."""
    ids = []
    for number in (1, 2):
        supplier = suppliers[number]
        deposited = _deposit_time(ctx, number)
        invoice = _invoice(
            ctx,
            supplier=supplier,
            activity=activities[supplier.pk],
            recipient=recipients[2],
            deposited=deposited,
            status=lc.MISE_A_DISPOSITION,
            status_at=deposited + timedelta(minutes=5),
        )
        invoice.numero_facture = f"FA-GROS-VOLUME-{number}"
        ctx.attachments = [a for a in ctx.attachments if a.invoice is not invoice]
        invoice.taille = 30_000
        for index in range(1, LARGE_ATTACHMENTS + 1):
            ctx.next_attachment_id += 1
            ctx.attachments.append(
                Attachment(
                    id=ctx.next_attachment_id,
                    invoice=invoice,
                    name=f"plan_chantier_{index:02d}.tif",
                    designation=f"Plan de chantier n° {index}",
                    mime_type="image/tiff",
                    extension="TIF",
                    size=LARGE_ATTACHMENT_SIZE,
                    generator="random",
                    generator_seed=number * 1000 + index,
                )
            )
            invoice.taille += LARGE_ATTACHMENT_SIZE
        ids.append(invoice.pk)
    return ids


# --- new arrivals --------------------------------------------------------------------------------


def deposit(count: int, *, client_uid: str | None = None) -> list[int]:
    """Suppliers deposit `count` new invoices (MISE_A_DISPOSITION, not yet downloaded).

    They go to the public structures of the Chorus Pro account `client_uid` (default: the
    demo account). Bulk-inserted; documents are generated later, on download.
    """
    chorus = ChorusAccount.objects.get(client_uid=client_uid or seed_data.DEMO_UID)
    recipients = list(Structure.objects.filter(chorus_account=chorus, kind=Structure.Kind.PUBLIC))
    suppliers = list(Structure.objects.filter(chorus_account__isnull=True, kind=Structure.Kind.PRIVATE))
    if not recipients or not suppliers or count <= 0:
        return []
    activity_by_name = {name: activity for name, activity, *_rest in seed_data.SUPPLIERS}
    last = Invoice.objects.order_by("-id").values_list("id", flat=True).first() or INVOICE_ID_BASE
    state_seed = SandboxState.objects.filter(pk=1).values_list("seed", flat=True).first() or 0
    rng = random.Random(int(hashlib.sha256(f"{state_seed}:{last}:{count}".encode()).hexdigest()[:12], 16))
    now = clock.now()
    ctx = _Context(rng=rng, anchor=timezone.localtime(now).date(), next_id=last)
    for service in Service.objects.filter(structure__in=recipients, is_active=True):
        ctx.services_of.setdefault(service.structure_id, []).append(service)
    for index in range(count):
        supplier = rng.choice(suppliers)
        deposited = now - timedelta(seconds=(count - index) * 0.001 + rng.randint(1, 300))
        invoice = _invoice(
            ctx,
            supplier=supplier,
            activity=activity_by_name.get(supplier.name, "fournitures"),
            recipient=rng.choice(recipients),
            deposited=deposited,
            status=lc.MISE_A_DISPOSITION,
            status_at=deposited,
            credit_note=rng.random() < 0.05,
        )
        invoice.numero_facture = f"{invoice.numero_facture.split('-')[0]}-{deposited.year}-N{invoice.pk}"
        invoice.date_facture = min(invoice.date_facture, timezone.localtime(deposited).date())
    with transaction.atomic():
        Invoice.objects.bulk_create(ctx.invoices, batch_size=1000)
        _reset_sequences()
    return [invoice.pk for invoice in ctx.invoices]
