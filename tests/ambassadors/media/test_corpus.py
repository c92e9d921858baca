"""The generated corpus through the real pipeline (ffprobe + ffmpeg), each with its verdict."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from ambassadors import conf
from ambassadors.media import probe as media_probe
from ambassadors.services.pipeline import video_process_local
from onprovence.mediarunner import ToolTimeout, run_tool
from tests import processes
from tests.ambassadors.media import corpus as corpus_builders

MAX = round(conf.MAX_DURATION_SECONDS)  # the one length limit (issue 15)
ACCEPTED = {
    # name: (display width, height of the web rendition, flags expected)
    "portrait_rotated": (180, 320, {"short"}),
    "hevc_mov": (320, 180, {"short"}),
    "webm_vp8": (320, 180, {"short"}),
    "webm_vp9": (320, 180, {"short"}),
    "no_audio": (320, 180, {"short", "no_audio"}),
    "black_silent": (192, 108, {"short", "silence", "black", "frozen"}),
}
REJECTED = {
    "audio_only": "audio_only",
    "still_image": "image",
    "still_image_in_mov": "image",
    "text_file": "not_a_video",
    "truncated_mp4": "damaged",
    "zero_bytes": "empty",
    "too_long": "too_long",
    "too_long_webm": "too_long",
    "too_short": "too_short",
    "huge_declared": "dimensions",
    "header_lies_mp4": "too_long",
    "header_lies_mkv": "too_long",
    "high_rate_bomb": "pixel_rate",
}


def ffprobe_json(path: Path) -> dict:
    output = subprocess.run(
        [settings.FFPROBE_BINARY, "-v", "error", "-show_format", "-show_streams", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_hostile_or_unusable_files_are_rejected_with_a_reason_in_both_languages(
    corpus, tmp_path, name
):
    result = video_process_local(corpus[name], tmp_path)

    assert not result.accepted
    assert result.verdict.reason.code == REJECTED[name]
    assert result.verdict.reason.fr and result.verdict.reason.en
    assert result.verdict.reason.fr != result.verdict.reason.en
    assert result.verdict.reason.detail
    assert result.outputs == {}
    assert "transcode" not in result.timings or name == "truncated_mp4"


def test_reasons_for_length_name_the_duration_and_the_limit(corpus, tmp_path):
    too_long = video_process_local(corpus["too_long_webm"], tmp_path).verdict.reason
    too_short = video_process_local(corpus["too_short"], tmp_path).verdict.reason

    assert too_long.fr == (
        f"Votre vidéo dure 125 s : le maximum est de {MAX} secondes. Raccourcissez-la ou "
        "enregistrez-en une plus courte."
    )
    assert too_long.en == (
        f"Your video lasts 125 s: the maximum is {MAX} seconds. Trim it or record a shorter one."
    )
    assert too_short.fr.startswith("Votre vidéo dure 1,5 s : il faut au moins 3 secondes.")
    assert too_short.en.startswith("Your video lasts 1.5 s: it must last at least 3 seconds.")


@pytest.mark.parametrize("name", ["header_lies_mp4", "header_lies_mkv"])
def test_a_header_claiming_60_s_over_600_s_of_packets_is_judged_on_the_packets(
    corpus, tmp_path, name
):
    """Security review 2026-12: the MP4 `mvhd` (or Matroska `Duration`) patched to 60 s over
    600 s of video was accepted on the header's word and made a 121 s rendition."""
    assert float(ffprobe_json(corpus[name])["format"]["duration"]) == 60.0

    result = video_process_local(corpus[name], tmp_path)

    assert result.verdict.reason.code == "too_long"
    assert result.verdict.reason.en.startswith(f"Your video lasts 600 s: the maximum is {MAX} ")
    assert "(header said 60.000 s)" in result.verdict.reason.detail
    assert result.facts.duration == pytest.approx(600, abs=0.5)
    assert "transcode" not in result.timings and result.outputs == {}


