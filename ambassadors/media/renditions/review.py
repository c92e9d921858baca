"""Review first, encode once approved (issue 18): the review file and its pass.

Moderators review the upload itself when their player can play it as is (a remux: no
re-encode), or a fast small rendition when it cannot; the public web rendition (`web_command`)
is made after approval. `Testimonial.probe["web"]` says what `web.mp4` holds.
"""

from dataclasses import dataclass

from ..probe import ProbeFacts
from ..signature import SignatureSpec
from .checks import CheckSpec, audio_check_filters, check_filter
from .encoding import (
    WebSpec,
    fit_size,
    output_cap,
    output_frame_rate,
    pass_start,
    stored_size,
    upright,
    web_mp4_output,
)
from .poster import ModerationOutputs, poster_filter, preview_filter, still_outputs

WEB_FOR_REVIEW = "review"  # web.mp4 is the review file: the public rendition is still to make
WEB_PUBLIC = "public"  # web.mp4 is the public rendition (absent: made before review, as before)

# What the review player plays as is, by sniffed container: the review file is always an MP4
# (the speech stage and the desk read `web.mp4` as one), so a WebM source is remuxed into MP4,
# which holds VP9 and Opus but not VP8 (ffmpeg's MP4 muxer refuses it).
PLAYABLE_VIDEO = {"mov": frozenset({"h264"}), "matroska": frozenset({"vp9"})}
PLAYABLE_AUDIO = {"mov": frozenset({"aac"}), "matroska": frozenset({"opus"})}
PLAYABLE_PROFILES = {
    "h264": frozenset({"Constrained Baseline", "Baseline", "Main", "High"}),
    "vp9": frozenset({"Profile 0"}),
}
PLAYABLE_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})


@dataclass(frozen=True)
class ReviewSpec:
    """When the source is reviewed as is, and how the fast review rendition is made otherwise."""

    max_long_side: int = 1920  # 1080p, either way up
    max_short_side: int = 1080
    # Streamed to a moderator's browser as is: 16 Mb/s covers a phone's 1080p at 30 or 60 fps
    # (H.264 ~ 10-17 Mb/s) and any in-page recording; a 4K or "high efficiency" clip exceeds it.
    max_bit_rate: int = 16_000_000
    max_frame_rate: float = 60.0
    # The fast review rendition: smaller and cheaper than the public one.
    long_side: int = 960
    preset: str = "ultrafast"
    crf: int = 27
    maxrate: str = "2M"
    bufsize: str = "4M"
    audio_bitrate: str = "96k"


@dataclass(frozen=True)
class ReviewPlan:
    """The review file of an upload: the source remuxed (`remux`) or a fast rendition, and why."""

    remux: bool
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"mode": "source" if self.remux else "rendition", "reasons": list(self.reasons)}


def stream_bit_rate(facts: ProbeFacts) -> int:
    """Bits per second to stream: the file's size over its measured length (the header's
    bit rate is a claim, and absent from in-page recordings)."""
    if facts.size and facts.duration:
        return round(facts.size * 8 / facts.duration)
    return facts.bit_rate


def review_plan(facts: ProbeFacts, demuxer: str, spec: ReviewSpec | None = None) -> ReviewPlan:
    """Whether the review player can play this upload as is (a pure function of the probe).

    As is: H.264 (Baseline/Main/High, 4:2:0 8-bit) + AAC in MP4/MOV, or VP9 profile 0 + Opus
    in WebM, at most 1080p, at most 60 fps, at most `max_bit_rate`, and no rotation the
    browser would ignore (an MP4 display matrix is honoured and kept by the remux; a rotation
    tag in Matroska is not). Anything else gets the fast review rendition; `reasons` says why.
    """
    spec = spec or ReviewSpec()
    video, reasons = facts.video, []
    if video is None:
        return ReviewPlan(False, ("no video",))
    codecs = PLAYABLE_VIDEO.get(demuxer, frozenset())
    if video.codec not in codecs:
        reasons.append(f"video codec {video.codec or '?'} in {demuxer}")
    elif video.profile not in PLAYABLE_PROFILES.get(video.codec, frozenset()):
        reasons.append(f"profile {video.profile or '?'}")
    if video.pix_fmt not in PLAYABLE_PIXEL_FORMATS:
        reasons.append(f"pixel format {video.pix_fmt or '?'}")
    if facts.audio is not None and facts.audio.codec not in PLAYABLE_AUDIO.get(
        demuxer, frozenset()
    ):
        reasons.append(f"audio codec {facts.audio.codec or '?'} in {demuxer}")
    width, height = video.width, video.height
    if max(width, height) > spec.max_long_side or min(width, height) > spec.max_short_side:
        reasons.append(f"size {width}x{height} over 1080p")
    if video.rotation % 360 and demuxer != "mov":
        reasons.append(f"rotation {video.rotation} ignored by browsers in {demuxer}")
    rate = max(video.frame_rate, facts.measured_frame_rate)
    if rate > spec.max_frame_rate:
        reasons.append(f"frame rate {rate:g} over {spec.max_frame_rate:g}")
    bit_rate = stream_bit_rate(facts)
    if bit_rate > spec.max_bit_rate:
        reasons.append(f"bit rate {bit_rate / 1e6:.1f} Mb/s over {spec.max_bit_rate / 1e6:g}")
    return ReviewPlan(not reasons, tuple(reasons))


