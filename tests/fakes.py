"""FakeFactPulse: the gateway's public interface, in memory, for view and core tests.

It holds typed rows (`add_received()`, `add_validation()`), answers the searches from them
with paging, applies the lifecycle rules to writes (a refused transition raises
`FactPulseRefused`, like Chorus Pro), records every call, and raises any error on demand
(`fail("traiter_facture_recue", FactPulseUnavailable())`). The sandbox over HTTP stays the
integration layer: what this double does is what the gateway's contract tests pin down there.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from chorusweb import lifecycle as lc
from chorusweb.factpulse import (
    DownloadedDocument,
    FactPulseError,
    FactPulseRefused,
    Page,
    ReceivedInvoiceRow,
    ReceivedSearch,
    SupplierInvoiceRow,
    SupplierSearch,
    ValidatorInvoiceDetail,
    ValidatorInvoiceRow,
    ValidatorSearch,
    types,
)

#: A document whose first bytes say PDF (the readers treat it as an unreadable PDF).
FAKE_PDF = b"%PDF-1.4\n% chorusweb test document\n%%EOF\n"


class FakeFactPulse:
    """In-memory stand-in for `FactPulseClient` (same method names, arguments and answers)."""

    def __init__(self) -> None:
        self.received: dict[int, ReceivedInvoiceRow] = {}
        self.validation: dict[int, ValidatorInvoiceRow] = {}
        self.issued: dict[int, SupplierInvoiceRow] = {}
        self.structures: dict[int, dict[str, Any]] = {}
        self.files: dict[int, tuple[str, bytes]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.document = FAKE_PDF
        self._errors: dict[str, list[FactPulseError]] = defaultdict(list)
        self._ids = itertools.count(10_001)

    # --- set-up ------------------------------------------------------------------------------

    def add_received(self, **fields: Any) -> ReceivedInvoiceRow:
        invoice_id = fields.pop("invoice_id", None) or next(self._ids)
        defaults = {
            "invoice_number": f"F-{invoice_id}",
            "invoice_type": "FACTURE",
            "status": lc.MISE_A_DISPOSITION,
            "status_changed_at": timezone.now() - timedelta(days=1),
            "invoice_date": date.today() - timedelta(days=3),
            "deposit_date": date.today() - timedelta(days=2),
            "total_excl_tax": Decimal("100.00"),
            "total_incl_tax": Decimal("120.00"),
            "currency": "EUR",
            "supplier_code": "12345678900011",
            "supplier_name": "Fournisseur test",
            "service_code": "SERV1",
            "service_name": "Service 1",
        }
        row = ReceivedInvoiceRow(invoice_id=invoice_id, **{**defaults, **fields})
        self.received[invoice_id] = row
        return row

    def add_validation(self, **fields: Any) -> ValidatorInvoiceRow:
        invoice_id = fields.pop("invoice_id", None) or next(self._ids)
        defaults = {
            "invoice_number": f"V-{invoice_id}",
            "invoice_type": "FACTURE",
            "framework": "A9",
            "status": lc.A_VALIDER_1,
            "deposit_date": date.today() - timedelta(days=2),
            "total_excl_tax": Decimal("100.00"),
            "total_incl_tax": Decimal("120.00"),
            "currency": "EUR",
            "supplier_name": "Sous-traitant test",
            "recipient_name": "Mairie test",
            "service_code": "SERV1",
        }
        row = ValidatorInvoiceRow(invoice_id=invoice_id, **{**defaults, **fields})
        self.validation[invoice_id] = row
        return row

    def fail(self, method: str, error: FactPulseError, *, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error` (after being recorded)."""
        self._errors[method].extend([error] * times)

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def _call(self, method: str, **kwargs: Any) -> None:
        self.calls.append((method, kwargs))
        if self._errors[method]:
            raise self._errors[method].pop(0)

    # --- searches ----------------------------------------------------------------------------

    @staticmethod
    def _page[R](rows: Sequence[R], search: Any) -> Page[R]:
        start = (search.page - 1) * search.page_size
        items = tuple(rows[start : start + search.page_size])
        pages = -(-len(rows) // search.page_size) if rows else 0
        return Page(items=items, page=search.page, pages=pages, page_size=search.page_size, total=len(rows))

    @staticmethod
    def _matches(row: Any, search: Any) -> bool:
        statuses = [lc.normalise_status(s) for s in search.statuses or ()]
        if statuses and row.status not in statuses:
            return False
        if search.invoice_number and row.invoice_number != search.invoice_number:
            return False
        return not (search.deposited_from and row.deposit_date and row.deposit_date < search.deposited_from)

    def rechercher_factures_destinataire(
        self, search: ReceivedSearch | None = None, **filters: Any
    ) -> Page[ReceivedInvoiceRow]:
        search = search or ReceivedSearch(**filters)
        self._call("rechercher_factures_destinataire", search=search)
        since = search.status_changed_from
        rows = [
            r
            for _, r in sorted(self.received.items())
            if self._matches(r, search)
            and not (since and r.status_changed_at and timezone.localdate(r.status_changed_at) < since)
        ]
        return self._page(rows, search)

    def iter_factures_destinataire(self, *, page_size: int = 500, **filters: Any) -> Iterator[ReceivedInvoiceRow]:
        return self._iter(self.rechercher_factures_destinataire, ReceivedSearch(page_size=page_size, **filters))

    def valideur_rechercher_factures(
        self, search: ValidatorSearch | None = None, **filters: Any
    ) -> Page[ValidatorInvoiceRow]:
        search = search or ValidatorSearch(**filters)
        self._call("valideur_rechercher_factures", search=search)
        rows = [r for _, r in sorted(self.validation.items()) if self._matches(r, search)]
        return self._page(rows, search)

    def iter_factures_valideur(self, *, page_size: int = 500, **filters: Any) -> Iterator[ValidatorInvoiceRow]:
        return self._iter(self.valideur_rechercher_factures, ValidatorSearch(page_size=page_size, **filters))

    @staticmethod
    def _iter(search_method: Any, search: Any) -> Iterator[Any]:
        while True:
            page = search_method(search)
            yield from page.items
            if not page.items or page.page >= page.pages:
                return
            search = search.at_page(page.page + 1)

    # --- writes ------------------------------------------------------------------------------

    def traiter_facture_recue(
        self,
        *,
        invoice_id: int,
        new_status: str,
        reason: str | None = None,
        comment: str | None = None,
        mandate_number: str | None = None,
    ) -> types.ProcessingResult:
        self._call(
            "traiter_facture_recue",
            invoice_id=invoice_id,
            new_status=new_status,
            reason=reason,
            comment=comment,
            mandate_number=mandate_number,
        )
        row = self.received.get(invoice_id)
        if row is None:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        check = lc.check_transition(row.status, new_status, reason)
        if not check.allowed:
            raise FactPulseRefused(code=20001, upstream_message=check.message)
        now = timezone.now()
        self.received[invoice_id] = dataclasses.replace(
            row, status=lc.normalise_status(new_status), status_changed_at=now, status_comment=reason or comment or ""
        )
        return types.ProcessingResult(
            invoice_id=invoice_id,
            invoice_number=row.invoice_number,
            new_status=lc.normalise_status(new_status),
            processed_at=now,
            message="",
        )

    def valideur_traiter_facture(
        self, *, invoice_id: int, action: str, reason: str | None = None, complement: str | None = None
    ) -> types.ValidationResult:
        self._call("valideur_traiter_facture", invoice_id=invoice_id, action=action, reason=reason)
        row = self.validation.get(invoice_id)
        if row is None:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        level = "2" if row.status.endswith("2") else "1"
        refused = action == lc.VALIDATION_ACTION_REFUSE
        status = f"{'REFUSEE' if refused else 'VALIDEE'}_{level}"
        self.validation[invoice_id] = dataclasses.replace(row, status=status, status_changed_at=timezone.now())
        return types.ValidationResult(
            invoice_id=invoice_id, invoice_number=row.invoice_number, status=status, processed_at=timezone.now()
        )

    def valideur_consulter_facture(self, *, invoice_id: int) -> ValidatorInvoiceDetail:
        self._call("valideur_consulter_facture", invoice_id=invoice_id)
        row = self.validation[invoice_id]
        return ValidatorInvoiceDetail(
            invoice_id=invoice_id,
            invoice_number=row.invoice_number,
            status=row.status,
            framework=row.framework,
            invoice_date=row.invoice_date,
            deposit_date=row.deposit_date,
            currency=row.currency,
        )

    def telecharger_groupe_factures(
        self, *, invoice_ids: Sequence[int], file_format: str = "ZIP", include_attachments: bool = False
    ) -> DownloadedDocument:
        self._call("telecharger_groupe_factures", invoice_ids=tuple(invoice_ids), file_format=file_format)
        kind = "zip" if self.document[:2] == b"PK" else "pdf"  # set `document` to a ZIP's bytes for a ZIP
        with tempfile.NamedTemporaryFile(prefix="fake-factpulse-", suffix=f".{kind}", delete=False) as out:
            out.write(self.document)
        for invoice_id in invoice_ids:
            if invoice_id in self.received:
                self.received[invoice_id] = dataclasses.replace(self.received[invoice_id], downloaded=True)
        return DownloadedDocument(
            path=Path(out.name),
            kind=kind,
            size=len(self.document),
            requested_format=file_format.upper(),
            invoice_ids=tuple(int(i) for i in invoice_ids),
        )

    # --- authentication (the admin's connection test) ------------------------------------------

    def forget_token(self) -> None:
        self._call("forget_token")

    def login(self) -> Any:
        self._call("login")
        return {"access": "***", "refresh": "***"}

    # --- supplier side (issued invoices) and the structure directory --------------------------

    def add_issued(self, **fields: Any) -> SupplierInvoiceRow:
        invoice_id = fields.pop("invoice_id", None) or next(self._ids)
        defaults = {
            "invoice_number": f"E-{invoice_id}",
            "invoice_type": "FACTURE",
            "status": lc.MISE_A_DISPOSITION,
            "status_changed_at": timezone.now() - timedelta(days=1),
            "invoice_date": date.today() - timedelta(days=3),
            "deposit_date": date.today() - timedelta(days=2),
            "total_excl_tax": Decimal("100.00"),
            "total_incl_tax": Decimal("120.00"),
            "currency": "EUR",
            "recipient_id": 1,
            "recipient_code": "21000000000011",
            "recipient_name": "Commune voisine",
            "service_code": "CANTINE",
            "service_name": "Restauration scolaire",
        }
        row = SupplierInvoiceRow(invoice_id=invoice_id, **{**defaults, **fields})
        self.issued[invoice_id] = row
        return row

    def add_structure(
        self,
        structure_id: int,
        *,
        siret: str,
        name: str,
        service_code_required: bool = False,
        engagement_required: bool = False,
        services: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.structures[structure_id] = {
            "siret": siret,
            "name": name,
            "service_code_required": service_code_required,
            "engagement_required": engagement_required,
            "services": tuple(
                types.Service(service_id=structure_id * 100 + n, code=code, label=label)
                for n, (code, label) in enumerate(services, start=1)
            ),
        }

    def rechercher_factures_fournisseur(
        self, search: SupplierSearch | None = None, **filters: Any
    ) -> Page[SupplierInvoiceRow]:
        search = search or SupplierSearch(**filters)
        self._call("rechercher_factures_fournisseur", search=search)
        rows = [r for _, r in sorted(self.issued.items()) if self._matches(r, search)]
        return self._page(rows, search)

    def iter_factures_fournisseur(self, *, page_size: int = 500, **filters: Any) -> Iterator[SupplierInvoiceRow]:
        return self._iter(self.rechercher_factures_fournisseur, SupplierSearch(page_size=page_size, **filters))

    def consulter_facture(self, *, invoice_id: int) -> types.InvoiceSummary:
        self._call("consulter_facture", invoice_id=invoice_id)
        row = self.issued.get(invoice_id)
        if row is None:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        return types.InvoiceSummary(
            invoice_id=invoice_id,
            invoice_number=row.invoice_number,
            invoice_date=row.invoice_date,
            total_incl_tax=row.total_incl_tax,
            status=types.InvoiceStatus(code=row.status, label=lc.status_label(row.status), date=row.status_changed_at),
            recipient_structure_id=row.recipient_id,
            recipient_structure_name=row.recipient_name,
        )

    def ajouter_fichier(
        self, *, content: bytes, name: str, mime_type: str = "application/pdf", extension: str | None = None
    ) -> types.UploadedFile:
        self._call("ajouter_fichier", name=name, size=len(content), mime_type=mime_type, extension=extension)
        if not name or len(name) > 50:
            raise FactPulseRefused(code=20002, upstream_message="Nom de fichier trop long")
        if len(content) > 10 * 1024 * 1024:
            raise FactPulseRefused(code=20003, upstream_message="Fichier trop volumineux")
        file_id = next(self._ids)
        self.files[file_id] = (name, content)
        return types.UploadedFile(attachment_id=file_id)

    def soumettre_facture(self, **kwargs: Any) -> types.SubmissionResult:
        self._call("soumettre_facture", **kwargs)
        structure = self.structures.get(kwargs["structure_id"])
        if structure is None:
            raise FactPulseRefused(code=20011, upstream_message="Structure destinataire introuvable")
        if kwargs["total_excl_tax"] + kwargs["vat_amount"] != kwargs["total_incl_tax"]:
            raise FactPulseRefused(code=20012, upstream_message="Montant TTC incohérent")
        codes = {s.code: s.label for s in structure["services"]}
        service = kwargs.get("service_code")
        if service and service not in codes:
            raise FactPulseRefused(code=20014, upstream_message=f"Le service « {service} » n'existe pas")
        if structure["service_code_required"] and not service:
            raise FactPulseRefused(code=20015, upstream_message="Le code service est obligatoire")
        if structure["engagement_required"] and not kwargs.get("engagement_number"):
            raise FactPulseRefused(code=20016, upstream_message="Le numéro d'engagement est obligatoire")
        if any(r.invoice_number == kwargs["invoice_number"] for r in self.issued.values()):
            raise FactPulseRefused(code=20017, upstream_message="Numéro de facture déjà déposé")
        row = self.add_issued(
            invoice_number=kwargs["invoice_number"],
            invoice_date=kwargs["invoice_date"],
            deposit_date=date.today(),
            status=lc.MISE_A_DISPOSITION,
            status_changed_at=timezone.now(),
            total_excl_tax=kwargs["total_excl_tax"],
            total_incl_tax=kwargs["total_incl_tax"],
            recipient_id=kwargs["structure_id"],
            recipient_code=structure["siret"],
            recipient_name=structure["name"],
            service_code=service or "",
            service_name=codes.get(service or "", ""),
            deposit_flow_number="CPP0000000001",
        )
        return types.SubmissionResult(invoice_id=row.invoice_id, deposit_flow_number=row.deposit_flow_number)

    def completer_facture(
        self, *, invoice_id: int, comment: str | None = None, attachments: Sequence[types.AttachmentRef] = ()
    ) -> types.CompletionResult:
        self._call("completer_facture", invoice_id=invoice_id, comment=comment, attachments=tuple(attachments))
        row = self.issued.get(invoice_id)
        if row is None or row.status != lc.SUSPENDUE:
            raise FactPulseRefused(code=20003, upstream_message="Seule une facture suspendue peut être complétée")
        now = timezone.now()
        self.issued[invoice_id] = dataclasses.replace(row, status=lc.COMPLETEE, status_changed_at=now)
        return types.CompletionResult(invoice_id=invoice_id, invoice_number=row.invoice_number, processed_at=now)

    def recycler_facture(
        self,
        *,
        invoice_id: int,
        structure_id: int | None = None,
        service_code: str | None = None,
        engagement_number: str | None = None,
    ) -> types.RecycleResult:
        self._call(
            "recycler_facture",
            invoice_id=invoice_id,
            structure_id=structure_id,
            service_code=service_code,
            engagement_number=engagement_number,
        )
        row = self.issued.get(invoice_id)
        if row is None or row.status != lc.A_RECYCLER:
            raise FactPulseRefused(code=20004, upstream_message="Seule une facture à recycler peut être recyclée")
        structure = self.structures.get(structure_id or 0)
        if structure is None:
            raise FactPulseRefused(code=20005, upstream_message="Destinataire introuvable")
        if structure["service_code_required"] and not service_code:
            raise FactPulseRefused(code=20007, upstream_message="Le code service est obligatoire")
        now = timezone.now()
        self.issued[invoice_id] = dataclasses.replace(
            row,
            status=lc.MISE_A_DISPOSITION,
            status_changed_at=now,
            recipient_id=structure_id,
            recipient_code=structure["siret"],
            recipient_name=structure["name"],
            service_code=service_code or "",
        )
        return types.RecycleResult(
            invoice_id=invoice_id, invoice_number=row.invoice_number, status=lc.DEPOSEE, deposited_at=now
        )

    def rechercher_structures(
        self,
        *,
        identifier: str | None = None,
        identifier_type: str | None = None,
        company_name: str | None = None,
        restrict_private: bool = False,
    ) -> Page[types.Structure]:
        self._call("rechercher_structures", identifier=identifier, company_name=company_name)
        items = tuple(
            types.Structure(structure_id=sid, identifier=s["siret"], name=s["name"], identifier_type="SIRET")
            for sid, s in sorted(self.structures.items())
            if (not identifier or s["siret"] == identifier)
            and (not company_name or company_name.lower() in s["name"].lower())
        )
        return Page(items=items, page=1, pages=1 if items else 0, page_size=len(items), total=len(items))

    def consulter_structure(self, *, structure_id: int, language: str = "fr") -> types.StructureDetail:
        self._call("consulter_structure", structure_id=structure_id)
        s = self.structures.get(structure_id)
        if s is None:
            raise FactPulseRefused(code=20001, upstream_message="Structure inconnue")
        return types.StructureDetail(
            structure_id=structure_id,
            identifier=s["siret"],
            label=s["name"],
            company_name=s["name"],
            service_code_required=s["service_code_required"],
            engagement_number_required=s["engagement_required"],
        )

    def lister_services_structure(self, *, structure_id: int) -> tuple[types.Service, ...]:
        self._call("lister_services_structure", structure_id=structure_id)
        return self.structures.get(structure_id, {}).get("services", ())

    def obtenir_id_depuis_siret(self, *, siret: str, identifier_type: str = "SIRET") -> types.StructureLookup:
        self._call("obtenir_id_depuis_siret", siret=siret)
        found = [(sid, s) for sid, s in self.structures.items() if s["siret"] == siret]
        if len(found) != 1:
            return types.StructureLookup(structure_id=None)
        sid, s = found[0]
        return types.StructureLookup(structure_id=sid, identifier=siret, name=s["name"])
