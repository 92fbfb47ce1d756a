"""Reading the document of a received invoice: a Factur-X PDF, a bare CII XML, or a ZIP of those.

* `containers.py`: `read_document()` opens the file, tells its kind from its first bytes, finds
  the CII XML in a PDF or a ZIP, and lists the other files as attachments;
* `cii.py`: the CII reader (hardened XML parsing, UN/CEFACT D16B as used by Factur-X);
* `content.py`: the content model (`DocumentContent`, JSON round trip) and `compare_totals()`.

It never raises on a bad document: whatever could not be read is described, in French, in
`DocumentContent.errors`. Pure Python: no Django model, no HTTP.
"""

from invoices.facturx.containers import document_attachment, document_pdf, read_document
from invoices.facturx.content import (
    AMOUNT_TOLERANCE,
    Attachment,
    DocumentContent,
    DocumentKind,
    InvoiceLine,
    Mismatch,
    Note,
    Party,
    PaymentMeans,
    PaymentTerms,
    References,
    Totals,
    VatBreakdown,
    compare_totals,
)

__all__ = [
    "AMOUNT_TOLERANCE",
    "Attachment",
    "DocumentContent",
    "DocumentKind",
    "InvoiceLine",
    "Mismatch",
    "Note",
    "Party",
    "PaymentMeans",
    "PaymentTerms",
    "References",
    "Totals",
    "VatBreakdown",
    "compare_totals",
    "document_attachment",
    "document_pdf",
    "read_document",
]
