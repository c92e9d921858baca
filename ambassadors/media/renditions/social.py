"""The social renditions (after approval): 9:16, 1:1 and 16:9 cuts of the original in one
pass, cropped or fitted over a blurred fill, with the campaign's colour bars, logo and captions."""

import re
from dataclasses import dataclass

from ..probe import ProbeFacts, input_options
from .encoding import (
    WebSpec,
    capped_input,
    even,
    ffmpeg_head,
    h264_output,
    loudnorm,
    output_frame_rate,
)

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
            f"[0:a:0]{loudnorm(spec)},aresample=48000,asplit={len(names)}"
            + _labels("a", len(names))
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
        command += h264_output(
            labels[i],
            f"[a{i}]" if facts.audio is not None else None,
            outputs[name],
            preset=spec.preset,
            crf=crf,
            frame_rate=rate,
            audio_bitrate="160k",
            max_duration=max_duration,
        )
    return command
