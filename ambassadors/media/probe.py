"""Recognise the container from its first bytes, build the ffprobe command, parse its output."""

import json
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction

# The demuxers we allow, by the name ffmpeg's `-f` takes: ISO-BMFF (mp4/mov/3gp/m4a) and
# Matroska/WebM. Forcing the demuxer means a file never picks its own (hls, concat, image2...).
MOV = "mov"
MATROSKA = "matroska"
DEMUXER_FORMAT_NAMES = {MOV: "mov,mp4,m4a,3gp,3g2,mj2", MATROSKA: "matroska,webm"}

# First boxes an ISO-BMFF file can start with (ftyp normally; old QuickTime files may start
# with a free/wide/mdat/moov atom).
_MOV_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF")


def sniff_container(head: bytes) -> str | None:
    """Return MOV or MATROSKA from a file's first bytes (at least 12), else None."""
    if head.startswith(_EBML_MAGIC):
        return MATROSKA
    if len(head) >= 8 and head[4:8] in _MOV_FIRST_BOXES:
        return MOV
    return None


def looks_like_image(head: bytes) -> bool:
    """True for the first bytes of a PNG, JPEG, GIF, BMP or WebP file."""
    if head.startswith(b"RIFF"):
        return head[8:12] == b"WEBP"
    return head.startswith(_IMAGE_MAGICS)


def input_options(demuxer: str) -> list[str]:
    """ffmpeg/ffprobe options placed before `-i`: one local file, one forced demuxer, no refs.

    `protocol_whitelist file` refuses every network protocol (and data:, concat:, subfile:)
    even if a demuxer asked to open another resource; `format_whitelist` refuses any nested
    demuxer; for MOV, external data references and absolute alias paths are disabled.
    """
    options = [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        demuxer,
        "-f",
        demuxer,
    ]
    if demuxer == MOV:
        options += ["-enable_drefs", "0", "-use_absolute_path", "0"]
    return options


def probe_command(ffprobe: str, path: str, demuxer: str) -> list[str]:
    """The ffprobe argument list that describes `path` as JSON (streams and format)."""
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        *input_options(demuxer),
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        "-i",
        path,
    ]


def packet_times_command(ffprobe: str, path: str, demuxer: str) -> list[str]:
    """The ffprobe argument list that lists each packet's end time (for files with no duration).

    Only demuxes (no decoding), so it is cheap even for a long file.
    """
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        *input_options(demuxer),
        "-show_entries",
        "packet=pts_time,dts_time,duration_time",
        "-of",
        "csv=p=0",
        "-i",
        path,
    ]


@dataclass(frozen=True)
class VideoFacts:
    codec: str
    width: int
    height: int
    rotation: int  # degrees, as the display matrix says (multiple of 90)
    frame_rate: float  # average frames per second (0 when unknown)
    variable_frame_rate: bool
    pix_fmt: str = ""
    profile: str = ""

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as the video is meant to be seen (rotation applied)."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class AudioFacts:
    codec: str
    channels: int
    sample_rate: int


@dataclass(frozen=True)
class ProbeFacts:
    """What ffprobe says about a file, reduced to what the pipeline decides on."""

    format_name: str
    duration: float | None
    size: int
    bit_rate: int
    video: VideoFacts | None
    audio: AudioFacts | None
    video_streams: int
    audio_streams: int
    other_streams: int
    # Sizes a decoder refused while probing ("Picture size 30000x30000 is invalid").
    refused_sizes: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        """A JSON-ready dict (stored in Testimonial.probe for moderators)."""
        data = asdict(self)
        if self.video:
            data["video"]["display_width"], data["video"]["display_height"] = (
                self.video.display_size
            )
        return data


class ProbeOutputError(ValueError):
    """ffprobe's output is not the JSON description we asked for."""


def _number(value, cast=float, default=0):
    try:
        return cast(value)
    except (TypeError, ValueError):
        return default


def _rate(text: str | None) -> float:
    try:
        rate = Fraction(text or "0/0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate)


def _rotation(stream: dict) -> int:
    for side_data in stream.get("side_data_list") or []:
        if "rotation" in side_data:
            return round(_number(side_data["rotation"])) % 360
    return round(_number((stream.get("tags") or {}).get("rotate", 0))) % 360


_REFUSED_SIZE = re.compile(r"Picture size (\d+)x(\d+) is invalid")


def refused_sizes(stderr: str) -> list[tuple[int, int]]:
    """Picture sizes a decoder refused while probing, read from ffprobe's error output."""
    return sorted({(int(w), int(h)) for w, h in _REFUSED_SIZE.findall(stderr)})


def parse_probe(output: str, stderr: str = "") -> ProbeFacts:
    """Turn ffprobe's JSON (`-show_format -show_streams`) into ProbeFacts."""
    try:
        data = json.loads(output or "{}")
    except json.JSONDecodeError as error:
        raise ProbeOutputError(f"ffprobe output is not JSON: {error}") from error
    if not isinstance(data, dict) or "format" not in data:
        raise ProbeOutputError("ffprobe found no container format")
    fmt = data["format"]
    streams = data.get("streams") or []
    # Cover art travels as a one-frame "video" stream: not a picture track of the testimonial.
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    video = None
    if videos:
        s = videos[0]
        average, nominal = _rate(s.get("avg_frame_rate")), _rate(s.get("r_frame_rate"))
        video = VideoFacts(
            codec=s.get("codec_name", ""),
            width=_number(s.get("width"), int),
            height=_number(s.get("height"), int),
            rotation=_rotation(s),
            frame_rate=round(average or nominal, 3),
            variable_frame_rate=bool(average and nominal and abs(average - nominal) > 0.01),
            pix_fmt=s.get("pix_fmt", ""),
            profile=s.get("profile", ""),
        )
    audio = None
    if audios:
        s = audios[0]
        audio = AudioFacts(
            codec=s.get("codec_name", ""),
            channels=_number(s.get("channels"), int),
            sample_rate=_number(s.get("sample_rate"), int),
        )
    duration = _number(fmt.get("duration"), float, None)
    return ProbeFacts(
        format_name=fmt.get("format_name", ""),
        duration=duration if duration and duration > 0 else None,
        size=_number(fmt.get("size"), int),
        bit_rate=_number(fmt.get("bit_rate"), int),
        video=video,
        audio=audio,
        video_streams=len(videos),
        audio_streams=len(audios),
        other_streams=len(streams) - len(videos) - len(audios),
        refused_sizes=refused_sizes(stderr),
    )


def duration_from_packets(csv_output: str) -> float | None:
    """The media's duration from `packet_times_command` output: last packet end - first start.

    MediaRecorder WebM files carry no duration in their header; their packets do.
    """
    start, end = None, None
    for line in csv_output.splitlines():
        parts = [p for p in line.strip().split(",")]
        if not parts or not parts[0]:
            continue
        pts = _number(parts[0], float, None)
        if pts is None and len(parts) > 1:
            pts = _number(parts[1], float, None)
        if pts is None:
            continue
        length = _number(parts[2], float, 0.0) if len(parts) > 2 else 0.0
        start = pts if start is None else min(start, pts)
        end = pts + length if end is None else max(end, pts + length)
    if start is None or end is None or end <= start:
        return None
    return round(end - max(start, 0.0), 3)


def with_duration(facts: ProbeFacts, duration: float | None) -> ProbeFacts:
    """A copy of `facts` with the duration measured from packets."""
    from dataclasses import replace

    return replace(facts, duration=duration)
