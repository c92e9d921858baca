"""What every rendition pass shares: the web spec, sizes, rate and rotation, how a pass starts,
the H.264/AAC output files and the loudness normalisation."""

from dataclasses import dataclass
from typing import Protocol

from ..probe import ProbeFacts, input_options


@dataclass(frozen=True)
class WebSpec:
    """How the moderation rendition is made."""

    long_side: int = 1280
    max_frame_rate: float = 30.0
    preset: str = "veryfast"
    crf: int = 23
    maxrate: str = "4M"
    bufsize: str = "8M"
    audio_bitrate: str = "128k"
    # EBU R128 target (loudnorm): integrated loudness, true peak, loudness range.
    loudness_i: float = -16.0
    loudness_tp: float = -1.5
    loudness_lra: float = 11.0
    poster_at: float = 0.3  # share of the duration where the poster window starts
    poster_window: float = 1.5  # seconds among which the most representative frame is chosen
    preview_frames: int = 8
    preview_long_side: int = 240
    preview_frame_seconds: float = 0.5


def even(value: float) -> int:
    """The nearest even integer ≥ 2 (H.264 4:2:0 needs even sizes)."""
    return max(2, round(value / 2) * 2)


def fit_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) scaled so the long side is at most `long_side`, even, aspect kept."""
    scale = min(1.0, long_side / max(width, height))
    return even(width * scale), even(height * scale)


def rotation_filters(rotation: int) -> list[str]:
    """Filters that turn stored frames upright, for a display-matrix rotation in degrees.

    The passes run with `-noautorotate` and rotate after scaling down: transposing a
    720p frame costs a fraction of transposing the 1080p/4K frame a phone stores.
    """
    return {90: ["transpose=cclock"], 180: ["hflip", "vflip"], 270: ["transpose=clock"]}.get(
        rotation % 360, []
    )


def upright(rotation: int) -> str:
    """`rotation_filters` as the tail of a filter chain (",transpose=clock"), or ""."""
    return "".join(f",{f}" for f in rotation_filters(rotation))


def stored_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """An upright (display) size as the stored frames have it, before they are turned."""
    return (size[1], size[0]) if rotation % 180 else size


def output_frame_rate(facts: ProbeFacts, maximum: float) -> float:
    rate = facts.video.frame_rate if facts.video else 0
    if not rate or rate > maximum:
        return maximum
    return round(rate, 3)


def ffmpeg_head(ffmpeg: str) -> list[str]:
    """How every rendition pass starts: no stdin, banner or progress; info-level log; overwrite."""
    return [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-y"]


def capped_input(source: str, max_duration: float) -> list[str]:
    """Read `source` for at most a second past the limit: a container that lies about its
    duration still never makes a longer rendition."""
    return ["-t", f"{max_duration + 1:g}", "-i", source]


def output_cap(max_duration: float) -> list[str]:
    """Placed before every output file: no output runs past the real limit, whatever the
    container or its packets claim (the input's own `-t` only bounds what is read)."""
    return ["-t", f"{max_duration:g}"]


def pass_start(
    ffmpeg: str, source: str, demuxer: str, *, max_duration: float, threads: int, graph: str
) -> list[str]:
    """How the moderation, review and web passes start: the upload read once, frames as stored
    (the graph turns them upright after scaling down), then the filter graph."""
    return [
        *ffmpeg_head(ffmpeg),
        "-threads",
        str(threads),
        *input_options(demuxer),
        "-noautorotate",
        *capped_input(source, max_duration),
        "-filter_complex",
        graph,
    ]


def web_frames(facts: ProbeFacts, spec: WebSpec) -> str:
    """The upload's frames at the web rendition's size and rate, upright and 4:2:0 (the start
    of the graph of the moderation pass and of the approval-time web pass)."""
    rotation = facts.video.rotation
    width, height = stored_size(fit_size(*facts.video.display_size, spec.long_side), rotation)
    rate = output_frame_rate(facts, spec.max_frame_rate)
    return (
        f"[0:v:0]fps={rate},scale={width}:{height}:flags=bicubic{upright(rotation)},setsar=1,"
        "format=yuv420p"
    )


def loudnorm(spec: WebSpec) -> str:
    """The EBU R128 normalisation filter of every rendition's sound."""
    return f"loudnorm=I={spec.loudness_i}:TP={spec.loudness_tp}:LRA={spec.loudness_lra}"


def h264_options(
    *, preset: str, crf: int, frame_rate: float, rate_control: list[str] | None = None
) -> list[str]:
    """Output options of an H.264 High rendition: constant frame rate, a keyframe every two
    seconds, no metadata or chapters (phones write GPS), index first for progressive play."""
    return [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-crf",
        str(crf),
        *(rate_control or []),
        "-g",
        str(round(frame_rate * 2)),
        "-fps_mode",
        "cfr",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-movflags",
        "+faststart",
    ]


def h264_output(
    video: str,
    audio: str | None,
    output: str,
    *,
    preset: str,
    crf: int,
    frame_rate: float,
    audio_bitrate: str,
    max_duration: float,
    rate_control: list[str] | None = None,
) -> list[str]:
    """One H.264 + AAC stereo output file of the graph's `video` (and `audio`, None: silent)
    labels, capped at the limit: every encoded rendition (web, review, social) is one."""
    command = ["-map", video]
    if audio is not None:
        command += ["-map", audio, "-c:a", "aac", "-b:a", audio_bitrate, "-ac", "2"]
    return [
        *command,
        *h264_options(preset=preset, crf=crf, frame_rate=frame_rate, rate_control=rate_control),
        *output_cap(max_duration),
        output,
    ]


class Encoder(Protocol):
    """What a rendition's spec says of its H.264/AAC encoder (`WebSpec`, `ReviewSpec`)."""

    @property
    def preset(self) -> str: ...
    @property
    def crf(self) -> int: ...
    @property
    def maxrate(self) -> str: ...
    @property
    def bufsize(self) -> str: ...
    @property
    def audio_bitrate(self) -> str: ...


def web_mp4_output(
    facts: ProbeFacts, output: str, encoder: Encoder, *, frame_rate: float, max_duration: float
) -> list[str]:
    """The graph's [web] (and [aout], when there is sound) encoded into `output` with the
    `encoder`'s settings: the public web rendition, or the fast review rendition."""
    return h264_output(
        "[web]",
        "[aout]" if facts.audio is not None else None,
        output,
        preset=encoder.preset,
        crf=encoder.crf,
        frame_rate=frame_rate,
        audio_bitrate=encoder.audio_bitrate,
        max_duration=max_duration,
        rate_control=["-maxrate", encoder.maxrate, "-bufsize", encoder.bufsize],
    )
