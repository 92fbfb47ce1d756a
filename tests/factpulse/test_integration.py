"""Every gateway method against the sandbox over real HTTP: answers, refusals, faults, tokens."""

from __future__ import annotations

import logging
import re
import time
import uuid
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
import requests
from django.core.cache import cache

from chorusweb import lifecycle
from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
from chorusweb.factpulse import types as t
from chorusweb.factpulse.client import FactPulseClient
from chorusweb.factpulse.errors import (
    FactPulseAuthError,
    FactPulseMalformed,
    FactPulseRateLimited,
    FactPulseRefused,
    FactPulseTimeout,
    FactPulseUnavailable,
    FactPulseUpstreamError,
)
from tests.factories import ConnectionFactory
from tests.factpulse.conftest import Recorder

pytestmark = pytest.mark.waits  # the sandbox over HTTP: timeouts, retries, rate limits

SEARCH = "factures/rechercher-destinataire"
PROCESS = "factures/traiter-facture-recue"


def _first(page_or_iter):
    for row in page_or_iter:
        return row
    pytest.fail("no row")


# --- reads ---------------------------------------------------------------------------------


def test_recipient_search_pages_and_typed_rows(fp):
    page = fp.rechercher_factures_destinataire(page=1, page_size=7)
    assert isinstance(page, t.Page)
    assert page.page == 1
    assert page.page_size == 7
    assert page.total > 7
    assert page.pages == -(-page.total // 7)
    assert len(page.items) == 7
    row = page.items[0]
    assert isinstance(row, t.ReceivedInvoiceRow)
    assert isinstance(row.invoice_id, int)
    assert isinstance(row.total_incl_tax, Decimal)
    assert isinstance(row.status_changed_at, datetime)
    assert row.status_changed_at.tzinfo is not None
    assert isinstance(row.deposit_date, date)
    assert row.status
    assert row.raw["idFacture"] == row.invoice_id

    every = list(fp.iter_factures_destinataire(page_size=9))
    assert len(every) == page.total
    assert len({r.invoice_id for r in every}) == page.total

    available = fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1000)
    assert available.items
    assert {r.status for r in available} == {lifecycle.MISE_A_DISPOSITION}


def test_empty_search_is_an_empty_page(fp):
    page = fp.rechercher_factures_destinataire(invoice_number="N'EXISTE-PAS-0000")
    assert page.items == ()
    assert page.total == 0
    assert list(fp.iter_factures_destinataire(invoice_number="N'EXISTE-PAS-0000")) == []


def test_validator_search_and_detail(fp):
    page = fp.valideur_rechercher_factures(statuses=[lifecycle.A_VALIDER_1], page_size=5)
    assert page.items
    row = page.items[0]
    assert isinstance(row, t.ValidatorInvoiceRow)
    assert row.status == lifecycle.A_VALIDER_1
    assert row.deposit_date is not None
    assert row.validation_deadline == lifecycle.validation_deadline(row.deposit_date)
    assert len(list(fp.iter_factures_valideur(page_size=4))) == fp.valideur_rechercher_factures().total

    detail = fp.valideur_consulter_facture(invoice_id=row.invoice_id)
    assert isinstance(detail, t.ValidatorInvoiceDetail)
    assert detail.invoice_id == row.invoice_id
    assert detail.invoice_number == row.invoice_number
    assert detail.supplier.name
    assert detail.recipient.name
    assert detail.lines
    assert detail.vat_summary
    assert isinstance(detail.totals.total_incl_tax, Decimal)
    assert detail.totals.total_incl_tax == row.total_incl_tax
    assert detail.framework in ("A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT")


