"""Pages of the alerts: preferences, the bell and its notices, the staff outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from alerts import services
from alerts.models import Channel, Kind, Notice, Preferences
from tests.alerts.conftest import late_invoice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_preferences_page_shows_the_defaults_of_the_role(recipient_client):
    response = recipient_client.get(reverse("alerts:preferences"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(Kind.LATE.label) in body
    assert str(Kind.TO_VALIDATE.label) not in body  # not a validator
    form = response.context["form"]
    assert form[f"kind_{Kind.LATE}"].value() == Channel.IMMEDIATE
    assert form[f"kind_{Kind.TO_PROCESS}"].value() == Channel.DIGEST


def test_preferences_are_saved(recipient_client, recipient):
    data = {f"kind_{k}": Channel.DIGEST for k in services.kinds_for(services.access_for(recipient))}
    data.update({f"kind_{Kind.DUE_SOON}": Channel.NEVER, "digest_hour": "17", "language": "en"})
    response = recipient_client.post(reverse("alerts:preferences"), data)
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=recipient)
    assert (prefs.digest_hour, prefs.language) == (17, "en")
    assert prefs.channels[Kind.DUE_SOON] == Channel.NEVER
    assert prefs.channels[Kind.LATE] == Channel.DIGEST


def test_invalid_preferences_are_refused_with_422(recipient_client, recipient):
    response = recipient_client.post(reverse("alerts:preferences"), {"digest_hour": "25", "language": "de"})
    assert response.status_code == 422
    assert not Preferences.objects.filter(user=recipient).exists()


def test_the_bell_counts_unread_notices_and_lists_them(recipient_client, recipient, connection):
    invoice = late_invoice(connection, "FIN", invoice_number="BELL-1")
    services.notices_compute()
    page = recipient_client.get(reverse("home"), follow=True)
    assert 'class="bell__count">1<' in page.content.decode()

    listing = recipient_client.get(reverse("alerts:notices"))
    body = listing.content.decode()
    assert listing.status_code == 200 and "BELL-1" in body
    assert reverse("invoices:detail", args=[invoice.pk]) in body

    partial = recipient_client.get(
        reverse("alerts:notices"), headers={"HX-Request": "true", "HX-Target": "notice-list"}
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "BELL-1" in partial.content.decode()

    notice = Notice.objects.get(user=recipient)
    assert recipient_client.post(reverse("alerts:notice_read", args=[notice.pk])).status_code == 302
    assert Notice.objects.get(pk=notice.pk).read_at is not None
    assert 'class="bell__count"' not in recipient_client.get(reverse("alerts:notices")).content.decode()


def test_mark_all_read_touches_only_my_notices(recipient_client, recipient, connection, validator):
    late_invoice(connection, "FIN")
    services.notices_compute()
    other = UserFactory(username="autre")
    Notice.objects.create(
        user=other,
        kind=Kind.LATE,
        workspace="received",
        connection=connection,
        invoice_id=1,
        state_key="x",
        channel=Channel.APP,
        status=Notice.Status.APP,
    )
    recipient_client.post(reverse("alerts:notices_read"))
    assert not Notice.objects.filter(user=recipient, read_at__isnull=True).exists()
    assert Notice.objects.filter(user=other, read_at__isnull=True).exists()


def test_notices_outside_my_scope_are_not_listed(recipient_client, recipient, connection):
    late_invoice(connection, "FIN", invoice_number="GONE-1")
    services.notices_compute()
    recipient.memberships.update(service_codes=["TECH"])
    assert "GONE-1" not in recipient_client.get(reverse("alerts:notices")).content.decode()


def test_in_app_only_notices_send_no_mail(recipient, connection):
    Preferences.objects.create(user=recipient, channels={Kind.LATE: Channel.APP})
    late_invoice(connection, "FIN")
    services.notices_compute()
    services.notices_send_due()
    assert mail.outbox == []
    assert Notice.objects.get(user=recipient).status == Notice.Status.APP


def test_the_outbox_page_is_for_staff_and_lists_the_file_backend_mails(
    client, recipient, connection, superuser, settings, tmp_path: Path
):
    client.force_login(recipient)
    assert client.get(reverse("alerts:mails")).status_code == 403
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    late_invoice(connection, "FIN", invoice_number="FILE-1", recipient_name="Commune de Test")
    services.notices_compute()
    services.notices_send_due()
    client.force_login(superuser)
    response = client.get(reverse("alerts:mails"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 facture en retard — Commune de Test" in body and "FILE-1" in body


def test_changing_a_kind_moves_its_waiting_notices_to_the_new_way(recipient, connection):
    late_invoice(connection, "FIN")
    services.notices_compute()
    notice = Notice.objects.get(user=recipient)
    assert (notice.channel, notice.status) == (Channel.IMMEDIATE, Notice.Status.PENDING)
    channels = services.preferences_get(user=recipient).channels
    services.preferences_save(
        user=recipient, channels={**channels, Kind.LATE: Channel.DIGEST}, digest_hour=8, language="fr"
    )
    assert Notice.objects.get(pk=notice.pk).channel == Channel.DIGEST
    services.preferences_save(
        user=recipient, channels={**channels, Kind.LATE: Channel.APP}, digest_hour=8, language="fr"
    )
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.APP