def web_rendition_pending(probe: dict | None) -> bool:
    """Whether a testimonial's `web.mp4` is still its review file (no public rendition yet)."""
    return (probe or {}).get("web") == WEB_FOR_REVIEW


def review_filtergraph(
    facts: ProbeFacts,
    spec: WebSpec,
    review: ReviewSpec,
    checks: CheckSpec,
    *,
    duration: float,
    remux: bool,
    signature: SignatureSpec | None = None,
) -> str:
    """The -filter_complex of the review pass: [pj] [pw] [pv] (+[sig]), plus [web] and [aout]
    for the fast rendition (`remux` False).

    Unlike the moderation pass, nothing scales every full-size frame to the web size: the
    poster window and the preview frames are scaled alone, the check copies straight to 128 px.
    Posters, preview, checks and signature are those of the moderation pass.
    """
    rotation = facts.video.rotation
    turn = upright(rotation)
    width, height = fit_size(*facts.video.display_size, spec.long_side)
    poster = stored_size((width, height), rotation)
    preview = stored_size(fit_size(width, height, spec.preview_long_side), rotation)
    rate = output_frame_rate(facts, spec.max_frame_rate)
    branches = ["poster", "preview", "check"] + ([] if remux else ["web"])
    graph = [
        f"[0:v:0]fps={rate},setsar=1,split={len(branches)}"
        + "".join(f"[{name}]" for name in branches),
        poster_filter(
            spec,
            duration=duration,
            rate=rate,
            prepare=f"scale={poster[0]}:{poster[1]}:flags=bicubic{turn},setsar=1,format=yuv420p",
        ),
        preview_filter(
            spec,
            duration=duration,
            scale=f"scale={preview[0]}:{preview[1]}{turn},setsar=1,format=yuv420p",
        ),
        check_filter(checks, signature, prepare=f"{turn},setsar=1,format=yuv420p"),
    ]
    if not remux:
        small = stored_size(fit_size(*facts.video.display_size, review.long_side), rotation)
        graph.append(
            f"[web]scale={small[0]}:{small[1]}:flags=bilinear{turn},setsar=1,format=yuv420p[web]"
        )
    if facts.audio is not None:
        # loudnorm measures the input's loudness for the checks; the remux keeps its own sound.
        graph += audio_check_filters(spec, checks, encode=not remux)
    return ";".join(graph)


def review_command(
    ffmpeg: str,
    source: str,
    demuxer: str,
    facts: ProbeFacts,
    outputs: ModerationOutputs,
    *,
    plan: ReviewPlan,
    spec: WebSpec,
    review: ReviewSpec,
    checks: CheckSpec,
    max_duration: float,
    signature: SignatureSpec | None = None,
    threads: int = 0,
) -> list[str]:
    """One ffmpeg run, one decode: the review file (`outputs.web`: the source's streams copied
    into a fast-start MP4, or the fast rendition), posters, preview, checks (+ signature)."""
    signature = (signature or SignatureSpec()) if outputs.signature is not None else None
    duration = min(facts.duration or max_duration, max_duration)
    cap = output_cap(max_duration)
    graph = review_filtergraph(
        facts, spec, review, checks, duration=duration, remux=plan.remux, signature=signature
    )
    command = pass_start(
        ffmpeg, source, demuxer, max_duration=max_duration, threads=threads, graph=graph
    )
    if plan.remux:
        # The display matrix is stream side data: the copy keeps it, metadata (GPS) goes.
        command += ["-map", "0:v:0", *(["-map", "0:a:0"] if facts.audio is not None else [])]
        command += ["-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1"]
        command += ["-movflags", "+faststart", "-f", "mp4", *cap, outputs.web]
    else:
        rate = output_frame_rate(facts, spec.max_frame_rate)
        command += web_mp4_output(
            facts, outputs.web, review, frame_rate=rate, max_duration=max_duration
        )
    return command + still_outputs(outputs, signature, cap)
