"""What a review pass writes beside the video, from the same decode: the poster (JPEG and
WebP), the animated preview for the admin list and the signature's raw samples."""

from dataclasses import dataclass

from ..probe import ProbeFacts, input_options
from ..signature import SignatureSpec
from .encoding import WebSpec, ffmpeg_head, fit_size, stored_size, upright

# Where the early poster is grabbed: a second in, or halfway through a shorter video.
EARLY_POSTER_AT = 1.0
# The poster JPEG, early or chosen by the pass: one frame, quality 3, no metadata.
POSTER_JPEG_OPTIONS = ["-frames:v", "1", "-q:v", "3", "-update", "1", "-map_metadata", "-1"]


@dataclass(frozen=True)
class ModerationOutputs:
    web: str
    poster_jpeg: str
    poster_webp: str
    preview: str
    # Raw gray samples for the perceptual signature (signature.hashes_from_raw); None: not made.
    signature: str | None = None


def poster_filter(spec: WebSpec, *, duration: float, rate: float, prepare: str = "") -> str:
    """The graph's [poster] branch: the most representative frame of a short window a third
    into the video (`prepare` scales it first when the frames come full size), as [pj] [pw]."""
    start = max(0.0, min(duration * spec.poster_at, duration - spec.poster_window))
    thumbnail_frames = max(1, min(60, int(rate * spec.poster_window)))
    return (
        f"[poster]trim=start={start:.3f}:duration={spec.poster_window:.3f},"
        + (f"{prepare}," if prepare else "")
        + f"thumbnail={thumbnail_frames},split=2[pj][pw]"
    )


def early_poster_command(
    ffmpeg: str, source: str, demuxer: str, facts: ProbeFacts, output: str, *, spec: WebSpec
) -> list[str]:
    """One frame for moderators to see while the review pass runs: the keyframe at or before
    min(1 s, duration/2), upright and at the size of the final poster JPEG, which later
    overwrites it. A seek and one decoded frame, so it costs a fraction of a second even for
    a long 1080p clip; same guards as every pass (forced demuxer, `file` only)."""
    assert facts.video is not None  # only an admitted video gets one
    at = min(EARLY_POSTER_AT, (facts.duration or 0.0) / 2)
    rotation = facts.video.rotation
    width, height = stored_size(fit_size(*facts.video.display_size, spec.long_side), rotation)
    return [
        *ffmpeg_head(ffmpeg),
        "-threads",
        "1",
        # Input seek without the accurate decode up to `at`: the keyframe before it is enough.
        "-ss",
        f"{at:.3f}",
        "-noaccurate_seek",
        *input_options(demuxer),
        "-noautorotate",
        "-i",
        source,
        "-map",
        "0:v:0",
        "-vf",
        f"scale={width}:{height}:flags=bicubic{upright(rotation)},setsar=1,format=yuv420p",
        *POSTER_JPEG_OPTIONS,
        output,
    ]


def preview_filter(spec: WebSpec, *, duration: float, scale: str) -> str:
    """The graph's [preview] branch: `spec.preview_frames` frames spread over the video, each
    shown `preview_frame_seconds`, at the size `scale` makes, as [pv]."""
    preview_rate = spec.preview_frames / max(duration, 0.1)
    return f"[preview]fps={preview_rate:.5f},{scale},setpts=N*{spec.preview_frame_seconds}/TB[pv]"


def still_outputs(
    outputs: ModerationOutputs, signature: SignatureSpec | None, cap: list[str]
) -> list[str]:
    """The outputs both review passes write beside the video: posters, preview, signature."""
    command = [
        "-map",
        "[pj]",
        *POSTER_JPEG_OPTIONS,
        *cap,
        outputs.poster_jpeg,
        "-map",
        "[pw]",
        "-frames:v",
        "1",
        "-c:v",
        "libwebp",
        "-quality",
        "80",
        "-map_metadata",
        "-1",
        *cap,
        outputs.poster_webp,
        "-map",
        "[pv]",
        "-c:v",
        "libwebp_anim",
        "-quality",
        "60",
        "-loop",
        "0",
        "-fps_mode",
        "passthrough",
        "-map_metadata",
        "-1",
        *cap,
        outputs.preview,
    ]
    if signature is not None:
        command += [
            "-map",
            "[sig]",
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-fps_mode",
            "passthrough",
            "-map_metadata",
            "-1",
            "-f",
            "rawvideo",
            *cap,
            outputs.signature,
        ]
    return command