def test_supplier_search_and_typed_consult(fp):
    page = fp.rechercher_factures_fournisseur(page_size=5)
    assert page.items
    row = page.items[0]
    assert isinstance(row, t.SupplierInvoiceRow)
    assert len(list(fp.iter_factures_fournisseur(page_size=5))) == page.total

    summary = fp.consulter_facture(invoice_id=row.invoice_id)
    assert isinstance(summary, t.InvoiceSummary)
    assert summary.invoice_id == row.invoice_id
    assert summary.invoice_number == row.invoice_number
    assert summary.status is not None and summary.status.code
    assert isinstance(summary.total_incl_tax, Decimal)


def test_structures(fp):
    received = _first(fp.rechercher_factures_destinataire(page_size=1))
    found = fp.rechercher_structures(identifier=received.recipient_code, identifier_type="SIRET")
    assert [s.structure_id for s in found] == [received.recipient_id]
    lookup = fp.obtenir_id_depuis_siret(siret=received.recipient_code)
    assert lookup.found and lookup.structure_id == received.recipient_id
    assert not fp.obtenir_id_depuis_siret(siret="00000000000000").found
    detail = fp.consulter_structure(structure_id=received.recipient_id)
    assert detail.structure_id == received.recipient_id
    assert detail.identifier == received.recipient_code
    services = fp.lister_services_structure(structure_id=received.recipient_id)
    assert services and all(isinstance(s, t.Service) for s in services)


# --- writes --------------------------------------------------------------------------------


def test_process_received_invoice_and_refusal_on_http_200(fp, sandbox):
    row = _first(fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1))
    result = fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status="SERVICE-FAIT", comment="ok")
    assert isinstance(result, t.ProcessingResult)
    assert result.invoice_id == row.invoice_id
    assert result.new_status == lifecycle.SERVICE_FAIT
    again = fp.rechercher_factures_destinataire(invoice_number=row.invoice_number).items[0]
    assert again.status == lifecycle.SERVICE_FAIT

    # SERVICE_FAIT -> SERVICE_FAIT is not in the table: a business refusal, HTTP 200.
    with pytest.raises(FactPulseRefused) as info:
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
    refusal = info.value
    assert refusal.status == 200
    assert refusal.code not in (None, 0)
    assert refusal.upstream_message
    assert refusal.upstream_message in refusal.user_message
    assert refusal.request_id
    # A reason is required to reject.
    with pytest.raises(FactPulseRefused):
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.REJETEE)
    assert sandbox.count(PROCESS) == 3


def test_mandate_with_number(fp):
    row = _first(fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1))
    result = fp.traiter_facture_recue(
        invoice_id=row.invoice_id, new_status=lifecycle.MANDATEE, mandate_number="DP-2026-1"
    )
    assert result.new_status == lifecycle.MANDATEE


def test_validator_decisions(fp):
    first, second = fp.valideur_rechercher_factures(statuses=[lifecycle.A_VALIDER_1], page_size=2).items
    approved = fp.valideur_traiter_facture(invoice_id=first.invoice_id, action="VALIDATION")
    assert isinstance(approved, t.ValidationResult)
    assert approved.invoice_id == first.invoice_id
    assert approved.status in (lifecycle.VALIDEE_1, lifecycle.MISE_A_DISPOSITION)
    with pytest.raises(FactPulseRefused):  # a refusal needs a reason
        fp.valideur_traiter_facture(invoice_id=second.invoice_id, action="REFUS")
    refused = fp.valideur_traiter_facture(invoice_id=second.invoice_id, action="REFUS", reason="Montant erroné")
    assert refused.status == lifecycle.REFUSEE_1
    with pytest.raises(FactPulseRefused):  # no longer awaiting validation
        fp.valideur_traiter_facture(invoice_id=first.invoice_id, action="VALIDATION")


