"""Alerts through a real SMTP server: scope, content, once and only once, retries."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import Channel, Kind, Notice, Preferences
from chorusweb.models import Role
from tests.alerts.conftest import free_port, late_invoice, new_invoice
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def at_digest_hour():
    """A moment after every default digest hour today (local time)."""
    return timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)


def plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def send_all(now=None):
    services.notices_compute()
    return services.notices_send_due(now=now or at_digest_hour())


def test_the_digest_of_a_service_limited_user_holds_nothing_of_other_services_or_connections(smtp, two_connections):
    aubin, bourg, _limited, _everywhere = two_connections
    mine = [
        late_invoice(aubin, "FIN", invoice_number="AUBIN-FIN-LATE", recipient_name="Commune de Saint-Aubin"),
        new_invoice(aubin, "FIN", invoice_number="AUBIN-FIN-NEW", recipient_name="Commune de Saint-Aubin"),
    ]
    foreign = [
        late_invoice(aubin, "TECH", invoice_number="AUBIN-TECH-LATE"),
        new_invoice(aubin, "TECH", invoice_number="AUBIN-TECH-NEW"),
        late_invoice(bourg, "FIN", invoice_number="BOURG-FIN-LATE"),
        new_invoice(bourg, "FIN", invoice_number="BOURG-FIN-NEW"),
    ]

    report = send_all()

    assert report["failed"] == 0
    limited_mails = smtp.to("limitee@example.test")
    # Late: immediately; to process: in the digest (the defaults of a recipient).
    assert len(limited_mails) == 2
    seen = "\n".join(smtp.everything(m) for m in limited_mails)
    for invoice in mine:
        assert invoice.invoice_number in seen
    for invoice in foreign:
        assert invoice.invoice_number not in seen
    # The other user sees all six, and no mail of one user went to the other.
    everywhere_seen = "\n".join(smtp.everything(m) for m in smtp.to("partout@example.test"))
    for invoice in mine + foreign:
        assert invoice.invoice_number in everywhere_seen
    assert len(smtp.messages) == len(limited_mails) + len(smtp.to("partout@example.test"))
    assert all(m["X-Envelope-To"] in ("limitee@example.test", "partout@example.test") for m in smtp.messages)


def test_a_digest_groups_every_pending_notice_of_a_user_in_one_mail(smtp, two_connections):
    aubin, _bourg, limited, _everywhere = two_connections
    Preferences.objects.create(
        user=limited, channels={Kind.LATE: Channel.DIGEST, Kind.TO_PROCESS: Channel.DIGEST}, digest_hour=7
    )
    late_invoice(aubin, "FIN", invoice_number="L-1", recipient_name="Commune de Saint-Aubin")
    late_invoice(aubin, "FIN", invoice_number="L-2", recipient_name="Commune de Saint-Aubin")
    for n in range(3):
        new_invoice(aubin, "FIN", invoice_number=f"N-{n}", recipient_name="Commune de Saint-Aubin")

    services.notices_compute()
    early = timezone.localtime().replace(hour=6, minute=0)
    services.notices_send_due(now=early, user_ids=[limited.pk])
    assert smtp.to("limitee@example.test") == []  # before the user's hour

    services.notices_send_due(now=early.replace(hour=7, minute=5), user_ids=[limited.pk])
    (digest,) = smtp.to("limitee@example.test")
    assert digest["Subject"] == "2 factures en retard, 3 à traiter — Commune de Saint-Aubin"
    text = smtp.text(digest)
    assert text.index("L-1") < text.index("N-0")  # most urgent first
    assert Notice.objects.filter(user=limited, status=Notice.Status.SENT).count() == 5

    # Later the same day, a new notice waits for tomorrow's digest.
    new_invoice(aubin, "FIN", invoice_number="N-LATER")
    services.notices_compute()
    services.notices_send_due(now=early.replace(hour=22), user_ids=[limited.pk])
    assert len(smtp.to("limitee@example.test")) == 1
    services.notices_send_due(now=early.replace(hour=7, minute=5) + timedelta(days=1), user_ids=[limited.pk])
    assert len(smtp.to("limitee@example.test")) == 2


def test_mail_parts_amounts_dates_and_links(smtp, two_connections, settings):
    aubin, _bourg, _limited, _everywhere = two_connections
    invoice = late_invoice(aubin, "FIN", invoice_number="F-42", recipient_name="Commune de Saint-Aubin")
    send_all()
    (late_mail,) = [m for m in smtp.to("limitee@example.test") if "retard" in m["Subject"]]

    assert late_mail["Subject"] == "1 facture en retard — Commune de Saint-Aubin"
    text, html = smtp.text(late_mail), smtp.html(late_mail)
    due = (timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")
    assert f"F-42 — {invoice.supplier_name} — 1 200,00 €" in plain_spaces(text)
    assert f"échue le {due}, 3 j de retard" in text
    assert "intérêts moratoires estimés 1,18" in text
    detail = f"https://chorusweb.example.fr{reverse('invoices:detail', args=[invoice.pk])}"
    assert detail in text and f'href="{detail}"' in html
    # Accessible HTML: a language, a title, headings and lists; nothing remote, no tracking.
    assert '<html lang="fr">' in html and "<h2" in html and "<ul" in html
    assert "<img" not in html and "<script" not in html
    assert (
        "style=" not in html and "<style" not in html
    )  # plain semantic HTML: the reader's mail program and settings style it
    assert set(re.findall(r'https?://[^/"\s]+', html)) == {"https://chorusweb.example.fr"}
    # One-click unsubscribe headers (RFC 8058).
    assert late_mail["List-Unsubscribe"].startswith("<https://chorusweb.example.fr/notifications/desabonnement/")
    assert late_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mails_are_written_in_the_users_language(smtp, two_connections):
    aubin, _bourg, limited, _everywhere = two_connections
    Preferences.objects.create(user=limited, language="en")
    late_invoice(aubin, "FIN", invoice_number="F-EN", recipient_name="Commune de Saint-Aubin")
    send_all()
    (late_mail,) = smtp.to("limitee@example.test")
    assert late_mail["Subject"] == "1 late invoice — Commune de Saint-Aubin"
    assert "3 days late" in smtp.text(late_mail)
    assert "1 200,00 €" in plain_spaces(smtp.text(late_mail))  # amounts stay in fr-FR


def unsubscribe_path(text: str, after: str) -> str:
    """The unsubscribe link of the section whose title is `after`."""
    section = text[text.index(after) :]
    url = re.search(r"(https://\S+/notifications/desabonnement/\S+/)", section).group(1)
    return urlsplit(url).path


def test_the_unsubscribe_link_works_without_login_and_only_for_its_kind(smtp, two_connections, client):
    aubin, _bourg, limited, _everywhere = two_connections
    Preferences.objects.create(user=limited, channels={Kind.LATE: Channel.DIGEST})
    late_invoice(aubin, "FIN", invoice_number="F-1")
    new_invoice(aubin, "FIN", invoice_number="F-2")
    send_all()
    (digest,) = smtp.to("limitee@example.test")
    path = unsubscribe_path(smtp.text(digest), str(Kind.LATE.label))

    page = client.get(path)  # nobody logged in
    assert page.status_code == 200
    assert "Me désabonner" in page.content.decode()
    assert Preferences.objects.get(user=limited).channels[Kind.LATE] == Channel.DIGEST  # GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    channels = services.preferences_get(user=limited).channels
    assert channels[Kind.LATE] == Channel.NEVER
    assert channels[Kind.TO_PROCESS] == Channel.DIGEST  # the other kind is untouched

    # A later late invoice is not told; a new one to process still is.
    late_invoice(aubin, "FIN", invoice_number="F-3", days_late=1)
    new_invoice(aubin, "FIN", invoice_number="F-4")
    services.notices_compute()
    assert not Notice.objects.filter(user=limited, data__number="F-3").exists()
    assert Notice.objects.filter(user=limited, data__number="F-4").exists()


def test_a_forged_unsubscribe_link_changes_nothing(client, two_connections):
    _aubin, _bourg, limited, _everywhere = two_connections
    token = services.unsubscribe_token(limited.pk, [Kind.LATE])
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.post(reverse("alerts:unsubscribe", args=[forged]))
    assert response.status_code == 404
    assert not Preferences.objects.filter(user=limited).exists()


def test_one_click_unsubscribe_from_the_mail_header(smtp, two_connections, client):
    aubin, _bourg, limited, _everywhere = two_connections
    late_invoice(aubin, "FIN")
    send_all()
    (late_mail,) = smtp.to("limitee@example.test")
    url = late_mail["List-Unsubscribe"].strip("<>")
    response = client.post(urlsplit(url).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert services.preferences_get(user=limited).channels[Kind.LATE] == Channel.NEVER


def test_a_second_run_sends_nothing_new(smtp, two_connections):
    aubin, _bourg, _limited, _everywhere = two_connections
    late_invoice(aubin, "FIN")
    new_invoice(aubin, "FIN")
    send_all()
    sent, recorded = len(smtp.messages), Notice.objects.count()
    assert sent > 0

    assert services.notices_compute() == 0
    services.notices_send_due(now=at_digest_hour() + timedelta(days=1))
    assert (len(smtp.messages), Notice.objects.count()) == (sent, recorded)


def test_a_restart_between_record_and_send_sends_once(smtp, two_connections):
    aubin, _bourg, limited, _everywhere = two_connections
    late_invoice(aubin, "FIN")
    services.notices_compute()
    pending = list(Notice.objects.filter(user=limited).values_list("pk", flat=True))
    assert pending and set(Notice.objects.filter(pk__in=pending).values_list("status", flat=True)) == {"pending"}

    # A process claims them for its mail and dies before sending.
    now = timezone.now()
    assert services.notices_claim(pending, now=now) is not None
    services.notices_send_due(now=now + timedelta(minutes=1), user_ids=[limited.pk])
    assert smtp.to("limitee@example.test") == []  # the claim is still held: nobody else sends it

    # After a restart the lost claim is released and the mail goes, once.
    later = now + services.STALE_CLAIM + timedelta(minutes=1)
    services.notices_send_due(now=later, user_ids=[limited.pk])
    services.notices_send_due(now=later + timedelta(minutes=1), user_ids=[limited.pk])
    services.notices_compute()
    services.notices_send_due(now=later + timedelta(minutes=2), user_ids=[limited.pk])
    assert len(smtp.to("limitee@example.test")) == 1
    assert set(Notice.objects.filter(pk__in=pending).values_list("status", flat=True)) == {"sent"}


def test_a_failed_send_is_retried_by_the_schedule_and_shown_in_the_admin(smtp, two_connections, settings, client):
    aubin, _bourg, limited, _everywhere = two_connections
    late_invoice(aubin, "FIN")
    services.notices_compute()
    working = settings.MAILERS
    nobody = free_port()  # nobody listens there
    settings.MAILERS = {"default": {**working["default"], "OPTIONS": {"host": "127.0.0.1", "port": nobody}}}
    now = timezone.now()
    report = services.notices_send_due(now=now, user_ids=[limited.pk])
    assert report["failed"] == 1
    notice = Notice.objects.get(user=limited)
    assert notice.status == Notice.Status.FAILED and notice.attempts == 1 and notice.last_error
    assert notice.next_attempt_at > now

    admin = UserFactory(username="admin-alerts", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:alerts_notice_changelist") + "?status__exact=failed")
    assert listing.status_code == 200
    assert notice.data["number"] in listing.content.decode()

    settings.MAILERS = working
    services.notices_send_due(now=now + timedelta(minutes=1), user_ids=[limited.pk])
    assert smtp.to("limitee@example.test") == []  # not before its next attempt
    services.notices_send_due(now=notice.next_attempt_at, user_ids=[limited.pk])
    assert len(smtp.to("limitee@example.test")) == 1
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.SENT


def test_a_notice_of_an_invoice_no_longer_in_scope_is_cancelled_not_sent(smtp, two_connections):
    aubin, _bourg, limited, _everywhere = two_connections
    late_invoice(aubin, "FIN")
    services.notices_compute()
    limited.memberships.update(service_codes=["TECH"])
    services.notices_send_due(now=at_digest_hour(), user_ids=[limited.pk])
    assert smtp.to("limitee@example.test") == []
    assert Notice.objects.get(user=limited).status == Notice.Status.CANCELLED


def test_no_mail_for_the_kinds_of_a_role_the_user_does_not_hold(smtp, db, connection):
    validator = UserFactory(username="valideuse", email="valideuse@example.test")
    MembershipFactory(user=validator, connection=connection, role=Role.VALIDATOR)
    late_invoice(connection, "FIN")
    send_all()
    assert smtp.to("valideuse@example.test") == []
    assert mail.outbox == []


def test_an_action_that_ended_unconfirmed_or_failed_is_told_to_its_author_only(smtp, two_connections):
    from chorusweb.models import AuditEntry

    aubin, _bourg, limited, everywhere = two_connections
    invoice = new_invoice(aubin, "FIN", invoice_number="ACT-1")
    for user, state in ((limited, AuditEntry.State.UNCONFIRMED), (everywhere, AuditEntry.State.FAILED)):
        AuditEntry.objects.create(
            workspace="received",
            connection=aubin,
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            user=user,
            action="process",
            target="MANDATEE",
            state=state,
            exclusive=False,
        )
    Preferences.objects.create(user=limited, channels={Kind.TO_PROCESS: Channel.NEVER})
    send_all()
    (told,) = smtp.to("limitee@example.test")
    assert told["Subject"].startswith("1 action à vérifier")
    assert "Mandatée : non confirmée" in smtp.text(told)
    problems = Notice.objects.filter(kind=Kind.ACTION_PROBLEM)
    assert sorted(problems.values_list("user__username", "state_key")) == sorted(
        [
            ("limitee", f"{AuditEntry.objects.get(user=limited).pk}:unconfirmed"),
            ("partout", f"{AuditEntry.objects.get(user=everywhere).pk}:failed"),
        ]
    )


def test_a_late_mail_says_the_interest_accruing_per_day(smtp, two_connections):
    from decimal import Decimal

    from invoices.models import InterestRate

    aubin, _bourg, _limited, _everywhere = two_connections
    due_half = services.pd.HalfYear.of(timezone.localdate() - timedelta(days=2))
    InterestRate.objects.update_or_create(year=due_half.year, half=due_half.half, defaults={"rate": Decimal("10.95")})
    late_invoice(aubin, "FIN", invoice_number="RATE-1", amount_due=Decimal("36500.00"))
    send_all()
    (late_mail,) = smtp.to("limitee@example.test")
    # 36 500 € × 10,95 % / 365 = 10,95 € a day
    assert "(+10,95 € par jour)" in plain_spaces(smtp.text(late_mail))


def test_a_service_limited_validator_hears_only_of_the_invoices_of_their_services(smtp, two_connections):
    from validators.models import QueueState, ValidationInvoice

    aubin, bourg, _limited, _everywhere = two_connections
    validator = UserFactory(username="valideuse-fin", email="valideuse-fin@example.test")
    MembershipFactory(user=validator, connection=aubin, role=Role.VALIDATOR, service_codes=["FIN"])
    Preferences.objects.create(user=validator, channels={Kind.TO_VALIDATE: Channel.IMMEDIATE})
    today = timezone.localdate()
    for n, (connection, service) in enumerate(((aubin, "FIN"), (aubin, "TECH"), (bourg, "FIN"))):
        ValidationInvoice.objects.create(
            connection=connection,
            invoice_id=700 + n,
            invoice_number=f"VAL-{connection.name}-{service}",
            status="A_VALIDER_1",
            state=QueueState.AWAITING,
            deposit_date=today - timedelta(days=1),
            deadline=today + timedelta(days=14),
            service_code=service,
            synced_at=timezone.now(),
        )
    send_all()
    seen = "\n".join(smtp.everything(m) for m in smtp.to("valideuse-fin@example.test"))
    assert "VAL-Saint-Aubin-FIN" in seen
    assert "VAL-Saint-Aubin-TECH" not in seen and "VAL-Bourg-FIN" not in seen
    assert reverse("validators:detail", args=[ValidationInvoice.objects.get(invoice_id=700).pk]) in seen
