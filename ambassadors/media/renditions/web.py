"""The public web rendition: made by the one moderation pass (web MP4, posters, preview, checks
and signature samples from a single decode, before review), or alone after approval when the
review came first (`web_command`)."""

from ..probe import ProbeFacts
from ..signature import SignatureSpec
from .checks import CheckSpec, audio_check_filters, check_filter
from .encoding import (
    WebSpec,
    fit_size,
    loudnorm,
    output_cap,
    output_frame_rate,
    pass_start,
    web_frames,
    web_mp4_output,
)
from .poster import ModerationOutputs, poster_filter, preview_filter, still_outputs


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
    rate = output_frame_rate(facts, spec.max_frame_rate)
    pw, ph = fit_size(width, height, spec.preview_long_side)
    # fps makes a variable frame rate constant; rotation is applied after scaling down.
    graph = [
        web_frames(facts, spec) + ",split=4[web][poster][preview][check]",
        poster_filter(spec, duration=duration, rate=rate),
        preview_filter(spec, duration=duration, scale=f"scale={pw}:{ph}"),
        check_filter(checks, signature),
    ]
    if facts.audio is not None:
        graph += audio_check_filters(spec, checks, encode=True)
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
    graph = moderation_filtergraph(facts, spec, checks, duration=duration, signature=signature)
    rate = output_frame_rate(facts, spec.max_frame_rate)
    return [
        *pass_start(
            ffmpeg, source, demuxer, max_duration=max_duration, threads=threads, graph=graph
        ),
        # The web rendition: H.264 High + AAC, constant rate, no metadata (phones write GPS).
        *web_mp4_output(facts, outputs.web, spec, frame_rate=rate, max_duration=max_duration),
        *still_outputs(outputs, signature, output_cap(max_duration)),
    ]


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
    graph = [web_frames(facts, spec) + "[web]"]
    if facts.audio is not None:
        graph.append(f"[0:a:0]{loudnorm(spec)},aresample=48000[aout]")
    rate = output_frame_rate(facts, spec.max_frame_rate)
    return [
        *pass_start(
            ffmpeg,
            source,
            demuxer,
            max_duration=max_duration,
            threads=threads,
            graph=";".join(graph),
        ),
        *web_mp4_output(facts, output, spec, frame_rate=rate, max_duration=max_duration),
    ]
