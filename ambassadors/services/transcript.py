"""The transcript of a published testimonial: its WebVTT captions as plain text (issue 15).

`vtt_plain_text` keeps only what is said: cue text, in order, without the header, notes, styles,
regions, cue identifiers, timings or tags (voices, classes, inline timestamps); entities are
decoded, so the text is plain and the page or feed escapes it like any other. A pause of
`PARAGRAPH_PAUSE_SECONDS` or more between two cues starts a new paragraph.

`testimonial_transcript` reads the public captions of a published testimonial, cached under
the published version (a caption change or an unpublication bumps it).
"""

import html
import logging
import re

from django.core.cache import cache

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.selectors import testimonials_published_version
from onprovence.storage import public_storage, storage_error_is_transient, storage_read

logger = logging.getLogger(__name__)

PARAGRAPH_PAUSE_SECONDS = 2.0
CACHE_SECONDS = 3600

_NOT_CUES = ("WEBVTT", "NOTE", "STYLE", "REGION")
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")
_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)


def _seconds(stamp: str) -> float:
    parts = [float(part) for part in stamp.replace(",", ".").split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def vtt_plain_text(vtt: str) -> str:
    """What the captions say, as plain text: paragraphs separated by a blank line."""
    text = vtt.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[list[str]] = []
    last_end: float | None = None
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith(_NOT_CUES):
            continue  # the header, a note, a style or a region
        timings = [(i, match) for i, line in enumerate(lines) if (match := _TIMING.match(line))]
        if not timings:
            continue
        timing_at, match = timings[0]
        start, end = (_seconds(stamp) for stamp in match.groups())
        words = " ".join(html.unescape(_TAG.sub("", line)) for line in lines[timing_at + 1 :])
        words = _SPACES.sub(" ", words.replace("\u200e", "").replace("\u200f", "")).strip()
        if not words:
            continue
        if not paragraphs or (last_end is not None and start - last_end >= PARAGRAPH_PAUSE_SECONDS):
            paragraphs.append([])
        paragraphs[-1].append(words)
        last_end = end
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)


def testimonial_transcript(testimonial: Testimonial) -> str:
    """The transcript of a published testimonial with captions ("" otherwise, or when the
    store does not answer now: the page still shows the video)."""
    if testimonial.status != Status.PUBLISHED or not testimonial.has_captions:
        return ""
    key = f"ambassadors:transcript:{testimonial.pk}:{testimonials_published_version()}"
    transcript = cache.get(key)
    if transcript is None:
        storage = public_storage()
        captions_key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
        try:
            if not storage.exists(captions_key):
                return ""
            vtt = storage_read(storage, captions_key).decode("utf-8", errors="replace")
        except Exception as error:
            if storage_error_is_transient(error):
                logger.warning("transcript of %s: the public store did not answer", testimonial.pk)
                return ""
            raise
        transcript = vtt_plain_text(vtt)
        cache.set(key, transcript, CACHE_SECONDS)
    return transcript
