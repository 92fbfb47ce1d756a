"""The containers of an invoice document: a Factur-X PDF, a bare CII XML, or a ZIP of those.

:func:`read_document` detects the kind from the magic bytes (`chorusweb.filetypes`), finds the
CII XML and turns it into an immutable :class:`DocumentContent`. It never raises on a bad
document: whatever could not be read is described, in French, in ``DocumentContent.errors``.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.utils.translation import gettext as _
from facturx import get_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from chorusweb import filetypes
from invoices.facturx.cii import MAX_XML_SIZE, CiiReader, is_cii, local_name, parse_xml
from invoices.facturx.content import Attachment, DocumentContent, DocumentKind

logger = logging.getLogger(__name__)

#: Largest PDF member of a ZIP loaded in memory to look for a Factur-X XML.
MAX_PDF_MEMBER_SIZE = 40 * 1024 * 1024
#: How many PDF members of a ZIP are opened, at most, to find the Factur-X one.
MAX_PDF_CANDIDATES = 10
#: Names of the Factur-X XML inside a PDF, by standard (Factur-X, ZUGFeRD 2, XRechnung).
_STANDARD_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def read_document(
    path_or_bytes: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    *,
    filename_hint: str = "",
) -> DocumentContent:
    """Read an invoice document (Factur-X PDF, CII XML or ZIP) and return its content.

    ``path_or_bytes`` is the document's content (bytes), a filesystem path (a ``str``
    is always a path), or a seekable binary file object read from its current position.
    ``filename_hint`` is the document's name, kept in ``DocumentContent.filename``.

    Never raises on a bad document: problems are listed in ``DocumentContent.errors``.
    Raises ``TypeError`` only when ``path_or_bytes`` has an unsupported type.
    """
    filename = filename_hint
    if not filename and isinstance(path_or_bytes, str | os.PathLike):
        filename = Path(path_or_bytes).name
    try:
        with _open_source(path_or_bytes) as stream:
            return _read_stream(stream, filename)
    except OSError as exc:
        logger.warning("Cannot open invoice document %r: %s", filename, exc)
        return DocumentContent(
            filename=filename,
            errors=(_("Impossible d'ouvrir le document : %(error)s") % {"error": exc.strerror or exc},),
        )


class _Source:
    """Wraps the caller's input as a seekable binary stream."""

    def __init__(self, stream: IO[bytes], *, close: bool) -> None:
        self.stream = stream
        self._close = close
        self._start = stream.tell()

    def __enter__(self) -> IO[bytes]:
        return self.stream

    def __exit__(self, *exc_info: object) -> None:
        if self._close:
            self.stream.close()
        else:
            try:
                self.stream.seek(self._start)
            except (OSError, ValueError):
                pass


