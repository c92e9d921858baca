"""Fixtures of the moderation and publication tests (imported by those test modules).

Testimonials are created directly in the status a test needs, with real files (a tiny MP4
and posters made by ffmpeg) written to the S3 endpoint under `ambassadors.keys` keys.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from ambassadors import keys, uploads
from ambassadors.models import Status, Testimonial
from ambassadors.services import journey
from onprovence.storage import delete_prefix, list_prefix, private_storage, public_storage
from tests.browser import admin_sign_in
from tests.factories import PlacementFactory, TestimonialFactory

__all__ = [
    "broker",
    "campaign_editor",
    "laptop_page",
    "make_testimonial",
    "moderator",
    "moderator_client",
    "public_bucket_readable",
    "tiny_media",
    "use_french",
]

FFMPEG = settings.FFMPEG_BINARY


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60
    )


@pytest.fixture(scope="session")
def tiny_media(tmp_path_factory) -> dict[str, bytes]:
    """A 2-second H.264/AAC MP4 (320×180) with a tone, and its JPEG and WebP posters."""
    folder: Path = tmp_path_factory.mktemp("moderation-media")
    video = folder / "web.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "32k", "-shortest", "-movflags", "+faststart",
        str(video),
    )  # fmt: skip
    _ffmpeg("-i", str(video), "-frames:v", "1", "-q:v", "5", str(folder / "poster.jpg"))
    _ffmpeg("-i", str(video), "-frames:v", "1", str(folder / "poster.webp"))
    return {name: (folder / name).read_bytes() for name in ("web.mp4", "poster.jpg", "poster.webp")}


def put_private(testimonial_id, name: str, content: bytes) -> None:
    storage = private_storage()
    key = keys.testimonial_key(testimonial_id, name)
    if storage.exists(key):
        storage.delete(key)
    storage.save(key, ContentFile(content))


def stored_keys(testimonial_id) -> list[str]:
    """Every key of this testimonial in both stores."""
    prefix = keys.testimonial_prefix(testimonial_id)
    return list_prefix(private_storage(), prefix) + list_prefix(public_storage(), prefix)


@pytest.fixture(scope="session")
def public_bucket_readable(s3_endpoint) -> None:
    """Anyone may read the public bucket, as docker-compose sets MinIO up (`mc anonymous set
    download`) and as a production bucket policy or CDN does."""
    storage = public_storage()
    storage.connection.meta.client.put_bucket_policy(
        Bucket=storage.bucket.name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject"],
                        "Resource": [f"arn:aws:s3:::{storage.bucket.name}/*"],
                    }
                ],
            }
        ),
    )


@pytest.fixture
def make_testimonial(db, tiny_media, public_bucket_readable):
    """Create a testimonial in a given status, with its consent record and media files.

    A thin wrapper around `TestimonialFactory` (filmed, on one placement of a test campaign);
    `media` puts the tiny MP4 and posters in the private store, `social` the social formats.
    It asks for `db` so the test's database set-up (and a transactional test's restore of the
    seeded rows) happens first, even when a live server leaves database access open.
    """
    created: list[Testimonial] = []
    placement = PlacementFactory(campaign__slug=f"test-{timezone.now():%H%M%S%f}")

    def make(status: str = Status.IN_REVIEW, *, media: bool = True, social: bool = False, **fields):
        fields.setdefault("published_at", None)
        testimonial = TestimonialFactory(
            status=status, filmed=True, placement=placement, consent__placement=placement, **fields
        )
        if media:
            for name in (keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP):
                put_private(testimonial.pk, name, tiny_media[name])
        if social:
            for name in keys.SOCIAL.values():
                put_private(testimonial.pk, name, tiny_media[keys.WEB])
        created.append(testimonial)
        return testimonial

    yield make
    for testimonial in created:
        for storage in (private_storage(), public_storage()):
            delete_prefix(storage, keys.testimonial_prefix(testimonial.pk))


def _staff(django_user_model, username: str, group: str):
    user = django_user_model.objects.create_user(
        username, email=f"{username}@onprovence.fr", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(db, django_user_model):
    return _staff(django_user_model, "camille", "Modération")


@pytest.fixture
def campaign_editor(db, django_user_model):
    return _staff(django_user_model, "sacha", "Campagnes")


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture(autouse=True)
def use_french():
    """Run each test in French (the source language), whatever an earlier request activated."""
    with translation.override("fr"):
        yield


class Broker:
    """The Redis broker's queues, read as they are: which tasks were queued with what."""

    def __init__(self) -> None:
        self.redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def clear(self) -> None:
        self.redis.delete("default", "media")

    def tasks(self) -> list[tuple[str, list]]:
        found = []
        for queue in ("default", "media"):
            for raw in reversed(self.redis.lrange(queue, 0, -1)):
                message = json.loads(raw)
                body = json.loads(_decode_body(message))
                found.append((message["headers"]["task"], body[0], queue))
        return [(name, args) for name, args, _queue in found]

    def queue_of(self, task_name: str) -> str | None:
        for queue in ("default", "media"):
            for raw in self.redis.lrange(queue, 0, -1):
                if json.loads(raw)["headers"]["task"] == task_name:
                    return queue
        return None


