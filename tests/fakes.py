"""FakeFactPulse: the gateway's public interface, in memory, for view and core tests.

It holds typed rows (`add_received()`, `add_validation()`), answers the searches from them
with paging, applies the lifecycle rules to writes (a refused transition raises
`FactPulseRefused`, like Chorus Pro), records every call, and raises any error on demand
(`fail("traiter_facture_recue", FactPulseUnavailable())`). Like the sandbox, an approved
invoice goes on to its recipient, a validator's detail is a native body read by the gateway's
reader, and downloads are Factur-X files (one folder per invoice in a ZIP) unless `document` is
set. The sandbox over HTTP stays the integration layer: what this double does is what the
gateway's contract tests pin down there.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from facturx import generate_from_binary
from pypdf import PdfWriter

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
    read_validator_detail,
    types,
)

#: A document whose first bytes say PDF (the readers treat it as an unreadable PDF).
FAKE_PDF = b"%PDF-1.4\n% chorusweb test document\n%%EOF\n"


def _vat_rate(excl: Decimal, incl: Decimal) -> Decimal:
    return ((incl - excl) * 100 / excl).quantize(Decimal("0.01")) if excl else Decimal("0.00")


def _cii_xml(row: Any) -> bytes:
    """The invoice as a CII XML (EN 16931 shape, one line, one VAT rate), totals from the row."""
    excl, incl = row.total_excl_tax or Decimal(0), row.total_incl_tax or Decimal(0)
    issued = (row.invoice_date or date.today()).strftime("%Y%m%d")
    rate = _vat_rate(excl, incl)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>{escape(row.invoice_number)}</ram:ID>
    <ram:TypeCode>{"381" if row.invoice_type == "AVOIR" else "380"}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{issued}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Prestation</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{excl}</ram:ChargeAmount>
      </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{excl}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>{escape(row.supplier_name)}</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{escape(row.recipient_name or "Destinataire")}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{row.currency or "EUR"}</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{incl - excl}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{excl}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{excl}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{excl}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{row.currency or "EUR"}">{incl - excl}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{incl}</ram:GrandTotalAmount><ram:DuePayableAmount>{incl}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


@functools.cache
def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _facturx_pdf(row: Any) -> bytes:
    """A Factur-X PDF carrying the row's CII XML (a blank page: only the XML is read)."""
    return generate_from_binary(_blank_pdf(), _cii_xml(row), flavor="factur-x", level="en16931", check_xsd=False)


