"""Issue 15: a clip recorded in the page can be scrubbed before it is sent (Chromium, phone,
fake camera).

Reproduction: MediaRecorder's WebM has no length in its header; the review player showed 0:00
and `duration` was Infinity, so the resident could not move through the clip.
"""

import pytest

from tests.ambassadors.test_journey_browser import (  # noqa: F401 (fixture)
    camera_browser,
    phone,
    start_journey,
)
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DURATION = "document.getElementById('playback').duration"


def test_the_review_player_knows_the_length_of_a_recorded_clip(
    camera_browser,  # noqa: F811
    live_server,
    screenshot,
):
    context, page = phone(camera_browser)
    context.grant_permissions(["camera", "microphone"])
    start_journey(page, live_server)
    page.get_by_role("button", name="Activer la caméra").click()
    page.wait_for_function("() => document.getElementById('preview').readyState >= 2")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("#timer:not([hidden])", timeout=6000)
    started = page.evaluate("performance.now()")
    page.wait_for_function("() => document.getElementById('timer-text').textContent >= '0:03'")
    page.get_by_role("button", name="Arrêter").click()
    recorded = (page.evaluate("performance.now()") - started) / 1000
    page.wait_for_selector("#review:not([hidden])")

    page.wait_for_function(f"() => Number.isFinite({DURATION}) && {DURATION} > 0", timeout=5000)
    duration = page.evaluate(DURATION)
    assert abs(duration - recorded) < 0.6, (duration, recorded)
    assert page.evaluate("document.getElementById('playback').currentTime") == 0

    # Scrub: the player goes where it is asked to.
    page.evaluate(
        """() => new Promise((resolve) => {
            const player = document.getElementById('playback');
            player.addEventListener('seeked', resolve, { once: true });
            player.currentTime = 2;
        })"""
    )
    assert abs(page.evaluate("document.getElementById('playback').currentTime") - 2) < 0.1
    assert page.get_by_role("button", name="Envoyer cette vidéo").is_visible()
    assert_accessible(page)
    context.close()
