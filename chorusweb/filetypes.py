"""What kind of file a document is, from its first bytes (never from its name or content type)."""

from __future__ import annotations

#: How many leading bytes `sniff()` needs at most.
HEAD_SIZE = 1024


def sniff(head: bytes) -> str:
    """`pdf`, `zip`, `xml` or `unknown` from a file's first bytes."""
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: only XML is plausible
        return "xml"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return "xml"
    if b"%PDF-" in head:  # PDF readers accept some garbage before the header
        return "pdf"
    return "unknown"
