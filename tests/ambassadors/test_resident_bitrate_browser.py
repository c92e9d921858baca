"""Issue 15: the recorder asks MediaRecorder for the chosen bitrates (ambassadors/conf.py) when
it records VP9, the codec they were measured with, and leaves VP8 at the browser's default.

Reproduction: the recorder passed only `mimeType`, so Chromium recorded at its default ~2.5 Mb/s
(~29 MB for 90 s: four minutes on a 1 Mb/s uplink). Figures: bench/upload_resident.py.
"""

import pytest

from ambassadors import conf
from tests.ambassadors.test_journey_browser import (  # noqa: F401 (fixture)
    camera_browser,
    phone,
    start_journey,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Keep what the page asks MediaRecorder for.
SPY = """(() => {
  const Recorder = window.MediaRecorder;
  window.MediaRecorder = class extends Recorder {
    constructor(stream, options = {}) {
      super(stream, options);
      window.recorderOptions = options;
    }
  };
  window.MediaRecorder.isTypeSupported = (type) =>
    !(window.noVp9 && type.includes("vp9")) && Recorder.isTypeSupported(type);
})();"""


def record_two_seconds(browser, live_server, *, vp9: bool) -> dict:
    context, page = phone(browser)
    context.grant_permissions(["camera", "microphone"])
    context.add_init_script(SPY + ("" if vp9 else "window.noVp9 = true;"))
    start_journey(page, live_server)
    page.get_by_role("button", name="Activer la caméra").click()
    page.wait_for_function("() => document.getElementById('preview').readyState >= 2")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("#timer:not([hidden])", timeout=6000)
    page.wait_for_function("() => document.getElementById('timer-text').textContent >= '0:02'")
    page.get_by_role("button", name="Arrêter").click()
    page.wait_for_selector("#review:not([hidden])")
    options = page.evaluate("window.recorderOptions")
    context.close()
    return options


def test_a_vp9_recording_is_made_at_the_chosen_bitrates(
    camera_browser,  # noqa: F811
    live_server,
):
    options = record_two_seconds(camera_browser, live_server, vp9=True)

    assert options == {
        "mimeType": "video/webm;codecs=vp9,opus",
        "videoBitsPerSecond": conf.RECORDING_VIDEO_BITS_PER_SECOND,
        "audioBitsPerSecond": conf.RECORDING_AUDIO_BITS_PER_SECOND,
    }


def test_a_vp8_recording_keeps_the_browsers_default_bitrate(
    camera_browser,  # noqa: F811
    live_server,
):
    options = record_two_seconds(camera_browser, live_server, vp9=False)

    assert options == {"mimeType": "video/webm;codecs=vp8,opus"}
