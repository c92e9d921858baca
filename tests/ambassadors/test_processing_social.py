"""Social renditions after approval: formats, sizes, branding and burned captions (real S3)."""

import datetime
import io
import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.services.social import testimonial_render_social
from campaigns.models import Campaign, Placement
from onprovence.storage import private_storage
from tests.ambassadors.media.corpus import Corpus

pytestmark = pytest.mark.django_db

CAPTIONS = """WEBVTT

00:00.000 --> 00:04.000
Bienvenue en Provence
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("social-corpus"))


def logo_png() -> bytes:
    image = Image.new("RGBA", (200, 100), (255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def approved(path: Path, **fields) -> Testimonial:
    testimonial = Testimonial.objects.create(status=Status.APPROVED, **fields)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().connection.meta.client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    testimonial.refresh_from_db()
    return testimonial


def frame(testimonial: Testimonial, name: str, tmp_path: Path, at: float = 2.0) -> Image.Image:
    local = tmp_path / name
    with private_storage().open(keys.testimonial_key(testimonial.pk, name)) as source:
        local.write_bytes(source.read())
    png = tmp_path / f"{name}.png"
    subprocess.run(
        [settings.FFMPEG_BINARY, "-v", "error", "-y", "-ss", str(at), "-i", str(local),
         "-frames:v", "1", str(png)],
        check=True,
    )  # fmt: skip
    return Image.open(png).convert("RGB")


def stream_sizes(testimonial: Testimonial, name: str, tmp_path: Path) -> dict:
    local = tmp_path / f"probe-{name}"
    with private_storage().open(keys.testimonial_key(testimonial.pk, name)) as source:
        local.write_bytes(source.read())
    output = subprocess.run(
        [settings.FFPROBE_BINARY, "-v", "error", "-show_streams", "-of", "json", str(local)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {s["codec_type"]: s for s in json.loads(output)["streams"]}


def test_an_approved_testimonial_gets_three_branded_captioned_social_formats(corpus, tmp_path):
    campaign = Campaign.objects.create(
        name="Marque employeur", slug="marque", status=Campaign.Status.LIVE,
        starts_on=datetime.date(2026, 9, 30), hero_title="Tous ambassadeurs",
        primary_color="#00ff00", accent_color="#0000ff",
    )  # fmt: skip
    campaign.logo.save("logo.png", ContentFile(logo_png()), save=True)
    placement = Placement.objects.create(
        campaign=campaign, channel=Placement.Channel.STATION, place_name="Saint-Charles"
    )
    testimonial = approved(corpus["portrait_rotated"], placement=placement)
    private_storage().save(
        keys.testimonial_key(testimonial.pk, keys.CAPTIONS), ContentFile(CAPTIONS.encode())
    )

    assert testimonial_render_social(testimonial_id=testimonial.pk) == "rendered"

    # The source is 180×320 (portrait): each format keeps its aspect, without upscaling (the
    # short side of every cut is at most the source's: docs/architecture.md, social cuts).
    expected = {"9x16": (180, 320), "1x1": (180, 180), "16x9": (320, 180)}
    for fmt, (width, height) in expected.items():
        streams = stream_sizes(testimonial, keys.SOCIAL[fmt], tmp_path)
        assert (streams["video"]["width"], streams["video"]["height"]) == (width, height)
        assert streams["video"]["codec_name"] == "h264"
        assert streams["audio"]["codec_name"] == "aac"
        image = frame(testimonial, keys.SOCIAL[fmt], tmp_path)
        image.save(tmp_path / f"look-{fmt}.png")
        bottom = image.getpixel((width // 2, height - 2))
        assert bottom[1] > 200 and bottom[0] < 60, f"{fmt}: primary bar is {bottom}"
        logo = image.getpixel((int(min(width, height) * 0.04) + 3,) * 2)
        assert min(logo) > 200, f"{fmt}: logo corner is {logo}"
    # The portrait source fills 9:16 (red band on top) and is fitted over a blur in 16:9.
    assert frame(testimonial, keys.SOCIAL["9x16"], tmp_path).getpixel((150, 40))[0] > 200
    testimonial.refresh_from_db()
    assert testimonial.probe["social"]["captions"] is True
    assert testimonial.probe["social"]["logo"] is True
    assert testimonial.status == Status.APPROVED


def test_captions_are_burned_into_the_picture(corpus, tmp_path):
    testimonial = approved(corpus["landscape"])
    assert testimonial_render_social(testimonial_id=testimonial.pk) == "rendered"
    plain = frame(testimonial, keys.SOCIAL["16x9"], tmp_path, at=1.0)

    private_storage().save(
        keys.testimonial_key(testimonial.pk, keys.CAPTIONS), ContentFile(CAPTIONS.encode())
    )
    assert testimonial_render_social(testimonial_id=testimonial.pk) == "rendered"
    captioned = frame(testimonial, keys.SOCIAL["16x9"], tmp_path, at=1.0)

    # Only the lower part of the picture (where captions sit) changes.
    width, height = plain.size

    def differing(top: int, bottom: int) -> int:
        return sum(
            1
            for x in range(0, width, 4)
            for y in range(top, bottom, 4)
            if sum(abs(a - b) for a, b in zip(plain.getpixel((x, y)), captioned.getpixel((x, y))))
            > 120
        )

    assert differing(int(height * 0.75), int(height * 0.95)) > 20
    assert differing(0, int(height * 0.5)) < 5


def test_a_testimonial_not_approved_gets_no_social_format(corpus):
    testimonial = approved(corpus["landscape"])
    Testimonial.objects.filter(pk=testimonial.pk).update(status=Status.IN_REVIEW)

    assert testimonial_render_social(testimonial_id=testimonial.pk) == "skipped"
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.SOCIAL["1x1"]))