def _open_source(source: object) -> _Source:
    """Open ``source`` (bytes, path or binary file) as a seekable stream."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _Source(io.BytesIO(bytes(source)), close=True)
    if isinstance(source, str | os.PathLike):
        return _Source(open(source, "rb"), close=True)  # closed by _Source.__exit__
    if hasattr(source, "read") and hasattr(source, "seek"):
        return _Source(source, close=False)  # type: ignore[arg-type]
    raise TypeError(f"read_document() expects bytes, a path or a binary file, not {type(source).__name__}")


def _read_xml_stream(stream: IO[bytes]) -> _Builder:
    builder = _Builder()
    data = stream.read(MAX_XML_SIZE + 1)
    if len(data) > MAX_XML_SIZE:
        builder.errors.append(_("XML trop volumineux pour être analysé."))
        return builder
    builder.read_cii(data, "")
    return builder


def _read_stream(stream: IO[bytes], filename: str) -> DocumentContent:
    start = stream.tell()
    head = stream.read(filetypes.HEAD_SIZE)
    stream.seek(start)
    kind = DocumentKind(filetypes.sniff(head))
    if not head:
        return DocumentContent(kind=kind, filename=filename, errors=(_("Le document est vide."),))
    if kind is DocumentKind.PDF:
        builder = _read_pdf(stream)
    elif kind is DocumentKind.XML:
        builder = _read_xml_stream(stream)
    elif kind is DocumentKind.ZIP:
        builder = _read_zip(stream)
    else:
        builder = _Builder()
        builder.errors.append(_("Format de document non reconnu : ce n'est ni un PDF, ni un XML, ni un ZIP."))
    return builder.build(kind=kind, filename=filename)


class _Builder:
    """Accumulates what the readers find, then builds the DocumentContent."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.attachments: list[Attachment] = []
        self.errors: list[str] = []
        self.xml_filename = ""
        self.pdf_filename = ""

    def read_cii(self, xml: bytes, xml_filename: str) -> bool:
        """Parse a CII XML into the fields; False (with an error) when it is not one."""
        root = parse_xml(xml, self.errors)
        if root is None:
            return False
        return self.read_cii_root(root, xml_filename)

    def read_cii_root(self, root: etree._Element, xml_filename: str) -> bool:
        """Read an already parsed XML; False (with an error) when it is not a CII invoice."""
        if not is_cii(root):
            self.errors.append(
                _("Ce XML n'est pas une facture CII (Factur-X) : élément racine « %(root)s ».")
                % {"root": local_name(root.tag)}
            )
            return False
        reader = CiiReader(root)
        self.fields.update(reader.read())
        self.attachments.extend(reader.attachments)
        self.errors.extend(reader.errors)
        self.xml_filename = xml_filename
        return True

    def build(self, *, kind: DocumentKind, filename: str) -> DocumentContent:
        return DocumentContent(
            kind=kind,
            filename=filename,
            xml_filename=self.xml_filename,
            pdf_filename=self.pdf_filename,
            attachments=tuple(self.attachments),
            errors=tuple(dict.fromkeys(self.errors)),
            **self.fields,
        )


# --------------------------------------------------------------------------- PDF


def _read_pdf(stream: IO[bytes]) -> _Builder:
    """Read a Factur-X PDF: embedded CII XML, and the other embedded files as attachments."""
    builder = _Builder()
    if not isinstance(stream, io.IOBase):  # factur-x only accepts bytes or real file objects
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    embedded: list[tuple[str, int | None, str, str]] = []
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:  # forbidden by PDF/A, hence by Factur-X
            builder.errors.append(_("Ce PDF est chiffré : son XML Factur-X ne peut pas être lu."))
            return builder
        for entry in reader.attachment_list:
            size = entry.size
            embedded.append(
                (
                    str(entry.name),
                    int(size) if size is not None else None,
                    (entry.subtype or "").lstrip("/").replace("#2F", "/"),
                    entry.description or "",
                )
            )
    except Exception as exc:  # pypdf raises many kinds of errors on broken PDFs
        logger.info("Unreadable PDF: %s", exc)
        builder.errors.append(_("PDF illisible : %(error)s") % {"error": exc})
        return builder
    names = [name.lower() for name, *_rest in embedded]
    standard = [name for name in _STANDARD_XML_NAMES if name in names]
    stream.seek(start)
    try:
        xml_filename, xml_bytes = get_xml_from_pdf(stream, check_xsd=False, filenames=standard or ["*.xml"])
    except Exception as exc:  # factur-x lets pypdf/lxml errors through
        logger.info("Cannot extract the XML of a PDF: %s", exc)
        builder.errors.append(_("PDF illisible : %(error)s") % {"error": exc})
        return builder
    if xml_filename and xml_bytes:
        builder.read_cii(xml_bytes, str(xml_filename))
    else:
        builder.errors.append(_("Ce PDF ne contient pas de XML Factur-X."))
    for name, size, mime_type, description in embedded:
        if xml_filename and name == xml_filename:
            continue
        builder.attachments.append(
            Attachment(name=name, size=size, source="pdf", mime_type=mime_type, description=description)
        )
    return builder


# --------------------------------------------------------------------------- ZIP


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """Read a ZIP member, refusing (None) members larger than ``limit`` even if their header lies."""
    with archive.open(info) as member:
        data = member.read(limit + 1)
    return None if len(data) > limit else data


