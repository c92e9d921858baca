"""Unit tests of the rendition commands: sizes, rates, hardening, one decode, branding."""

import pytest

from ambassadors.media.probe import MOV, AudioFacts, ProbeFacts, VideoFacts
from ambassadors.media.renditions import (
    Branding,
    CheckSpec,
    ModerationOutputs,
    WebSpec,
    ffmpeg_colour,
    fit_size,
    moderation_command,
    moderation_filtergraph,
    output_frame_rate,
    rotation_filters,
    social_command,
    social_mode,
    social_size,
)

OUTPUTS = ModerationOutputs("/w/web.mp4", "/w/poster.jpg", "/w/poster.webp", "/w/preview.webp")


def phone(rate=29.97, audio=True, duration=42.0) -> ProbeFacts:
    return ProbeFacts(
        "mov,mp4,m4a,3gp,3g2,mj2", duration, 1, 1,
        VideoFacts("hevc", 1920, 1080, 270, rate, True),
        AudioFacts("aac", 2, 44100) if audio else None, 1, int(audio), 0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("size", "long_side", "expected"),
    [
        ((1080, 1920), 1280, (720, 1280)),
        ((1920, 1080), 1280, (1280, 720)),
        ((640, 360), 1280, (640, 360)),
        ((1079, 1919), 1280, (720, 1280)),
        ((3840, 2160), 1280, (1280, 720)),
    ],
)
def test_the_long_side_is_capped_and_sizes_stay_even(size, long_side, expected):
    assert fit_size(*size, long_side) == expected


def test_the_frame_rate_is_capped_and_an_unknown_rate_gets_the_cap():
    assert output_frame_rate(phone(rate=59.94), 30) == 30
    assert output_frame_rate(phone(rate=29.97), 30) == 29.97
    assert output_frame_rate(phone(rate=0), 30) == 30


def test_the_moderation_pass_is_one_hardened_ffmpeg_run_with_every_output():
    command = moderation_command(
        "ffmpeg", "/w/original", MOV, phone(), OUTPUTS,
        spec=WebSpec(), checks=CheckSpec(), max_duration=120,
    )  # fmt: skip

    assert command[0] == "ffmpeg" and command.count("-i") == 1
    before_input = command[: command.index("-i")]
    for option in (["-protocol_whitelist", "file"], ["-f", "mov"], ["-enable_drefs", "0"],
                   ["-t", "121"]):  # fmt: skip
        at = before_input.index(option[0])
        assert before_input[at : at + 2] == option
    assert "-nostdin" in command and "-noautorotate" in before_input
    for path in ("/w/web.mp4", "/w/poster.jpg", "/w/poster.webp", "/w/preview.webp"):
        assert path in command
    web = command[: command.index("/w/web.mp4")]
    expected = (["-c:v", "libx264"], ["-preset", "veryfast"], ["-profile:v", "high"],
                ["-movflags", "+faststart"], ["-map_metadata", "-1"], ["-c:a", "aac"])  # fmt: skip
    for option in expected:
        at = web.index(option[0])
        assert web[at : at + 2] == option


def test_the_filtergraph_decodes_once_and_splits_into_rendition_poster_preview_and_checks():
    graph = moderation_filtergraph(phone(), WebSpec(), CheckSpec(), duration=42.0)

    # Scaled in the stored (landscape) orientation first, then turned upright.
    assert graph.startswith(
        "[0:v:0]fps=29.97,scale=1280:720:flags=bicubic,transpose=clock,setsar=1,"
        "format=yuv420p,split=4[web][poster][preview][check]"
    )
    assert "[poster]trim=start=12.600:duration=1.500,thumbnail=44,split=2[pj][pw]" in graph
    assert "blackdetect=d=0.5:pix_th=0.1,freezedetect=n=0.003:d=2.0,nullsink" in graph
    assert (
        "[loud]loudnorm=I=-16.0:TP=-1.5:LRA=11.0:print_format=json,aresample=48000[aout]" in graph
    )
    assert "silencedetect=n=-50.0dB:d=1.0,anullsink" in graph
    assert graph.count("[0:v:0]") == 1 and graph.count("[0:a:0]") == 1


def test_rotation_filters_follow_the_display_matrix():
    assert rotation_filters(0) == []
    assert rotation_filters(90) == ["transpose=cclock"]
    assert rotation_filters(180) == ["hflip", "vflip"]
    assert rotation_filters(270) == ["transpose=clock"]
    assert rotation_filters(-90) == ["transpose=clock"]


def test_without_audio_there_is_no_audio_branch_or_output():
    command = moderation_command(
        "ffmpeg", "/w/original", MOV, phone(audio=False), OUTPUTS,
        spec=WebSpec(), checks=CheckSpec(), max_duration=120,
    )  # fmt: skip

    assert "[aout]" not in command
    assert "[0:a:0]" not in command[command.index("-filter_complex") + 1]


