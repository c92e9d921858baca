"""Unit tests of the probe verdicts: each rule, its code and its exact resident message."""

import pytest

from ambassadors.media.probe import AudioFacts, ProbeFacts, VideoFacts
from ambassadors.media.validation import MediaLimits, validate_probe

LIMITS = MediaLimits()


def facts(video=..., audio=..., duration=30.0, video_streams=1, refused=()):
    if video is ...:
        video = VideoFacts("h264", 1920, 1080, 270, 30.0, False)
    if audio is ...:
        audio = AudioFacts("aac", 2, 48000)
    return ProbeFacts(
        "mov,mp4,m4a,3gp,3g2,mj2", duration, 1000, 100, video, audio,
        video_streams if video else 0, 1 if audio else 0, 0, list(refused),
    )  # fmt: skip


def test_a_phone_video_is_accepted_without_flags():
    verdict = validate_probe(facts(), LIMITS)

    assert verdict.accepted and verdict.reason is None and verdict.flags == []


def test_a_video_without_sound_is_accepted_with_a_flag():
    verdict = validate_probe(facts(audio=None), LIMITS)

    assert verdict.accepted
    assert [flag.code for flag in verdict.flags] == ["no_audio"]
    assert verdict.flags[0].label == "Pas de son"


@pytest.mark.parametrize(
    ("probe", "code"),
    [
        (facts(video=None), "audio_only"),
        (facts(video=None, audio=None), "not_a_video"),
        (facts(video_streams=2), "several_videos"),
        (facts(video=VideoFacts("h264", 30000, 30000, 0, 30, False)), "dimensions"),
        (facts(video=VideoFacts("h264", 64, 64, 0, 30, False)), "dimensions"),
        (facts(video=VideoFacts("h264", 4096, 4096, 0, 30, False)), "dimensions"),
        (facts(refused=[(30000, 30000)]), "dimensions"),
        (facts(video=VideoFacts("prores", 1920, 1080, 0, 30, False)), "video_codec"),
        (facts(video=VideoFacts("mjpeg", 1920, 1080, 0, 30, False)), "image"),
        (facts(audio=AudioFacts("dts", 6, 48000)), "audio_codec"),
        (facts(video=VideoFacts("h264", 1920, 1080, 0, 1000, False)), "frame_rate"),
        (facts(duration=None), "damaged"),
        (facts(duration=2.9), "too_short"),
        (facts(duration=120.5), "too_long"),
    ],
)
def test_each_rule_rejects_with_its_code_and_a_staff_detail(probe, code):
    verdict = validate_probe(probe, LIMITS)

    assert not verdict.accepted
    assert verdict.reason.code == code
    assert verdict.reason.detail


def test_the_duration_limits_come_from_the_limits_and_are_inclusive():
    assert validate_probe(facts(duration=3.0), LIMITS).accepted
    assert validate_probe(facts(duration=120.0), LIMITS).accepted
    assert not validate_probe(facts(duration=60), MediaLimits(max_duration=45)).accepted


def test_the_resident_reads_why_in_french_or_english():
    reason = validate_probe(facts(duration=150), LIMITS).reason

    assert reason.for_language("fr") == (
        "Votre vidéo dure 150 s : le maximum est de 120 secondes. Raccourcissez-la ou "
        "enregistrez-en une plus courte."
    )
    assert reason.for_language("en-gb") == (
        "Your video lasts 150 s: the maximum is 120 seconds. Trim it or record a shorter one."
    )
    assert reason.detail == "duration 150.000 s > 120.0 s"


def test_an_audio_file_is_told_it_needs_a_picture():
    reason = validate_probe(facts(video=None), LIMITS).reason

    assert reason.fr == (
        "Ce fichier ne contient que du son : il nous faut une vidéo. "
        "Vous pouvez enregistrer ou choisir une autre vidéo."
    )
    assert (
        reason.en
        == "This file only has sound: we need a video. You can record or choose another video."
    )


def _at(width: int, height: int, rate: float, **fields) -> ProbeFacts:
    from dataclasses import replace

    return replace(facts(video=VideoFacts("hevc", width, height, 0, rate, False)), **fields)


@pytest.mark.parametrize(
    ("width", "height", "rate"),
    [
        (3840, 2160, 60),  # 4K 60 fps (iPhone, Android flagships): 498 Mpx/s
        (1920, 1080, 240),  # 1080p slow motion at 240 fps: 498 Mpx/s
        (3840, 2160, 120),  # 4K 120 fps (iPhone 16 Pro, Galaxy S24 Ultra): 995 Mpx/s
        (1080, 1920, 30),  # an ordinary portrait clip: 62 Mpx/s
    ],
)
def test_every_phone_recording_mode_is_within_the_pixel_rate(width, height, rate):
    assert validate_probe(_at(width, height, rate), LIMITS).accepted


def test_a_high_rate_bomb_is_refused_by_pixel_rate_with_a_reason_a_resident_understands():
    verdict = validate_probe(_at(4096, 2304, 240), LIMITS)

    assert verdict.reason.code == "pixel_rate"
    assert verdict.reason.fr == (
        "Cette vidéo est trop lourde à traiter : très grande image et très nombreuses images par "
        "seconde. Réglez l'appareil photo de votre téléphone sur 4K à 60 images par seconde (ou "
        "moins) et enregistrez-la à nouveau."
    )
    assert verdict.reason.en.startswith("This video is too heavy to process:")
    assert verdict.reason.detail == "4096x2304 at 240 fps = 2265 Mpx/s > 1000 Mpx/s"


def test_the_pixel_rate_limit_is_a_setting():
    assert not validate_probe(_at(3840, 2160, 60), MediaLimits(max_pixel_rate=400e6)).accepted


def test_a_header_that_understates_the_frame_rate_is_judged_on_the_packets():
    # The header says 30 fps; 30 s of packets hold 36,000 frames (1200 fps).
    lying = _at(1920, 1080, 30, video_frames=36_000)

    verdict = validate_probe(lying, LIMITS)

    assert verdict.reason.code == "frame_rate"
    assert "packets 1200.0" in verdict.reason.detail


def test_a_240_fps_clip_measured_a_little_over_240_on_its_packets_is_accepted():
    # 721 frames over 3.0 s: 240.3 fps on the packets, within their slack.
    assert validate_probe(_at(1920, 1080, 240, duration=3.0, video_frames=721), LIMITS).accepted


def test_too_long_names_what_the_header_claimed_for_staff():
    verdict = validate_probe(_at(1920, 1080, 30, duration=600.0, header_duration=60.0), LIMITS)

    assert verdict.reason.code == "too_long"
    assert verdict.reason.fr.startswith("Votre vidéo dure 600 s : le maximum est de 120 secondes.")
    assert verdict.reason.detail == "duration 600.000 s > 120.0 s (header said 60.000 s)"


def test_a_video_barely_over_the_limit_is_not_said_to_last_the_limit():
    """Reproduction (issue 15, one limit): a 90.1 s video was refused with "Votre vidéo dure
    90 s : le maximum est de 90 secondes", which reads as a contradiction."""
    reason = validate_probe(facts(duration=90.04), MediaLimits(max_duration=90)).reason
    assert reason.for_language("fr").startswith(
        "Votre vidéo dure 90,1 s : le maximum est de 90 secondes."
    )
    assert reason.for_language("en").startswith("Your video lasts 90.1 s: the maximum is 90")
    short = validate_probe(facts(duration=2.96), MediaLimits(min_duration=3)).reason
    assert short.for_language("fr").startswith("Votre vidéo dure 2,9 s : il faut au moins 3")
