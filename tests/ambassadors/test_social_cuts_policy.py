"""One size policy for the three social cuts: no upscaling (docs/pipeline.md, social cuts).

Reproduction (issue 15): from a 720p source the 1:1 and 9:16 cuts were 720×720 and 720×1280
while the 16:9 cut was upscaled to 1920×1080.
"""

import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.services.social import testimonial_render_social
from onprovence.storage import delete_prefix, private_storage

pytestmark = pytest.mark.django_db


def generated(folder: Path, size: str) -> Path:
    path = folder / f"source-{size}.mp4"
    subprocess.run(
        [settings.FFMPEG_BINARY, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10:duration=3.5",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=3.5",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


def cut_sizes(source: Path, tmp_path: Path) -> dict[str, tuple[int, int]]:
    testimonial = Testimonial.objects.create(status=Status.APPROVED)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    storage = private_storage()
    storage.connection.meta.client.upload_file(str(source), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    try:
        assert testimonial_render_social(testimonial_id=testimonial.pk) == "rendered"
        sizes = {}
        for ratio, name in keys.SOCIAL.items():
            local = tmp_path / name
            with storage.open(keys.testimonial_key(testimonial.pk, name)) as handle:
                local.write_bytes(handle.read())
            output = subprocess.run(
                [settings.FFPROBE_BINARY, "-v", "error", "-select_streams", "v:0",
                 "-show_entries", "stream=width,height", "-of", "json", str(local)],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            stream = json.loads(output)["streams"][0]
            sizes[ratio] = (stream["width"], stream["height"])
        return sizes
    finally:
        delete_prefix(storage, keys.testimonial_prefix(testimonial.pk))


@pytest.mark.parametrize(
    ("source_size", "expected"),
    [
        # 720p, landscape and portrait: every cut 720 on its short side (16:9 no longer
        # upscaled to 1920×1080).
        ("1280x720", {"9x16": (720, 1280), "1x1": (720, 720), "16x9": (1280, 720)}),
        ("720x1280", {"9x16": (720, 1280), "1x1": (720, 720), "16x9": (1280, 720)}),
        # 1080p: the full formats.
        ("1920x1080", {"9x16": (1080, 1920), "1x1": (1080, 1080), "16x9": (1920, 1080)}),
    ],
)
def test_social_cuts_are_never_larger_than_the_source(source_size, expected, tmp_path):
    assert cut_sizes(generated(tmp_path, source_size), tmp_path) == expected
