"""The transcript of a published testimonial (issue 15, captions): under the video on its public
page and in the feeds, plain text from the WebVTT captions; and the page's end: "À votre tour"
and plain share links."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services import captions, publication
from ambassadors.services.transcript import vtt_plain_text

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
VTT = """WEBVTT - Léa, Marignane

NOTE written by the moderators
not said in the video

STYLE
::cue { color: yellow }

intro
00:00:00.000 --> 00:00:02.000 align:start
<v Léa>Bonjour, je suis <b>Léa</b>.</v>

00:00:02.000 --> 00:00:04.500
Je travaille sur des
hélicoptères &amp; des drones.

00:00:08.000 --> 00:00:10.000
<c.yellow>Le soir,</c> <00:00:09.000>la plage &lt;3 <script>alert(1)</script>
"""


def test_the_transcript_is_the_cue_text_only_without_timings_or_tags():
    assert vtt_plain_text(VTT) == (
        "Bonjour, je suis Léa. Je travaille sur des hélicoptères & des drones.\n\n"
        "Le soir, la plage <3 alert(1)"
    )


def test_captions_without_text_give_no_transcript():
    assert vtt_plain_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n\n") == ""
    assert vtt_plain_text("WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nOui\r\n") == "Oui"


@pytest.fixture
def published(make_testimonial, moderator):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    publication.testimonial_publish(testimonial_id=testimonial.pk)
    captions.testimonial_captions_set(testimonial_id=testimonial.pk, actor=moderator, text=VTT)
    testimonial.refresh_from_db()
    return testimonial


def test_the_public_page_shows_the_transcript_under_the_video_escaped(client, published):
    """Finding: the captions were only in the player's track; no transcript on the page."""
    page = client.get(published.get_absolute_url()).content.decode()

    section = re.search(r'<section class="testimonial-page__transcript".*?</section>', page, re.S)
    assert section, "no transcript section"
    assert page.index("testimonial-video") < section.start()
    text = section.group(0)
    assert '<h2 id="transcript-title">Transcription</h2>' in text
    assert "Bonjour, je suis Léa. Je travaille sur des hélicoptères &amp; des drones." in text
    assert "Le soir, la plage &lt;3 alert(1)" in text
    assert "<script>" not in text and "00:00" not in text and "<v " not in text


def test_a_caption_change_shows_on_the_page_at_once(client, published, moderator):
    client.get(published.get_absolute_url())
    captions.testimonial_captions_set(
        testimonial_id=published.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nNouveau texte.\n",
    )
    publication.testimonials_published_changed()  # what the commit of the change does

    page = client.get(published.get_absolute_url()).content.decode()

    assert "Nouveau texte." in page and "Bonjour, je suis" not in page


def test_no_transcript_section_without_captions(client, make_testimonial):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    publication.testimonial_publish(testimonial_id=testimonial.pk)

    page = client.get(testimonial.get_absolute_url()).content.decode()

    assert "testimonial-page__transcript" not in page


def test_the_feeds_carry_the_transcript(client, published):
    """Finding: the feeds carried the quote only, not what the video says."""
    expected = "Bonjour, je suis Léa. Je travaille sur des hélicoptères & des drones."

    rss = ET.fromstring(client.get("/temoignages/flux.rss").content)
    atom = ET.fromstring(client.get("/temoignages/flux.atom").content)
    feed = json.loads(client.get("/temoignages/flux.json").content)

    (item,) = rss.find("channel").findall("item")
    description = item.findtext("description")
    assert description.startswith("« Ici, je travaille")
    assert f"Transcription :\n\n{expected}\n\nLe soir, la plage <3 alert(1)" in description
    (entry,) = atom.findall(f"{ATOM}entry")
    assert expected in entry.findtext(f"{ATOM}summary")
    assert expected in feed["items"][0]["content_text"]
    assert "00:00" not in description and "<b>" not in description


def test_the_page_ends_with_your_turn_and_plain_share_links(client, published):
    """Finding: a testimonial page ended on its tags: no invitation to testify, no way to
    share it but copying the address."""
    response = client.get(published.get_absolute_url())
    page = response.content.decode()
    url = f"http%3A%2F%2Flocalhost%3A8000%2Ftemoignages%2F{published.pk}%2F"

    your_turn = page.index('id="your-turn-title">À votre tour</h2>')
    assert page.index('id="share-title"') < your_turn
    assert '<a class="button" href="/ambassadeurs/">Je témoigne</a>' in page[your_turn:]
    share = page[page.index('id="share-title"') : your_turn]
    by_name = {name: href for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', share)}
    assert list(by_name) == ["LinkedIn", "Facebook", "X", "WhatsApp", "E-mail"]
    assert by_name["LinkedIn"] == (f"https://www.linkedin.com/sharing/share-offsite/?url={url}")
    assert by_name["Facebook"] == f"https://www.facebook.com/sharer/sharer.php?u={url}"
    assert by_name["X"].startswith("https://x.com/intent/tweet?text=Le+t%C3%A9moignage+de+L")
    assert by_name["WhatsApp"].startswith("https://wa.me/?text=") and url in by_name["WhatsApp"]
    assert by_name["E-mail"].startswith("mailto:?subject=Le%20t%C3%A9moignage%20de%20L")
    # Plain links: no third-party script or frame, and the policy is unchanged.
    assert "<iframe" not in page
    assert not re.search(r"<script[^>]+src=\"https?://", page)
    policy = response["Content-Security-Policy"]
    assert "linkedin" not in policy and "facebook" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_english_page_says_it_in_english(client, published):
    page = client.get(f"/en/temoignages/{published.pk}/").content.decode()

    assert ">Your turn</h2>" in page and ">Share this testimonial</h2>" in page
    assert ">Transcript</h2>" in page
    assert "https://x.com/intent/tweet?text=L%C3%A9a%2C+ing%C3%A9nieure%27s+testimonial" in page
