"""The recorder page in Chromium: the front/back camera switch, and the checks made on the phone.

Chromium's fake cameras (`--use-fake-device-for-media-stream=device-count=N`) do not say which
way they face, like a laptop's webcams: `facingMode` alone would hand back the same camera, so
the recorder falls back to the next camera in the list. On a phone `facingMode` does the switch.
The phone refuses a video that is too big, too long, too short or not a video before sending a
byte (the server checks everything again: tests/ambassadors/test_uploads_hostile.py).
"""

import pytest

from ambassadors.models import Status, Testimonial
from tests.ambassadors.conftest import make_video
from tests.ambassadors.test_journey_browser import phone, start_journey
from tests.browser import assert_accessible, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAMERA = "() => document.getElementById('preview').srcObject?.getVideoTracks()[0]?.label"


def fake_cameras(playwright_instance, count: int):
    return launch_chromium(
        playwright_instance,
        [
            f"--use-fake-device-for-media-stream=device-count={count}",
            "--use-fake-ui-for-media-stream",
        ],
    )


def camera_page(browser, live_server):
    context, page = phone(browser)
    context.grant_permissions(["camera", "microphone"])
    start_journey(page, live_server)
    page.get_by_role("button", name="Activer la caméra").click()
    page.wait_for_selector("#record-start:not([hidden])")
    page.wait_for_function("() => document.getElementById('preview').readyState >= 2")
    return context, page


def mirrored(page) -> bool:
    return "is-mirrored" in (page.locator("#preview").get_attribute("class") or "")


def test_the_switch_goes_to_the_other_camera_and_back_and_records_with_it(
    playwright_instance, live_server, screenshot
):
    browser = fake_cameras(playwright_instance, 2)
    try:
        context, page = camera_page(browser, live_server)
        switch = page.get_by_role("button", name="Changer de caméra")
        assert switch.is_visible()
        assert page.evaluate(CAMERA) == "fake_device_0"
        assert mirrored(page)  # the selfie camera's preview reads like a mirror

        switch.click()
        page.wait_for_function(f"() => ({CAMERA})() === 'fake_device_1'")
        assert not mirrored(page)  # the back camera is shown as it films
        assert page.locator("#recorder-live").inner_text() == "Caméra changée"
        # The first camera was released, not left running behind the new one.
        assert page.evaluate(
            "() => document.getElementById('preview').srcObject.getTracks()"
            ".every((track) => track.readyState === 'live')"
        )
        assert_accessible(page)
        screenshot(page, "journey-3-camera-switched")

        switch.click()
        page.wait_for_function(f"() => ({CAMERA})() === 'fake_device_0'")
        assert mirrored(page)

        # Record with the camera chosen: the switch is off while recording.
        switch.click()
        page.wait_for_function(f"() => ({CAMERA})() === 'fake_device_1'")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_selector("#timer:not([hidden])", timeout=6000)
        assert switch.is_disabled()
        page.wait_for_function("() => document.getElementById('timer-text').textContent >= '0:02'")
        page.get_by_role("button", name="Arrêter").click()
        page.wait_for_selector("#review:not([hidden])")
        assert "Durée : 2 s" in page.locator("#review-info").inner_text()
        # The camera is off once the video is recorded.
        assert page.evaluate("() => document.getElementById('preview').srcObject") is None
        context.close()
    finally:
        browser.close()


def test_with_one_camera_there_is_no_switch(playwright_instance, live_server):
    browser = fake_cameras(playwright_instance, 1)
    try:
        context, page = camera_page(browser, live_server)
        assert page.evaluate(CAMERA) == "fake_device_0"
        assert page.locator("#camera-switch").is_hidden()
        context.close()
    finally:
        browser.close()


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recorder")
    text = folder / "notes.txt"
    text.write_text("pas une vidéo")
    return {
        "short": make_video(folder / "courte.mp4", seconds=1),
        "four": make_video(folder / "quatre.mp4", seconds=4),
        "noisy": make_video(folder / "lourde.mp4", seconds=2, size="480x360", noise=True),
        "text": text,
    }


@pytest.mark.parametrize(
    ("limit", "value", "video", "message"),
    [
        ("MAX_UPLOAD_BYTES", 100_000, "noisy", "Cette vidéo est trop lourde : 0,1 Mo au maximum."),
        ("MAX_DURATION_SECONDS", 2, "four", "Cette vidéo dure 4 secondes : 2 secondes au maximum."),
        (
            "MIN_DURATION_SECONDS",
            3,
            "short",
            "Cette vidéo est trop courte : 3 secondes au minimum.",
        ),
        (
            None,
            None,
            "text",
            "Ce fichier n'est pas une vidéo. Choisissez une vidéo MP4, MOV ou WebM.",
        ),
    ],
)
def test_the_phone_refuses_a_video_it_cannot_send_and_sends_nothing(
    browser, live_server, videos, monkeypatch, limit, value, video, message
):
    if limit:
        monkeypatch.setattr(f"ambassadors.conf.{limit}", value)
    context, page = phone(browser)
    requests = []
    page.on("request", lambda request: "/envoi/" in request.url and requests.append(request.url))
    start_journey(page, live_server)
    page.set_input_files("#file-pick", str(videos[video]))

    page.wait_for_selector("#record-message:not([hidden])")
    assert page.locator("#record-message").inner_text() == message
    assert page.get_by_role("button", name="Envoyer cette vidéo").is_hidden()
    assert requests == []
    assert Testimonial.objects.get().status == Status.CREATED
    assert_accessible(page)
    context.close()
