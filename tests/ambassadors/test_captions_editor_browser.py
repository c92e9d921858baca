"""The cue-by-cue captions editor on the review page, in Chromium at 1366×768 (issue 15).

A moderator plays a real ffmpeg-made video and, while it plays, presses Enter three times to
end three cues and types their text; saving stores WebVTT with three cues in order; clicking a
cue's time seeks the player. axe-core finds nothing serious on the page.
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from ambassadors.models import Status
from ambassadors.services.captions import testimonial_captions_text
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403
from .moderation_support import put_private

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEW_VIEWPORT = {"width": 1366, "height": 768}
TEXTS = ["Bonjour, je m'appelle Léa", "Je suis ingénieure à Marignane", "Venez vivre en Provence"]
TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


@pytest.fixture(scope="module")
def review_video(tmp_path_factory) -> bytes:
    """An 8-second 640×360 H.264/AAC clip, as the moderation pass writes the web rendition."""
    path: Path = tmp_path_factory.mktemp("captions-editor") / "web.mp4"
    subprocess.run(
        [settings.FFMPEG_BINARY, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=8",
         "-f", "lavfi", "-i", "sine=frequency=330:duration=8",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path.read_bytes()


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def stored_cues(testimonial_id) -> list[tuple[float, float, str]]:
    lines = testimonial_captions_text(testimonial_id=testimonial_id).split("\n")
    assert lines[0] == "WEBVTT"
    cues = []
    for number, line in enumerate(lines):
        match = TIMING.match(line)
        if match:
            parts = match.groups()
            cues.append((seconds(*parts[:4]), seconds(*parts[4:]), lines[number + 1]))
    return cues


def test_a_moderator_creates_three_cues_with_enter_while_the_video_plays(
    browser, live_server, make_testimonial, moderator, review_video, screenshot
):
    moderator.set_password("camille-mot-de-passe")
    moderator.save(update_fields=["password"])
    testimonial = make_testimonial(Status.IN_REVIEW, display_name="Léa, ingénieure", duration=8.0)
    put_private(testimonial.pk, "web.mp4", review_video)

    context = browser.new_context(viewport=REVIEW_VIEWPORT, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location["url"].endswith("/favicon.ico")
            and errors.append(f"{message.text} {message.location['url']}")
        ),
    )
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(live_server.url + "/admin/")
        page.fill("#id_username", "camille")
        page.fill("#id_password", "camille-mot-de-passe")
        page.click("input[type=submit]")
        change_url = f"{live_server.url}/admin/ambassadors/testimonial/{testimonial.pk}/change/"
        page.goto(change_url)

        video = page.locator("video.moderation-player")
        panel = page.locator(".captions-editor-panel")
        expect(panel).to_be_visible()
        # The editor sits right under the player; the WebVTT box stays on the page.
        assert panel.evaluate(
            "p => p.previousElementSibling === document.querySelector('video.moderation-player')"
        )
        expect(page.locator("textarea#id_captions_text")).to_be_attached()
        expect(page.get_by_text("Aucun sous-titre pour l'instant.")).to_be_visible()
        page.wait_for_function(
            "() => document.querySelector('video.moderation-player').readyState >= 1",
            timeout=15000,
        )

        video.evaluate("v => { v.muted = true; return v.play(); }")
        marks = []
        for number, text in enumerate(TEXTS, start=1):
            page.wait_for_function(
                "t => document.querySelector('video.moderation-player').currentTime > t",
                arg=1.3 * number,
                timeout=15000,
            )
            assert video.evaluate("v => !v.paused && !v.ended"), "the video plays"
            page.keyboard.press("Enter")
            field = page.get_by_label(f"Texte du sous-titre {number}", exact=True)
            expect(field).to_be_focused()
            marks.append(video.evaluate("v => v.currentTime"))
            page.keyboard.type(text)
            page.keyboard.press("Enter")
            expect(page.locator(".captions-editor-mark")).to_be_focused()
        video.evaluate("v => v.pause()")
        expect(page.locator(".captions-cue")).to_have_count(3)
        expect(page.get_by_role("status")).to_contain_text("Sous-titre 3 créé")
        vtt = page.locator("textarea#id_captions_text").input_value()
        assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
        video.evaluate("v => v.scrollIntoView({block: 'start'})")
        screenshot(page, "admin-captions-editor", full_page=False)

        page.locator("input[name=_continue]").click()
        page.wait_for_url(re.compile(r"/change/$"))

        cues = stored_cues(testimonial.pk)
        assert [text for _start, _end, text in cues] == TEXTS
        starts = [start for start, _end, _text in cues]
        ends = [end for _start, end, _text in cues]
        assert starts[0] == 0 and starts[1:] == ends[:-1], "each cue starts where the last ended"
        assert ends[0] < ends[1] < ends[2]
        for end, marked in zip(ends, marks, strict=True):
            assert marked - 0.5 < end <= marked + 0.01, (end, marked)

        # Back on the page: the editor reads the stored cues; a cue's time seeks the player.
        expect(page.locator(".captions-cue")).to_have_count(3)
        page.wait_for_function(
            "() => document.querySelector('video.moderation-player').readyState >= 1",
            timeout=15000,
        )
        page.get_by_role(
            "button", name=re.compile("placer la lecture au début du sous-titre 2")
        ).click()
        page.wait_for_function(
            "t => Math.abs(document.querySelector('video.moderation-player').currentTime - t)"
            " < 0.05",
            arg=starts[1],
        )
        expect(page.locator(".captions-cue").nth(1)).to_have_attribute("aria-current", "true")
        expect(page.get_by_role("status")).to_contain_text("Lecture placée à")
        assert errors == [], "\n".join(errors)
        # Last: axe-core's own injected styles are refused by the page's CSP (console errors).
        assert_accessible(page)
    finally:
        context.close()


def test_split_merge_and_shift_rewrite_the_webvtt(
    browser, live_server, make_testimonial, moderator_client, review_video
):
    testimonial = make_testimonial(Status.IN_REVIEW, duration=8.0)
    put_private(testimonial.pk, "web.mp4", review_video)
    context = browser.new_context(viewport=REVIEW_VIEWPORT, locale="fr-FR")
    cookie = moderator_client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/ambassadors/testimonial/{testimonial.pk}/change/")
        box = page.locator("textarea#id_captions_text")
        # Pasted WebVTT is read into cues.
        box.fill("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nun deux trois quatre\n")
        expect(page.locator(".captions-cue")).to_have_count(1)
        cue = page.locator(".captions-cue").first

        cue.get_by_role("button", name=re.compile(r"^\+1 s")).click()
        cue = page.locator(".captions-cue").first
        cue.get_by_role("button", name=re.compile(r"^−0,1 s")).click()
        assert "00:00:01.900 --> 00:00:03.900\nun deux trois quatre" in box.input_value()

        first = page.locator(".captions-cue").first
        first.get_by_role("button", name=re.compile("^Scinder")).click()
        expect(page.locator(".captions-cue")).to_have_count(2)
        assert box.input_value() == (
            "WEBVTT\n\n00:00:01.900 --> 00:00:02.900\nun deux\n\n"
            "00:00:02.900 --> 00:00:03.900\ntrois quatre\n"
        )
        page.locator(".captions-cue").first.get_by_role(
            "button", name=re.compile("^Fusionner avec le suivant")
        ).click()
        expect(page.locator(".captions-cue")).to_have_count(1)
        merged = "WEBVTT\n\n00:00:01.900 --> 00:00:03.900\nun deux trois quatre\n"
        assert box.input_value() == merged
        first.get_by_role("button", name=re.compile("^Supprimer")).click()
        expect(page.locator(".captions-cue")).to_have_count(0)
        assert box.input_value() == ""
    finally:
        context.close()