def _decode_body(message: dict) -> str:
    import base64

    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        return base64.b64decode(body).decode()
    return body


@pytest.fixture
def broker():
    queues = Broker()
    queues.clear()
    yield queues
    queues.clear()


def upload_through_store(testimonial: Testimonial, data: bytes) -> None:
    """Send a video as the phone does: parts PUT straight to the store, then the completion."""
    session = journey.testimonial_upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    urls = uploads.upload_sign_parts(
        session=session, numbers=list(range(1, session.part_count + 1))
    )
    for number, url in urls.items():
        start = (number - 1) * session.part_size
        part = data[start : start + session.expected_part_size(number)]
        # Where the phone sends it: straight to the store, never through a web process.
        assert requests.put(url, data=part, timeout=60).status_code == 200
    journey.testimonial_upload_complete(
        testimonial_id=testimonial.pk, session=session, send_email=False
    )


# --- The moderator's desk in Chromium, on a laptop screen -----------------------------------

LAPTOP = {"width": 1366, "height": 768}
MODERATOR_PASSWORD = "camille-mot-de-passe"


@pytest.fixture
def laptop_page(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def moderator_signs_in(page, live_server, moderator) -> None:
    moderator.set_password(MODERATOR_PASSWORD)
    moderator.save(update_fields=["password"])
    admin_sign_in(page, live_server.url, moderator.username, MODERATOR_PASSWORD)


def page_errors(page) -> list[str]:
    """Console errors (the favicon aside) and HTTP errors of `page`, gathered from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location["url"].endswith("/favicon.ico")
            and found.append(f"{message.text} {message.location['url']}")
        ),
    )
    page.on("response", lambda r: r.status >= 400 and found.append(f"{r.status} {r.url}"))
    return found


def change_form_data(testimonial: Testimonial, **overrides) -> dict:
    """The testimonial's admin change form as the browser posts it unchanged, with `overrides`."""
    count = testimonial.events.count()
    return {
        "display_name": testimonial.display_name,
        "quote": testimonial.quote,
        "sector": testimonial.sector_id or "",
        "tags": testimonial.tags,
        "captions_text": "",
        "speech_draft_used": "",
        "events-TOTAL_FORMS": count,
        "events-INITIAL_FORMS": count,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
        **overrides,
    }


def desk_form(html: str) -> dict[str, str]:
    """The review page's approve form: its action and hidden fields."""
    form = re.search(r'<section class="moderation-desk".*?</section>', html, re.S).group(0)
    return {
        "action": re.search(r'<form method="post" action="([^"]+)"', form).group(1),
        **{
            name: value.replace("&amp;", "&")
            for name, value in re.findall(r'name="(ids|next)" value="([^"]+)"', form)
        },
    }
