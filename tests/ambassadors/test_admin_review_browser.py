"""A moderator's review in Chromium: log in, open the queue, play the video, approve."""

import pytest
from playwright.sync_api import expect

from ambassadors.models import Status, Testimonial

from .moderation_support import *  # noqa: F403

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_a_moderator_reviews_plays_and_approves_in_the_admin(
    desktop_page, live_server, make_testimonial, moderator, screenshot
):
    moderator.set_password("camille-mot-de-passe")
    moderator.save(update_fields=["password"])
    testimonial = make_testimonial(
        Status.IN_REVIEW,
        display_name="Léa, ingénieure",
        flags=["silence"],
        duration=2.0,
    )
    make_testimonial(Status.IN_REVIEW, display_name="Karim, docker", commune="Fos-sur-Mer")
    page = desktop_page
    errors: list[str] = []
    # Chromium asks for /favicon.ico, which the admin does not link; any other console error
    # fails the test.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location["url"].endswith("/favicon.ico")
            and errors.append(f"{message.text} {message.location['url']}")
        ),
    )
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "camille-mot-de-passe")
    page.click("input[type=submit]")
    queue_link = page.get_by_role("link", name="2 témoignages attendent une modération")
    queue_link.click()

    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    # A reviewer folds the admin's side menu to give the queue the room (the admin remembers).
    page.click("#toggle-nav-sidebar")
    poster = page.locator("img.moderation-thumb").first
    poster.wait_for()
    page.wait_for_function("() => document.querySelector('img.moderation-thumb').naturalWidth > 0")
    screenshot(page, "admin-queue", full_page=False)
    page.get_by_role("link", name="Léa, ingénieure").click()

    video = page.locator("video.moderation-player")
    video.wait_for()
    assert video.evaluate("v => v.currentSrc").startswith("http://127.0.0.1:")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.querySelector('video.moderation-player').currentTime > 0.6", timeout=15000
    )
    video.evaluate("v => v.pause()")
    assert video.evaluate("v => v.videoWidth") == 320
    assert page.get_by_text("silence").first.is_visible()
    screenshot(page, "admin-review", full_page=False)
    screenshot(page, "admin-review-full")

    page.get_by_role("link", name="Approuver").first.click()
    # The click returns once the form's page is committed, not parsed: wait for the text.
    expect(page.get_by_text("prochain créneau libre")).to_be_visible()
    # "Annuler" stands beside the submit button as one of the admin's buttons: same top and
    # height, its word centred as the button's is.
    submit = page.locator("input[type=submit][value=Approuver]").bounding_box()
    cancel = page.get_by_role("link", name="Annuler")
    box = cancel.bounding_box()
    word = cancel.evaluate(
        """link => {
          const range = document.createRange();
          range.selectNodeContents(link);
          const rect = range.getBoundingClientRect();
          return {y: rect.y, height: rect.height};
        }"""
    )
    assert (round(box["y"]), round(box["height"])) == (round(submit["y"]), round(submit["height"]))
    assert abs(word["y"] + word["height"] / 2 - (submit["y"] + submit["height"] / 2)) <= 2
    page.locator("input[type=submit][value=Approuver]").click()

    page.get_by_text("Approuver : 1 témoignage(s).").wait_for()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert testimonial.events.get().actor == moderator
    assert Testimonial.objects.filter(status=Status.IN_REVIEW).count() == 1
    page.goto(live_server.url + "/admin/ambassadors/testimonial/calendar/")
    expect(page.locator(".moderation-calendar__item")).to_have_count(1)
    screenshot(page, "admin-calendar", full_page=False)
    assert errors == [], "\n".join(errors)
