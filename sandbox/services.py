"""Writes: status changes of both sides, submissions, uploads, downloads, seeding.

Every status change sets `dateHeureEtatCourant` (sandbox clock) and
`commentaireEtatCourant` (the reason or comment given, empty otherwise). Business refusals
raise `selectors.Refusal`, answered HTTP 200 with a non-zero `codeRetour`.

Also the Python API for tests and commands: `reset()`, `seed_if_empty()`, `deposit()`.
"""

from __future__ import annotations

import base64
import binascii
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from chorusweb import lifecycle as lc
from sandbox import clock, documents, seed, seed_data
from sandbox.accounts import Principal
from sandbox.amounts import infer_rate, money, single_line
from sandbox.models import Attachment, Invoice, Service, Structure
from sandbox.schemas import Body
from sandbox.selectors import OK, RECIPIENT, SUPPLIER, VALIDATOR, Refusal, invoice_get, iso_datetime

MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
MAX_ATTACHMENT_NAME = 50
_EXTENSIONS = (
    "BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF SVG XHTML XLSX DOC HTM "
    "ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX"
)
ALLOWED_EXTENSIONS = frozenset(_EXTENSIONS.split())
FORMATS = {"PDF": "PDF", "XML": "XML", "PIVOT": "XML", "ZIP": "ZIP"}


# --- the sandbox's own life ------------------------------------------------------------------------


def validations_expire() -> int:
    """Tacit validation: invoices still awaiting a validator after the deadline move on.

    The validator has `VALIDATION_DELAY_DAYS` days from the deposit date; from the day after
    the deadline the invoice is `ABSENCE_VALIDATION_x_HORS_DELAI` for the validator and
    `MISE_A_DISPOSITION` at its recipient.
    """
    now = clock.now()
    today = timezone.localtime(now).date()
    limit = timezone.make_aware(datetime.combine(today - timedelta(days=lc.VALIDATION_DELAY_DAYS), time.min))
    # One statement (it runs before every authenticated call): each waiting status becomes its
    # own tacit validation, read from the row's status before the update.
    return Invoice.objects.filter(statut__in=lc.TACIT_VALIDATION, date_depot__lt=limit).update(
        statut=lc.MISE_A_DISPOSITION,
        statut_validation=Case(
            *(When(statut=waiting, then=Value(tacit)) for waiting, tacit in lc.TACIT_VALIDATION.items())
        ),
        routed=True,
        date_heure_etat_courant=now,
        commentaire_etat_courant="Validation tacite : délai de validation dépassé.",
    )


def _set_status(invoice: Invoice, status: str, comment: str) -> None:
    invoice.statut = status
    invoice.date_heure_etat_courant = clock.now()
    invoice.commentaire_etat_courant = comment[:500]


# --- recipient: traiter-facture-recue -------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessRequest:
    invoice_id: int | None
    target: str
    reason: str
    comment: str
    mandate_number: str


def _read_process(body: Body) -> ProcessRequest:
    invoice_id = body.int("identifiantFactureCPP", "idFacture")
    target = body.str("nouveauStatut", "statut")
    reason = body.str("motifRejet", "motif")
    comment = body.str("commentaire")
    mandate = body.str("numeroDPMandat", "NumeroDPMandat")
    body.raise_if_errors()
    return ProcessRequest(
        invoice_id=invoice_id,
        target=lc.normalise_status(target),
        reason=(reason or "").strip(),
        comment=(comment or "").strip(),
        mandate_number=(mandate or "").strip(),
    )


