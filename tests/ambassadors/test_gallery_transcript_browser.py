"""A testimonial page on a phone, to its end: the transcript under the video, the plain share
links and "À votre tour"; accessible, no sideways scroll, nothing the CSP blocks."""

import pytest
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services import captions, publication
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Léa>Bonjour, je suis Léa.</v>\n\n"
    "00:00:01.000 --> 00:00:02.000\nJ'aime <i>la mer</i> &amp; les calanques.\n"
)


def test_the_testimonial_page_ends_with_its_transcript_share_links_and_your_turn(
    browser, live_server, make_testimonial, moderator, screenshot
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="fr-FR"
    )
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and blocked.append(message.text),
    )
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now(), display_name="Léa")
    publication.testimonial_publish(testimonial_id=testimonial.pk)
    captions.testimonial_captions_set(testimonial_id=testimonial.pk, actor=moderator, text=VTT)

    page.goto(f"{live_server.url}/temoignages/{testimonial.pk}/")

    transcript = page.locator(".testimonial-page__transcript")
    assert transcript.locator("h2").inner_text() == "Transcription"
    assert transcript.locator("p").inner_text() == (
        "Bonjour, je suis Léa. J'aime la mer & les calanques."
    )
    share = page.get_by_role("region", name="Partager ce témoignage")
    names = share.get_by_role("link").all_inner_texts()
    assert names == ["LinkedIn", "Facebook", "X", "WhatsApp", "E-mail"]
    your_turn = page.get_by_role("region", name="À votre tour")
    your_turn.get_by_role("link", name="Je témoigne").scroll_into_view_if_needed()
    # Nothing from the networks on our page until a visitor clicks.
    assert page.locator("iframe").count() == 0
    assert page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".every(entry => !/linkedin|facebook|x\\.com|wa\\.me/.test(entry.name))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    screenshot(page, "testimonial-end-phone")

    your_turn.get_by_role("link", name="Je témoigne").click()
    page.wait_for_url("**/ambassadeurs/")
    assert blocked == []
    context.close()