def _read_zip(stream: IO[bytes]) -> _Builder:
    """Read a ZIP: the invoice's Factur-X PDF and/or CII XML, the other members as attachments."""
    builder = _Builder()
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        builder.errors.append(_("Archive ZIP illisible : %(error)s") % {"error": exc})
        return builder
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        invoice_members: set[str] = set()
        # Members skipped while looking for the invoice: only worth reporting if it is not found.
        skipped: list[str] = []

        # 1. CII XML members (small, cheap): the first one is the invoice's XML.
        cii_member: tuple[zipfile.ZipInfo, etree._Element] | None = None
        for info in members:
            if not info.filename.lower().endswith(".xml") or cii_member is not None:
                continue
            data = _safe_read_member(archive, info, MAX_XML_SIZE, skipped)
            if data is None:
                continue
            root = parse_xml(data, [])
            if root is not None and is_cii(root):
                cii_member = (info, root)

        # 2. PDF members: the first Factur-X one, trying the likeliest names first.
        xml_stem = PurePosixPath(cii_member[0].filename).stem.lower() if cii_member else ""
        pdf_members = sorted(
            (info for info in members if info.filename.lower().endswith(".pdf")),
            key=lambda info: _pdf_priority(info, xml_stem),
        )
        pdf_builder: _Builder | None = None
        for info in pdf_members[:MAX_PDF_CANDIDATES]:
            data = _safe_read_member(archive, info, MAX_PDF_MEMBER_SIZE, skipped)
            if data is None or filetypes.sniff(data[: filetypes.HEAD_SIZE]) != "pdf":
                continue
            candidate = _read_pdf(io.BytesIO(data))
            if candidate.xml_filename:
                pdf_builder = candidate
                builder.pdf_filename = info.filename
                invoice_members.add(info.filename)
                break

        if pdf_builder is not None:
            builder.fields = pdf_builder.fields
            builder.xml_filename = pdf_builder.xml_filename
            builder.attachments.extend(pdf_builder.attachments)
            builder.errors.extend(pdf_builder.errors)
            if cii_member is not None:
                invoice_members.add(cii_member[0].filename)
        elif cii_member is not None:
            builder.read_cii_root(cii_member[1], cii_member[0].filename)
            invoice_members.add(cii_member[0].filename)
        else:
            builder.errors.append(_("Cette archive ZIP ne contient ni PDF Factur-X ni XML CII."))
            builder.errors.extend(skipped)

        zip_attachments = [
            Attachment(name=info.filename, size=info.file_size, source="zip")
            for info in members
            if info.filename not in invoice_members
        ]
        builder.attachments[:0] = zip_attachments
    return builder


def _safe_read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, errors: list[str]) -> bytes | None:
    """Read a small ZIP member; None (with an error when useful) if too large or unreadable."""
    if info.file_size > limit:
        errors.append(
            _("Fichier %(name)s trop volumineux pour être analysé (%(size)s octets).")
            % {"name": info.filename, "size": info.file_size}
        )
        return None
    try:
        data = _read_member(archive, info, limit)
    except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        errors.append(_("Fichier %(name)s illisible : %(error)s") % {"name": info.filename, "error": exc})
        return None
    if data is None:
        errors.append(
            _("Fichier %(name)s trop volumineux pour être analysé.") % {"name": info.filename},
        )
    return data


def _pdf_priority(info: zipfile.ZipInfo, xml_stem: str) -> tuple[int, int]:
    """Sort key of PDF members: same name as the CII XML, then invoice-like names, then small."""
    stem = PurePosixPath(info.filename).stem.lower()
    if xml_stem and stem == xml_stem:
        rank = 0
    elif any(word in stem for word in ("factur", "invoice", "avoir")):
        rank = 1
    else:
        rank = 2
    return rank, info.file_size


# --------------------------------------------------------------------------- files, one by one

#: Largest file handed out of a document (an attachment, the invoice's PDF).
MAX_EXTRACTED_SIZE = 50 * 1024 * 1024


