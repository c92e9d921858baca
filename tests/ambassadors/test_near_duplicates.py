"""Near-duplicates: the same clip sent again re-encoded, resized or at another bitrate is
flagged for moderators; different clips are not. Real ffmpeg media, the real moderation pass."""

from pathlib import Path

import pytest

from ambassadors.admin.display import flag_label
from ambassadors.media.signature import compare, decode, near_duplicate
from ambassadors.models import Status, Testimonial
from ambassadors.services.erasure import testimonial_purge
from ambassadors.services.journey import testimonial_withdraw
from ambassadors.services.pipeline import signature_spec, video_process_local
from ambassadors.services.processing import testimonial_process
from tests.ambassadors.media.corpus import pattern, talking_head
from tests.ambassadors.test_processing import upload


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("near-duplicates")
    return {
        # One resident's clip as the page's recorder writes it, and as the phone keeps it.
        "a.webm": talking_head(folder, container="webm"),
        "a.mp4": talking_head(folder),
        "a.small": talking_head(folder, scale="160:120", bitrate="80k"),
        "a.low": talking_head(folder, bitrate="60k"),
        # Starting a quarter of a second later: the worst phase for samples 0.5 s apart.
        "a.later": talking_head(folder, start=0.25),
        # Someone else at the same stand: same backdrop and body, another head.
        "b.mp4": talking_head(folder, person="b"),
        "b.webm": talking_head(folder, person="b", container="webm"),
        "testsrc": pattern(folder, "testsrc"),
        "testsrc2": pattern(folder, "testsrc2"),
        "smptebars": pattern(folder, "smptebars"),
        "mandelbrot": pattern(folder, "mandelbrot"),
        "red": pattern(folder, "color=c=red"),
        "blue": pattern(folder, "color=c=blue"),
    }


@pytest.fixture(scope="module")
def signatures(clips, tmp_path_factory) -> dict[str, str]:
    found = {}
    for name, path in clips.items():
        result = video_process_local(path, tmp_path_factory.mktemp("work"))
        assert result.accepted, result.verdict
        found[name] = result.signature
    return found


def distance(signatures, first: str, second: str) -> float | None:
    match = compare(decode(signatures[first]), decode(signatures[second]), signature_spec())
    return None if match is None else match.distance


def test_the_moderation_pass_samples_two_frames_per_second(signatures):
    samples = signatures["a.mp4"].split()
    assert len(samples) == 12  # 6 s at 2 samples per second
    assert all(len(sample) == 32 for sample in samples)
    assert set(signatures["red"].split()) == {"-"}  # one colour: flat, never compared


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a.webm", "a.mp4"),
        ("a.mp4", "a.small"),
        ("a.webm", "a.low"),
        ("a.small", "a.low"),
        ("a.webm", "a.later"),
        ("b.webm", "b.mp4"),
    ],
)
def test_the_same_clip_re_encoded_resized_or_at_another_bitrate_is_a_near_duplicate(
    signatures, first, second
):
    threshold = signature_spec().threshold
    assert near_duplicate(signatures[first], signatures[second], signature_spec())
    # With room to spare: a copy moves few of the compared bits.
    assert distance(signatures, first, second) <= 0.6 * threshold


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a.mp4", "b.mp4"),
        ("a.webm", "b.webm"),
        ("a.later", "b.mp4"),
        ("a.mp4", "testsrc2"),
        ("testsrc", "testsrc2"),
        ("testsrc2", "smptebars"),
        ("mandelbrot", "testsrc2"),
        ("smptebars", "mandelbrot"),
        ("red", "blue"),
    ],
)
def test_different_clips_are_not_near_duplicates(signatures, first, second):
    threshold = signature_spec().threshold
    assert near_duplicate(signatures[first], signatures[second], signature_spec()) is None
    # Nor close to it: different people at the same stand differ by a quarter more at least.
    found = distance(signatures, first, second)
    assert found is None or found > 1.25 * threshold


@pytest.mark.django_db
def test_a_re_encoded_copy_is_flagged_for_moderators_with_the_earlier_testimonial(clips):
    first = upload(clips["a.webm"])
    copy = upload(clips["a.small"])
    other = upload(clips["b.mp4"])

    for testimonial in (first, copy, other):
        assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"

    first.refresh_from_db()
    copy.refresh_from_db()
    other.refresh_from_db()
    assert len(first.signature.split()) == 12
    assert "near_duplicate" not in {flag["code"] for flag in first.flags}
    assert "near_duplicate" not in {flag["code"] for flag in other.flags}
    flag = next(flag for flag in copy.flags if flag["code"] == "near_duplicate")
    assert flag["label"] == "Quasi-doublon d'un envoi précédent"
    assert flag["detail"].startswith(f"même image que {first.pk} (écart ")
    assert str(other.pk) not in flag["detail"]
    assert flag_label(flag).startswith("Quasi-doublon d'un envoi précédent (même image que ")
    assert "near_duplicates" in copy.probe["timings"]


@pytest.mark.django_db
def test_a_withdrawn_testimonial_is_not_named_and_erasure_empties_its_signature(clips):
    first = upload(clips["a.mp4"])
    assert testimonial_process(testimonial_id=first.pk) == "in_review"
    testimonial_withdraw(testimonial_id=first.pk)
    copy = upload(clips["a.low"])

    testimonial_process(testimonial_id=copy.pk)
    testimonial_purge(testimonial_id=first.pk)

    copy.refresh_from_db()
    first.refresh_from_db()
    assert "near_duplicate" not in {flag["code"] for flag in copy.flags}
    assert first.status == Status.ERASED
    assert first.signature == ""
    assert Testimonial.objects.exclude(signature="").get() == copy
