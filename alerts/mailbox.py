"""The demo's outbox: the mails Django's file backend wrote under EMAIL_FILE_PATH, newest first."""

from __future__ import annotations

import email
from dataclasses import dataclass
from email import policy
from pathlib import Path

from django.conf import settings

#: Django's file backend ends each message with a line of 79 dashes.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class StoredMail:
    file: str
    subject: str
    to: str
    date: str
    text: str
    html: str


def _read(path: Path) -> list[StoredMail]:
    mails = []
    for chunk in path.read_bytes().split(SEPARATOR):
        if not chunk.strip():
            continue
        message = email.message_from_bytes(chunk.strip(b"\n"), policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        mails.append(
            StoredMail(
                file=path.name,
                subject=str(message.get("Subject", "")),
                to=str(message.get("To", "")),
                date=str(message.get("Date", "")),
                text=text.get_content() if text is not None else "",
                html=html.get_content() if html is not None else "",
            )
        )
    return mails


def backend() -> str:
    return settings.MAILERS.get("default", {}).get("BACKEND", "")


def recent_mails(limit: int = 30) -> list[StoredMail]:
    folder = Path(settings.MAILERS.get("default", {}).get("OPTIONS", {}).get("file_path") or "")
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    mails: list[StoredMail] = []
    for path in files:
        mails.extend(reversed(_read(path)))
        if len(mails) >= limit:
            break
    return mails[:limit]
