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


# --- Glossary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusHelp:
    """What a status means, who must act next and what happens then (the statuses glossary)."""

    meaning: str
    next_actor: str  # who must act next ("" when nobody: the life cycle is over)
    then: str  # what happens then


STATUS_HELP: dict[str, StatusHelp] = {
    DEPOSEE: StatusHelp(
        _("Le fournisseur a déposé la facture dans Chorus Pro ; elle n'est pas encore acheminée."),
        _("Chorus Pro, automatiquement"),
        _("La facture est contrôlée puis acheminée vers la structure destinataire."),
    ),
    EN_COURS_ACHEMINEMENT: StatusHelp(
        _("Chorus Pro achemine la facture vers la structure destinataire (ou son circuit de validation)."),
        _("Chorus Pro, ou le valideur si la facture passe par un circuit de validation"),
        _("La facture est mise à disposition du destinataire."),
    ),
    MISE_A_DISPOSITION: StatusHelp(
        _("La facture est arrivée chez le destinataire : elle attend son traitement."),
        _("Le destinataire (vous)"),
        _("Vous certifiez le service fait, suspendez, rejetez, renvoyez ou mandatez la facture."),
    ),
    COMPLETEE: StatusHelp(
        _("Le fournisseur a complété une facture suspendue avec les pièces demandées."),
        _("Le destinataire (vous)"),
        _("La facture se traite comme une facture mise à disposition ; le délai de paiement reprend."),
    ),
    SERVICE_FAIT: StatusHelp(
        _("Le destinataire a certifié que le service a été fait."),
        _("Le destinataire (vous)"),
        _("Vous mandatez la facture, puis elle passe au comptable public pour paiement."),
    ),
    SUSPENDUE: StatusHelp(
        _("Le destinataire a suspendu la facture : des pièces manquent (motif obligatoire)."),
        _("Le fournisseur : il doit compléter la facture avec les pièces demandées"),
        _(
            "Une fois complétée, la facture revient chez vous au statut « Complétée » ; le délai de paiement, "
            "interrompu une fois, repart pour sa durée entière. Sans réponse, elle reste suspendue."
        ),
    ),
    A_RECYCLER: StatusHelp(
        _("Le destinataire a renvoyé la facture : elle n'est pas adressée au bon service ou à la bonne structure."),
        _("Le fournisseur : il doit la réadresser (recycler) au bon destinataire"),
        _(
            "Le fournisseur corrige l'adressage dans Chorus Pro ; la facture réapparaît alors chez le bon "
            "destinataire, au statut « Mise à disposition »."
        ),
    ),
    REJETEE: StatusHelp(
        _("Le destinataire a rejeté la facture : c'est définitif."),
        _("Le fournisseur, s'il doit facturer de nouveau"),
        _("La facture ne peut plus être traitée ; le fournisseur dépose une nouvelle facture si besoin."),
    ),
    MANDATEE: StatusHelp(
        _("L'ordonnateur a émis le mandat de paiement (numéro de mandat)."),
        _("Le comptable public"),
        _("La facture est mise à disposition du comptable, comptabilisée puis mise en paiement."),
    ),
    MISE_A_DISPOSITION_COMPTABLE: StatusHelp(
        _("La facture est transmise au comptable public."),
        _("Le comptable public"),
        _("Le comptable la comptabilise puis la met en paiement."),
    ),
    COMPTABILISEE: StatusHelp(
        _("Le comptable public a comptabilisé la facture."),
        _("Le comptable public"),
        _("La facture est mise en paiement."),
    ),
    MISE_EN_PAIEMENT: StatusHelp(
        _("Le paiement est ordonné : le délai de paiement s'arrête."),
        "",
        _("Le cycle de vie de la facture est terminé."),
    ),
    PRISE_EN_COMPTE_DESTINATAIRE: StatusHelp(
        _("Le destinataire a pris en compte un avoir (ou une facture déjà payée) : il n'y a rien à payer."),
        "",
        _("Aucune action n'est attendue ; l'avoir vient en déduction des sommes dues au fournisseur."),
    ),
    A_VALIDER_1: StatusHelp(
        _("La facture attend la décision du valideur de premier niveau."),
        _("Le valideur de premier niveau"),
        _("Il la valide ou la refuse sous 15 jours ; sans décision, la validation est tacite."),
    ),
    A_VALIDER_2: StatusHelp(
        _("La facture attend la décision du valideur de second niveau."),
        _("Le valideur de second niveau"),
        _("Il la valide ou la refuse sous 15 jours ; sans décision, la validation est tacite."),
    ),
    VALIDEE_1: StatusHelp(
        _("Le valideur de premier niveau a validé la facture."),
        _("Le valideur de second niveau s'il y en a un, sinon Chorus Pro"),
        _("La facture passe au niveau suivant ou part chez le destinataire."),
    ),
    VALIDEE_2: StatusHelp(
        _("Le valideur de second niveau a validé la facture."),
        _("Chorus Pro, automatiquement"),
        _("La facture est mise à disposition du destinataire."),
    ),
    REFUSEE_1: StatusHelp(
        _("Le valideur de premier niveau a refusé la facture (motif obligatoire)."),
        _("Le fournisseur"),
        _("La facture ne va pas chez le destinataire ; le fournisseur dépose une facture corrigée."),
    ),
    REFUSEE_2: StatusHelp(
        _("Le valideur de second niveau a refusé la facture (motif obligatoire)."),
        _("Le fournisseur"),
        _("La facture ne va pas chez le destinataire ; le fournisseur dépose une facture corrigée."),
    ),
    ABSENCE_VALIDATION_1_HORS_DELAI: StatusHelp(
        _("Le valideur de premier niveau n'a pas décidé dans les 15 jours : la validation est tacite."),
        _("Chorus Pro, automatiquement"),
        _("La facture poursuit son circuit comme si elle avait été validée."),
    ),
    ABSENCE_VALIDATION_2_HORS_DELAI: StatusHelp(
        _("Le valideur de second niveau n'a pas décidé dans les 15 jours : la validation est tacite."),
        _("Chorus Pro, automatiquement"),
        _("La facture est mise à disposition du destinataire."),
    ),
}

UNKNOWN_STATUS_HELP = StatusHelp(
    _("Un statut de Chorus Pro que chorusweb ne connaît pas encore : il est affiché tel quel."),
    _("Voyez la facture dans Chorus Pro"),
    _("La facture reste visible sous l'onglet « Autres statuts » ; la synchronisation suivra ses changements."),
)


def status_help(code: str | None) -> StatusHelp:
    """The glossary entry of a status (a generic one for a status unknown to us)."""
    return STATUS_HELP.get(normalise_status(code), UNKNOWN_STATUS_HELP)


def status_anchor(code: str | None) -> str:
    """The anchor of a status in the glossary page (`statut-MISE_A_DISPOSITION`)."""
    code = normalise_status(code)
    return f"statut-{code}" if code in STATUS_HELP else "statut-inconnu"
