"""Recognise the container from its first bytes, build the ffprobe command, parse its output."""

import json
import re
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction

# Sniffing and the forced-demuxer options live in the project's one media runner (the kit
# analyser uses them too); re-exported here for the pipeline's pure builders.
from onprovence.mediarunner import (  # noqa: F401
    DEMUXER_FORMAT_NAMES,
    MATROSKA,
    MOV,
    input_options,
    looks_like_image,
    sniff_container,
)


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


def packet_scan_command(ffmpeg: str, path: str, demuxer: str) -> list[str]:
    """The ffmpeg argument list that reads every packet of the picture and sound the pipeline
    uses (copied to nowhere: demuxing only, no decoding) and reports, on stdout, how many video
    frames there are and where the last one sits (`-progress`: a few lines, whatever the file).

    The header's duration and frame rate are the file's claims; these are what a decoder gets.
    """
    return [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-v",
        "error",
        *input_options(demuxer),
        "-i",
        path,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-c",
        "copy",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-",
    ]


@dataclass(frozen=True)
class PacketScan:
    """What the packets say: video frames, and where the last packet starts (seconds)."""

    frames: int
    last_start: float

    def length(self, header_duration: float | None) -> float:
        """The media's length: the start of the last packet plus one frame. A header that
        agrees within two frames is taken as exact (an honest header knows the last frame's
        length); one that disagrees more is a claim the packets overrule."""
        frame = self.last_start / max(self.frames - 1, 1)
        if header_duration is not None and abs(header_duration - self.last_start) <= 2 * frame:
            return header_duration
        return round(self.last_start + frame, 3)


def parse_packet_scan(progress: str) -> PacketScan | None:
    """Read `packet_scan_command`'s final progress block; None when it reported nothing."""
    frames, end_us = None, None
    for line in progress.splitlines():
        name, _, value = line.strip().partition("=")
        if name == "frame":
            frames = _number(value, int, None)
        elif name == "out_time_us":
            end_us = _number(value, int, None)
    if not frames or end_us is None or end_us <= 0:
        return None
    return PacketScan(frames=frames, last_start=end_us / 1_000_000)


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
    # What the header claimed, when `duration` was measured from the packets instead.
    header_duration: float | None = None
    # Video frames counted in the packets (None: not scanned).
    video_frames: int | None = None

    @property
    def measured_frame_rate(self) -> float:
        """Frames per second the packets hold (0 when not scanned): a header may claim less."""
        if not self.video_frames or not self.duration:
            return 0.0
        return round(self.video_frames / self.duration, 3)

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


def with_packet_scan(facts: ProbeFacts, scan: PacketScan | None) -> ProbeFacts:
    """A copy of `facts` whose duration and frame count are the packets' (the header's duration
    is kept as `header_duration`); without a scan, no duration at all."""
    return replace(
        facts,
        duration=scan.length(facts.duration) if scan else None,
        header_duration=facts.duration,
        video_frames=scan.frames if scan else None,
    )
