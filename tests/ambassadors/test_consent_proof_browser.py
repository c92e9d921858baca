"""The admin's consent proof section in Chromium at 1366 px: choices, text shown, export."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from ambassadors.forms import journey_token
from ambassadors.models import Testimonial
from tests.conftest import SCREENSHOT_DIR

from .moderation_support import *  # noqa: F403

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_a_moderator_reads_the_consent_proof_and_downloads_it(desktop_page, live_server, moderator):
    moderator.set_password("camille-mot-de-passe")
    moderator.save(update_fields=["password"])
    resident = Client()
    form = {
        "first_name": "Yanis",
        "last_name": "Ferhat",
        "email": "yanis@example.org",
        "commune": "Istres",
        "sector": "aeronautique",
        "job_title": "Apprenti mécanicien",
        "age_group": "15-17",
        "parental_consent": "on",
        "parent_email": "parent.ferhat@example.org",
        "release": "on",
        "journey": journey_token(""),
    }
    assert (
        resident.post("/ambassadeurs/vous/", form, HTTP_ORIGIN="http://testserver").status_code
        == 302
    )
    testimonial = Testimonial.objects.get(email="yanis@example.org")
    page = desktop_page
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "camille-mot-de-passe")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Tableau de bord").or_(
        page.locator("#site-name")
    ).first.wait_for()

    page.goto(f"{live_server.url}/admin/ambassadors/testimonial/{testimonial.pk}/change/")
    section = page.locator("fieldset", has=page.get_by_role("heading", name="Consentement"))
    proof = section.locator(".consent-proof")
    expect(proof.get_by_text("Tranche d'âge : 15-17 ans", exact=True)).to_be_visible()
    expect(proof.get_by_text("Durée : 36 mois", exact=True)).to_be_visible()
    text = proof.locator(".consent-proof__text")
    expect(text).to_be_hidden()  # folded until asked for
    proof.get_by_text("Texte présenté au résident (tel qu'affiché)").click()
    expect(text).to_contain_text("36 mois à compter de la publication")
    page.click("#toggle-nav-sidebar")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOT_DIR / "admin-consent-proof.png"))

    with page.expect_download() as download:
        proof.get_by_role("link", name="Exporter la preuve (PDF)").click()
    assert download.value.suggested_filename == f"preuve-consentement-{testimonial.pk}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_an_accepted_version_is_read_only_and_copied_into_a_new_one(
    desktop_page, live_server, django_user_model, screenshot
):
    from ambassadors.models import ConsentText

    django_user_model.objects.create_superuser("dominique", password="dominique-mot-de-passe")
    resident = Client()
    form = {
        "first_name": "Maëlle",
        "email": "maelle@example.org",
        "commune": "Gardanne",
        "sector": "energie",
        "age_group": "adult",
        "release": "on",
        "journey": journey_token(""),
    }
    assert resident.post("/ambassadeurs/vous/", form, HTTP_ORIGIN="http://testserver").status_code
    text = ConsentText.objects.get(is_current=True)
    page = desktop_page
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "dominique")
    page.fill("#id_password", "dominique-mot-de-passe")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()

    page.goto(f"{live_server.url}/admin/ambassadors/consenttext/{text.pk}/change/")
    expect(page.get_by_text("Cette version a été acceptée par 1 résident")).to_be_visible()
    expect(page.locator("textarea[name=body]")).to_have_count(0)
    screenshot(page, "admin-consent-text-locked", full_page=False)
    page.get_by_role("button", name="Créer une nouvelle version à partir de celle-ci").click()

    expect(page.get_by_text("Nouvelle version « 2026.2 » créée")).to_be_visible()
    expect(page.locator("textarea[name=body]")).to_have_value(text.body)
    assert ConsentText.objects.get(version="2026.2").is_current is False
