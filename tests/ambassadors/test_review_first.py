"""Review first, encode once approved (issue 18): the review file, the flags before review, the
public web rendition after approval, and a publication that waits for it."""

import datetime
import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from ambassadors import keys, selectors
from ambassadors.media.probe import parse_probe
from ambassadors.media.renditions import ReviewSpec, review_plan, web_rendition_pending
from ambassadors.models import Status, Testimonial
from ambassadors.services.pipeline import video_process_local, video_review_local
from ambassadors.services.processing import testimonial_process, testimonial_render_web
from ambassadors.services.publication import testimonial_publish
from ambassadors.services.status import testimonial_transition
from ambassadors.services.sweeper import testimonials_requeue_stuck
from onprovence.storage import private_storage, public_storage
from tests.ambassadors.conftest import queued_tasks
from tests.ambassadors.media.corpus import Corpus

# --- The review rendition: a pure function of the probe ------------------------------------------


def probe(
    *,
    codec="h264",
    profile="High",
    pix_fmt="yuv420p",
    width=1280,
    height=720,
    rate="30/1",
    rotation=None,
    audio="aac",
    size=10_000_000,
    duration="20.0",
):
    """ffprobe's JSON for one file, as `-show_format -show_streams` prints it."""
    video = {
        "codec_type": "video",
        "codec_name": codec,
        "profile": profile,
        "pix_fmt": pix_fmt,
        "width": width,
        "height": height,
        "avg_frame_rate": rate,
        "r_frame_rate": rate,
    }
    if rotation is not None:
        video["side_data_list"] = [{"side_data_type": "Display Matrix", "rotation": rotation}]
    streams = [video]
    if audio:
        streams.append(
            {"codec_type": "audio", "codec_name": audio, "channels": 2, "sample_rate": "48000"}
        )
    fmt = {"format_name": "mov,mp4", "duration": duration, "size": str(size), "bit_rate": "0"}
    return parse_probe(json.dumps({"format": fmt, "streams": streams}))


@pytest.mark.parametrize(
    ("facts", "demuxer"),
    [
        (probe(), "mov"),  # a browser's MP4 recording at 720p
        (probe(profile="Constrained Baseline", audio=None), "mov"),
        (probe(width=1920, height=1080, rotation=-90, size=25_000_000), "mov"),  # phone, 10 Mb/s
        (probe(codec="vp9", profile="Profile 0", audio="opus"), "matroska"),  # Chrome recorder
    ],
)
def test_a_source_the_review_player_plays_is_reviewed_as_is(facts, demuxer):
    plan = review_plan(facts, demuxer)
    assert plan.remux, plan.reasons
    assert plan.as_dict() == {"mode": "source", "reasons": []}


@pytest.mark.parametrize(
    ("facts", "demuxer", "reason"),
    [
        (probe(codec="hevc", profile="Main"), "mov", "video codec hevc in mov"),
        (probe(profile="High 10", pix_fmt="yuv420p10le"), "mov", "profile High 10"),
        (probe(profile="High 4:2:2", pix_fmt="yuv422p"), "mov", "pixel format yuv422p"),
        (probe(codec="vp8", profile="", audio="opus"), "matroska", "video codec vp8 in matroska"),
        (probe(codec="h264", audio="aac"), "matroska", "video codec h264 in matroska"),
        (probe(audio="mp3"), "mov", "audio codec mp3 in mov"),
        (probe(width=3840, height=2160, size=50_000_000), "mov", "size 3840x2160 over 1080p"),
        (
            probe(codec="vp9", profile="Profile 0", audio="opus", rotation=90),
            "matroska",
            "rotation 90 ignored by browsers in matroska",
        ),
        (probe(rate="120/1", width=1920, height=1080), "mov", "frame rate 120 over 60"),
        # 60 MB over 20 s: 24 Mb/s, too heavy to stream to a moderator.
        (probe(width=1920, height=1080, size=60_000_000), "mov", "bit rate 24.0 Mb/s over 16"),
    ],
)
def test_hevc_odd_profiles_rotation_ignored_and_heavy_bitrates_get_a_review_rendition(
    facts, demuxer, reason
):
    plan = review_plan(facts, demuxer)
    assert not plan.remux
    assert reason in plan.reasons
    assert plan.as_dict()["mode"] == "rendition"


def test_the_bit_rate_limit_is_a_setting_of_the_review_spec():
    heavy = probe(width=1920, height=1080, size=60_000_000)
    assert review_plan(heavy, "mov", ReviewSpec(max_bit_rate=30_000_000)).remux