def test_a_4096x2304_240_fps_bomb_is_refused_by_pixel_rate_before_any_transcode(corpus, tmp_path):
    """Security review 2026-12: a 1 MB black 4096×2304 file at 240 fps was accepted and cost
    42 s of transcode on 2 cores for 30 s."""
    path = corpus["high_rate_bomb"]
    assert path.stat().st_size < 1024 * 1024

    result = video_process_local(path, tmp_path)

    assert result.verdict.reason.code == "pixel_rate"
    assert result.verdict.reason.detail == "4096x2304 at 240 fps = 2265 Mpx/s > 1000 Mpx/s"
    assert result.facts.video_frames == 240
    assert set(result.timings) == {"probe", "packets"}


def test_every_output_of_the_moderation_pass_stops_at_the_limit(corpus, tmp_path):
    """Whatever the input holds, no output runs past max_duration (`-t` on each output)."""
    from ambassadors.media.renditions import moderation_command
    from ambassadors.services import pipeline

    source = corpus["landscape"]  # 4 s
    demuxer, facts, _, _ = pipeline.probe_local(source, limits=pipeline.media_limits())
    outputs = pipeline.moderation_outputs(tmp_path)
    command = moderation_command(
        settings.FFMPEG_BINARY, str(source), demuxer, facts, outputs,
        spec=pipeline.web_spec(), checks=pipeline.check_spec(), max_duration=2,
    )  # fmt: skip

    run = run_tool(command, timeout=60, memory_bytes=2 * 1024**3)

    assert run.returncode == 0, run.stderr[-500:]
    assert float(ffprobe_json(Path(outputs.web))["format"]["duration"]) <= 2.05
    # Two 32×32 gray samples a second: at most 2 s of them.
    assert Path(outputs.signature).stat().st_size <= 5 * 32 * 32


def test_the_mediarecorder_webm_has_no_header_duration_and_gets_one_from_its_packets(
    corpus, tmp_path
):
    assert "duration" not in ffprobe_json(corpus["webm_vp8"])["format"]

    result = video_process_local(corpus["webm_vp8"], tmp_path)

    assert result.facts.duration == pytest.approx(4.0, abs=0.1)
    assert "packets" in result.timings


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_phone_videos_become_an_h264_aac_faststart_rendition_with_posters_and_preview(
    corpus, tmp_path, name
):
    width, height, flags = ACCEPTED[name]

    result = video_process_local(corpus[name], tmp_path)

    assert result.accepted, result.verdict.reason
    assert {flag.code for flag in result.flags} == flags
    web = ffprobe_json(result.outputs["web"])
    video = next(s for s in web["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"]) == (width, height)
    assert not video.get("side_data_list"), "rotation must be applied, not left as metadata"
    assert video["r_frame_rate"] == video["avg_frame_rate"], "constant frame rate"
    assert float(web["format"]["duration"]) == pytest.approx(4.0, abs=0.15)
    audio = [s for s in web["streams"] if s["codec_type"] == "audio"]
    if "no_audio" in flags:
        assert audio == []
    else:
        assert (audio[0]["codec_name"], audio[0]["sample_rate"]) == ("aac", "48000")
    assert web["format"].get("tags", {}).get("location") is None
    data = result.outputs["web"].read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart: the index comes first"
    with Image.open(result.outputs["poster_jpeg"]) as poster:
        assert (poster.format, poster.size) == ("JPEG", (width, height))
    with Image.open(result.outputs["poster_webp"]) as poster:
        assert (poster.format, poster.size) == ("WEBP", (width, height))
    with Image.open(result.outputs["preview"]) as preview:
        assert preview.format == "WEBP"
        # Identical frames (a frozen video) are merged by the animated WebP encoder.
        assert preview.n_frames >= (1 if "frozen" in flags else 6)
        assert max(preview.size) <= 240


def test_the_portrait_video_is_upright_in_the_rendition_and_the_poster(corpus, tmp_path):
    result = video_process_local(corpus["portrait_rotated"], tmp_path)
    frame = tmp_path / "frame.png"
    subprocess.run(
        [settings.FFMPEG_BINARY, "-v", "error", "-ss", "2", "-i", str(result.outputs["web"]),
         "-frames:v", "1", str(frame)],
        check=True,
    )  # fmt: skip

    for image_path in (frame, result.outputs["poster_jpeg"]):
        with Image.open(image_path) as image:
            rgb = image.convert("RGB")
            top = rgb.getpixel((90, 20))
            assert top[0] > 200 and top[1] < 60 and top[2] < 60, f"{image_path}: top is {top}"


