"""The media queue bench's corpus: phone camera files, in-page recordings and files to reject,
made by ffmpeg at run time and cached under var/bench/media-queue/."""

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.pipeline import make_clip

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench" / "media-queue"
# Lengths of the good clips as multiples of --seconds (15 s: 15, 10, 20, 30, 12, 18 s...).
LENGTHS = (1.0, 2 / 3, 4 / 3, 2.0, 0.8, 1.2)
# Every 4th good clip is an in-page recording (WebM), the others camera files (MP4).
WEBM_EVERY = 4
# Files that must be rejected: builder in tests/ambassadors/media/corpus.py -> reason code.
REJECTS = (("too_short", "too_short"), ("audio_only", "audio_only"), ("truncated_mp4", "damaged"))


@dataclass
class Clip:
    name: str
    path: Path
    content_type: str
    expect: str  # "in_review" or a rejection code
    duration: float | None = None
    codecs: str = ""
    size_label: str = ""
    bare_seconds: float = 0.0
    testimonial_id: str = ""
    session: object = None
    enqueued_at: float = 0.0
    events: dict[str, float] = field(default_factory=dict)
    status: str = ""
    reason: str = ""
    problems: list[str] = field(default_factory=list)


# --- The corpus -------------------------------------------------------------------------------


def recorder_webm(path: Path, *, seconds: float, tone_hz: int) -> Path:
    """An in-page recording: 720×1280 upright VP8 ~2.5 Mb/s + Opus, live WebM (no duration)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")  # an interrupted run leaves no half file in the cache
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i",
        f"testsrc2=size=720x1280:rate=30:duration={seconds},noise=alls=4:allf=t",
        "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds},volume=0.3",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2500k",
        "-c:a", "libopus", "-b:a", "96k", "-shortest", "-f", "webm", "-live", "1", str(partial)],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def build_corpus(count: int, seconds: float, camera: tuple[int, int] = (720, 1280)) -> list[Clip]:
    """`count` clips: min(3, count // 6) to reject, the others good (every 4th a WebM).

    Camera clips are `camera` (width, height) on screen, stored rotated as phones do, at
    ~10 Mb/s for 1080×1920 and ~5 Mb/s for smaller.
    """
    width, height = camera
    bitrate = 10 if width * height >= 1920 * 1080 else 5
    from tests.ambassadors.media import corpus

    rejects = REJECTS[: min(len(REJECTS), count // 6)]
    clips = []
    for index in range(count - len(rejects)):
        length = round(seconds * LENGTHS[index % len(LENGTHS)], 1)
        tone = 200 + 17 * index  # distinct bytes: no clip is a duplicate of another
        if index % WEBM_EVERY == WEBM_EVERY - 1:
            name = f"{index + 1:02d}-recorder-{length:g}s.webm"
            path = recorder_webm(CACHE / name, seconds=length, tone_hz=tone)
            clips.append(Clip(name, path, "video/webm;codecs=vp8,opus", "in_review"))
        else:
            name = f"{index + 1:02d}-camera-{height}p-{length:g}s.mp4"
            path = make_clip(
                CACHE / name,
                seconds=length,
                size=(height, width),
                bitrate_mbps=bitrate,
                tone_hz=tone,
            )
            clips.append(Clip(name, path, "video/mp4", "in_review"))
    folder = CACHE / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    for builder, code in rejects:
        path = corpus.BUILDERS[builder](folder)
        clips.append(Clip(f"{len(clips) + 1:02d}-{path.name}", path, "video/mp4", code))
    return clips


def describe(clips: list[Clip]) -> None:
    """Duration, codecs and picture size of each clip, as the pipeline's probe sees them."""
    from ambassadors.services.pipeline import media_limits, probe_local

    for clip in clips:
        _, facts, _, _ = probe_local(clip.path, limits=media_limits())
        if facts is None:
            clip.codecs = "unreadable"
            continue
        clip.duration = facts.duration
        video = f"{facts.video.codec}" if facts.video else "no video"
        audio = f"{facts.audio.codec}" if facts.audio else "no audio"
        clip.codecs = f"{video}/{audio}"
        if facts.video:
            clip.size_label = "{}x{}".format(*facts.video.display_size)