# --- The review pass on real media ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("review-first-corpus"))


def streams(path: Path) -> dict:
    out = subprocess.run(
        [settings.FFPROBE_BINARY, "-v", "error", "-show_format", "-show_streams", "-of", "json",
         str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)


@pytest.mark.parametrize(
    ("name", "mode", "codec"),
    [
        ("landscape", "source", "h264"),
        ("portrait_rotated", "source", "h264"),
        ("webm_vp9", "source", "vp9"),
        ("webm_vp8", "rendition", "h264"),
        ("hevc_mov", "rendition", "h264"),
    ],
)
def test_the_review_file_is_an_mp4_of_the_source_or_a_fast_rendition(
    corpus, tmp_path, name, mode, codec
):
    result = video_review_local(corpus[name], tmp_path)

    assert result.accepted
    assert result.review is not None and result.review.as_dict()["mode"] == mode
    review = streams(result.outputs["web"])
    assert "mp4" in review["format"]["format_name"]
    assert review["streams"][0]["codec_name"] == codec
    assert float(review["format"]["duration"]) == pytest.approx(result.facts.duration, abs=0.1)
    for output in ("poster_jpeg", "poster_webp", "preview"):
        assert result.outputs[output].stat().st_size > 0
    assert result.signature
    assert result.probe_record()["web"] == "review"


def test_the_remux_keeps_the_phone_rotation_for_the_browser_and_drops_metadata(corpus, tmp_path):
    result = video_review_local(corpus["portrait_rotated"], tmp_path)
    video = streams(result.outputs["web"])["streams"][0]
    rotations = [side.get("rotation") for side in video.get("side_data_list", [])]
    assert rotations == [-90]
    assert "location" not in json.dumps(streams(result.outputs["web"])["format"].get("tags", {}))


@pytest.mark.parametrize("name", ["black_silent", "landscape", "no_audio", "portrait_rotated"])
def test_every_flag_is_raised_before_review_as_the_encode_first_pass_raises_it(
    corpus, tmp_path, name
):
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = video_process_local(corpus[name], tmp_path / "before")
    after = video_review_local(corpus[name], tmp_path / "after")

    assert [f.code for f in after.flags] == [f.code for f in before.flags]
    assert after.findings.loudness.get("input_i") == before.findings.loudness.get("input_i")
    assert after.facts.duration == before.facts.duration
    # The poster is the same frame, made at the same size.
    assert (
        streams(after.outputs["poster_jpeg"])["streams"][0]["width"]
        == (streams(before.outputs["poster_jpeg"])["streams"][0]["width"])
    )


def test_black_and_silent_upload_is_flagged_on_its_whole_duration(corpus, tmp_path):
    result = video_review_local(corpus["black_silent"], tmp_path)
    codes = {flag.code for flag in result.flags}
    assert {"black", "silence"} <= codes
    assert result.findings.blacks[-1][1] == pytest.approx(result.facts.duration, abs=0.1)


@pytest.mark.parametrize(
    "name", ["text_file", "zero_bytes", "huge_declared", "header_lies_mp4", "high_rate_bomb"]
)
def test_hostile_files_are_refused_before_any_review_pass(corpus, tmp_path, name):
    result = video_review_local(corpus[name], tmp_path)
    assert not result.accepted
    assert result.commands == []


# --- Approval, the web rendition, and a publication that waits -----------------------------------


def upload(path: Path) -> Testimonial:
    testimonial = Testimonial.objects.create(status=Status.UPLOADED)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().connection.meta.client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    testimonial.refresh_from_db()
    return testimonial


def approve(testimonial: Testimonial, publish_at: datetime.datetime) -> None:
    testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.APPROVED,
        actor_label="test",
        expected_from=[Status.IN_REVIEW],
        changes={"publish_at": publish_at},
    )


def web_streams(testimonial: Testimonial, tmp_path: Path) -> dict:
    local = tmp_path / f"{testimonial.pk}-web.mp4"
    with private_storage().open(keys.testimonial_key(testimonial.pk, keys.WEB)) as handle:
        local.write_bytes(handle.read())
    return streams(local)


