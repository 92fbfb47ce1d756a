"""Chorus Pro vocabulary: status codes and labels, the recipient transition table, reason rules.

This module is the one rule set of docs/contract.md ("Received invoice life cycle" and
"Validation circuit"). The dashboard offers exactly these actions and the sandbox enforces
them. Unknown status codes are kept as they are and shown raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

# --- Status codes -------------------------------------------------------------------------

DEPOSEE = "DEPOSEE"
EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT"
MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
COMPLETEE = "COMPLETEE"
SERVICE_FAIT = "SERVICE_FAIT"
SUSPENDUE = "SUSPENDUE"
REJETEE = "REJETEE"
A_RECYCLER = "A_RECYCLER"
MANDATEE = "MANDATEE"
MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
COMPTABILISEE = "COMPTABILISEE"
MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"
PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"

A_VALIDER_1 = "A_VALIDER_1"
A_VALIDER_2 = "A_VALIDER_2"
VALIDEE_1 = "VALIDEE_1"
VALIDEE_2 = "VALIDEE_2"
REFUSEE_1 = "REFUSEE_1"
REFUSEE_2 = "REFUSEE_2"
ABSENCE_VALIDATION_1_HORS_DELAI = "ABSENCE_VALIDATION_1_HORS_DELAI"
ABSENCE_VALIDATION_2_HORS_DELAI = "ABSENCE_VALIDATION_2_HORS_DELAI"

STATUS_LABELS: dict[str, str] = {
    "BROUILLON": _("Brouillon"),
    DEPOSEE: _("Déposée"),
    EN_COURS_ACHEMINEMENT: _("En cours d'acheminement"),
    MISE_A_DISPOSITION: _("Mise à disposition"),
    COMPLETEE: _("Complétée"),
    SERVICE_FAIT: _("Service fait"),
    SUSPENDUE: _("Suspendue"),
    REJETEE: _("Rejetée"),
    A_RECYCLER: _("À recycler"),
    MANDATEE: _("Mandatée"),
    MISE_A_DISPOSITION_COMPTABLE: _("Mise à disposition du comptable"),
    COMPTABILISEE: _("Comptabilisée"),
    MISE_EN_PAIEMENT: _("Mise en paiement"),
    PRISE_EN_COMPTE_DESTINATAIRE: _("Prise en compte par le destinataire"),
    A_VALIDER_1: _("À valider (niveau 1)"),
    A_VALIDER_2: _("À valider (niveau 2)"),
    VALIDEE_1: _("Validée (niveau 1)"),
    VALIDEE_2: _("Validée (niveau 2)"),
    REFUSEE_1: _("Refusée (niveau 1)"),
    REFUSEE_2: _("Refusée (niveau 2)"),
    ABSENCE_VALIDATION_1_HORS_DELAI: _("Validation tacite (niveau 1, hors délai)"),
    ABSENCE_VALIDATION_2_HORS_DELAI: _("Validation tacite (niveau 2, hors délai)"),
    "ABANDONNEE": _("Abandonnée"),
    "SUPPRIMEE": _("Supprimée"),
    "TRANSMISE_MOA": _("Transmise à la maîtrise d'ouvrage"),
}

#: Statuses a recipient may set, from each current status (the contract's table).
RECIPIENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    MISE_A_DISPOSITION: (
        SERVICE_FAIT,
        SUSPENDUE,
        REJETEE,
        A_RECYCLER,
        MANDATEE,
        MISE_A_DISPOSITION_COMPTABLE,
        COMPTABILISEE,
        MISE_EN_PAIEMENT,
    ),
    SERVICE_FAIT: (
        SUSPENDUE,
        REJETEE,
        MANDATEE,
        MISE_A_DISPOSITION_COMPTABLE,
        COMPTABILISEE,
        MISE_EN_PAIEMENT,
    ),
    MANDATEE: (MISE_A_DISPOSITION_COMPTABLE, COMPTABILISEE, MISE_EN_PAIEMENT),
    MISE_A_DISPOSITION_COMPTABLE: (COMPTABILISEE, MISE_EN_PAIEMENT),
    COMPTABILISEE: (MISE_EN_PAIEMENT,),
}
RECIPIENT_TRANSITIONS[COMPLETEE] = RECIPIENT_TRANSITIONS[MISE_A_DISPOSITION]

#: Every status a recipient can ever set (the targets accepted by traiter-facture-recue).
RECIPIENT_TARGETS: tuple[str, ...] = RECIPIENT_TRANSITIONS[MISE_A_DISPOSITION]

#: Targets that need a reason (motifRejet), 1 to REASON_MAX_LENGTH characters.
REASON_REQUIRED: frozenset[str] = frozenset({SUSPENDUE, REJETEE, A_RECYCLER})
REASON_MAX_LENGTH = 255
#: The same, as the page's `data-for-target` list (the reason field shows only for them).
REASON_TARGETS = " ".join(sorted(REASON_REQUIRED))

#: The only target that takes a mandate number (numeroDPMandat).
MANDATE_TARGET = MANDATEE

#: The question a bulk form asks before sending, per target (`%(invoices)s`: "6 factures",
#: `%(amount)s`: their net amount, credit notes deducted).
TARGET_QUESTIONS: dict[str, str] = {
    SERVICE_FAIT: _("Certifier le service fait de %(invoices)s pour %(amount)s ?"),
    SUSPENDUE: _("Suspendre %(invoices)s pour %(amount)s ?"),
    REJETEE: _("Rejeter définitivement %(invoices)s pour %(amount)s ?"),
    A_RECYCLER: _("Renvoyer pour réacheminement %(invoices)s pour %(amount)s ?"),
    MANDATEE: _("Mandater %(invoices)s pour %(amount)s ?"),
    MISE_A_DISPOSITION_COMPTABLE: _("Mettre à disposition du comptable %(invoices)s pour %(amount)s ?"),
    COMPTABILISEE: _("Déclarer comptabilisées %(invoices)s pour %(amount)s ?"),
    MISE_EN_PAIEMENT: _("Mettre en paiement %(invoices)s pour %(amount)s ?"),
    "VALIDATION": _("Valider %(invoices)s pour %(amount)s ?"),
}


def targets_for_any(statuses) -> tuple[str, ...]:
    """The targets allowed for at least one of `statuses`, in the table's order (bulk forms)."""
    allowed = {target for status in statuses for target in allowed_targets(status)}
    return tuple(target for target in RECIPIENT_TARGETS if target in allowed)