def test_the_rendition_is_loudness_normalised(corpus, tmp_path):
    result = video_process_local(corpus["landscape"], tmp_path)

    assert result.findings.loudness["output_i"] == pytest.approx(-16.0, abs=1.5)
    assert result.findings.loudness["input_i"] < -18


def test_a_playlist_renamed_mp4_never_reaches_the_network_or_local_files(
    canary, tmp_path, settings
):
    path = corpus_builders.playlist(tmp_path, canary.url)
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]

    result = video_process_local(path, tmp_path)
    command = subprocess.run(
        [sys.executable, "manage.py", "process_video", str(path), "--json"],
        cwd=processes.ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    assert result.verdict.reason.code == "not_a_video"
    assert json.loads(command.stdout)["reason"]["code"] == "not_a_video"
    assert passwd_line not in command.stdout + command.stderr
    assert passwd_line not in json.dumps(result.as_dict())
    assert canary.requests == []


def test_an_ffconcat_list_is_rejected_without_opening_what_it_lists(canary, tmp_path):
    path = corpus_builders.ffconcat(tmp_path, canary.url)

    result = video_process_local(path, tmp_path)

    assert result.verdict.reason.code == "not_a_video"
    assert canary.requests == []


@pytest.mark.parametrize("demuxer", [media_probe.MOV, media_probe.MATROSKA])
@pytest.mark.parametrize("builder", [corpus_builders.playlist, corpus_builders.ffconcat])
def test_even_if_sniffing_let_them_through_ffprobe_reads_them_only_as_the_forced_container(
    canary, tmp_path, demuxer, builder
):
    path = builder(tmp_path, canary.url)
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]

    run = run_tool(
        media_probe.probe_command(settings.FFPROBE_BINARY, str(path), demuxer),
        timeout=20,
        memory_bytes=1024**3,
    )

    assert run.returncode != 0
    assert passwd_line not in run.stdout + run.stderr
    assert canary.requests == []


def test_a_tool_that_runs_past_its_budget_is_killed(tmp_path):
    with pytest.raises(ToolTimeout):
        run_tool(["sleep", "30"], timeout=0.5, memory_bytes=256 * 1024**2)


def test_a_tool_is_held_to_its_memory_limit():
    run = run_tool(
        [sys.executable, "-c", "x = bytearray(400 * 1024 * 1024)"],
        timeout=20,
        memory_bytes=200 * 1024**2,
    )

    assert run.returncode != 0
    assert "MemoryError" in run.stderr


def test_process_video_prints_the_verdict_probe_flags_outputs_and_timings(corpus, tmp_path):
    command = subprocess.run(
        [sys.executable, "manage.py", "process_video", str(corpus["no_audio"]), "--json",
         "--output-dir", str(tmp_path / "out")],
        cwd=processes.ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    report = json.loads(command.stdout)
    assert report["accepted"] is True and report["reason"] is None
    assert report["probe"]["video"]["codec"] == "h264"
    assert {flag["code"] for flag in report["flags"]} == {"no_audio", "short"}
    assert set(report["outputs"]) == {"web", "poster_jpeg", "poster_webp", "preview"}
    assert all(Path(path).is_file() for path in report["outputs"].values())
    assert {"probe", "transcode", "total"} <= set(report["timings"])


def test_process_video_text_output_names_the_rejection(corpus):
    command = subprocess.run(
        [sys.executable, "manage.py", "process_video", str(corpus["audio_only"])],
        cwd=processes.ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    assert command.stdout.splitlines()[:2] == [
        "verdict: rejected",
        "reason (audio_only): Ce fichier ne contient que du son : il nous faut une vidéo. "
        "Vous pouvez enregistrer ou choisir une autre vidéo.",
    ]
