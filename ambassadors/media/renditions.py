"""ffmpeg argument lists for the renditions: the moderation pass and the social renditions.

The moderation pass decodes the upload once and, from that one decode, writes the web MP4, the
poster (JPEG and WebP), the animated preview for the admin list, runs the automatic checks
(black, frozen, silence, loudness) on small copies of the frames and samples those copies for
the perceptual signature: one ffmpeg process, no second read of the file.
"""

import re
from dataclasses import dataclass

from .probe import ProbeFacts, input_options
from .signature import SignatureSpec


@dataclass(frozen=True)
class WebSpec:
    """How the moderation rendition is made."""

    long_side: int = 1280
    max_frame_rate: float = 30.0
    preset: str = "veryfast"
    crf: int = 23
    maxrate: str = "4M"
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


@dataclass(frozen=True)
class ModerationOutputs:
    web: str
    poster_jpeg: str
    poster_webp: str
    preview: str
    # Raw gray samples for the perceptual signature (signature.hashes_from_raw); None: not made.
    signature: str | None = None


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


def moderation_filtergraph(
    facts: ProbeFacts,
    spec: WebSpec,
    checks: CheckSpec,
    *,
    duration: float,
    signature: SignatureSpec | None = None,
) -> str:
    """The -filter_complex of the moderation pass (labels [web] [pj] [pw] [pv] [aout], and
    [sig] when a signature is sampled)."""
    width, height = fit_size(*facts.video.display_size, spec.long_side)
    stored = (height, width) if facts.video.rotation % 180 else (width, height)
    upright = "".join(f",{f}" for f in rotation_filters(facts.video.rotation))
    rate = output_frame_rate(facts, spec.max_frame_rate)
    poster_start = max(0.0, min(duration * spec.poster_at, duration - spec.poster_window))
    thumbnail_frames = max(1, min(60, int(rate * spec.poster_window)))
    preview_rate = spec.preview_frames / max(duration, 0.1)
    pw, ph = fit_size(width, height, spec.preview_long_side)
    # fps makes a variable frame rate constant; rotation is applied after scaling down.
    graph = [
        f"[0:v:0]fps={rate},scale={stored[0]}:{stored[1]}:flags=bicubic{upright},setsar=1,"
        "format=yuv420p,split=4[web][poster][preview][check]",
        f"[poster]trim=start={poster_start:.3f}:duration={spec.poster_window:.3f},"
        f"thumbnail={thumbnail_frames},split=2[pj][pw]",
        f"[preview]fps={preview_rate:.5f},scale={pw}:{ph},"
        f"setpts=N*{spec.preview_frame_seconds}/TB[pv]",
        "[check]scale=128:128:force_original_aspect_ratio=decrease,"
        f"blackdetect=d={checks.black_min_seconds}:pix_th={checks.black_pixel_threshold},"
        f"freezedetect=n={checks.freeze_noise}:d={checks.freeze_min_seconds},"
        # The signature samples the check copies (already small and upright): nearly free.
        + (
            f"fps={signature.rate:g},scale={signature.size}:{signature.size}:flags=area,"
            "format=gray[sig]"
            if signature
            else "nullsink"
        ),
    ]
    if facts.audio is not None:
        graph += [
            "[0:a:0]asplit=2[loud][silence]",
            f"[loud]loudnorm=I={spec.loudness_i}:TP={spec.loudness_tp}:LRA={spec.loudness_lra}"
            ":print_format=json,aresample=48000[aout]",
            f"[silence]silencedetect=n={checks.silence_noise_db}dB:"
            f"d={checks.silence_min_seconds},anullsink",
        ]
    return ";".join(graph)


def moderation_command(
    ffmpeg: str,
    source: str,
    demuxer: str,
    facts: ProbeFacts,
    outputs: ModerationOutputs,
    *,
    spec: WebSpec,
    checks: CheckSpec,
    max_duration: float,
    signature: SignatureSpec | None = None,
    threads: int = 0,
) -> list[str]:
    """One ffmpeg run: web MP4 + posters + preview + checks (+ signature samples when
    `outputs.signature` is set) from a single decode."""
    signature = (signature or SignatureSpec()) if outputs.signature is not None else None
    duration = min(facts.duration or max_duration, max_duration)
    cap = output_cap(max_duration)
    rate = output_frame_rate(facts, spec.max_frame_rate)
    command = [
        *ffmpeg_head(ffmpeg),
        "-threads",
        str(threads),
        *input_options(demuxer),
        "-noautorotate",
        *capped_input(source, max_duration),
        "-filter_complex",
        moderation_filtergraph(facts, spec, checks, duration=duration, signature=signature),
        # The web rendition: H.264 High + AAC, constant rate, no metadata (phones write GPS).
        "-map",
        "[web]",
    ]
    if facts.audio is not None:
        command += ["-map", "[aout]", "-c:a", "aac", "-b:a", spec.audio_bitrate, "-ac", "2"]
    command += [
        *h264_options(
            preset=spec.preset,
            crf=spec.crf,
            frame_rate=rate,
            rate_control=["-maxrate", spec.maxrate, "-bufsize", "8M"],
        ),
        *cap,
        outputs.web,
        *_still_outputs(outputs, signature, cap),
    ]
    return command


