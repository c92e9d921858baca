"""Perceptual signatures of videos: find the same clip sent again, re-encoded or resized.

The moderation pass samples the upright frames at a fixed rate and writes them as tiny grayscale
pictures (`SignatureSpec.size` px square, raw bytes) from the same decode as everything else
(see `renditions.moderation_filtergraph`). Each sample becomes a difference hash (dHash) with a
dead zone: the picture is shrunk to 9×8 and each of the 64 horizontal neighbour pairs gives a
sign bit ("left brighter than right") and a sure bit (they differ by more than `dead_zone` gray
levels). Where a wall or a sky is flat, neighbours are nearly equal and a re-encode flips their
sign at random: those pairs are not sure and are not compared. Re-encoding, scaling and a change
of bitrate then move almost no sure bit; a different picture moves many.

A signature is stored as text: per sample, 32 hex digits (sign bits then sure bits), separated
by spaces, `-` for a flat sample (a near-uniform picture — black, one colour — that would make
every black video look like every other). Two signatures are compared sample by sample, at the
best of a few whole-sample offsets (one copy may start a little later than the other), over the
samples that are not flat in either: the distance is the share of the bits sure in both that
differ.
"""

from dataclasses import dataclass

from PIL import Image

FLAT = "-"
_BITS = 8  # 9×8 pictures, 64 neighbour pairs per sample
_DIGITS = _BITS * _BITS // 4


@dataclass(frozen=True)
class SignatureSpec:
    """How a signature is sampled and compared (rate, size, dead zone and flat range are part of
    the stored format: signatures made with other values do not compare)."""

    rate: float = 2.0  # samples per second of video
    size: int = 32  # ffmpeg writes size×size gray pictures
    dead_zone: int = 3  # gray levels under which neighbours count as equal (not sure)
    flat_range: int = 12  # a 9×8 picture spanning fewer gray levels than this is flat
    # Two signatures compare at offsets -max_offset..max_offset samples (±1 s at 2 per second).
    max_offset: int = 2
    # Compared sample pairs needed, absolutely and as a share of the shorter signature; a pair
    # with fewer bits sure in both than min_bits says nothing and is skipped.
    min_pairs: int = 3
    min_share: float = 0.5
    min_bits: int = 8
    # Share of the compared bits that differ at or under which two videos are near-duplicates.
    threshold: float = 0.04


Sample = tuple[int, int] | None  # (sign bits, sure bits), None when flat


def frame_hash(picture: Image.Image, spec: SignatureSpec) -> Sample:
    """The dHash of one grayscale picture with its sure bits, or None when it is flat."""
    small = picture.convert("L").resize((_BITS + 1, _BITS), Image.Resampling.BOX)
    pixels = list(small.getdata())
    if max(pixels) - min(pixels) < spec.flat_range:
        return None
    sign = sure = 0
    for y in range(_BITS):
        for x in range(_BITS):
            step = pixels[y * (_BITS + 1) + x] - pixels[y * (_BITS + 1) + x + 1]
            sign = (sign << 1) | (step > 0)
            sure = (sure << 1) | (abs(step) > spec.dead_zone)
    return sign, sure


def hashes_from_raw(raw: bytes, spec: SignatureSpec) -> list[Sample]:
    """The samples of a raw gray file (size×size bytes each; a partial tail is ignored)."""
    frame = spec.size * spec.size
    return [
        frame_hash(Image.frombytes("L", (spec.size, spec.size), raw[at : at + frame]), spec)
        for at in range(0, len(raw) - frame + 1, frame)
    ]


def encode(samples: list[Sample]) -> str:
    return " ".join(FLAT if s is None else f"{s[0]:0{_DIGITS}x}{s[1]:0{_DIGITS}x}" for s in samples)


def decode(text: str) -> list[Sample]:
    return [
        None if token == FLAT else (int(token[:_DIGITS], 16), int(token[_DIGITS:], 16))
        for token in text.split()
    ]


@dataclass(frozen=True)
class Match:
    distance: float  # share of the bits sure in both that differ, 0..1
    offset: int  # samples the second signature is shifted by
    pairs: int  # sample pairs compared


def compare(first: list[Sample], second: list[Sample], spec: SignatureSpec) -> Match | None:
    """The closest alignment of two signatures, or None when too few samples can be compared."""
    needed = max(spec.min_pairs, spec.min_share * min(len(first), len(second)))
    best = None
    for offset in range(-spec.max_offset, spec.max_offset + 1):
        pairs = differing = compared = 0
        for i, a in enumerate(first):
            j = i + offset
            if a is None or not 0 <= j < len(second) or second[j] is None:
                continue
            b = second[j]
            sure = a[1] & b[1]
            bits = sure.bit_count()
            if bits < spec.min_bits:
                continue
            pairs += 1
            compared += bits
            differing += ((a[0] ^ b[0]) & sure).bit_count()
        if pairs < needed:
            continue
        distance = differing / compared
        if best is None or distance < best.distance:
            best = Match(round(distance, 4), offset, pairs)
    return best


def near_duplicate(first: str, second: str, spec: SignatureSpec) -> Match | None:
    """The match of two stored signatures when they are near-duplicates, else None."""
    match = compare(decode(first), decode(second), spec)
    return match if match is not None and match.distance <= spec.threshold else None
