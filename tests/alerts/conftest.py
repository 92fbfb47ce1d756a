"""A real SMTP server for the alert tests (aiosmtpd, on a free local port), and their people."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from decimal import Decimal
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from chorusweb import payment_delay as pd
from chorusweb.models import Role
from tests.factories import ConnectionFactory, MembershipFactory, ReceivedInvoiceFactory, UserFactory


class Inbox:
    """What the SMTP server received: parsed messages, with their envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()

    def everything(self, message) -> str:
        return f"{message['Subject']}\n{self.text(message)}\n{self.html(message)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """An SMTP server started for the test; Django sends to it through its SMTP backend."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    settings.CHORUSWEB_BASE_URL = "https://chorusweb.example.fr"
    inbox.port = port
    yield inbox
    controller.stop()


def late_invoice(connection, service_code: str = "FIN", days_late: int = 3, **fields):
    today = timezone.localdate()
    return ReceivedInvoiceFactory(
        connection=connection,
        service_code=service_code,
        status="SERVICE_FAIT",
        clock_state=pd.State.RUNNING,
        clock_due=today - timedelta(days=days_late),
        clock_days_late=days_late,
        clock_interest=Decimal("1.18"),
        **fields,
    )


def new_invoice(connection, service_code: str = "FIN", **fields):
    return ReceivedInvoiceFactory(
        connection=connection, service_code=service_code, status="MISE_A_DISPOSITION", **fields
    )


@pytest.fixture
def two_connections(db):
    """Saint-Aubin (services FIN and TECH) and Bourg (FIN); a user limited to Saint-Aubin's FIN,
    and one seeing everything on both."""
    aubin = ConnectionFactory(name="Saint-Aubin")
    bourg = ConnectionFactory(name="Bourg")
    limited = UserFactory(username="limitee", email="limitee@example.test")
    MembershipFactory(user=limited, connection=aubin, role=Role.RECIPIENT, service_codes=["FIN"])
    everywhere = UserFactory(username="partout", email="partout@example.test")
    MembershipFactory(user=everywhere, connection=aubin, role=Role.RECIPIENT)
    MembershipFactory(user=everywhere, connection=bourg, role=Role.RECIPIENT)
    return aubin, bourg, limited, everywhere


@pytest.fixture(autouse=True)
def _fresh_bell_counts():
    """The bell's counts live in the cache: each test starts without those of another."""
    from django.core.cache import cache

    cache.clear()
