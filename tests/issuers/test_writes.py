"""Submit, complete and recycle: success, refusal, unknown outcome, double submit, upload checks."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from facturx import get_xml_from_pdf, xml_check_xsd

from chorusweb import lifecycle as lc
from chorusweb.factpulse import FactPulseTimeout
from chorusweb.models import AuditEntry, SyncRun
from issuers import services
from issuers.models import IssuedInvoice
from tests.fakes import FAKE_PDF
from tests.issuers.conftest import MAIRIE, MAIRIE_SIRET, SYNDICAT, SYNDICAT_SIRET

pytestmark = pytest.mark.django_db

SUBMIT = "/factures-emises/soumettre/"


def _pdf(name="facture.pdf", content=FAKE_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _submit_data(**changes):
    data = {
        "cle": "k" + "1" * 31,
        "structure": str(MAIRIE),
        "mode": "fichier",
        "numero": "EM-2026-001",
        "date_facture": "2026-11-20",
        "code_service": "CANTINE",
        "montant_ht": "1000.00",
        "montant_tva": "55.00",
        "montant_ttc": "1055.00",
        "commentaire": "Repas de novembre",
    }
    data.update(changes)
    if data.get("mode") == "fichier" and "fichier" not in changes:
        data["fichier"] = _pdf()
    return {k: v for k, v in data.items() if v is not None}


def _synced(fake, connection, **fields):
    row = fake.add_issued(**fields)
    run = services.sync_issued(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED
    return IssuedInvoice.objects.get(connection=connection, invoice_id=row.invoice_id)


# --- the structure directory in the submit form ---------------------------------------------------


def test_recipient_found_by_siret_and_form_asks_service_code_only_when_required(fake, issuer_client):
    found = issuer_client.get(SUBMIT, {"q": MAIRIE_SIRET})
    assert found.status_code == 200
    assert "Mairie de Voiron" in found.text
    assert fake.count("obtenir_id_depuis_siret") == 1
    form = issuer_client.get(SUBMIT, {"structure": MAIRIE}).context["form"]
    assert form.fields["code_service"].required
    assert [c for c, _ in form.fields["code_service"].choices] == ["", "CANTINE", "TECH"]
    assert "numero_engagement" not in form.fields
    assert fake.count("consulter_structure") == 1 and fake.count("lister_services_structure") == 1
    plain = issuer_client.get(SUBMIT, {"structure": SYNDICAT}).context["form"]
    assert "code_service" not in plain.fields and "numero_engagement" not in plain.fields


def test_recipient_found_by_name(fake, issuer_client):
    found = issuer_client.get(SUBMIT, {"q": "syndicat"})
    assert "Syndicat des eaux" in found.text and "Mairie" not in found.text
    assert fake.count("rechercher_structures") == 1


# --- submit -----------------------------------------------------------------------------------------


def test_submit_uploads_the_pdf_then_submits_once(fake, connection, issuer_client):
    answer = issuer_client.post(SUBMIT, _submit_data())
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    assert fake.count("ajouter_fichier") == 1 and fake.count("soumettre_facture") == 1
    sent = dict(fake.calls)["soumettre_facture"]
    assert sent["service_code"] == "CANTINE" and sent["structure_id"] == MAIRIE
    assert str(sent["total_incl_tax"]) == "1055.00"
    invoice = IssuedInvoice.objects.get(invoice_number="EM-2026-001")
    assert invoice.recipient_name == "Mairie de Voiron" and invoice.status == lc.MISE_A_DISPOSITION
    entry = AuditEntry.objects.get(action="submit")
    assert entry.state == AuditEntry.State.DONE and entry.invoice_id == invoice.invoice_id
    listed = issuer_client.get("/factures-emises/")
    assert "EM-2026-001" in listed.text


def test_submit_refused_shows_the_libelle_and_keeps_the_form(fake, issuer_client):
    fake.add_issued(invoice_number="EM-2026-001")  # a number already deposited
    answer = issuer_client.post(SUBMIT, _submit_data())
    assert answer.status_code == 422
    assert "Numéro de facture déjà déposé" in answer.text
    form = answer.context["form"]
    assert form["numero"].value() == "EM-2026-001" and form["montant_ttc"].value() == "1055.00"
    assert form["cle"].value() != "k" + "1" * 31  # a fresh key: the user may correct and send again
    assert AuditEntry.objects.get(action="submit").state == AuditEntry.State.REFUSED


def test_submit_timeout_is_an_unknown_outcome_never_resent(fake, issuer_client):
    fake.fail("soumettre_facture", FactPulseTimeout())
    answer = issuer_client.post(SUBMIT, _submit_data())
    assert answer.status_code == 504
    assert "peut-être été appliquée" in answer.text
    assert "Ne déposez pas la facture une seconde fois" in answer.text
    assert fake.count("soumettre_facture") == 1
    assert AuditEntry.objects.get(action="submit").state == AuditEntry.State.UNKNOWN
    again = issuer_client.post(SUBMIT, _submit_data())  # the same form sent again
    assert again.status_code == 409
    assert fake.count("soumettre_facture") == 1


def test_double_submit_sends_once(fake, issuer_client):
    first = issuer_client.post(SUBMIT, _submit_data())
    second = issuer_client.post(SUBMIT, _submit_data())
    assert first.status_code == 302
    assert second.status_code == 409
    assert "ne sera pas envoyé une seconde fois" in second.text
    assert fake.count("soumettre_facture") == 1 and fake.count("ajouter_fichier") == 1


def test_amounts_must_add_up_before_sending(fake, issuer_client):
    answer = issuer_client.post(SUBMIT, _submit_data(montant_ttc="1056.00"))
    assert answer.status_code == 422
    assert "doit être égal au HT" in answer.text
    assert fake.count("ajouter_fichier") == 0 and fake.count("soumettre_facture") == 0


def test_service_code_required_by_the_structure(fake, issuer_client):
    answer = issuer_client.post(SUBMIT, _submit_data(code_service=""))
    assert answer.status_code == 422
    assert answer.context["form"].errors["code_service"]
    assert fake.count("soumettre_facture") == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (_pdf(content=b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)), "10 Mo au plus"),
        (_pdf(content=b"MZ\x90\x00 this is a program"), "n&#x27;est pas un PDF"),
        (_pdf(name="x" * 47 + ".pdf"), "50 au plus"),
        (_pdf(name="facture.txt"), "doit finir par .pdf"),
    ],
    ids=["too-big", "wrong-type-by-content", "long-name", "wrong-extension"],
)
def test_upload_validation_says_why_and_sends_nothing(fake, issuer_client, upload, message):
    answer = issuer_client.post(SUBMIT, _submit_data(fichier=upload))
    assert answer.status_code == 422
    assert message in answer.text
    assert fake.calls == [c for c in fake.calls if c[0] not in ("ajouter_fichier", "soumettre_facture")]
    assert not AuditEntry.objects.exists()


def test_submit_builds_a_facturx_from_the_lines(fake, issuer_client):
    data = _submit_data(mode="saisie", fichier=None, montant_ht=None, montant_tva=None, montant_ttc=None)
    data.update(
        {
            "emetteur_nom": "Commune de Saint-Égrève",
            "emetteur_siret": "21380382000012",
            "ligne1_libelle": "Repas scolaires",
            "ligne1_quantite": "120",
            "ligne1_prix": "4.35",
            "ligne1_tva": "5.5",
            "ligne2_libelle": "Goûters",
            "ligne2_quantite": "40",
            "ligne2_prix": "1.10",
            "ligne2_tva": "5.5",
        }
    )
    answer = issuer_client.post(SUBMIT, data)
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    sent = dict(fake.calls)["soumettre_facture"]
    assert (str(sent["total_excl_tax"]), str(sent["vat_amount"]), str(sent["total_incl_tax"])) == (
        "566.00",
        "31.13",
        "597.13",
    )
    ((name, content),) = fake.files.values()
    assert content.startswith(b"%PDF") and name.endswith(".pdf") and len(name) <= 50
    _filename, xml = get_xml_from_pdf(io.BytesIO(content), check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"Repas scolaires" in xml and b"597.13" in xml


# --- complete ---------------------------------------------------------------------------------------


def _complete(client, invoice, **changes):
    data = {"cle": "c" + "2" * 31, "commentaire": "Voici le bon de livraison", "pieces": [_pdf("bon-livraison.pdf")]}
    data.update(changes)
    return client.post(f"/factures-emises/{invoice.pk}/completer/", data)


def test_complete_uploads_pieces_and_completes_once(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.SUSPENDUE)
    page = issuer_client.get(f"/factures-emises/{invoice.pk}/")
    assert "Compléter la facture suspendue" in page.text
    answer = _complete(issuer_client, invoice)
    assert answer.status_code == 302
    assert fake.count("ajouter_fichier") == 1 and fake.count("completer_facture") == 1
    assert dict(fake.calls)["completer_facture"]["attachments"][0].name == "bon-livraison.pdf"
    invoice.refresh_from_db()
    assert invoice.status == lc.COMPLETEE
    again = _complete(issuer_client, invoice)  # the same form sent twice
    assert again.status_code == 409 and "ne sera pas envoyé une seconde fois" in again.text
    assert fake.count("completer_facture") == 1


def test_complete_refused_shows_the_libelle_and_keeps_the_form(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.SUSPENDUE)
    fake.issued[invoice.invoice_id] = fake.issued[invoice.invoice_id].__class__(
        **{**fake.issued[invoice.invoice_id].__dict__, "status": lc.REJETEE}
    )
    answer = _complete(issuer_client, invoice)
    assert answer.status_code == 422
    assert "Seule une facture suspendue peut être complétée" in answer.text
    assert answer.context["complete_form"]["commentaire"].value() == "Voici le bon de livraison"


def test_complete_timeout_is_an_unknown_outcome(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.SUSPENDUE)
    fake.fail("completer_facture", FactPulseTimeout())
    answer = _complete(issuer_client, invoice)
    assert answer.status_code == 504
    assert "peut-être été appliquée" in answer.text
    again = _complete(issuer_client, invoice, cle="c" + "3" * 31)  # even a fresh form: nothing is sent
    assert again.status_code == 504
    assert fake.count("completer_facture") == 1


def test_complete_validation_sends_nothing(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.SUSPENDUE)
    answer = _complete(issuer_client, invoice, pieces=[_pdf("piece.pdf", b"GIF89a not a pdf")])
    assert answer.status_code == 422
    assert "n&#x27;est pas un" in answer.text
    empty = _complete(issuer_client, invoice, pieces=[], commentaire="")
    assert empty.status_code == 422
    assert fake.count("ajouter_fichier") == 0 and fake.count("completer_facture") == 0


# --- recycle ----------------------------------------------------------------------------------------


def _recycle(client, invoice, **changes):
    data = {"cle": "r" + "4" * 31, "structure": str(MAIRIE), "code_service": "TECH", "numero_engagement": "EJ-77"}
    data.update(changes)
    return client.post(f"/factures-emises/{invoice.pk}/recycler/", data)


def test_recycle_picks_structure_service_and_engagement(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.A_RECYCLER, recipient_id=SYNDICAT, recipient_code=SYNDICAT_SIRET)
    page = issuer_client.get(f"/factures-emises/{invoice.pk}/recycler/", {"q": "voiron"})
    assert "Mairie de Voiron" in page.text
    answer = _recycle(issuer_client, invoice)
    assert answer.status_code == 302
    sent = dict(fake.calls)["recycler_facture"]
    assert (sent["structure_id"], sent["service_code"], sent["engagement_number"]) == (MAIRIE, "TECH", "EJ-77")
    invoice.refresh_from_db()
    assert invoice.recipient_name == "Mairie de Voiron" and invoice.status == lc.MISE_A_DISPOSITION
    again = _recycle(issuer_client, invoice)  # the same form sent twice
    assert again.status_code == 409 and "ne sera pas envoyé une seconde fois" in again.text
    assert fake.count("recycler_facture") == 1


def test_recycle_refused_shows_the_libelle_and_keeps_the_form(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.A_RECYCLER)
    row = fake.issued[invoice.invoice_id]  # meanwhile upstream, the invoice moved on
    fake.issued[invoice.invoice_id] = row.__class__(**{**row.__dict__, "status": lc.REJETEE})
    answer = _recycle(issuer_client, invoice)
    assert answer.status_code == 422
    assert "Seule une facture à recycler peut être recyclée" in answer.text
    form = answer.context["form"]
    assert form["numero_engagement"].value() == "EJ-77" and form["code_service"].value() == "TECH"
    assert AuditEntry.objects.get(action="recycle").state == AuditEntry.State.REFUSED


def test_recycle_timeout_is_an_unknown_outcome(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.A_RECYCLER)
    fake.fail("recycler_facture", FactPulseTimeout())
    answer = _recycle(issuer_client, invoice)
    assert answer.status_code == 504
    assert "Ne recyclez pas la facture une seconde fois" in answer.text
    assert _recycle(issuer_client, invoice, cle="r" + "5" * 31).status_code == 504
    assert fake.count("recycler_facture") == 1


def test_writes_are_audited_before_sent(fake, connection, issuer, monkeypatch):
    """The pending audit row exists when the gateway is called (audited before sent)."""
    seen = []
    original = fake.soumettre_facture

    def spy(**kwargs):
        seen.append(list(AuditEntry.objects.values_list("action", "state")))
        return original(**kwargs)

    monkeypatch.setattr(fake, "soumettre_facture", spy)
    from issuers.directory import structure_info

    info = structure_info(connection=connection, structure_id=MAIRIE)
    services.invoice_submit(
        user=issuer,
        submission=services.Submission(
            connection=connection,
            structure_id=info.structure_id,
            recipient_name=info.name,
            recipient_code=info.identifier,
            invoice_number="EM-X",
            invoice_date=date(2026, 11, 2),
            total_excl_tax=__import__("decimal").Decimal("10.00"),
            vat_amount=__import__("decimal").Decimal("2.00"),
            total_incl_tax=__import__("decimal").Decimal("12.00"),
            file=services.UploadFile("f.pdf", FAKE_PDF, "application/pdf", "PDF"),
            service_code="CANTINE",
        ),
        idempotency_key="spy-key",
    )
    assert seen == [[("submit", AuditEntry.State.PENDING)]]
    assert AuditEntry.objects.get().state == AuditEntry.State.DONE


def test_unknown_outcome_notice_polls_its_own_region(fake, connection, issuer_client):
    invoice = _synced(fake, connection, status=lc.SUSPENDUE)
    fake.fail("completer_facture", FactPulseTimeout())
    _complete(issuer_client, invoice)
    page = issuer_client.get(f"/factures-emises/{invoice.pk}/")
    assert f'hx-get="/factures-emises/{invoice.pk}/"' in page.text
    assert "Compléter la facture suspendue" not in page.text  # no new send while the outcome is unknown
    region = issuer_client.get(
        f"/factures-emises/{invoice.pk}/", headers={"HX-Request": "true", "HX-Target": "outcome-region"}
    )
    assert region.text.lstrip().startswith('<div id="outcome-region"')
    assert "Issue inconnue" in region.text


def test_directory_unreachable_says_so_and_sends_nothing(fake, issuer_client):
    from chorusweb.factpulse import FactPulseUnavailable

    fake.fail("consulter_structure", FactPulseUnavailable(), times=2)
    page = issuer_client.get(SUBMIT, {"structure": MAIRIE})
    assert "ne répond pas" in page.text
    answer = issuer_client.post(SUBMIT, _submit_data())
    assert answer.status_code == 503
    assert fake.count("ajouter_fichier") == 0 and fake.count("soumettre_facture") == 0


def test_an_issuer_on_two_connections_picks_the_one_to_submit_with(fake, issuer, issuer_client):
    from chorusweb.models import Role
    from tests.factories import ConnectionFactory, MembershipFactory

    other = ConnectionFactory(name="Syndicat intercommunal")
    MembershipFactory(user=issuer, connection=other, role=Role.ISSUER)
    found = issuer_client.get(SUBMIT, {"q": MAIRIE_SIRET, "connexion": other.pk})
    assert "Syndicat intercommunal" in found.text
    assert f"?structure={MAIRIE}&amp;connexion={other.pk}" in found.text
    answer = issuer_client.post(SUBMIT, {**_submit_data(), "connexion": str(other.pk)})
    assert answer.status_code == 302
    assert AuditEntry.objects.get(action="submit").connection == other