#: Every status a recipient may hold an invoice in (for the received-invoices lists).
RECIPIENT_STATUSES: tuple[str, ...] = (
    MISE_A_DISPOSITION,
    COMPLETEE,
    SERVICE_FAIT,
    SUSPENDUE,
    A_RECYCLER,
    REJETEE,
    MANDATEE,
    MISE_A_DISPOSITION_COMPTABLE,
    COMPTABILISEE,
    MISE_EN_PAIEMENT,
)

# --- Validation circuit ------------------------------------------------------------------

VALIDATION_ACTION_APPROVE = "VALIDATION"
VALIDATION_ACTION_REFUSE = "REFUS"
VALIDATION_ACTIONS = (VALIDATION_ACTION_APPROVE, VALIDATION_ACTION_REFUSE)

#: Statuses awaiting a validator, and what each action leads to.
AWAITING_VALIDATION: dict[str, dict[str, str]] = {
    A_VALIDER_1: {VALIDATION_ACTION_APPROVE: VALIDEE_1, VALIDATION_ACTION_REFUSE: REFUSEE_1},
    A_VALIDER_2: {VALIDATION_ACTION_APPROVE: VALIDEE_2, VALIDATION_ACTION_REFUSE: REFUSEE_2},
}
TACIT_VALIDATION = {
    A_VALIDER_1: ABSENCE_VALIDATION_1_HORS_DELAI,
    A_VALIDER_2: ABSENCE_VALIDATION_2_HORS_DELAI,
}
VALIDATION_DELAY_DAYS = 15

FRAMEWORK_LABELS: dict[str, str] = {
    "A1_FACTURE_FOURNISSEUR": _("Facture de fournisseur (A1)"),
    "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE": _("Facture déjà payée (A2)"),
    "A9_FACTURE_SOUSTRAITANT": _("Facture de sous-traitant (A9)"),
    "A12_FACTURE_COTRAITANT": _("Facture de cotraitant (A12)"),
}


def status_label(code: str | None) -> str:
    """The French label of a status code; an unknown code is shown as it is."""
    if not code:
        return ""
    return str(STATUS_LABELS.get(code, code))


def normalise_status(code: str | None) -> str:
    """Read the doc's hyphenated spellings (``SERVICE-FAIT``) as the native code."""
    return (code or "").strip().upper().replace("-", "_")


def allowed_targets(current_status: str | None) -> tuple[str, ...]:
    """Statuses a recipient may set from ``current_status`` (empty for anything else)."""
    return RECIPIENT_TRANSITIONS.get(normalise_status(current_status), ())


def reason_required(target: str) -> bool:
    return normalise_status(target) in REASON_REQUIRED


@dataclass(frozen=True)
class TransitionCheck:
    """The outcome of checking a recipient action against the rules."""

    allowed: bool
    message: str = ""


def check_transition(current_status: str | None, target: str, reason: str | None = "") -> TransitionCheck:
    """Check a recipient action: target allowed from the current status, reason rules."""
    target = normalise_status(target)
    if target not in allowed_targets(current_status):
        return TransitionCheck(
            False,
            str(
                _("Le statut « %(target)s » ne peut pas être appliqué depuis « %(current)s ».")
                % {"target": status_label(target), "current": status_label(current_status)}
            ),
        )
    reason = (reason or "").strip()
    if target in REASON_REQUIRED and not reason:
        return TransitionCheck(False, str(_("Un motif est obligatoire pour ce statut.")))
    if len(reason) > REASON_MAX_LENGTH:
        return TransitionCheck(
            False,
            str(_("Le motif ne doit pas dépasser %(max)d caractères.") % {"max": REASON_MAX_LENGTH}),
        )
    return TransitionCheck(True)


def validation_deadline(deposit_date: date) -> date:
    """Last day on which a validator can act; after it the validation is tacit."""
    return deposit_date + timedelta(days=VALIDATION_DELAY_DAYS)


def days_left(deposit_date: date, today: date) -> int:
    """Days left before tacit validation (negative when overdue, 0 on the last day)."""
    return (validation_deadline(deposit_date) - today).days
