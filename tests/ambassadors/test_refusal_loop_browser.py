"""The refusal loop in Chromium on a phone (issue 15): the refused status page → "Enregistrer une
nouvelle vidéo" → the form pre-filled, no consent asked again → a new video sent and accepted."""

import pytest

from ambassadors import keys, links
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.services.processing import testimonial_process
from onprovence.storage import delete_prefix, private_storage
from tests.ambassadors.conftest import make_video
from tests.ambassadors.test_journey_browser import (  # noqa: F401  (fixture)
    AFTER_UPLOAD,
    journey_settings,
    phone,
    stored_original,
)
from tests.ambassadors.test_refusal_loop import uploaded_text_file
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_whose_file_was_refused_sends_a_new_video_without_consenting_again(
    browser,
    live_server,
    journey_settings,  # noqa: F811  (the fixture imported above)
    make_testimonial,
    tmp_path,
    screenshot,
):
    """Finding: after a refusal the page said "Merci ! Votre vidéo est bien arrivée." above
    "Non retenue" and offered only "Retirer mon témoignage"; starting again meant scanning the
    QR code and consenting again."""
    refused = uploaded_text_file(
        make_testimonial, first_name="Nadia", email="nadia@example.org", commune="Marseille"
    )
    try:
        assert testimonial_process(testimonial_id=refused.pk) == "rejected"
    finally:
        delete_prefix(private_storage(), keys.testimonial_prefix(refused.pk))
    video = make_video(tmp_path / "nouvelle.mp4", seconds=4)
    context, page = phone(browser)

    # Where the upload left the resident: the thank-you address, now a refusal.
    page.goto(f"{live_server.url}/ambassadeurs/suivi/{links.resident_token(refused.pk)}/?envoye=1")
    assert page.locator("h1").inner_text() == "Votre vidéo n'a pas été retenue"
    assert "Merci" not in page.locator("main").inner_text()
    assert "pas une vidéo que nous savons lire" in page.locator("#status").inner_text()
    button = page.get_by_role("link", name="Enregistrer une nouvelle vidéo")
    assert button.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    screenshot(page, "journey-refused-phone")

    button.click()
    page.wait_for_url("**/nouvelle-video/")
    assert page.get_by_label("Prénom (affiché avec la vidéo)").input_value() == "Nadia"
    assert page.get_by_label("Adresse e-mail").input_value() == "nadia@example.org"
    assert page.get_by_label("Commune où vous vivez").input_value() == "Marseille"
    assert page.locator("input[name=release], input[name=age_group]").count() == 0
    assert "reste valable" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "journey-new-video-phone")

    page.get_by_label("Métier (facultatif)").fill("Ingénieure d'essais")
    page.get_by_role("button", name="Continuer vers la vidéo").click()
    page.wait_for_url("**/ambassadeurs/video/")
    page.set_input_files("#file-pick", str(video))
    page.wait_for_selector("#review:not([hidden])")
    page.get_by_role("button", name="Envoyer cette vidéo").click()
    page.wait_for_url("**/ambassadeurs/suivi/*/?envoye=1", timeout=60000)
    assert page.locator("h1").inner_text() == "Merci ! Votre vidéo est bien arrivée."

    new = Testimonial.objects.exclude(pk=refused.pk).get()
    try:
        assert new.status in AFTER_UPLOAD
        assert (new.first_name, new.job_title) == ("Nadia", "Ingénieure d'essais")
        assert stored_original(new) == video.read_bytes()
        assert ConsentRecord.objects.get(testimonial=new).text_sha256 == (
            ConsentRecord.objects.get(testimonial=refused).text_sha256
        )
        refused.refresh_from_db()
        assert refused.status == Status.REJECTED
    finally:
        delete_prefix(private_storage(), keys.testimonial_prefix(new.pk))
    context.close()
