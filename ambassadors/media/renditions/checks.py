"""The automatic checks a review pass runs on the frames and sound it decodes anyway: black and
frozen picture on small copies of the frames (sampled too for the perceptual signature),
silence and loudness on the sound. `ambassadors.media.checks` reads what they log."""

from dataclasses import dataclass

from ..signature import SignatureSpec
from .encoding import WebSpec, loudnorm


@dataclass(frozen=True)
class CheckSpec:
    """Thresholds of the automatic checks (they raise flags, never reject)."""

    silence_noise_db: float = -50.0
    silence_min_seconds: float = 1.0
    black_min_seconds: float = 0.5
    black_pixel_threshold: float = 0.10
    freeze_noise: float = 0.003
    freeze_min_seconds: float = 2.0
    # A check flags the video when its findings cover at least this share of the duration.
    flag_share: float = 0.5
    # Integrated loudness (LUFS) under which the sound counts as near silence.
    quiet_lufs: float = -45.0
    short_seconds: float = 10.0


def check_filter(checks: CheckSpec, signature: SignatureSpec | None, *, prepare: str = "") -> str:
    """The graph's [check] branch: the frames at 128 px (`prepare` turns them upright when they
    come as stored), black and frozen detection, then the signature's samples [sig] or nothing.

    The signature samples the check copies (already small and upright): nearly free.
    """
    return (
        f"[check]scale=128:128:force_original_aspect_ratio=decrease{prepare},"
        f"blackdetect=d={checks.black_min_seconds}:pix_th={checks.black_pixel_threshold},"
        f"freezedetect=n={checks.freeze_noise}:d={checks.freeze_min_seconds},"
        + (
            f"fps={signature.rate:g},scale={signature.size}:{signature.size}:flags=area,"
            "format=gray[sig]"
            if signature
            else "nullsink"
        )
    )


def audio_check_filters(spec: WebSpec, checks: CheckSpec, *, encode: bool) -> list[str]:
    """The sound's branches: loudnorm measures the loudness for the checks (and, when `encode`,
    gives the normalised sound [aout] to encode), silencedetect finds the silences."""
    return [
        "[0:a:0]asplit=2[loud][silence]",
        f"[loud]{loudnorm(spec)}:print_format=json,"
        + ("aresample=48000[aout]" if encode else "anullsink"),
        f"[silence]silencedetect=n={checks.silence_noise_db}dB:"
        f"d={checks.silence_min_seconds},anullsink",
    ]
