"""Issue 15: one length limit, said the same on every page of the journey and equal to the one
the pipeline enforces.

Reproduction: the landing and record pages said "90 secondes au plus" while the file picker's
help said "120 secondes" and the pipeline accepted up to 120 s (ambassadors/conf.py had
RECORDING_LIMIT_SECONDS = 90 beside MAX_DURATION_SECONDS = 120).
"""

import re

import pytest

from ambassadors import conf
from ambassadors.media.validation import validate_probe
from ambassadors.services.pipeline import media_limits
from tests.ambassadors.media.test_validation import facts

pytestmark = pytest.mark.django_db

# "90 secondes", "90 seconds", the timer's "/ 90 s", the recorder's config.
SAID = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:secondes|seconds|s\b)")


def page_text(html: str) -> str:
    """What the page says (its scripts' JSON is checked through the view's context)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def limits_said(html: str) -> set[str]:
    return set(SAID.findall(page_text(html)))


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_page_of_the_journey_says_the_limit_the_pipeline_enforces(
    client, resident_client, prefix
):
    enforced = media_limits().max_duration
    pages = {
        "landing": client.get(f"{prefix}/ambassadeurs/").content.decode(),
        "record": resident_client.get(f"{prefix}/ambassadeurs/video/").content.decode(),
    }
    for name, html in pages.items():
        assert limits_said(html) == {str(round(enforced))}, name
    assert len(SAID.findall(page_text(pages["record"]))) >= 3  # text, timer, help

    config = resident_client.get(f"{prefix}/ambassadeurs/video/").context["config"]
    assert config["limits"]["maxSeconds"] == enforced
    assert config["limits"]["recordSeconds"] == enforced


def test_the_limit_has_one_home_shared_by_the_recorder_the_upload_and_the_pipeline(
    resident_client,
):
    assert conf.RECORDING_LIMIT_SECONDS == conf.MAX_DURATION_SECONDS == 90
    enforced = media_limits().max_duration
    assert validate_probe(facts(duration=enforced), media_limits()).accepted
    assert validate_probe(facts(duration=enforced + 0.1), media_limits()).reason.code == "too_long"
    refused = resident_client.post(
        "/ambassadeurs/envoi/debut/",
        {"size": 10, "type": "video/mp4", "duration": enforced + 5},
        content_type="application/json",
    )
    assert refused.json()["error"] == f"Cette vidéo dure plus de {round(enforced)} secondes."
