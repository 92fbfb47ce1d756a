"""`{% recipient_directory invoice as names %}`: a received invoice's recipient structure name and
service label when the mirror lacks them, from the structure directory (cached lookups)."""

from __future__ import annotations

from django import template

from issuers.directory import recipient_names_fill

register = template.Library()


@register.simple_tag
def recipient_directory(invoice) -> dict | None:
    """{"name", "service"} read in the directory, or None when the mirror already says it all."""
    code = getattr(invoice, "recipient_code", "") or ""
    service = getattr(invoice, "service_code", "") or ""
    if not code or (invoice.recipient_name and (invoice.service_name or not service)):
        return None
    names = recipient_names_fill(connection=invoice.connection, identifier=code, service_code=service)
    if not names:
        return None
    return {"name": names[0], "service": names[1]}
