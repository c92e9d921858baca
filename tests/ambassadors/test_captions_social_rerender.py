"""Captions changed after approval re-render the social cuts, and the pack never mixes them.

Reproduction (issue 15): set captions, approve, render the cuts; edit the captions: the cuts
stayed byte-identical and the pack's `sous-titres.vtt` no longer matched what they burned in.
Real S3, Redis broker, PostgreSQL lock and ffmpeg.
"""

import io
import subprocess
import zipfile
from pathlib import Path

import psycopg
import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection
from PIL import Image, ImageChops

from ambassadors import keys
from ambassadors.models import Status
from ambassadors.services import captions, decisions
from ambassadors.services.audit import ModerationError
from ambassadors.services.locks import PROCESSING, advisory_key
from ambassadors.services.social import testimonial_social_cuts_current, testimonial_social_pack
from ambassadors.tasks.processing import render_social_renditions
from onprovence.storage import private_storage

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

FIRST = """WEBVTT

00:00:00.000 --> 00:00:01.500
Bonjour
"""
# The same first cue, and a second one where the first version had nothing.
SECOND = """WEBVTT

00:00:00.000 --> 00:00:01.500
Bonjour

00:00:02.000 --> 00:00:04.000
Je travaille à Marseille depuis dix ans
"""


@pytest.fixture(scope="module")
def source_video(tmp_path_factory) -> Path:
    """A 4-second 640×360 H.264/AAC clip: a flat colour, so burned text stands out."""
    path = tmp_path_factory.mktemp("captions-social") / "original.mp4"
    subprocess.run(
        [settings.FFMPEG_BINARY, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "color=c=0x336699:size=640x360:rate=25:duration=4",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture
def in_review(make_testimonial, source_video):
    testimonial = make_testimonial(Status.IN_REVIEW)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().connection.meta.client.upload_file(
        str(source_video), settings.S3_PRIVATE_BUCKET, key
    )
    type(testimonial).objects.filter(pk=testimonial.pk).update(original_key=key)
    testimonial.refresh_from_db()
    return testimonial


def read(testimonial, name: str) -> bytes:
    with private_storage().open(keys.testimonial_key(testimonial.pk, name)) as handle:
        return handle.read()


def frame_at(content: bytes, at: float, tmp_path: Path) -> Image.Image:
    video, png = tmp_path / "cut.mp4", tmp_path / "frame.png"
    video.write_bytes(content)
    subprocess.run(
        [settings.FFMPEG_BINARY, "-v", "error", "-y", "-ss", str(at), "-i", str(video),
         "-frames:v", "1", str(png)],
        check=True, timeout=60,
    )  # fmt: skip
    return Image.open(png).convert("RGB")


def changed_pixels(before: Image.Image, after: Image.Image, box: tuple[int, int, int, int]) -> int:
    difference = ImageChops.difference(before.crop(box), after.crop(box)).convert("L")
    return sum(1 for value in difference.getdata() if value > 60)


def run_queued_renders(broker, expected: str = "rendered") -> int:
    """Run, as the media worker would, each render queued on the broker; how many ran."""
    queued = broker.tasks()
    names = [args for name, args in queued if name == "ambassadors.render_social_renditions"]
    broker.clear()
    for args in names:
        assert render_social_renditions.apply(args=args).get() == expected
    return len(names)


def other_session():
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db.get("PASSWORD") or None,
        dbname=connection.settings_dict["NAME"], autocommit=True,
    )  # fmt: skip


def pack_names_and_captions(testimonial) -> tuple[list[str], bytes]:
    testimonial.refresh_from_db()
    content = b"".join(testimonial_social_pack(testimonial=testimonial))
    archive = zipfile.ZipFile(io.BytesIO(content))
    return archive.namelist(), archive.read("sous-titres.vtt")


def test_captions_changed_after_approval_re_render_the_cuts_and_the_pack_waits_for_them(
    in_review,
    moderator,
    broker,
    django_capture_on_commit_callbacks,
    tmp_path,
):
    testimonial = in_review
    with django_capture_on_commit_callbacks(execute=True):
        captions.testimonial_captions_set(
            testimonial_id=testimonial.pk, actor=moderator, text=FIRST
        )
    assert broker.tasks() == []  # in review: no cut to render yet
    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)
    assert run_queued_renders(broker) == 1
    first_cut = read(testimonial, keys.SOCIAL["9x16"])
    names, vtt = pack_names_and_captions(testimonial)
    assert "video-9x16.mp4" in names and vtt.decode() == FIRST

    # The moderator edits the captions of the approved testimonial.
    with django_capture_on_commit_callbacks(execute=True):
        captions.testimonial_captions_set(
            testimonial_id=testimonial.pk, actor=moderator, text=SECOND
        )
    assert broker.tasks() == [
        ("ambassadors.render_social_renditions", [str(testimonial.pk), "captions"])
    ]
    # Until the cuts are rendered again, no pack mixes the old cuts with the new captions.
    testimonial.refresh_from_db()
    assert not testimonial_social_cuts_current(testimonial=testimonial)
    with pytest.raises(ModerationError, match="en cours de mise à jour"):
        testimonial_social_pack(testimonial=testimonial)

    assert run_queued_renders(broker) == 1
    second_cut = read(testimonial, keys.SOCIAL["9x16"])
    assert second_cut != first_cut
    # At 3 s (the new cue only), the lower part of the picture now carries text; the top is
    # the same picture.
    before, after = frame_at(first_cut, 3.0, tmp_path), frame_at(second_cut, 3.0, tmp_path)
    width, height = after.size
    assert changed_pixels(before, after, (0, int(height * 0.6), width, height)) > 200
    assert changed_pixels(before, after, (0, int(height * 0.15), width, int(height * 0.5))) < 20
    # At 1 s both versions show the same first cue.
    same = changed_pixels(
        frame_at(first_cut, 1.0, tmp_path),
        frame_at(second_cut, 1.0, tmp_path),
        (0, 0, width, height),
    )
    assert same < 50

    names, vtt = pack_names_and_captions(testimonial)
    assert vtt.decode() == SECOND
    assert testimonial.probe["social"]["captions_version"] == captions.captions_version(
        SECOND.encode()
    )