def _still_outputs(
    outputs: ModerationOutputs, signature: SignatureSpec | None, cap: list[str]
) -> list[str]:
    """The outputs both review passes write beside the video: posters, preview, signature."""
    command = [
        "-map",
        "[pj]",
        "-frames:v",
        "1",
        "-q:v",
        "3",
        "-update",
        "1",
        "-map_metadata",
        "-1",
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


# --- Review first, encode once approved (issue 18) ------------------------------------------
# Moderators review the upload itself when their player can play it as is (a remux: no
# re-encode), or a fast small rendition when it cannot; the public web rendition (`web_command`)
# is made after approval. `Testimonial.probe["web"]` says what `web.mp4` holds.

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
    upright = "".join(f",{f}" for f in rotation_filters(rotation))

    def stored(size: tuple[int, int]) -> tuple[int, int]:
        return (size[1], size[0]) if rotation % 180 else size

    width, height = fit_size(*facts.video.display_size, spec.long_side)
    poster = stored((width, height))
    preview = stored(fit_size(width, height, spec.preview_long_side))
    rate = output_frame_rate(facts, spec.max_frame_rate)
    poster_start = max(0.0, min(duration * spec.poster_at, duration - spec.poster_window))
    thumbnail_frames = max(1, min(60, int(rate * spec.poster_window)))
    preview_rate = spec.preview_frames / max(duration, 0.1)
    branches = ["poster", "preview", "check"] + ([] if remux else ["web"])
    graph = [
        f"[0:v:0]fps={rate},setsar=1,split={len(branches)}"
        + "".join(f"[{name}]" for name in branches),
        f"[poster]trim=start={poster_start:.3f}:duration={spec.poster_window:.3f},"
        f"scale={poster[0]}:{poster[1]}:flags=bicubic{upright},setsar=1,format=yuv420p,"
        f"thumbnail={thumbnail_frames},split=2[pj][pw]",
        f"[preview]fps={preview_rate:.5f},scale={preview[0]}:{preview[1]}{upright},setsar=1,"
        f"format=yuv420p,setpts=N*{spec.preview_frame_seconds}/TB[pv]",
        f"[check]scale=128:128:force_original_aspect_ratio=decrease{upright},setsar=1,"
        "format=yuv420p,"
        f"blackdetect=d={checks.black_min_seconds}:pix_th={checks.black_pixel_threshold},"
        f"freezedetect=n={checks.freeze_noise}:d={checks.freeze_min_seconds},"
        + (
            f"fps={signature.rate:g},scale={signature.size}:{signature.size}:flags=area,"
            "format=gray[sig]"
            if signature
            else "nullsink"
        ),
    ]
    if not remux:
        small = stored(fit_size(*facts.video.display_size, review.long_side))
        graph.append(
            f"[web]scale={small[0]}:{small[1]}:flags=bilinear{upright},setsar=1,format=yuv420p[web]"
        )
    if facts.audio is not None:
        # loudnorm measures the input's loudness for the checks; the remux keeps its own sound.
        graph += [
            "[0:a:0]asplit=2[loud][silence]",
            f"[loud]loudnorm=I={spec.loudness_i}:TP={spec.loudness_tp}:LRA={spec.loudness_lra}"
            ":print_format=json," + ("anullsink" if remux else "aresample=48000[aout]"),
            f"[silence]silencedetect=n={checks.silence_noise_db}dB:"
            f"d={checks.silence_min_seconds},anullsink",
        ]
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
    rate = output_frame_rate(facts, spec.max_frame_rate)
    graph = review_filtergraph(
        facts, spec, review, checks, duration=duration, remux=plan.remux, signature=signature
    )
    command = [
        *ffmpeg_head(ffmpeg),
        "-threads",
        str(threads),
        *input_options(demuxer),
        "-noautorotate",
        *capped_input(source, max_duration),
        "-filter_complex",
        graph,
    ]
    if plan.remux:
        # The display matrix is stream side data: the copy keeps it, metadata (GPS) goes.
        command += ["-map", "0:v:0", *(["-map", "0:a:0"] if facts.audio is not None else [])]
        command += ["-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1"]
        command += ["-movflags", "+faststart", "-f", "mp4", *cap, outputs.web]
    else:
        command += ["-map", "[web]"]
        if facts.audio is not None:
            command += ["-map", "[aout]", "-c:a", "aac", "-b:a", review.audio_bitrate, "-ac", "2"]
        command += [
            *h264_options(
                preset=review.preset,
                crf=review.crf,
                frame_rate=rate,
                rate_control=["-maxrate", review.maxrate, "-bufsize", "4M"],
            ),
            *cap,
            outputs.web,
        ]
    return command + _still_outputs(outputs, signature, cap)


def web_command(
    ffmpeg: str,
    source: str,
    demuxer: str,
    facts: ProbeFacts,
    output: str,
    *,
    spec: WebSpec,
    max_duration: float,
    threads: int = 0,
) -> list[str]:
    """The public web rendition alone (made after approval): the moderation pass's `web.mp4`,
    same size, rate, encoder settings, rotation and loudness normalisation."""
    width, height = fit_size(*facts.video.display_size, spec.long_side)
    stored = (height, width) if facts.video.rotation % 180 else (width, height)
    upright = "".join(f",{f}" for f in rotation_filters(facts.video.rotation))
    rate = output_frame_rate(facts, spec.max_frame_rate)
    graph = [
        f"[0:v:0]fps={rate},scale={stored[0]}:{stored[1]}:flags=bicubic{upright},setsar=1,"
        "format=yuv420p[web]"
    ]
    if facts.audio is not None:
        graph.append(
            f"[0:a:0]loudnorm=I={spec.loudness_i}:TP={spec.loudness_tp}:LRA={spec.loudness_lra}"
            ",aresample=48000[aout]"
        )
    command = [
        *ffmpeg_head(ffmpeg),
        "-threads",
        str(threads),
        *input_options(demuxer),
        "-noautorotate",
        *capped_input(source, max_duration),
        "-filter_complex",
        ";".join(graph),
        "-map",
        "[web]",
    ]
    if facts.audio is not None:
        command += ["-map", "[aout]", "-c:a", "aac", "-b:a", spec.audio_bitrate, "-ac", "2"]
    return [
        *command,
        *h264_options(
            preset=spec.preset,
            crf=spec.crf,
            frame_rate=rate,
            rate_control=["-maxrate", spec.maxrate, "-bufsize", "8M"],
        ),
        *output_cap(max_duration),
        output,
    ]


# --- Social renditions (after approval) -------------------------------------------------------

SOCIAL_FORMATS: dict[str, tuple[int, int]] = {
    "9x16": (1080, 1920),
    "1x1": (1080, 1080),
    "16x9": (1920, 1080),
}
# Above this ratio between source and target aspect, cropping would cut too much of the
# picture (a portrait selfie into 16:9): the frame is fitted over a blurred copy instead.
CROP_MAX_ASPECT_RATIO = 1.8

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Branding:
    """The campaign's look on social renditions: colour bars and an optional logo."""

    primary_color: str = "#9c3d1f"
    accent_color: str = "#f2b13b"
    logo: str | None = None  # path of a local image file


def ffmpeg_colour(value: str, default: str) -> str:
    """An admin-edited colour as ffmpeg writes it; anything but #rrggbb falls back to default.

    The value goes into a filter graph, so it must never carry filter syntax.
    """
    colour = value if _HEX_COLOUR.match(value or "") else default
    return "0x" + colour[1:].lower()


def social_mode(source: tuple[int, int], target: tuple[int, int]) -> str:
    """'crop' (fill the frame, cut the edges) or 'blur' (fit over a blurred fill)."""
    source_aspect, target_aspect = source[0] / source[1], target[0] / target[1]
    ratio = max(source_aspect, target_aspect) / min(source_aspect, target_aspect)
    return "crop" if ratio <= CROP_MAX_ASPECT_RATIO else "blur"


def social_size(source: tuple[int, int], target: tuple[int, int], mode: str) -> tuple[int, int]:
    """The size of a social cut: its format's full size, or smaller in the same aspect.

    The policy, the same for the three cuts (no upscaling): a cut is scaled down from its
    format's full size (1080 on the short side) until

    - its short side is at most the source's short side (upright), so a 720p source gives
      720×1280, 720×720 and 1280×720, a 1080p source the full 1080×1920, 1080×1080 and
      1920×1080; and
    - the source picture is never enlarged inside it: a crop that would need the picture
      scaled up is made smaller instead (a fitted picture already is, by the first rule).
    """
    (sw, sh), (tw, th) = source, target
    factor = min(1.0, min(sw, sh) / min(tw, th))
    if mode == "crop":
        factor = min(factor, sw / tw, sh / th)
    if factor >= 1:
        return tw, th
    return even(tw * factor), even(th * factor)


def _labels(prefix: str, count: int) -> str:
    return "".join(f"[{prefix}{i}]" for i in range(count))


def social_filtergraph(
    facts: ProbeFacts,
    *,
    formats: dict[str, tuple[int, int]],
    branding: Branding,
    captions: str | None,
    spec: WebSpec,
) -> tuple[str, list[str]]:
    """The -filter_complex of the social pass and its video output labels, one per format.

    Input 0 is the original, input 1 the logo (when there is one). `captions` is a file name
    relative to ffmpeg's working directory (so no path needs escaping in the graph).
    """
    source = facts.video.display_size
    rate = output_frame_rate(facts, spec.max_frame_rate)
    names = list(formats)
    primary = ffmpeg_colour(branding.primary_color, Branding.primary_color)
    accent = ffmpeg_colour(branding.accent_color, Branding.accent_color)
    graph = [f"[0:v:0]fps={rate},setsar=1,split={len(names)}" + _labels("s", len(names))]
    if branding.logo:
        graph.append(f"[1:v]format=rgba,split={len(names)}" + _labels("l", len(names)))
    labels = []
    for i, name in enumerate(names):
        mode = social_mode(source, formats[name])
        w, h = social_size(source, formats[name], mode)
        if mode == "crop":
            chain = [
                f"[s{i}]scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic,"
                # Faces sit in the upper part of a selfie: keep more of the top when cropping.
                f"crop={w}:{h}:(iw-ow)/2:(ih-oh)*0.35[f{i}]"
            ]
        else:
            bw, bh = even(w / 8), even(h / 8)
            chain = [
                f"[s{i}]split=2[bg{i}][fg{i}]",
                f"[bg{i}]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
                f"boxblur=4:2,scale={w}:{h},eq=brightness=-0.08[bb{i}]",
                f"[fg{i}]scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic[ff{i}]",
                f"[bb{i}][ff{i}]overlay=(W-w)/2:(H-h)/2[f{i}]",
            ]
        bar, stripe = max(2, even(h * 0.02)), max(2, even(h * 0.006))
        branded = (
            f"[f{i}]drawbox=x=0:y=ih-{bar}:w=iw:h={bar}:color={primary}:t=fill,"
            f"drawbox=x=0:y=ih-{bar + stripe}:w=iw:h={stripe}:color={accent}:t=fill"
        )
        if captions:
            branded += (
                f",subtitles=filename={captions}:force_style='FontName=DejaVu Sans,"
                "Fontsize=15,Outline=1,Shadow=0,MarginV=28'"
            )
        if branding.logo:
            logo_width = even(min(w, h) * 0.18)
            margin = even(min(w, h) * 0.04)
            chain.append(branded + f"[p{i}]")
            chain.append(f"[l{i}]scale={logo_width}:-1,colorchannelmixer=aa=0.9[lg{i}]")
            chain.append(
                f"[p{i}][lg{i}]overlay={margin}:{margin}:eof_action=repeat,format=yuv420p[v{i}]"
            )
        else:
            chain.append(branded + f",format=yuv420p[v{i}]")
        graph += chain
        labels.append(f"[v{i}]")
    if facts.audio is not None:
        graph.append(
            f"[0:a:0]loudnorm=I={spec.loudness_i}:TP={spec.loudness_tp}:LRA={spec.loudness_lra},"
            f"aresample=48000,asplit={len(names)}" + _labels("a", len(names))
        )
    return ";".join(graph), labels


def social_command(
    ffmpeg: str,
    source: str,
    demuxer: str,
    facts: ProbeFacts,
    outputs: dict[str, str],
    *,
    branding: Branding,
    captions: str | None,
    spec: WebSpec,
    max_duration: float,
    crf: int = 21,
) -> list[str]:
    """One ffmpeg run: every social format from a single decode of the original."""
    formats = {name: SOCIAL_FORMATS[name] for name in outputs}
    graph, labels = social_filtergraph(
        facts, formats=formats, branding=branding, captions=captions, spec=spec
    )
    rate = output_frame_rate(facts, spec.max_frame_rate)
    command = [*ffmpeg_head(ffmpeg), *input_options(demuxer), *capped_input(source, max_duration)]
    if branding.logo:
        command += ["-protocol_whitelist", "file", "-f", "image2", "-pattern_type", "none"]
        command += ["-i", branding.logo]
    command += ["-filter_complex", graph]
    for i, name in enumerate(outputs):
        command += ["-map", labels[i]]
        if facts.audio is not None:
            command += ["-map", f"[a{i}]", "-c:a", "aac", "-b:a", "160k", "-ac", "2"]
        command += [
            *h264_options(preset=spec.preset, crf=crf, frame_rate=rate),
            *output_cap(max_duration),
            outputs[name],
        ]
    return command