@pytest.mark.django_db
def test_a_slot_never_goes_out_before_the_web_rendition_then_does(corpus, tmp_path, admin_client):
    """Reproduction: approved at 10:00 for a slot due now, web.mp4 still the 1080p source
    remux: the publisher must wait (calendar says so), not publish the review file."""
    testimonial = upload(corpus["webm_vp9"])
    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"
    testimonial.refresh_from_db()
    assert testimonial.probe["web"] == "review"
    assert web_streams(testimonial, tmp_path)["streams"][0]["codec_name"] == "vp9"
    due = timezone.now() - datetime.timedelta(minutes=1)
    approve(testimonial, due)

    assert testimonial_publish(testimonial_id=testimonial.pk) is False
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert not public_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
    days, _ = selectors.publication_calendar(start=timezone.localdate(due), days=1)
    assert [t.pk for t in days[0].waiting_for_web] == [testimonial.pk]
    waiting = "vidéo web en préparation : la publication l'attend"
    calendar_url = "/admin/ambassadors/testimonial/calendar/"
    assert waiting in admin_client.get(calendar_url).content.decode()

    assert testimonial_render_web(testimonial_id=testimonial.pk) == "rendered"
    testimonial.refresh_from_db()
    assert not web_rendition_pending(testimonial.probe)
    assert set(testimonial.probe["web_rendition"]["timings"]) >= {"web", "web_cpu", "upload"}
    video, audio = web_streams(testimonial, tmp_path)["streams"]
    assert (video["codec_name"], video["profile"], audio["codec_name"]) == ("h264", "High", "aac")
    days, _ = selectors.publication_calendar(start=timezone.localdate(due), days=1)
    assert days[0].waiting_for_web == []
    assert waiting not in admin_client.get(calendar_url).content.decode()

    assert testimonial_publish(testimonial_id=testimonial.pk) is True
    assert public_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
    # Idempotent: a second run (a redelivered task) finds the rendition made.
    assert testimonial_render_web(testimonial_id=testimonial.pk) == "current"


@pytest.mark.django_db
def test_a_testimonial_in_review_gets_no_web_rendition(corpus):
    testimonial = upload(corpus["landscape"])
    testimonial_process(testimonial_id=testimonial.pk)
    assert testimonial_render_web(testimonial_id=testimonial.pk) == "skipped"


@pytest.mark.django_db
def test_encode_first_testimonials_publish_as_before(corpus, settings):
    """`AMBASSADORS_MEDIA_REVIEW_FIRST = False` keeps the old design: web.mp4 public at review."""
    settings.AMBASSADORS_MEDIA_REVIEW_FIRST = False
    testimonial = upload(corpus["landscape"])
    testimonial_process(testimonial_id=testimonial.pk)
    testimonial.refresh_from_db()
    assert "web" not in testimonial.probe
    approve(testimonial, timezone.now())
    assert testimonial_render_web(testimonial_id=testimonial.pk) == "current"
    assert testimonial_publish(testimonial_id=testimonial.pk) is True


@pytest.mark.django_db
def test_the_sweeper_requeues_a_lost_approval_time_rendition(
    corpus, broker, django_capture_on_commit_callbacks
):
    testimonial = upload(corpus["landscape"])
    testimonial_process(testimonial_id=testimonial.pk)
    approve(testimonial, timezone.now() + datetime.timedelta(days=1))
    broker.delete("default", "media")
    old = timezone.now() - datetime.timedelta(hours=1)
    Testimonial.objects.filter(pk=testimonial.pk).update(status_changed_at=old, updated_at=old)

    with django_capture_on_commit_callbacks(execute=True):
        requeued = testimonials_requeue_stuck()

    assert requeued == [str(testimonial.pk)]
    assert ("ambassadors.render_social_renditions", [str(testimonial.pk)]) in queued_tasks(
        broker, "media"
    )
    # Not again at the next sweep: the row was touched.
    assert testimonials_requeue_stuck() == []


@pytest.mark.django_db
def test_a_testimonial_withdrawn_during_its_web_rendition_keeps_no_file(corpus, monkeypatch):
    """Reproduction: the resident withdraws while the approval-time encode runs and the purge
    empties the prefix; the encode's upload must not bring a web.mp4 back."""
    from ambassadors.services import processing
    from onprovence.storage import delete_prefix

    testimonial = upload(corpus["landscape"])
    testimonial_process(testimonial_id=testimonial.pk)
    approve(testimonial, timezone.now() + datetime.timedelta(days=1))
    real = processing.web_render_local

    def withdrawn_meanwhile(source, workdir):
        made = real(source, workdir)
        testimonial_transition(
            testimonial_id=testimonial.pk, to=Status.WITHDRAWN, actor_label="resident"
        )
        delete_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk))
        return made

    monkeypatch.setattr(processing, "web_render_local", withdrawn_meanwhile)
    assert testimonial_render_web(testimonial_id=testimonial.pk) == "skipped"
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
