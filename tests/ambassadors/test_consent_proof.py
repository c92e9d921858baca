"""Consent you can defend: immutable versions, the exact text shown and its hash, the export."""

import hashlib
import importlib
import io
import json
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from ambassadors.forms import journey_token
from ambassadors.models import ConsentRecord, ConsentText, Testimonial
from ambassadors.services.erasure import testimonial_purge
from ambassadors.services.journey import testimonial_withdraw

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"
LOCKED_MESSAGE = (
    "Cette version du texte de consentement a déjà été acceptée : son texte, sa durée et ses "
    "canaux ne peuvent plus être modifiés. Créez une nouvelle version à partir de celle-ci."
)


def consent_form(**changes) -> dict:
    data = {
        "first_name": "Inès",
        "last_name": "Haddad",
        "email": "ines@example.org",
        "commune": "Aubagne",
        "sector": "maritime",
        "job_title": "Lycéenne",
        "age_group": "adult",
        "release": "on",
        "journey": journey_token(""),
    }
    data.update(changes)
    return data


def give_consent(client, *, english: bool = False, **changes) -> Testimonial:
    prefix = "/en" if english else ""
    response = client.post(
        f"{prefix}/ambassadeurs/vous/", consent_form(**changes), HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Testimonial.objects.get(email=changes.get("email", "ines@example.org"))


def give_minor_consent(client) -> Testimonial:
    return give_consent(
        client, age_group="15-17", parental_consent="on", parent_email="pere@example.org"
    )


def current_text() -> ConsentText:
    return ConsentText.objects.get(is_current=True)


def text_form(text: ConsentText, **changes) -> dict:
    data = {
        "version": text.version,
        "title": text.title,
        "title_en": text.title_en,
        "body": text.body,
        "body_en": text.body_en,
        "channels": text.channels,
        "duration_months": text.duration_months,
        "is_current": "on" if text.is_current else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- Finding 1: an accepted version never changes ---------------------------------------------


def test_an_accepted_consent_text_cannot_be_edited_in_the_admin(client, admin_client):
    """Finding 1, reproduced: v2026.1, once accepted, edited in the admin ("36 mois" ->
    "120 mois") and saved. Before the fix the body changed and every proof pointed to a text its
    author never saw; now the text stays and the page says to create a new version."""
    give_consent(client)
    text = current_text()
    url = f"/admin/ambassadors/consenttext/{text.pk}/change/"
    edited = text.body.replace("36 mois", "120 mois")
    assert edited != text.body

    page = admin_client.get(url)
    response = admin_client.post(url, text_form(text, body=edited, duration_months=120))

    assert response.status_code == 302
    text.refresh_from_db()
    assert "36 mois" in text.body and "120 mois" not in text.body
    assert text.duration_months == 36
    html = page.content.decode()
    assert "Cette version a été acceptée par 1 résident" in html
    assert "créez une nouvelle version à partir de celle-ci" in html
    assert "Créer une nouvelle version à partir de celle-ci" in html
    assert 'name="body"' not in html and 'name="duration_months"' not in html


def test_the_model_refuses_to_change_an_accepted_text_outside_the_admin(client):
    from ambassadors.models import ConsentTextLocked

    give_consent(client)
    text = current_text()
    text.body = text.body.replace("36 mois", "120 mois")

    with pytest.raises(ConsentTextLocked) as refused:
        text.save()

    assert refused.value.messages == [LOCKED_MESSAGE]
    assert "36 mois" in ConsentText.objects.get(pk=text.pk).body
    for field, value in [("channels", "partout"), ("title_en", "Other"), ("duration_months", 1)]:
        text.refresh_from_db()
        setattr(text, field, value)
        with pytest.raises(ConsentTextLocked):
            text.save()


def test_an_accepted_text_can_still_be_taken_out_of_force_and_another_put_in(client):
    from ambassadors.services import consent

    give_consent(client)
    text = current_text()
    draft = consent.consent_text_new_version(source_id=text.pk)
    draft.body = text.body.replace("36 mois", "24 mois")
    draft.duration_months = 24
    draft.save()  # not accepted yet: its wording may change

    text.is_current = False
    text.save()
    draft.is_current = True
    draft.save(update_fields=["is_current"])

    assert (draft.version, draft.is_current, current_text()) == ("2026.2", True, draft)
    assert not ConsentText.objects.get(pk=text.pk).is_current


def test_the_admin_button_copies_an_accepted_version_into_a_new_editable_one(client, admin_client):
    give_consent(client)
    text = current_text()

    response = admin_client.post(f"/admin/ambassadors/consenttext/{text.pk}/new-version/")
    created = ConsentText.objects.get(version="2026.2")
    page = admin_client.get(response["Location"])

    assert response["Location"] == f"/admin/ambassadors/consenttext/{created.pk}/change/"
    assert (created.body, created.title, created.is_current) == (text.body, text.title, False)
    html = page.content.decode()
    assert "Nouvelle version « 2026.2 » créée à partir de la version 2026.1" in html
    assert 'name="body"' in html  # the copy is editable
    assert (
        admin_client.get(f"/admin/ambassadors/consenttext/{text.pk}/new-version/").status_code
        == 403
    )


# --- The exact text shown and its hash ------------------------------------------------------------


def test_the_proof_keeps_the_text_shown_in_french_with_its_sha256(client):
    page = client.get("/ambassadeurs/vous/").content.decode()
    testimonial = give_consent(client)

    record = testimonial.consent
    text = current_text()
    paragraphs = [line for line in text.body.splitlines() if line.strip()]
    assert record.text_language == "fr"
    assert record.text_shown == text.title + "\n\n" + "\n".join(paragraphs)
    assert record.text_sha256 == hashlib.sha256(record.text_shown.encode("utf-8")).hexdigest()
    # What the page showed, paragraph by paragraph (the page escapes quotes and apostrophes).
    from django.utils.html import escape

    for paragraph in paragraphs:
        assert f"<p>{escape(paragraph)}</p>" in page


def test_a_resident_consents_only_to_the_version_the_page_showed(client):
    shown = current_text()
    page = client.get("/ambassadeurs/vous/").content.decode()
    newer = ConsentText.objects.create(
        version="2026.2", title="Nouvelle autorisation", body="Durée : 24 mois.", is_current=True
    )
    ConsentText.objects.filter(pk=shown.pk).update(is_current=False)

    stale = client.post(
        "/ambassadeurs/vous/",
        consent_form(consent_version=shown.version),
        HTTP_ORIGIN=ORIGIN,
    )
    again = client.post(
        "/ambassadeurs/vous/", consent_form(consent_version=newer.version), HTTP_ORIGIN=ORIGIN
    )

    assert f'name="consent_version" value="{shown.version}"' in page
    assert stale.status_code == 400
    html = stale.content.decode()
    assert "Le texte d&#x27;autorisation a changé : lisez-le ci-dessous." in html
    assert "Durée : 24 mois." in html
    assert again.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.text_version, record.text_shown) == (
        "2026.2",
        "Nouvelle autorisation\n\nDurée : 24 mois.",
    )


def test_the_proof_keeps_the_english_text_an_english_speaker_was_shown(client):
    testimonial = give_consent(client, english=True, email="ann@example.org")

    record = ConsentRecord.objects.get(testimonial=testimonial)
    assert record.text_language == "en"
    assert record.text_shown.startswith("Permission to broadcast your video (image rights)\n\n")
    assert "duration: 36 months from publication" in record.text_shown
    assert record.text_sha256 == hashlib.sha256(record.text_shown.encode()).hexdigest()


def test_the_migration_fills_in_the_text_and_hash_of_existing_proofs(testimonial):
    from ambassadors.services import consent

    record = ConsentRecord.objects.create(
        testimonial=testimonial,
        testimonial_ref=testimonial.pk,
        consent_text=current_text(),
        text_version="2026.1",
        accepted_at=timezone.now(),
        choices={"release": True, "language": "en"},
    )
    migration = importlib.import_module("ambassadors.migrations.0007_consent_record_text_shown")

    migration.backfill(apps, None)

    record.refresh_from_db()
    shown = consent.consent_text_shown(consent_text=current_text(), language="en")
    assert (record.text_language, record.text_shown, record.text_sha256) == (
        "en",
        shown.text,
        shown.sha256,
    )


# --- The export -----------------------------------------------------------------------------------


def test_an_auditor_checks_the_exported_json_against_its_hash(client, tmp_path):
    testimonial = give_minor_consent(client)
    output = tmp_path / "proof.json"

    call_command("export_consent_proof", str(testimonial.pk), "--output", str(output))

    proof = json.loads(output.read_text(encoding="utf-8"))
    # What an auditor does, with nothing but the file:
    assert hashlib.sha256(proof["text"].encode("utf-8")).hexdigest() == proof["sha256"]
    assert proof["sha256"] == testimonial.consent.text_sha256
    assert "36 mois à compter de la publication" in proof["text"]
    assert proof["version"] == "2026.1"
    assert proof["language"] == "fr"
    assert proof["accepted_at"] == testimonial.consent.accepted_at.isoformat()
    assert proof["is_minor"] is True
    assert proof["parent_email"] == "pere@example.org"
    assert proof["choices"]["age_group"] == "15-17"
    assert proof["choices"]["duration_months"] == 36
    assert proof["testimonial_ref"] == str(testimonial.pk)


def test_the_proof_outlives_the_erasure_of_the_testimonial(client, capsys):
    testimonial = give_consent(client)
    sha = testimonial.consent.text_sha256
    testimonial_withdraw(testimonial_id=testimonial.pk)
    testimonial_purge(testimonial_id=testimonial.pk)

    call_command("export_consent_proof", str(testimonial.pk))

    proof = json.loads(capsys.readouterr().out)
    assert (proof["version"], proof["sha256"]) == ("2026.1", sha)
    assert proof["anonymised_at"] is not None


def test_the_pdf_proof_holds_the_text_shown_and_its_hash(client, tmp_path):
    testimonial = give_minor_consent(client)
    output = tmp_path / "proof.pdf"

    call_command(
        "export_consent_proof", str(testimonial.pk), "--format", "pdf", "--output", str(output)
    )

    reader = PdfReader(io.BytesIO(output.read_bytes()))
    extracted = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", extracted)
    for line in testimonial.consent.text_shown.split("\n"):
        if line.strip():
            assert re.sub(r"\s+", " ", line.strip()) in flat
    assert testimonial.consent.text_sha256 in flat.replace(" ", "")
    assert "Tranche d'âge" in flat and "15-17 ans" in flat


def test_the_command_refuses_an_unknown_testimonial():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No proof of consent for testimonial"):
        call_command("export_consent_proof", "7d3c1a52-0000-4000-8000-000000000000")


# --- Finding 2: the admin shows the proof as it is ------------------------------------------------


def test_the_admin_shows_the_choices_in_french_with_their_values(client, admin_client):
    """Finding 2, reproduced: the testimonial page's consent section read `release : oui,
    age_group : oui, duration_months : oui…` while the record holds "15-17" and 36."""
    testimonial = give_minor_consent(client)

    html = admin_client.get(
        f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    ).content.decode()

    for line in [
        "Autorisation de diffusion : oui",
        "Tranche d&#x27;âge : 15-17 ans",
        "Durée : 36 mois",
        "Canaux : site web, réseaux sociaux, affichage, kit employeur",
        "Langue : français",
        "Accord parental déclaré : oui",
    ]:
        assert f"<li>{line}</li>" in html
    assert "age_group : oui" not in html and "duration_months" not in html
    record = testimonial.consent
    assert record.text_sha256 in html
    assert "Texte présenté au résident (tel qu'affiché)" in html
    assert f"/admin/ambassadors/consentrecord/proof/{testimonial.pk}/pdf/" in html
    assert "Exporter la preuve (PDF)" in html and "Exporter la preuve (JSON)" in html


def test_an_adult_without_parental_consent_reads_non(client, admin_client):
    testimonial = give_consent(client)

    html = admin_client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")

    assert "<li>Accord parental déclaré : non</li>" in html.content.decode()
    assert "<li>Tranche d&#x27;âge : 18 ans ou plus</li>" in html.content.decode()


def test_a_moderator_downloads_the_proof_from_the_admin(client, django_user_model):
    from django.contrib.auth.models import Group
    from django.test import Client

    from ambassadors.services import consent

    testimonial = give_minor_consent(client)
    moderator = django_user_model.objects.create_user("camille", password="x", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Modération"))
    staff = Client()
    staff.force_login(moderator)
    base = f"/admin/ambassadors/consentrecord/proof/{testimonial.pk}"

    as_json = staff.get(f"{base}/json/")
    as_pdf = staff.get(f"{base}/pdf/")
    record_page = staff.get(f"/admin/ambassadors/consentrecord/{testimonial.consent.pk}/change/")

    assert as_json.status_code == 200
    assert as_json["Content-Disposition"] == (
        f'attachment; filename="preuve-consentement-{testimonial.pk}.json"'
    )
    assert json.loads(as_json.content) == consent.consent_proof_export(
        testimonial_ref=testimonial.pk
    )
    assert (as_pdf.status_code, as_pdf["Content-Type"]) == (200, "application/pdf")
    assert as_pdf.content.startswith(b"%PDF")
    assert "<li>Durée : 36 mois</li>" in record_page.content.decode()
    found = staff.get(f"/admin/ambassadors/consentrecord/?q={testimonial.pk}&is_minor__exact=1")
    assert found.context["cl"].result_count == 1
    assert staff.get(f"{base}/xml/").status_code == 403
    assert (
        staff.get(
            "/admin/ambassadors/consentrecord/proof/7d3c1a52-0000-4000-8000-000000000000/json/"
        ).status_code
        == 404
    )
