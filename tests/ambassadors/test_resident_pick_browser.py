"""Issue 15: the phone refuses, before any upload, a picked file its browser cannot read as a
video, and still takes the videos whose length it cannot tell (Chromium, phone viewport).

Reproduction: a 10-byte `fake.mp4` picked on the record page was reviewed as
"Durée : ? s · Taille : 0 Mo" with the "Envoyer cette vidéo" button.
"""

import subprocess

import pytest
from django.conf import settings

from ambassadors.models import Status, Testimonial
from tests.ambassadors.conftest import make_video
from tests.ambassadors.test_journey_browser import phone, start_journey
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNREADABLE = (
    "Ce fichier ne peut pas être lu comme une vidéo : il est peut-être abîmé ou incomplet. "
    "Choisissez une autre vidéo."
)


def ffmpeg(*arguments: str) -> None:
    subprocess.run([settings.FFMPEG_BINARY, "-v", "error", "-y", *arguments], check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("picks")
    fake = folder / "fake.mp4"
    fake.write_bytes(b"0123456789")
    # A real MP4 cut short: its header promises data that is not there.
    whole = make_video(folder / "whole.mp4", seconds=4)
    damaged = folder / "abimee.mp4"
    damaged.write_bytes(whole.read_bytes()[:600])
    sound = folder / "son.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "4", "-c:a", "aac", str(sound))
    fragmented = folder / "iphone.mp4"
    fragments = "frag_keyframe+empty_moov+default_base_moof"
    ffmpeg("-i", str(whole), "-c", "copy", "-movflags", fragments, str(fragmented))
    # A WebM written as MediaRecorder writes it: live, no length in its header.
    live = folder / "enregistree.webm"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "4", "-c:v", "libvpx",
           "-b:v", "300k", "-live", "1", "-f", "webm", str(live))  # fmt: skip
    return {"fake": fake, "damaged": damaged, "sound": sound, "fragmented": fragmented,
            "live": live}  # fmt: skip


@pytest.mark.parametrize("name", ["fake", "damaged", "sound"])
def test_a_file_the_phone_cannot_read_as_a_video_is_refused_before_any_upload(
    browser, live_server, files, name
):
    """fake.mp4 (10 bytes), an MP4 cut after 600 bytes, a sound-only MP4: the message, no
    review and no send button, the picker offered again, not a byte sent."""
    context, page = phone(browser)
    requests = []
    page.on("request", lambda request: "/envoi/" in request.url and requests.append(request.url))
    start_journey(page, live_server)
    page.set_input_files("#file-pick", str(files[name]))

    page.wait_for_selector("#record-message:not([hidden])", timeout=6000)
    assert page.locator("#record-message").inner_text() == UNREADABLE
    assert page.locator("#review").is_hidden()
    assert page.get_by_role("button", name="Envoyer cette vidéo").is_hidden()
    assert page.locator("#file-pick").is_visible()
    assert page.evaluate("document.activeElement.id") == "file-pick"
    assert page.evaluate("document.getElementById('file-pick').value") == ""
    assert requests == []
    assert Testimonial.objects.get().status == Status.CREATED
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("name", ["fragmented", "live"])
def test_a_video_whose_length_the_phone_cannot_tell_is_still_reviewed_for_sending(
    browser, live_server, files, name
):
    """A fragmented MP4 (Safari's) and a live WebM (MediaRecorder's) may report no finite
    length: they have a picture, so they are readable; the server measures them."""
    context, page = phone(browser)
    start_journey(page, live_server)
    page.set_input_files("#file-pick", str(files[name]))

    page.wait_for_selector("#review:not([hidden])", timeout=6000)
    assert page.locator("#record-message").is_hidden()
    assert page.get_by_role("button", name="Envoyer cette vidéo").is_visible()
    context.close()


def test_after_a_refusal_a_good_video_is_reviewed(browser, live_server, files, screenshot):
    context, page = phone(browser)
    start_journey(page, live_server)
    page.set_input_files("#file-pick", str(files["fake"]))
    page.wait_for_selector("#record-message:not([hidden])", timeout=6000)
    screenshot(page, "journey-3-unreadable-file")

    page.set_input_files("#file-pick", str(files["fragmented"]))
    page.wait_for_selector("#review:not([hidden])", timeout=6000)
    assert page.locator("#record-message").is_hidden()
    assert page.get_by_role("button", name="Envoyer cette vidéo").is_visible()
    context.close()
