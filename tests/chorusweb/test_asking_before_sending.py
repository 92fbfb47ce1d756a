"""The shared pieces of issue #13 (points 5, 6, 9): what a bulk form asks, which statuses it
offers, the cache and back-link rules, the dates and names of downloads."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from chorusweb import lifecycle as lc
from chorusweb.bulk import bulk_summary
from chorusweb.exports import download_stamp, zip_date_time
from chorusweb.http import LAST_LIST_COOKIE, list_url_back, list_url_remember, no_store


def _invoice(amount, kind="FACTURE"):
    return SimpleNamespace(total_incl_tax=Decimal(amount), invoice_type=kind, currency="EUR")


def test_summary_counts_credit_notes_with_their_sign():
    summary = bulk_summary([_invoice("48000"), _invoice("510"), _invoice("300", "AVOIR")])
    assert summary.count == 3 and summary.net == Decimal("48210") and summary.credit_notes == 1
    with translation.override("fr"):
        question = re.sub(r"[\u202f\xa0]", " ", summary.question(lc.SERVICE_FAIT))
        line = re.sub(r"[\u202f\xa0]", " ", summary.credit_note_line)
    assert question == "Certifier le service fait de 3 factures pour 48 210,00 € ?"
    assert line == "Montant net, avoirs déduits : dont 1 avoir de -300,00 €."
    assert bulk_summary([_invoice("10")]).credit_note_line == ""


def test_targets_offered_are_those_allowed_for_at_least_one_invoice():
    assert lc.targets_for_any([lc.COMPTABILISEE]) == (lc.MISE_EN_PAIEMENT,)
    both = lc.targets_for_any([lc.COMPTABILISEE, lc.MANDATEE])
    assert both == (lc.MISE_A_DISPOSITION_COMPTABLE, lc.COMPTABILISEE, lc.MISE_EN_PAIEMENT)
    assert lc.targets_for_any([lc.MISE_EN_PAIEMENT, "INCONNU"]) == ()


def test_no_store_keeps_no_copy():
    response = no_store(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    assert {"no-store", "no-cache", "must-revalidate", "private"} <= {
        part.split("=")[0] for part in response["Cache-Control"].replace(" ", "").split(",")
    }


def test_back_link_is_the_last_view_of_that_list_only():
    factory = RequestFactory()
    seen = factory.get("/factures/", {"onglet": "toutes", "page": "3"})
    response = list_url_remember(seen, HttpResponse(), "received")
    cookie = response.cookies[LAST_LIST_COOKIE % "received"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    later = factory.get("/factures/12/")
    later.COOKIES[cookie.key] = cookie.value
    assert list_url_back(later, "received", "invoices:list") == "/factures/?onglet=toutes&page=3"
    forged = factory.get("/factures/12/", {"retour": "https://evil.example/factures/"})
    forged.COOKIES[cookie.key] = "%2Fadmin%2F"
    assert list_url_back(forged, "received", "invoices:list") == "/factures/"


def test_zip_entries_are_dated_by_the_invoice_or_now():
    assert zip_date_time(date(2026, 10, 3)) == (2026, 10, 3, 12, 0, 0)
    assert zip_date_time(None)[0] >= 2026
    assert zip_date_time(date(1970, 1, 1))[0] >= 2026  # never before 1980 (ZIP cannot say so)


def test_each_download_stamp_is_unique():
    stamps = {download_stamp() for _ in range(20)}
    assert len(stamps) > 1
    assert all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", s) for s in stamps)