def test_supplier_writes(fp):
    uploaded = fp.ajouter_fichier(content=b"%PDF-1.4 justificatif", name="justificatif.pdf")
    assert isinstance(uploaded, t.UploadedFile)
    assert uploaded.attachment_id > 0

    structure = _first(fp.rechercher_factures_destinataire(page_size=1))
    submitted = fp.soumettre_facture(
        invoice_number=f"T-{uuid.uuid4().hex[:8]}",
        invoice_date=date.today(),
        structure_id=structure.recipient_id,
        total_excl_tax=Decimal("100.00"),
        vat_amount=Decimal("20.00"),
        total_incl_tax=Decimal("120.00"),
        service_code=structure.service_code or None,
        engagement_number="EJ-1",
        main_attachment_id=uploaded.attachment_id,
        main_attachment_label="facture.pdf",
    )
    assert isinstance(submitted, t.SubmissionResult)
    assert submitted.invoice_id
    assert fp.consulter_facture(invoice_id=submitted.invoice_id).invoice_id == submitted.invoice_id

    suspended = fp.rechercher_factures_fournisseur(statuses=[lifecycle.SUSPENDUE], page_size=1).items
    if not suspended:
        pytest.fail("the sandbox seed has no SUSPENDUE invoice on the supplier side")
    extra = fp.ajouter_fichier(content=b"%PDF-1.4 bon de commande", name="bon-de-commande.pdf")
    completed = fp.completer_facture(
        invoice_id=suspended[0].invoice_id,
        comment="Pièces ajoutées",
        attachments=[t.AttachmentRef(extra.attachment_id, "bon-de-commande.pdf")],
    )
    assert isinstance(completed, t.CompletionResult)
    assert completed.invoice_id == suspended[0].invoice_id
    with pytest.raises(FactPulseRefused):  # no longer SUSPENDUE
        fp.completer_facture(invoice_id=suspended[0].invoice_id, comment="encore")

    to_recycle = fp.rechercher_factures_fournisseur(statuses=[lifecycle.A_RECYCLER], page_size=1).items
    if not to_recycle:
        pytest.fail("the sandbox seed has no A_RECYCLER invoice on the supplier side")
    recycled = fp.recycler_facture(
        invoice_id=to_recycle[0].invoice_id,
        structure_id=structure.recipient_id,
        service_code=structure.service_code or None,
        engagement_number="EJ-1",  # some structures require one, as on submission
    )
    assert isinstance(recycled, t.RecycleResult)
    assert recycled.invoice_id == to_recycle[0].invoice_id
    assert recycled.status in (lifecycle.DEPOSEE, lifecycle.MISE_A_DISPOSITION)


# --- downloads -----------------------------------------------------------------------------


def test_downloads_are_typed_by_their_bytes(fp):
    rows = fp.rechercher_factures_destinataire(downloaded=False, page_size=2).items
    ids = [r.invoice_id for r in rows]
    with fp.telecharger_groupe_factures(invoice_ids=ids[:1], file_format="PDF") as pdf:
        assert pdf.kind == "pdf"
        assert pdf.path.exists()
        assert pdf.size == pdf.path.stat().st_size > 1000
        assert pdf.read_bytes().startswith(b"%PDF")
        assert pdf.filename == f"facture-{ids[0]}.pdf"
        assert pdf.content_type == "application/pdf"
    assert not pdf.path.exists()  # the context manager deleted it

    xml = fp.telecharger_groupe_factures(invoice_ids=ids[:1], file_format="XML")
    try:
        assert xml.kind == "xml"
        assert b"CrossIndustryInvoice" in xml.read_bytes()
    finally:
        xml.cleanup()

    with fp.telecharger_groupe_factures(invoice_ids=ids, file_format="ZIP", include_attachments=True) as zipped:
        assert zipped.kind == "zip"
        with zipfile.ZipFile(zipped.path) as archive:
            assert len(archive.namelist()) >= 2
    flags = {r.invoice_id: r.downloaded for r in fp.iter_factures_destinataire() if r.invoice_id in ids}
    assert flags == dict.fromkeys(ids, True)


