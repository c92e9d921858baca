"""The early poster (issue 18): one upright frame grabbed before the review pass, by a pure
argument builder with the guards of every pass."""

import json
import subprocess

import pytest
from django.conf import settings
from PIL import Image

from ambassadors.media.probe import parse_probe
from ambassadors.media.renditions import WebSpec, early_poster_command
from ambassadors.services.pipeline import media_limits, probe_local, video_review_local
from onprovence.mediarunner import run_tool


def facts(*, width=1920, height=1080, rotation=None, duration="60.0"):
    video = {
        "codec_type": "video",
        "codec_name": "h264",
        "width": width,
        "height": height,
        "avg_frame_rate": "30/1",
        "r_frame_rate": "30/1",
    }
    if rotation is not None:
        video["side_data_list"] = [{"side_data_type": "Display Matrix", "rotation": rotation}]
    fmt = {"format_name": "mov,mp4", "duration": duration, "size": "1000", "bit_rate": "0"}
    return parse_probe(json.dumps({"format": fmt, "streams": [video]}))


def command(probe, demuxer="mov"):
    return early_poster_command("ffmpeg", "/tmp/in", demuxer, probe, "/tmp/out.jpg", spec=WebSpec())


def after(args: list[str], option: str) -> str:
    return args[args.index(option) + 1]


def test_the_early_poster_reads_one_local_file_through_the_forced_demuxer():
    args = command(facts())
    assert after(args, "-protocol_whitelist") == "file"
    assert after(args, "-format_whitelist") == "mov"
    assert after(args, "-f") == "mov"
    assert after(args, "-enable_drefs") == "0"
    assert after(args, "-i") == "/tmp/in"
    # Input options come before the input, the seek included (a fast keyframe seek).
    assert args.index("-ss") < args.index("-f") < args.index("-i")
    assert "-noaccurate_seek" in args and "-noautorotate" in args
    assert args.index("-noaccurate_seek") < args.index("-i")
    assert after(args, "-frames:v") == "1"
    assert after(args, "-map_metadata") == "-1"
    assert args[-1] == "/tmp/out.jpg"
    assert after(command(facts(), "matroska"), "-f") == "matroska"


@pytest.mark.parametrize(("duration", "seek"), [("60.0", "1.000"), ("1.2", "0.600")])
def test_the_early_poster_seeks_a_second_in_or_halfway_through_a_short_video(duration, seek):
    assert after(command(facts(duration=duration)), "-ss") == seek


@pytest.mark.parametrize(
    ("rotation", "scale"),
    [
        (None, "scale=1280:720:flags=bicubic,setsar=1,format=yuv420p"),
        # A phone's portrait clip: stored 1920x1080, shown 720x1280, turned after scaling.
        (-90, "scale=1280:720:flags=bicubic,transpose=clock,setsar=1,format=yuv420p"),
    ],
)
def test_the_early_poster_is_upright_at_the_final_poster_size(rotation, scale):
    assert after(command(facts(rotation=rotation)), "-vf") == scale


def test_a_foreign_demuxer_is_refused():
    with pytest.raises(ValueError):
        command(facts(), "hls")


def test_the_early_poster_of_a_phone_clip_is_upright_and_the_size_of_the_pass_poster(
    corpus, tmp_path
):
    source = corpus["portrait_rotated"]
    demuxer, probed, verdict, _ = probe_local(source, limits=media_limits())
    assert verdict.accepted and demuxer == "mov"
    output = tmp_path / "early.jpg"

    run = run_tool(
        early_poster_command(
            settings.FFMPEG_BINARY, str(source), demuxer, probed, str(output), spec=WebSpec()
        ),
        timeout=10,
        memory_bytes=2 * 1024**3,
    )

    assert run.returncode == 0, run.stderr
    (tmp_path / "pass").mkdir()
    final = video_review_local(source, tmp_path / "pass").outputs["poster_jpeg"]
    with Image.open(output) as early, Image.open(final) as chosen:
        assert early.format == chosen.format == "JPEG"
        assert early.size == chosen.size == (180, 320)
        red, green, blue = early.convert("RGB").getpixel((90, 10))
    assert red > 200 and green < 60 and blue < 60  # the red band is on top


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("landscape", (320, 180)),
        ("webm_vp9", (320, 180)),
        ("webm_vp8", (320, 180)),
        ("hevc_mov", None),
        ("no_audio", None),
    ],
)
def test_every_admitted_kind_of_upload_gets_one_jpeg_frame(corpus, tmp_path, name, size):
    source = corpus[name]
    demuxer, probed, verdict, _ = probe_local(source, limits=media_limits())
    assert verdict.accepted
    output = tmp_path / "early.jpg"
    args = early_poster_command(
        settings.FFMPEG_BINARY, str(source), demuxer, probed, str(output), spec=WebSpec()
    )

    subprocess.run(args, check=True, capture_output=True, timeout=30)

    assert [path.name for path in tmp_path.iterdir()] == ["early.jpg"]
    with Image.open(output) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (size or probed.video.display_size)
