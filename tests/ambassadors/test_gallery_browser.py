"""The gallery and a testimonial page on a phone: accessible, no sideways scroll, captions on."""

import pytest
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services import captions, decisions, publication
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_filters_the_gallery_and_watches_a_captioned_testimonial_on_a_phone(
    browser, live_server, make_testimonial, moderator, screenshot
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="fr-FR"
    )
    page = context.new_page()
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    shown = make_testimonial(Status.APPROVED, publish_at=timezone.now(), display_name="Léa")
    other = make_testimonial(
        Status.APPROVED, publish_at=timezone.now(), display_name="Karim", commune="Fos-sur-Mer"
    )
    for testimonial in (shown, other):
        publication.testimonial_publish(testimonial_id=testimonial.pk)
    captions.testimonial_captions_set(
        testimonial_id=shown.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour, je suis Léa.\n",
    )
    decisions.testimonial_edit(
        testimonial_id=shown.pk, actor=moderator, changes={"tags": "hélicoptères, mer"}
    )

    page.goto(live_server.url + "/temoignages/")
    assert page.locator("article.testimonial-card").count() == 2
    page.select_option("#filter-commune", "Marignane")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**commune=Marignane**")
    assert page.locator("article.testimonial-card").count() == 1
    page.wait_for_function(
        "() => [...document.images].every(image => image.complete && image.naturalWidth > 0)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    screenshot(page, "gallery-phone")
    assert context.cookies() == []

    page.get_by_role("link", name="Léa").click()
    video = page.locator("video.testimonial-video")
    video.wait_for()
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.querySelector('video.testimonial-video').currentTime > 0.5",
        timeout=15000,
    )
    cue = page.evaluate(
        """() => new Promise(resolve => {
            const track = document.querySelector('video').textTracks[0];
            track.mode = 'hidden';
            const read = () => track.activeCues && track.activeCues.length
                ? resolve(track.activeCues[0].text) : setTimeout(read, 100);
            read();
        })"""
    )
    assert cue == "Bonjour, je suis Léa."
    video.evaluate("v => v.pause()")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    screenshot(page, "testimonial-phone")
    assert context.cookies() == []
    assert failures == []
    context.close()