def test_the_same_captions_saved_again_queue_no_render(
    in_review,
    moderator,
    broker,
    django_capture_on_commit_callbacks,
):
    type(in_review).objects.filter(pk=in_review.pk).update(status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        captions.testimonial_captions_set(testimonial_id=in_review.pk, actor=moderator, text=FIRST)
    assert len(broker.tasks()) == 1
    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        captions.testimonial_captions_set(
            testimonial_id=in_review.pk, actor=moderator, text=FIRST.replace("\n", "\r\n")
        )
    assert broker.tasks() == []
    # Removing them is a change: the cuts lose their burned captions.
    with django_capture_on_commit_callbacks(execute=True):
        captions.testimonial_captions_set(testimonial_id=in_review.pk, actor=moderator, text="")
    assert broker.tasks() == [
        ("ambassadors.render_social_renditions", [str(in_review.pk), "captions"])
    ]


def test_a_render_queued_while_another_runs_waits_its_turn(in_review, broker):
    """A captions change during a render: the second render finds the lock taken and must
    run after it (before, it returned "busy" and the cuts kept the old captions)."""
    type(in_review).objects.filter(pk=in_review.pk).update(status=Status.APPROVED)
    other = other_session()
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [advisory_key(PROCESSING, in_review.pk)])
        # As a worker runs it (a delivered message, not a direct call).
        render_social_renditions.push_request(
            id="render-1",
            args=[str(in_review.pk), "captions"],
            kwargs={},
            retries=0,
            called_directly=False,
        )
        try:
            with pytest.raises(Retry):
                render_social_renditions.run(str(in_review.pk), "captions")
        finally:
            render_social_renditions.pop_request()
    finally:
        other.close()
    assert broker.tasks() == [
        ("ambassadors.render_social_renditions", [str(in_review.pk), "captions"])
    ]


def test_a_pack_asked_again_and_again_while_stale_costs_one_render(
    in_review, moderator, broker, django_capture_on_commit_callbacks
):
    """The pack queues a render when the cuts are stale; the renders it queued after the first
    find the cuts current and stop before ffmpeg."""
    testimonial = in_review
    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)
    run_queued_renders(broker)
    # Captions written behind the service's back (as before versions were recorded).
    private_storage().save(
        keys.testimonial_key(testimonial.pk, keys.CAPTIONS), io.BytesIO(FIRST.encode())
    )
    for _attempt in range(3):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(ModerationError, match="en cours de mise à jour"),
        ):
            testimonial_social_pack(testimonial=testimonial)
    assert len(broker.tasks()) == 3
    queued = broker.tasks()
    broker.clear()
    results = [render_social_renditions.apply(args=args).get() for _name, args in queued]
    assert results == ["rendered", "current", "current"]
    _names, vtt = pack_names_and_captions(testimonial)
    assert vtt.decode() == FIRST


def test_no_pack_while_a_render_runs_and_no_render_while_a_pack_streams(
    in_review, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = in_review
    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)
    run_queued_renders(broker)
    testimonial.refresh_from_db()

    other = other_session()
    try:  # a render runs elsewhere
        other.execute("SELECT pg_advisory_lock(%s)", [advisory_key(PROCESSING, testimonial.pk)])
        with pytest.raises(ModerationError, match="en cours de mise à jour"):
            testimonial_social_pack(testimonial=testimonial)
    finally:
        other.close()

    stream = iter(testimonial_social_pack(testimonial=testimonial))
    first_chunk = next(stream)  # a download has begun
    other = other_session()
    try:
        taken = other.execute(
            "SELECT pg_try_advisory_lock(%s)", [advisory_key(PROCESSING, testimonial.pk)]
        ).fetchone()[0]
        assert taken is False, "a render cannot replace the cuts mid-download"
        rest = b"".join(stream)
        taken = other.execute(
            "SELECT pg_try_advisory_lock(%s)", [advisory_key(PROCESSING, testimonial.pk)]
        ).fetchone()[0]
        assert taken is True, "the lock is released at the end of the download"
    finally:
        other.close()
    assert zipfile.ZipFile(io.BytesIO(first_chunk + rest)).testzip() is None