def document_pdf(stream: IO[bytes], *, kind: str, pdf_filename: str = "") -> bytes | None:
    """The invoice's PDF in a stored document: the file itself, or its Factur-X member in a ZIP.

    Only bytes that are a PDF (by their first bytes, never by a name) are handed out."""
    data: bytes | None = None
    if kind == "pdf":
        data = stream.read(MAX_EXTRACTED_SIZE + 1)
    elif kind == "zip":
        try:
            with zipfile.ZipFile(stream) as archive:
                members = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".pdf")]
                chosen = [i for i in members if i.filename == pdf_filename] or members[:1]
                if chosen and chosen[0].file_size <= MAX_EXTRACTED_SIZE:
                    data = _read_member(archive, chosen[0], MAX_EXTRACTED_SIZE)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            return None
    if not data or len(data) > MAX_EXTRACTED_SIZE or filetypes.sniff(data[: filetypes.HEAD_SIZE]) != "pdf":
        return None
    return data


def document_attachment(
    stream: IO[bytes], *, kind: str, attachment: Attachment, pdf_filename: str = "", xml_filename: str = ""
) -> bytes | None:
    """One attachment of a stored document, by what `read_document` listed: a member of the ZIP,
    a file embedded in the (Factur-X) PDF, or a document embedded in the CII XML. None when it
    cannot be handed out (a reference to an address elsewhere, too large, gone)."""
    if attachment.source == "zip" and kind == "zip":
        try:
            with zipfile.ZipFile(stream) as archive:
                info = archive.getinfo(attachment.name)
                return None if info.file_size > MAX_EXTRACTED_SIZE else _read_member(archive, info, MAX_EXTRACTED_SIZE)
        except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            return None
    if attachment.source == "pdf":
        pdf = document_pdf(stream, kind=kind, pdf_filename=pdf_filename)
        if pdf is None:
            return None
        try:
            found = PdfReader(io.BytesIO(pdf)).attachments.get(attachment.name) or []
        except Exception:  # pypdf raises many kinds of errors on broken PDFs
            return None
        return found[0] if found else None
    if attachment.source == "xml" and attachment.size is not None:  # embedded in the CII XML
        xml = _document_xml(stream, kind=kind, pdf_filename=pdf_filename, xml_filename=xml_filename)
        return _xml_attachment(xml, attachment) if xml else None
    return None


def _document_xml(stream: IO[bytes], *, kind: str, pdf_filename: str, xml_filename: str) -> bytes | None:
    """The CII XML of a stored document: the file, a member of the ZIP, or the one in the PDF."""
    if kind == "xml":
        data = stream.read(MAX_XML_SIZE + 1)
        return data if len(data) <= MAX_XML_SIZE else None
    if kind == "zip" and xml_filename:
        try:
            with zipfile.ZipFile(stream) as archive:
                info = archive.getinfo(xml_filename)
                return _read_member(archive, info, MAX_XML_SIZE)
        except KeyError:
            stream.seek(0)  # the XML is inside the PDF member
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            return None
    pdf = document_pdf(stream, kind=kind, pdf_filename=pdf_filename)
    if pdf is None:
        return None
    try:
        _name, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    except Exception:  # factur-x lets pypdf/lxml errors through
        return None
    return xml or None


def _xml_attachment(xml: bytes, attachment: Attachment) -> bytes | None:
    """The content of an `AdditionalReferencedDocument` embedded (base64) in the CII XML."""
    root = parse_xml(xml, [])
    if root is None:
        return None
    for reference in root.iter():
        if local_name(reference.tag) != "AdditionalReferencedDocument":
            continue
        children = {local_name(child.tag): child for child in reference}
        binary = children.get("AttachmentBinaryObject")
        if binary is None or not binary.text:
            continue
        ids = (children["IssuerAssignedID"].text or "").strip() if "IssuerAssignedID" in children else ""
        named = (children["Name"].text or "").strip() if "Name" in children else ""
        if (binary.get("filename", "") or named or ids) != attachment.name or ids != attachment.reference_id:
            continue
        try:
            data = base64.b64decode("".join(binary.text.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
        return data if len(data) <= MAX_EXTRACTED_SIZE else None
    return None
