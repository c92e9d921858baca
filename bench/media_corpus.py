"""The media queue bench's corpus: what residents send on a campaign day, made by ffmpeg at run
time and cached under var/bench/media-queue/.

Good clips take the kinds of `KINDS` in turn: in-page recordings as each browser's
MediaRecorder writes them (Chrome's VP9 WebM at the recorder's chosen bitrate, Firefox's VP8
WebM and Safari's H.264 MP4 at the browsers' defaults; 720×1280 from a phone held upright,
1280×720 from a laptop) and phone camera-roll files (H.264 High + AAC MP4 stored landscape
with a -90° matrix, 1080×1920 on screen at ~10 Mb/s as phones shoot by default, or 720×1280
at ~5 Mb/s). Then the three files that must be rejected.
"""

from dataclasses import dataclass
from pathlib import Path

from bench.pipeline import make_clip, recording_clip

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench" / "media-queue"
# Lengths of the good clips as multiples of --seconds (15 s: 15, 10, 20, 30, 12, 18 s...).
LENGTHS = (1.0, 2 / 3, 4 / 3, 2.0, 0.8, 1.2)
# Files that must be rejected: builder in tests/ambassadors/media/corpus.py -> reason code.
REJECTS = (("too_short", "too_short"), ("audio_only", "audio_only"), ("truncated_mp4", "damaged"))


@dataclass(frozen=True)
class Kind:
    """One kind of good upload: a recorder's codec (None: a camera-roll file) and its picture."""

    name: str
    codec: str | None  # "vp9", "vp8", "h264" (in-page recording); None: camera roll
    size: tuple[int, int]  # width × height on screen
    video_bitrate: str = "2500k"  # a recording's: the browser's default
    audio_bitrate: str | None = None

    @property
    def camera(self) -> bool:
        return self.codec is None


# One camera clip for 1.6 recordings; every kind appears within the first five clips, so a small
# run (the smoke test) has each design's two review modes and both sources.
KINDS = (
    Kind("camera", None, (1080, 1920)),
    # Chrome (Android and desktop): VP9 at the recorder's bitrates (ambassadors/conf.py).
    Kind("chrome-vp9", "vp9", (720, 1280), video_bitrate="1000k", audio_bitrate="64k"),
    Kind("safari-h264", "h264", (720, 1280)),
    Kind("firefox-vp8", "vp8", (720, 1280)),
    Kind("camera", None, (720, 1280)),
    Kind("chrome-vp9", "vp9", (1280, 720), video_bitrate="1000k", audio_bitrate="64k"),
    Kind("camera", None, (1080, 1920)),
    Kind("safari-h264", "h264", (1280, 720)),
)
CONTAINERS = {"vp9": "webm", "vp8": "webm", "h264": "mp4"}


@dataclass
class Clip:
    """One file of the corpus and what the pipeline's probe sees in it."""

    name: str
    path: Path
    content_type: str
    expect: str  # "in_review" or a rejection code
    duration: float | None = None
    codecs: str = ""
    size_label: str = ""
    # Review first: "source" (remuxed as is) or "rendition" (the fast review rendition).
    review_mode: str = ""
    bare_seconds: float = 0.0


# --- The corpus -------------------------------------------------------------------------------


def camera_size(kind: Kind, cameras: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """A camera kind's size, or the `cameras` override (the smoke test's small clips): the
    largest kind takes the first override size, the others the last."""
    if not cameras:
        return kind.size
    largest = max(k.size for k in KINDS if k.camera)
    return cameras[0] if kind.size == largest else cameras[-1]


def good_clip(
    index: int, seconds: float, cameras: tuple[tuple[int, int], ...]
) -> tuple[str, Path, str]:
    """The `index`-th good clip: (name, path, content type as the uploader sends it)."""
    kind = KINDS[index % len(KINDS)]
    length = round(seconds * LENGTHS[index % len(LENGTHS)], 1)
    tone = 200 + 17 * index  # distinct bytes: no clip is a duplicate of another
    if kind.camera:
        width, height = camera_size(kind, cameras)
        name = f"{index + 1:02d}-camera-{width}x{height}-{length:g}s.mp4"
        bitrate = 10 if width * height >= 1920 * 1080 else 5
        path = make_clip(
            CACHE / name,
            seconds=length,
            size=(height, width),  # stored landscape, shown upright by the -90° matrix
            bitrate_mbps=bitrate,
            tone_hz=tone,
        )
        return name, path, "video/mp4"
    assert kind.codec is not None
    container = CONTAINERS[kind.codec]
    width, height = kind.size
    name = f"{index + 1:02d}-{kind.name}-{width}x{height}-{length:g}s.{container}"
    path = recording_clip(
        CACHE / name,
        seconds=length,
        codec=kind.codec,
        tone_hz=tone,
        size=kind.size,
        video_bitrate=kind.video_bitrate,
        audio_bitrate=kind.audio_bitrate,
    )
    # The uploader sends the recorder's type without its codecs (static/js/recorder.js).
    return name, path, f"video/{container}"


def build_corpus(
    count: int, seconds: float, cameras: tuple[tuple[int, int], ...] = ()
) -> list[Clip]:
    """`count` clips: min(3, count // 6) to reject, the others good (`KINDS` in turn).

    `cameras` replaces the camera clips' sizes (width, height on screen) to make a small run.
    """
    from tests.ambassadors.media import corpus

    rejects = REJECTS[: min(len(REJECTS), count // 6)]
    clips = []
    for index in range(count - len(rejects)):
        name, path, content_type = good_clip(index, seconds, cameras)
        clips.append(Clip(name, path, content_type, "in_review"))
    folder = CACHE / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    for builder, code in rejects:
        path = corpus.BUILDERS[builder](folder)
        clips.append(Clip(f"{len(clips) + 1:02d}-{path.name}", path, "video/mp4", code))
    return clips


def describe(clips: list[Clip]) -> None:
    """Duration, codecs, picture size and review mode of each clip, as the pipeline sees them."""
    from ambassadors.media.renditions import review_plan
    from ambassadors.services.pipeline import media_limits, probe_local, review_spec

    for clip in clips:
        demuxer, facts, verdict, _ = probe_local(clip.path, limits=media_limits())
        if facts is None or demuxer is None:
            clip.codecs = "unreadable"
            continue
        clip.duration = facts.duration
        video = f"{facts.video.codec}" if facts.video else "no video"
        audio = f"{facts.audio.codec}" if facts.audio else "no audio"
        clip.codecs = f"{video}/{audio}"
        if facts.video:
            clip.size_label = "{}x{}".format(*facts.video.display_size)
        if verdict.accepted:
            clip.review_mode = review_plan(facts, demuxer, review_spec()).as_dict()["mode"]


def mix(clips: list[Clip]) -> str:
    """The corpus in one line: how many of each kind, seconds of video."""
    counts: dict[str, int] = {}
    for clip in clips:
        # "07-camera-1080x1920-15s.mp4" -> "camera-1080x1920"
        kind = clip.name.split("-", 1)[1].rsplit("-", 1)[0]
        kind = kind if clip.expect == "in_review" else "to reject"
        counts[kind] = counts.get(kind, 0) + 1
    seconds = sum(c.duration or 0 for c in clips if c.expect == "in_review")
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) + f"; {seconds:.0f} s of video"