def _download_bytes(rows: Sequence[Any], file_format: str) -> bytes:
    """What the sandbox answers: one invoice as PDF or XML bare, else a ZIP of one folder per invoice."""
    if len(rows) == 1 and file_format in ("PDF", "XML"):
        return _facturx_pdf(rows[0]) if file_format == "PDF" else _cii_xml(rows[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for row in rows:
            folder = f"{row.invoice_number}_{row.invoice_id}"
            if file_format in ("PDF", "ZIP"):
                archive.writestr(f"{folder}/{row.invoice_number}.pdf", _facturx_pdf(row))
            if file_format in ("XML", "ZIP"):
                archive.writestr(f"{folder}/{row.invoice_number}.xml", _cii_xml(row))
    return buffer.getvalue()


class FakeFactPulse:
    """In-memory stand-in for `FactPulseClient` (same method names, arguments and answers)."""

    def __init__(self) -> None:
        self.received: dict[int, ReceivedInvoiceRow] = {}
        self.validation: dict[int, ValidatorInvoiceRow] = {}
        self.issued: dict[int, SupplierInvoiceRow] = {}
        self.structures: dict[int, dict[str, Any]] = {}
        self.files: dict[int, tuple[str, bytes]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.document: bytes | None = None  # bytes every download answers with (else sandbox-like files)
        self._errors: dict[str, list[FactPulseError]] = defaultdict(list)
        self._ids = itertools.count(10_001)

    # --- set-up ------------------------------------------------------------------------------

    def _add[R](self, row_type: type[R], store: dict[int, R], prefix: str, fields: dict, **defaults: Any) -> R:
        """A row of `row_type` kept in `store`: an invoice of 100 € HT / 120 € TTC deposited two
        days ago, numbered `prefix`-id, with the row kind's `defaults` and the test's `fields`."""
        invoice_id = fields.pop("invoice_id", None) or next(self._ids)
        common = {
            "invoice_number": f"{prefix}-{invoice_id}",
            "invoice_type": "FACTURE",
            "deposit_date": date.today() - timedelta(days=2),
            "total_excl_tax": Decimal("100.00"),
            "total_incl_tax": Decimal("120.00"),
            "currency": "EUR",
        }
        row = row_type(invoice_id=invoice_id, **{**common, **defaults, **fields})
        store[invoice_id] = row
        return row

    @staticmethod
    def _dated() -> dict[str, Any]:
        """Made available yesterday, dated three days ago (received and issued rows)."""
        return {
            "status": lc.MISE_A_DISPOSITION,
            "status_changed_at": timezone.now() - timedelta(days=1),
            "invoice_date": date.today() - timedelta(days=3),
        }

    def add_received(self, **fields: Any) -> ReceivedInvoiceRow:
        return self._add(
            ReceivedInvoiceRow,
            self.received,
            "F",
            fields,
            **self._dated(),
            supplier_code="12345678900011",
            supplier_name="Fournisseur test",
            service_code="SERV1",
            service_name="Service 1",
        )

    def add_validation(self, **fields: Any) -> ValidatorInvoiceRow:
        return self._add(
            ValidatorInvoiceRow,
            self.validation,
            "V",
            fields,
            framework="A9",
            status=lc.A_VALIDER_1,
            supplier_name="Sous-traitant test",
            recipient_name="Mairie test",
            service_code="SERV1",
        )

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
        """Like `valideur/traiter`: only an invoice awaiting validation; VALIDATION routes it on to its
        recipient (made available there), REFUS needs a reason and sends it back."""
        self._call("valideur_traiter_facture", invoice_id=invoice_id, action=action, reason=reason)
        row = self.validation.get(invoice_id)
        if row is None:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        outcomes = lc.AWAITING_VALIDATION.get(row.status)
        if not outcomes:
            raise FactPulseRefused(
                code=20003,
                upstream_message=f"La facture {row.invoice_number} n'est pas en attente de validation "
                f"(statut « {lc.status_label(row.status)} »).",
            )
        reason = (reason or "").strip()
        if action == lc.VALIDATION_ACTION_REFUSE and not reason:
            raise FactPulseRefused(code=20004, upstream_message="Un motif de refus (motifRefus) est obligatoire.")
        if len(reason) > lc.REASON_MAX_LENGTH:
            raise FactPulseRefused(code=20004, upstream_message="Le motif de refus est trop long.")
        status, now = outcomes[action], timezone.now()
        self.validation[invoice_id] = dataclasses.replace(row, status=status, status_changed_at=now)
        if action == lc.VALIDATION_ACTION_APPROVE:
            self.add_received(
                invoice_id=invoice_id,
                invoice_number=row.invoice_number,
                invoice_type=row.invoice_type,
                status=lc.MISE_A_DISPOSITION,
                status_changed_at=now,
                status_comment=complement or "",
                invoice_date=row.invoice_date,
                deposit_date=row.deposit_date,
                total_excl_tax=row.total_excl_tax,
                total_incl_tax=row.total_incl_tax,
                currency=row.currency,
                supplier_name=row.supplier_name,
                recipient_name=row.recipient_name,
                service_code=row.service_code,
            )
        return types.ValidationResult(
            invoice_id=invoice_id, invoice_number=row.invoice_number, status=status, processed_at=now
        )

    def valideur_consulter_facture(self, *, invoice_id: int) -> ValidatorInvoiceDetail:
        """The native detail body (parties, totals, one VAT line, one line) read by the gateway's reader."""
        self._call("valideur_consulter_facture", invoice_id=invoice_id)
        row = self.validation.get(invoice_id)
        if row is None:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        excl, incl = row.total_excl_tax or Decimal(0), row.total_incl_tax or Decimal(0)
        body = {
            "identifiantFactureCPP": invoice_id,
            "numeroFacture": row.invoice_number,
            "statutFacture": row.status,
            "cadreDeFacturation": {"codeCadreFacturation": row.framework},
            "references": {
                "typeFacture": row.invoice_type,
                "dateFacture": row.invoice_date.isoformat() if row.invoice_date else None,
                "dateDepot": row.deposit_date.isoformat() if row.deposit_date else None,
                "codeDeviseFacture": row.currency,
            },
            "fournisseur": {"designationFournisseur": row.supplier_name},
            "destinataire": {"libelleDestinataire": row.recipient_name, "codeServiceExecutant": row.service_code},
            "montantTotal": {
                "montantHtTotal": str(excl),
                "montantTVA": str(incl - excl),
                "montantTtcTotal": str(incl),
                "montantAPayer": str(incl),
            },
            "recapitulatifDeTva": {
                "ligneTva": [
                    {
                        "ligneTvaTauxRefValeur": str(_vat_rate(excl, incl)),
                        "ligneTvaMontantBaseHtParTaux": str(excl),
                        "ligneTvaMontantTvaParTaux": str(incl - excl),
                    }
                ]
            },
            "lignesDePoste": {
                "lignePoste": [
                    {
                        "lignePosteNumero": 1,
                        "lignePosteDenomination": "Prestation",
                        "lignePosteQuantite": "1",
                        "lignePosteMontantUnitaireHT": str(excl),
                        "lignePosteTauxTva": str(_vat_rate(excl, incl)),
                        "lignePosteMontantHtApresRemise": str(excl),
                    }
                ]
            },
        }
        return read_validator_detail(body, invoice_id=invoice_id)

    def telecharger_groupe_factures(
        self, *, invoice_ids: Sequence[int], file_format: str = "ZIP", include_attachments: bool = False
    ) -> DownloadedDocument:
        """Like `telecharger-groupe`: one invoice as PDF or XML comes bare, anything else as a ZIP with
        one folder per invoice (its PDF and/or CII XML); received invoices are flagged downloaded.
        Set `document` to answer every download with those bytes instead."""
        self._call("telecharger_groupe_factures", invoice_ids=tuple(invoice_ids), file_format=file_format)
        file_format = file_format.upper()
        rows = [self.received.get(i) or self.validation.get(i) or self.issued.get(i) for i in invoice_ids]
        if None in rows:
            raise FactPulseRefused(code=20002, upstream_message="Facture inconnue")
        data = self.document if self.document is not None else _download_bytes(rows, file_format)
        kind = "zip" if data[:2] == b"PK" else "xml" if data.lstrip()[:1] == b"<" else "pdf"
        with tempfile.NamedTemporaryFile(prefix="fake-factpulse-", suffix=f".{kind}", delete=False) as out:
            out.write(data)
        for invoice_id in invoice_ids:
            if invoice_id in self.received:
                self.received[invoice_id] = dataclasses.replace(self.received[invoice_id], downloaded=True)
        return DownloadedDocument(
            path=Path(out.name),
            kind=kind,
            size=len(data),
            requested_format=file_format,
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
        return self._add(
            SupplierInvoiceRow,
            self.issued,
            "E",
            fields,
            **self._dated(),
            recipient_id=1,
            recipient_code="21000000000011",
            recipient_name="Commune voisine",
            service_code="CANTINE",
            service_name="Restauration scolaire",
        )

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