def test_download_refusal_and_no_leftover_file(fp, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(FactPulseRefused):
        fp.telecharger_groupe_factures(invoice_ids=[999_999_999], file_format="PDF")
    assert list(tmp_path.iterdir()) == []


# --- tokens --------------------------------------------------------------------------------


def test_token_is_cached_and_shared_between_clients(fp, sandbox, sandbox_connection):
    sandbox.clear_calls()
    fp.rechercher_factures_destinataire(page_size=1)
    FactPulseClient(sandbox_connection).valideur_rechercher_factures(page_size=1)
    fp.consulter_structure(structure_id=_first(fp.rechercher_factures_destinataire(page_size=1)).recipient_id)
    assert sandbox.count("token") == 1


def test_expired_token_mid_sequence_means_one_relogin(fp, sandbox, client_and_recorder):
    client, recorder = client_and_recorder
    sandbox.faults(token_lifetime=0.6)
    first = client.rechercher_factures_destinataire(page_size=2)
    # The cache believes the token is good for an hour; the server will say it expired.
    entry = client._load_tokens()
    entry["expires_at"] = time.time() + 3600
    client._store_tokens(entry)
    sandbox.faults(token_lifetime=600)
    time.sleep(0.7)
    sandbox.clear_calls()
    second = client.rechercher_factures_destinataire(page_size=2)  # 401, re-login, replay
    third = client.valideur_rechercher_factures(page_size=1)
    assert second.total == first.total
    assert third.items
    assert sandbox.count("token") == 1
    assert sandbox.count(SEARCH) == 2  # the refused call and its replay
    statuses = [e["status"] for e in recorder.to(SEARCH)]
    assert statuses == [200, 401, 200]


def test_token_is_refreshed_before_it_expires(fp, sandbox):
    sandbox.faults(token_lifetime=60.5)  # renewed 60 s before expiry: after 0.5 s
    fp.rechercher_factures_destinataire(page_size=1)
    time.sleep(0.6)
    sandbox.clear_calls()
    fp.rechercher_factures_destinataire(page_size=1)
    assert sandbox.count("token/refresh") == 1
    assert sandbox.count("token") == 0


def test_failed_refresh_falls_back_to_login(fp, sandbox):
    fp.rechercher_factures_destinataire(page_size=1)
    entry = fp._load_tokens()
    entry.update(expires_at=time.time(), refresh="not-a-token")
    fp._store_tokens(entry)
    sandbox.clear_calls()
    assert fp.rechercher_factures_destinataire(page_size=1).items
    assert sandbox.count("token/refresh") == 1
    assert sandbox.count("token") == 1


def test_new_credentials_version_means_new_login(fp, sandbox, sandbox_connection):
    fp.rechercher_factures_destinataire(page_size=1)
    old_key = fp.token_cache_key
    sandbox_connection.credentials_version = uuid.uuid4()
    sandbox.clear_calls()
    fp.rechercher_factures_destinataire(page_size=1)
    assert sandbox.count("token") == 1
    assert fp.token_cache_key != old_key
    assert cache.get(old_key) is not None


def test_wrong_password_is_an_auth_error(sandbox):
    connection = ConnectionFactory(api_base_url=sandbox.url, account_email="demo@chorusweb.test", password="bad")
    with pytest.raises(FactPulseAuthError) as info:
        FactPulseClient(connection).rechercher_factures_destinataire()
    assert info.value.status in (400, 401)
    assert sandbox.count("token") == 1  # an authentication failure is not retried


def test_persistent_401_is_an_auth_error_after_one_relogin(fp, sandbox, client_and_recorder):
    client, recorder = client_and_recorder
    sandbox.faults(token_lifetime=0)  # every token is born expired
    with pytest.raises(FactPulseAuthError):
        client.rechercher_factures_destinataire(page_size=1)
    assert [e["status"] for e in recorder.to(SEARCH)] == [401, 401]
    assert len(recorder.to("/api/token/")) == 2


# --- headers, bodies, logs -----------------------------------------------------------------


def test_every_call_carries_user_agent_request_id_and_timeout(client_and_recorder, settings):
    client, recorder = client_and_recorder
    client.rechercher_factures_destinataire(page_size=1)
    client.lister_services_structure(structure_id=_first(client.rechercher_factures_destinataire()).recipient_id)
    ids = set()
    for exchange in recorder.exchanges:
        headers = exchange["headers"]
        assert headers["User-Agent"] == settings.FACTPULSE_USER_AGENT
        assert uuid.UUID(headers["X-Request-ID"]).version == 4
        ids.add(headers["X-Request-ID"])
        if "/api/v1/" in exchange["url"]:
            assert headers["Authorization"].startswith("Bearer ")
    assert len(ids) == len(recorder.exchanges)


def test_zero_trust_credentials_go_in_every_post_body(sandbox):
    connection = ConnectionFactory(
        api_base_url=sandbox.url,
        account_email=DEMO_FACTPULSE_EMAIL,
        password=DEMO_FACTPULSE_PASSWORD,
        client_uid=DEMO_CLIENT_UID,
        piste_client_id="piste-id",
        piste_client_secret="piste-secret",
        chorus_login="cpro-login",
        chorus_password="cpro-password",
    )
    recorder = Recorder()
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    client = FactPulseClient(connection, session=session)
    row = _first(client.rechercher_factures_destinataire(page_size=1))
    client.lister_services_structure(structure_id=row.recipient_id)
    posts = [e for e in recorder.exchanges if "/api/v1/" in e["url"] and e["method"] == "POST"]
    assert posts
    for exchange in posts:
        assert exchange["body"]["credentials"] == {
            "pisteClientId": "piste-id",
            "pisteClientSecret": "piste-secret",
            "chorusProLogin": "cpro-login",
            "chorusProPassword": "cpro-password",
            "sandbox": True,
        }
    token_call = recorder.to("/api/token/")[0]
    assert "credentials" not in token_call["body"]
    gets = [e for e in recorder.exchanges if e["method"] == "GET"]
    assert gets and all(e["body"] is None for e in gets)


def test_no_secret_ever_reaches_the_logs(fp, sandbox, sandbox_connection, caplog):
    caplog.set_level(logging.DEBUG)
    fp.rechercher_factures_destinataire(page_size=1)
    entry = fp._load_tokens()
    sandbox.faults(error_status=500, error_rate=1, count=1, endpoints=[SEARCH])
    with pytest.raises(FactPulseUpstreamError):
        fp.rechercher_factures_destinataire(page_size=1)
    fp.forget_token()
    fp.rechercher_factures_destinataire(page_size=1)
    second = fp._load_tokens()
    bad = FactPulseClient(
        ConnectionFactory(api_base_url=sandbox.url, account_email=sandbox_connection.account_email, password="Wr0ng!")
    )
    with pytest.raises(FactPulseAuthError):
        bad.rechercher_factures_destinataire()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "FactPulse POST /api/token/" in text  # the calls were logged...
    assert SEARCH in text
    for secret in (
        sandbox_connection.password,
        "Wr0ng!",
        entry["access"],
        entry["refresh"],
        second["access"],
        second["refresh"],
    ):
        assert secret not in text  # ...but never a secret
    # Every line about an upstream call carries its request id (to find it in FactPulse's logs).
    upstream = [r.getMessage() for r in caplog.records if r.name.startswith("chorusweb.factpulse")]
    assert upstream
    for line in upstream:
        assert re.search(r"request[ _](?:id=)?[0-9A-Za-z-]{8,}", line), line
        assert '{"' not in line and "fichierBase64" not in line  # never a body


# --- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_reads_are_retried_on_transient_statuses(fp, sandbox, status):
    fp.access_token()
    sandbox.faults(error_status=status, error_rate=1, count=2, endpoints=[SEARCH])
    sandbox.clear_calls()
    assert fp.rechercher_factures_destinataire(page_size=1).items
    assert sandbox.count(SEARCH) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, FactPulseUpstreamError), (502, FactPulseUpstreamError), (503, FactPulseUnavailable)],
)
def test_reads_give_up_after_bounded_retries(fp, sandbox, status, error):
    fp.access_token()
    sandbox.faults(error_status=status, error_rate=1, endpoints=[SEARCH])
    sandbox.clear_calls()
    with pytest.raises(error) as info:
        fp.rechercher_factures_destinataire(page_size=1)
    assert type(info.value) is error
    assert info.value.status == status
    assert info.value.request_id
    expected_calls = 1 if status == 500 else 3  # 500 is not retried; others: 1 + 2 retries
    assert sandbox.count(SEARCH) == expected_calls


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, FactPulseUpstreamError), (502, FactPulseUpstreamError), (503, FactPulseUnavailable)],
)
def test_writes_are_sent_exactly_once(fp, sandbox, status, error):
    row = _first(fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1))
    sandbox.faults(error_status=status, error_rate=1, count=1, endpoints=[PROCESS])
    sandbox.clear_calls()
    with pytest.raises(error):
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
    assert sandbox.count(PROCESS) == 1