@transaction.atomic
def invoice_process(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`traiter-facture-recue`: the recipient sets a status, per the transition table."""
    request = _read_process(body)
    if request.invoice_id is None:
        raise Refusal(20001, "L'identifiant de la facture (identifiantFactureCPP) est obligatoire.")
    if not request.target:
        raise Refusal(20001, "Le nouveau statut (nouveauStatut) est obligatoire.")
    invoice = invoice_get(principal, request.invoice_id, RECIPIENT)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if request.target not in lc.STATUS_LABELS and request.target not in lc.RECIPIENT_TARGETS:
        raise Refusal(20003, f"Le statut « {request.target} » est inconnu.")
    check = lc.check_transition(invoice.statut, request.target, request.reason)
    if not check.allowed:
        code = 20003 if request.target not in lc.allowed_targets(invoice.statut) else 20004
        raise Refusal(code, f"Traitement refusé pour la facture {invoice.numero_facture} : {check.message}")
    if request.mandate_number and request.target != lc.MANDATE_TARGET:
        raise Refusal(20005, "Le numéro de mandat (numeroDPMandat) n'est accepté qu'avec le statut MANDATEE.")
    _set_status(invoice, request.target, request.reason or request.comment)
    fields = ["statut", "date_heure_etat_courant", "commentaire_etat_courant"]
    if request.target == lc.MANDATEE and request.mandate_number:
        invoice.numero_dp_mandat = request.mandate_number[:60]
        fields.append("numero_dp_mandat")
    invoice.save(update_fields=fields)
    return {
        "codeRetour": 0,
        "libelle": OK,
        "idFacture": invoice.pk,
        "numeroFacture": invoice.numero_facture,
        "dateTraitement": iso_datetime(invoice.date_heure_etat_courant),
        "nouveauStatut": invoice.statut,
    }


# --- validator: valideur/traiter ---------------------------------------------------------------------------


@transaction.atomic
def invoice_validate(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`valideur/traiter`: VALIDATION routes the invoice on to its recipient; REFUS sends it back."""
    invoice_id = body.int("idFacture", "identifiantFactureCPP")
    action = body.str("action")
    reason = body.str("motifRefus", "motif")
    complement = body.str("complementInfo", "commentaire")
    body.raise_if_errors()
    if invoice_id is None:
        raise Refusal(20001, "L'identifiant de la facture (idFacture) est obligatoire.")
    action = (action or "").strip().upper()
    if action not in lc.VALIDATION_ACTIONS:
        raise Refusal(20001, f"Action inconnue : « {action} » (VALIDATION ou REFUS).")
    invoice = invoice_get(principal, invoice_id, VALIDATOR)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    outcomes = lc.AWAITING_VALIDATION.get(invoice.statut)
    if not outcomes or invoice.statut_validation != invoice.statut:
        raise Refusal(
            20003,
            f"La facture {invoice.numero_facture} n'est pas en attente de validation "
            f"(statut « {lc.status_label(invoice.statut_validation or invoice.statut)} »).",
        )
    reason = (reason or "").strip()
    complement = (complement or "").strip()
    if action == lc.VALIDATION_ACTION_REFUSE:
        if not reason:
            raise Refusal(20004, "Un motif de refus (motifRefus) est obligatoire pour refuser une facture.")
        if len(reason) > lc.REASON_MAX_LENGTH:
            raise Refusal(20004, f"Le motif de refus ne doit pas dépasser {lc.REASON_MAX_LENGTH} caractères.")
    outcome = outcomes[action]
    now = clock.now()
    invoice.statut_validation = outcome
    invoice.date_validation = now
    if action == lc.VALIDATION_ACTION_APPROVE:
        invoice.statut = lc.MISE_A_DISPOSITION
        invoice.routed = True
        invoice.commentaire_etat_courant = complement[:500]
    else:
        invoice.statut = outcome
        invoice.routed = False
        invoice.commentaire_etat_courant = reason
    invoice.date_heure_etat_courant = now
    invoice.save(
        update_fields=[
            "statut",
            "statut_validation",
            "date_validation",
            "routed",
            "date_heure_etat_courant",
            "commentaire_etat_courant",
        ]
    )
    return {
        "codeRetour": 0,
        "libelle": OK,
        "idFacture": invoice.pk,
        "numeroFacture": invoice.numero_facture,
        "dateTraitement": iso_datetime(now),
        "statutFacture": outcome,
    }


# --- supplier: completer, recycler, soumettre, ajouter-fichier ---------------------------------------------


@transaction.atomic
def invoice_complete(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`completer`: a SUSPENDUE invoice gets attachments and/or a comment, then is COMPLETEE."""
    invoice_id = body.int("identifiantFactureCPP", "idFacture")
    comment = body.str("commentaire")
    file_ids: list[int] = []
    name, items = body.list("listePiecesJointes", "pieceJointeComplementaire")
    for index, item in enumerate(items or []):
        if not isinstance(item, dict):
            body.errors.append(
                {
                    "type": "dict_type",
                    "loc": [*body.loc, name, index],
                    "msg": "Input should be a valid dictionary",
                }
            )
            continue
        child = Body(item, (*body.loc, name, index), body.errors)
        file_id = child.int("pieceJointeIdFichier", "pieceJointeComplementaireId", "pieceJointeId", required=True)
        if file_id is not None:
            file_ids.append(file_id)
    body.raise_if_errors()
    if invoice_id is None:
        raise Refusal(20001, "L'identifiant de la facture (identifiantFactureCPP) est obligatoire.")
    invoice = invoice_get(principal, invoice_id, SUPPLIER)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.statut != lc.SUSPENDUE:
        raise Refusal(
            20003,
            f"Seule une facture suspendue peut être complétée (statut actuel : « {lc.status_label(invoice.statut)} »).",
        )
    attachments = list(
        Attachment.objects.filter(pk__in=file_ids, chorus_account=principal.chorus_account, invoice__isnull=True)
    )
    missing = sorted(set(file_ids) - {a.pk for a in attachments})
    if missing:
        raise Refusal(20002, f"Pièce(s) jointe(s) introuvable(s) ou déjà utilisée(s) : {missing}.")
    if not attachments and not (comment or "").strip():
        raise Refusal(20001, "Ajoutez au moins une pièce jointe ou un commentaire pour compléter la facture.")
    for attachment in attachments:
        attachment.invoice = invoice
        attachment.type_code = "PJ_COMPLEMENTAIRE"
        attachment.save(update_fields=["invoice", "type_code"])
        invoice.taille += attachment.size
    if comment:
        invoice.commentaire = comment.strip()[:500]
    _set_status(invoice, lc.COMPLETEE, (comment or "").strip())
    invoice.facture_telechargee = False
    invoice.save(
        update_fields=[
            "statut",
            "date_heure_etat_courant",
            "commentaire_etat_courant",
            "commentaire",
            "taille",
            "facture_telechargee",
        ]
    )
    return {
        "codeRetour": 0,
        "libelle": OK,
        "identifiantFactureCPP": invoice.pk,
        "numeroFacture": invoice.numero_facture,
        "dateTraitement": iso_datetime(invoice.date_heure_etat_courant),
    }


@transaction.atomic
def invoice_recycle(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`recycler`: an A_RECYCLER invoice gets new routing data, is re-deposited and routed."""
    invoice_id = body.int("identifiantFactureCPP", "idFacture")
    structure_id = body.int("idStructureCPP", "idDestinataire")
    service_code = body.str("codeService")
    engagement = body.str("numeroEngagement")
    comment = body.str("commentaire")
    recipient_code = None
    destination = body.obj("destinataire")
    if destination is not None:
        recipient_code = destination.str("codeDestinataire")
        service_code = service_code or destination.str("codeServiceExecutant")
    reference = body.obj("reference")
    if reference is not None:
        engagement = engagement or reference.str("numeroBonCommande")
    body.raise_if_errors()
    if invoice_id is None:
        raise Refusal(20001, "L'identifiant de la facture (identifiantFactureCPP) est obligatoire.")
    invoice = invoice_get(principal, invoice_id, SUPPLIER)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.statut != lc.A_RECYCLER:
        raise Refusal(
            20004,
            f"Seule une facture à recycler peut être recyclée (statut actuel : « {lc.status_label(invoice.statut)} »).",
        )
    recipients = Structure.objects.filter(kind=Structure.Kind.PUBLIC, is_active=True)
    if structure_id is not None:
        recipient = recipients.filter(pk=structure_id).first()
    elif recipient_code:
        recipient = recipients.filter(identifier=recipient_code.strip()).first()
    else:
        recipient = invoice.recipient
    if recipient is None:
        raise Refusal(20005, "Le destinataire indiqué est introuvable ou n'est pas une structure publique active.")
    service = None
    if service_code:
        service = Service.objects.filter(structure=recipient, code=service_code.strip(), is_active=True).first()
        if service is None:
            raise Refusal(20006, f"Le service « {service_code} » n'existe pas chez {recipient.name}.")
    if recipient.service_code_required and service is None:
        raise Refusal(20007, f"Le code service est obligatoire pour {recipient.name}.")
    engagement = (engagement or "").strip() or (invoice.numero_bon_commande if recipient == invoice.recipient else "")
    if recipient.engagement_required and not engagement:
        raise Refusal(20008, f"Le numéro d'engagement est obligatoire pour {recipient.name}.")
    now = clock.now()
    invoice.recipient = recipient
    invoice.code_destinataire = recipient.identifier
    invoice.designation_destinataire = recipient.name
    invoice.service = service
    invoice.code_service_executant = service.code if service else ""
    invoice.nom_service_executant = service.label if service else ""
    invoice.numero_bon_commande = engagement[:60]
    invoice.date_depot = now
    invoice.facture_telechargee = False
    invoice.routed = True
    _set_status(invoice, lc.MISE_A_DISPOSITION, (comment or "").strip())
    invoice.save()
    return {
        "codeRetour": 0,
        "libelle": OK,
        "identifiantFactureCPP": invoice.pk,
        "numeroFacture": invoice.numero_facture,
        "statutFacture": lc.DEPOSEE,
        "dateDepot": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }


def attachment_add(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`transverses/ajouter-fichier`: store a file (≤ 10 MB, name ≤ 50 characters)."""
    content_b64 = body.str("pieceJointeFichier", "fichier", required=True)
    name = body.str("pieceJointeNom", "nomFichier", required=True)
    mime_type = body.str("pieceJointeTypeMime")
    extension = body.str("pieceJointeExtension")
    body.raise_if_errors()
    assert content_b64 is not None and name is not None
    name = name.strip()
    if not name or len(name) > MAX_ATTACHMENT_NAME:
        raise Refusal(
            20002,
            f"Le nom du fichier est obligatoire et ne doit pas dépasser {MAX_ATTACHMENT_NAME} caractères.",
        )
    extension = (extension or name.rsplit(".", 1)[-1] if "." in name else extension or "").strip(". ").upper()
    if extension not in ALLOWED_EXTENSIONS:
        raise Refusal(20004, f"L'extension « {extension} » n'est pas autorisée.")
    if len(content_b64) > (MAX_ATTACHMENT_SIZE * 4) // 3 + 8:
        raise Refusal(20003, "Le fichier dépasse la taille maximale autorisée de 10 Mo.")
    try:
        content = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refusal(20001, "Le contenu du fichier (pieceJointeFichier) n'est pas un base64 valide.") from exc
    if len(content) > MAX_ATTACHMENT_SIZE:
        raise Refusal(20003, "Le fichier dépasse la taille maximale autorisée de 10 Mo.")
    if not content:
        raise Refusal(20001, "Le fichier est vide.")
    attachment = Attachment.objects.create(
        chorus_account=principal.chorus_account,
        name=name,
        designation=name,
        mime_type=(mime_type or "application/octet-stream")[:100],
        extension=extension,
        size=len(content),
        content=content,
    )
    return {
        "codeRetour": 0,
        "libelle": "GCU_MSG_01_000",
        "pieceJointeIdFichier": attachment.pk,
        "pieceJointeId": attachment.pk,
    }


def _typed_amount(body: Body, name: str) -> Decimal | None:
    value = body.decimal(name, required=True)
    return money(value) if value is not None else None


@transaction.atomic
def invoice_submit(*, principal: Principal, body: Body) -> dict[str, Any]:
    """`factures/soumettre` (typed): deposit an invoice issued by the account's company."""
    number = body.str("invoiceNumber", required=True)
    invoice_date = body.date("invoiceDate", required=True)
    structure_id = body.int("structureId", required=True)
    net = _typed_amount(body, "totalNetAmount")
    vat = _typed_amount(body, "vatAmount")
    gross = _typed_amount(body, "totalGrossAmount")
    due_date = body.date("paymentDueDate")
    service_code = body.str("serviceCode")
    engagement = body.str("engagementNumber")
    main_attachment = body.int("mainAttachmentId")
    body.str("mainAttachmentLabel")
    comment = body.str("comment")
    order_reference = body.str("purchaseOrderReference")
    contract = body.str("contractReference")
    validator_id = body.int("validatorStructureId")
    body.raise_if_errors()
    assert number is not None and invoice_date is not None and net is not None and vat is not None
    assert gross is not None

    def refuse(code: int, message: str) -> dict[str, Any]:
        return {"returnCode": code, "message": message, "chorusInvoiceId": None, "depositFlowNumber": None}

    supplier = Structure.objects.filter(pk__in=principal.private_ids).order_by("id").first()
    if supplier is None:
        return refuse(20010, "Ce compte Chorus Pro n'a aucune structure fournisseur.")
    recipient = Structure.objects.filter(pk=structure_id, kind=Structure.Kind.PUBLIC, is_active=True).first()
    if recipient is None:
        return refuse(20011, f"La structure destinataire {structure_id} est introuvable.")
    if net + vat != gross:
        return refuse(20012, "Le montant TTC doit être égal au montant HT augmenté de la TVA.")
    rate = infer_rate(net=net, vat=vat)
    if rate is None:
        return refuse(20013, "Le montant de TVA ne correspond à aucun taux en vigueur (20, 10, 8,5, 5,5, 2,1 ou 0 %).")
    service = None
    if service_code:
        service = Service.objects.filter(structure=recipient, code=service_code.strip(), is_active=True).first()
        if service is None:
            return refuse(20014, f"Le service « {service_code} » n'existe pas chez {recipient.name}.")
    if recipient.service_code_required and service is None:
        return refuse(20015, f"Le code service est obligatoire pour {recipient.name}.")
    if recipient.engagement_required and not (engagement or "").strip():
        return refuse(20016, f"Le numéro d'engagement est obligatoire pour {recipient.name}.")
    if Invoice.objects.filter(supplier=supplier, numero_facture=number.strip()).exists():
        return refuse(20017, f"Une facture n° {number} a déjà été déposée par ce fournisseur.")
    validator = None
    if validator_id is not None:
        validator = Structure.objects.filter(pk=validator_id, kind=Structure.Kind.PRIVATE).first()
        if validator is None:
            return refuse(20018, f"La structure valideuse {validator_id} est introuvable.")
    attachment = None
    if main_attachment is not None:
        attachment = Attachment.objects.filter(
            pk=main_attachment, chorus_account=principal.chorus_account, invoice__isnull=True
        ).first()
        if attachment is None:
            return refuse(20019, f"La pièce jointe principale {main_attachment} est introuvable.")
    now = clock.now()
    status = lc.A_VALIDER_1 if validator else lc.MISE_A_DISPOSITION
    invoice = Invoice.objects.create(
        numero_facture=number.strip()[:40],
        cadre_facturation="A9_FACTURE_SOUSTRAITANT" if validator else "A1_FACTURE_FOURNISSEUR",
        mode_depot="SAISIE_API",
        numero_flux_depot=f"CPP{random.randint(10**9, 10**10 - 1)}",
        statut=status,
        date_heure_etat_courant=now,
        routed=validator is None,
        date_facture=invoice_date if not hasattr(invoice_date, "date") else invoice_date.date(),
        date_depot=now,
        date_echeance=(due_date.date() if hasattr(due_date, "date") else due_date) if due_date else None,
        montant_ht=net,
        montant_tva=vat,
        montant_ttc=gross,
        montant_a_payer=gross,
        supplier=supplier,
        code_fournisseur=supplier.identifier,
        designation_fournisseur=supplier.name,
        recipient=recipient,
        code_destinataire=recipient.identifier,
        designation_destinataire=recipient.name,
        service=service,
        code_service_executant=service.code if service else "",
        nom_service_executant=service.label if service else "",
        numero_marche=(contract or "").strip()[:60],
        numero_bon_commande=((engagement or order_reference or "").strip())[:60],
        validator=validator,
        validation_level=1 if validator else 0,
        statut_validation=status if validator else "",
        commentaire=(comment or "").strip()[:500],
        lines=single_line(net=net, rate=rate, label=(comment or f"Facture {number}").strip()[:120]),
        doc_seed=random.randint(1, 2**31),
        taille=30_000,
    )
    if attachment is not None:
        attachment.invoice = invoice
        attachment.type_code = "PJ_PRINCIPALE"
        attachment.save(update_fields=["invoice", "type_code"])
    return {
        "returnCode": 0,
        "message": "Facture déposée.",
        "chorusInvoiceId": invoice.pk,
        "depositFlowNumber": invoice.numero_flux_depot,
    }


# --- downloads ------------------------------------------------------------------------------------------


@dataclass
class Download:
    file: IO[bytes]
    size: int
    file_format: str
    invoices: list[Invoice]


def invoices_download(*, principal: Principal, body: Body) -> Download:
    """`telecharger-groupe`: check the request and the limits, build the file, set the flag."""
    ids = body.int_list("listeIdentifiantsFactureCPP", "listeFacture", "listeIdFacture")
    with_attachments: bool | None = None
    if body.has("inclurePiecesJointes"):
        with_attachments = body.bool("inclurePiecesJointes")
    elif body.has("avecPiecesJointesComplementaires"):
        with_attachments = body.bool("avecPiecesJointesComplementaires")
    file_format = body.str("formatFichier", "format")
    body.raise_if_errors()
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        raise Refusal(20001, "La liste des factures à télécharger est vide.")
    limit_count = settings.SANDBOX_DOWNLOAD_MAX_INVOICES
    if len(ids) > limit_count:
        raise Refusal(20002, f"Trop de factures demandées ({len(ids)}) : {limit_count} au plus par téléchargement.")
    fmt = FORMATS.get((file_format or "PDF").strip().upper())
    if fmt is None:
        raise Refusal(20005, f"Format de fichier inconnu : « {file_format} » (PDF, XML ou ZIP).")
    invoices = []
    for invoice_id in ids:
        invoices.append(invoice_get(principal, invoice_id))
    limit = int(settings.SANDBOX_DOWNLOAD_LIMIT_MB * 1_000_000)
    try:
        file, size = documents.build_download(
            invoices, file_format=fmt, with_attachments=bool(with_attachments), limit=limit
        )
    except documents.DownloadTooLarge as exc:
        raise Refusal(
            20004,
            f"Le téléchargement dépasse la taille maximale de {settings.SANDBOX_DOWNLOAD_LIMIT_MB:g} Mo "
            f"({exc.size / 1_000_000:.1f} Mo) : demandez moins de factures ou sans pièces jointes.",
        ) from exc
    received = [i.pk for i in invoices if i.recipient_id in principal.structure_ids and i.routed]
    if received:
        Invoice.objects.filter(pk__in=received).update(facture_telechargee=True)
    return Download(file=file, size=size, file_format=fmt, invoices=invoices)


# --- the Python API: reset, seed, deposit ---------------------------------------------------------------


def reset(*, seed_number: int | None = None, size: str = "full", large: bool | None = None) -> seed.SeedSummary:
    """Restore the seed (wipes every sandbox table first)."""
    return seed.generate(
        seed=settings.SANDBOX_SEED if seed_number is None else seed_number,
        size=size,
        large=settings.SANDBOX_LARGE_DOCUMENTS if large is None else large,
    )


def seed_if_empty() -> seed.SeedSummary | None:
    """Seed only when the sandbox has no data (fast when already seeded)."""
    if Invoice.objects.exists():
        return None
    return reset()


def deposit(count: int, *, client_uid: str | None = None) -> list[int]:
    """Suppliers deposit `count` new invoices to an account (default: the demo one)."""
    return seed.deposit(count, client_uid=client_uid or str(seed_data.DEMO_UID))
