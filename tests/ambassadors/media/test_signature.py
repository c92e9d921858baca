"""Unit tests of the perceptual signature: hashing pictures, the stored text, the comparison."""

import random

from PIL import Image, ImageDraw

from ambassadors.media.signature import (
    SignatureSpec,
    compare,
    decode,
    encode,
    frame_hash,
    hashes_from_raw,
    near_duplicate,
)

SPEC = SignatureSpec()


def scene(seed: int, *, size: int = 32, noise: int = 0) -> Image.Image:
    """A gray picture of a few boxes (seeded), with optional pixel noise."""
    shapes = random.Random(seed)
    picture = Image.new("L", (size, size), 120)
    draw = ImageDraw.Draw(picture)
    for _ in range(4):
        x, y = shapes.randrange(size - 8), shapes.randrange(size - 8)
        draw.rectangle([x, y, x + shapes.randrange(4, 12), y + shapes.randrange(4, 12)],
                       fill=shapes.randrange(0, 256))  # fmt: skip
    if noise:
        grain = random.Random(seed + 1000)
        picture = Image.eval(picture, lambda v: max(0, min(255, v + grain.randint(-noise, noise))))
    return picture


def test_a_flat_picture_has_no_hash_and_a_textured_one_has_sign_and_sure_bits():
    assert frame_hash(Image.new("L", (32, 32), 16), SPEC) is None
    sign, sure = frame_hash(scene(1), SPEC)
    assert 0 < sign < 2**64 and 0 < sure < 2**64


def test_raw_samples_are_cut_per_picture_and_a_partial_tail_is_ignored():
    raw = scene(1).tobytes() + Image.new("L", (32, 32), 0).tobytes() + b"\x00" * 100

    samples = hashes_from_raw(raw, SPEC)

    assert len(samples) == 2 and samples[0] is not None and samples[1] is None


def test_the_stored_text_round_trips():
    samples = [frame_hash(scene(seed), SPEC) for seed in range(3)] + [None]

    text = encode(samples)

    assert text.split()[-1] == "-" and len(text.split()[0]) == 32
    assert decode(text) == samples


def test_a_copy_shifted_by_one_sample_matches_at_that_offset():
    clip = [frame_hash(scene(seed), SPEC) for seed in range(10)]

    match = compare(clip, clip[1:], SPEC)

    assert match.distance == 0 and match.offset == -1 and match.pairs == 9


def test_a_shift_beyond_the_allowed_offset_does_not_match():
    clip = encode([frame_hash(scene(seed), SPEC) for seed in range(10)])
    shifted = encode([frame_hash(scene(seed), SPEC) for seed in range(3, 13)])

    assert near_duplicate(clip, shifted, SPEC) is None


def test_too_few_comparable_samples_compare_to_nothing():
    flat = [None] * 8
    few = [frame_hash(scene(seed), SPEC) for seed in range(2)]

    assert compare(flat, flat, SPEC) is None
    assert compare(few, few, SPEC) is None


def test_noise_moves_few_sure_bits_and_other_pictures_many():
    clean = [frame_hash(scene(seed), SPEC) for seed in range(8)]
    noisy = [frame_hash(scene(seed, noise=2), SPEC) for seed in range(8)]
    other = [frame_hash(scene(seed), SPEC) for seed in range(100, 108)]

    assert compare(clean, noisy, SPEC).distance <= SPEC.threshold
    assert compare(clean, other, SPEC).distance > SPEC.threshold