def test_rate_limit_is_honoured_then_reported(fp, sandbox):
    fp.access_token()
    sandbox.faults(rate_limit_retry_after=1, count=1, endpoints=[SEARCH])
    sandbox.clear_calls()
    started = time.monotonic()
    assert fp.rechercher_factures_destinataire(page_size=1).items
    assert time.monotonic() - started >= 0.9  # waited Retry-After
    assert sandbox.count(SEARCH) == 2

    sandbox.faults(rate_limit_retry_after=1, endpoints=[SEARCH])
    fp.max_retries = 1  # one more wait of Retry-After, then reported
    with pytest.raises(FactPulseRateLimited) as info:
        fp.rechercher_factures_destinataire(page_size=1)
    assert info.value.retry_after == 1
    assert info.value.status == 429


def test_timeouts(fp, sandbox, settings):
    fp.access_token()
    fp.read_timeout = 0.5
    sandbox.faults(timeout_seconds=2, count=1, endpoints=[SEARCH])
    sandbox.clear_calls()
    assert fp.rechercher_factures_destinataire(page_size=1).items  # retried after the timeout
    assert sandbox.count(SEARCH) == 2

    row = _first(fp.rechercher_factures_destinataire(statuses=[lifecycle.MISE_A_DISPOSITION], page_size=1))
    sandbox.faults(timeout_seconds=2, count=1, endpoints=[PROCESS])
    with pytest.raises(FactPulseTimeout) as info:
        fp.traiter_facture_recue(invoice_id=row.invoice_id, new_status=lifecycle.SERVICE_FAIT)
    assert info.value.http_status == 503
    assert sandbox.count(PROCESS) == 1


def test_malformed_answers(fp, sandbox):
    fp.access_token()
    sandbox.faults(malformed=True, count=1, endpoints=[SEARCH])
    sandbox.clear_calls()
    with pytest.raises(FactPulseMalformed) as info:
        fp.rechercher_factures_destinataire(page_size=1)
    assert info.value.http_status == 502
    assert sandbox.count(SEARCH) == 1  # an unreadable answer is not retried

    sandbox.faults(malformed=True, count=1, endpoints=["factures/telecharger-groupe"])
    row = _first(fp.rechercher_factures_destinataire(page_size=1))
    with pytest.raises(FactPulseMalformed):
        fp.telecharger_groupe_factures(invoice_ids=[row.invoice_id], file_format="PDF")


def test_connection_refused_is_unavailable(db):
    client = FactPulseClient(ConnectionFactory(api_base_url="http://127.0.0.1:9/sandbox"), sleep=lambda s: None)
    with pytest.raises(FactPulseUnavailable):
        client.rechercher_factures_destinataire()