@pytest.mark.parametrize(
    ("source", "target", "mode"),
    [
        ((1080, 1920), (1080, 1920), "crop"),
        ((1080, 1920), (1080, 1080), "crop"),
        ((1080, 1920), (1920, 1080), "blur"),
        ((1920, 1080), (1080, 1920), "blur"),
        ((1920, 1080), (1920, 1080), "crop"),
    ],
)
def test_a_social_format_crops_near_aspects_and_fits_over_a_blur_far_ones(source, target, mode):
    assert social_mode(source, target) == mode


def test_social_sizes_never_upscale_but_keep_the_format():
    assert social_size((1080, 1920), (1080, 1920), "crop") == (1080, 1920)
    assert social_size((720, 1280), (1080, 1920), "crop") == (720, 1280)
    assert social_size((720, 1280), (1080, 1080), "crop") == (720, 720)
    # One policy for the three cuts: no cut's short side beyond the source's (no 1920×1080
    # canvas from a 720p source).
    assert social_size((720, 1280), (1920, 1080), "blur") == (1280, 720)
    assert social_size((180, 320), (1920, 1080), "blur") == (320, 180)


def test_an_edited_colour_never_injects_filter_syntax():
    assert ffmpeg_colour("#9C3D1F", "#000000") == "0x9c3d1f"
    assert ffmpeg_colour("red[x];movie=/etc/passwd", "#f2b13b") == "0xf2b13b"
    assert ffmpeg_colour("", "#f2b13b") == "0xf2b13b"


def test_the_social_pass_reads_the_original_once_and_writes_every_format():
    command = social_command(
        "ffmpeg", "original", MOV, phone(),
        {"9x16": "social-9x16.mp4", "1x1": "social-1x1.mp4", "16x9": "social-16x9.mp4"},
        branding=Branding(primary_color="#112233", logo="logo.png"),
        captions="captions.vtt", spec=WebSpec(), max_duration=120,
    )  # fmt: skip
    graph = command[command.index("-filter_complex") + 1]

    assert command.count("-i") == 2  # the original and the logo
    assert graph.count("[0:v:0]") == 1
    assert graph.count("subtitles=filename=captions.vtt") == 3
    assert graph.count("color=0x112233") == 3
    assert "scale=1080:1920:force_original_aspect_ratio=increase" in graph
    assert "boxblur" in graph  # the 16:9 of a portrait source
    assert command[-1] == "social-16x9.mp4"
    for name in ("social-9x16.mp4", "social-1x1.mp4", "social-16x9.mp4"):
        at = command.index(name)
        assert command[at - 2 : at] == ["-t", "120"]


def test_every_output_of_the_moderation_pass_is_capped_at_the_real_limit():
    """Security review 2026-12: the input's `-t 121` let a lying file make a 121 s rendition."""
    outputs = ModerationOutputs(
        "/w/web.mp4", "/w/poster.jpg", "/w/poster.webp", "/w/preview.webp", "/w/signature.gray"
    )
    command = moderation_command(
        "ffmpeg", "/w/original", MOV, phone(), outputs,
        spec=WebSpec(), checks=CheckSpec(), max_duration=120,
    )  # fmt: skip

    for path in vars(outputs).values():
        at = command.index(path)
        assert command[at - 2 : at] == ["-t", "120"], path


def test_the_signature_samples_the_check_copies_into_one_more_output_of_the_same_run():
    outputs = ModerationOutputs(
        "/w/web.mp4", "/w/poster.jpg", "/w/poster.webp", "/w/preview.webp", "/w/signature.gray"
    )
    command = moderation_command(
        "ffmpeg", "/w/original", MOV, phone(), outputs,
        spec=WebSpec(), checks=CheckSpec(), max_duration=120,
    )  # fmt: skip

    assert command.count("-i") == 1
    graph = command[command.index("-filter_complex") + 1]
    assert "freezedetect=n=0.003:d=2.0,fps=2,scale=32:32:flags=area,format=gray[sig]" in graph
    assert "nullsink" not in graph.split("[check]")[1].split(";")[0]
    at = command.index("[sig]")
    assert command[at - 1 : at + 5] == ["-map", "[sig]", "-c:v", "rawvideo", "-pix_fmt", "gray"]
    assert command[-5:] == ["-f", "rawvideo", "-t", "120", "/w/signature.gray"]


def test_without_a_signature_output_the_check_branch_ends_in_a_null_sink():
    command = moderation_command(
        "ffmpeg", "/w/original", MOV, phone(), OUTPUTS,
        spec=WebSpec(), checks=CheckSpec(), max_duration=120,
    )  # fmt: skip

    assert "[sig]" not in " ".join(command)
    assert "freezedetect=n=0.003:d=2.0,nullsink" in command[command.index("-filter_complex") + 1]
