"""Fixtures of the resident-journey tests: testimonials, a resident's session, test media."""

import json
import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings

from ambassadors.models import Status, Testimonial
from ambassadors.views import SESSION_KEY
from tests.factories import TestimonialFactory

from .upload_support import LOCAL_PART, S3_PART

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(autouse=True)
def _french_by_default():
    """Start in French: a request to an /en/ page elsewhere leaves English active in the
    thread, and `reverse()` would then build /en/ URLs."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def testimonial(db) -> Testimonial:
    """A resident who has just started: no consent yet, nothing filmed."""
    return TestimonialFactory(
        status=Status.CREATED,
        first_name="Nadia",
        last_name="Benali",
        email="nadia@example.org",
        commune="Marseille",
        job_title="Ingénieure",
        display_name="",
        quote="",
        consent=False,
    )


@pytest.fixture
def resident_client(client, testimonial):
    """A browser session that went through the consent step for `testimonial`."""
    session = client.session
    session[SESSION_KEY] = str(testimonial.pk)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture(params=["s3", "local"])
def backend(request, settings):
    """Run an upload test on the S3 endpoint, then on local storage with small parts."""
    if request.param == "local":
        request.getfixturevalue("local_storage")
    settings.AMBASSADORS_UPLOAD_PART_SIZE = LOCAL_PART if request.param == "local" else S3_PART
    return request.param


@pytest.fixture
def broker():
    """The Redis broker the journey queues tasks on; emptied before the test."""
    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete("default", "media")
    yield connection
    connection.delete("default", "media")


def queued_tasks(broker, queue: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in a Celery queue on Redis."""
    found = []
    for raw in broker.lrange(queue, 0, -1):
        message = json.loads(raw)
        args = json.loads(__import__("base64").b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found


def make_video(path: Path, *, seconds: float, size: str = "320x240", noise: bool = False) -> Path:
    """Generate a small H.264/AAC MP4 with ffmpeg (noise makes it big on purpose)."""
    source = (
        f"nullsrc=s={size}:r=15,geq=random(1)*255:128:128"
        if noise
        else f"testsrc=size={size}:rate=15"
    )
    subprocess.run(
        [
            settings.FFMPEG_BINARY,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=22050",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            *(["-b:v", "2M"] if noise else []),
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path
