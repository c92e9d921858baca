"""Read a kit file's format and dimensions and render its preview. No ORM, no storage:
paths in, facts and files out. Run by a Celery worker (media queue), never in a request.

Every tool runs through `onprovence.mediarunner` (the pipeline's runner): the file's first
bytes decide which tool may read it, and only these kinds get one:

- PDF (`%PDF-`): poppler (`pdfinfo`, `pdftoppm`);
- images Pillow reads from their header: PNG, JPEG, GIF, WebP (nothing decoded past
  `conf.ASSET_MAX_PIXELS`);
- videos in MP4/MOV or Matroska/WebM: ffprobe/ffmpeg with that demuxer forced and `file`-only
  protocols, so a playlist or a concat list is never followed.

Anything else (an SVG, a slide deck, a playlist renamed .mp4) gets no tool and no preview.
"""

import json
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

from onprovence import mediarunner

from . import conf

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "prores"})
_CONTAINER_NAMES = {mediarunner.MOV: "MP4", mediarunner.MATROSKA: "WEBM"}


@dataclass
class FileFacts:
    file_format: str = ""
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    page_count: int | None = None
    # The demuxer a video is read with (None: not a video ffmpeg may open).
    demuxer: str | None = None


def run_checked(args: list[str], cwd: Path | None = None) -> str:
    """Run a tool under the project's limits; its stdout, or CalledProcessError."""
    run = mediarunner.run_tool(
        args,
        timeout=conf.TOOL_TIMEOUT_SECONDS,
        memory_bytes=conf.TOOL_MEMORY_BYTES,
        cwd=cwd,
        file_bytes=conf.TOOL_OUTPUT_MAX_BYTES,
    )
    if run.returncode != 0:
        raise subprocess.CalledProcessError(run.returncode, Path(args[0]).name, run.stdout)
    return run.stdout


def _image_header(path: Path) -> tuple[str, int, int] | None:
    """(format, width, height) from the header only, or None when it is not an allowed image.

    Pillow's bomb check is lifted for this read only: nothing is decoded here, and
    `render_preview` refuses to decode past ASSET_MAX_PIXELS.
    """
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as image:
            return image.format or "", image.width, image.height
    except OSError:
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _probe_video(path: Path, demuxer: str) -> FileFacts:
    try:
        report = json.loads(
            run_checked(
                [
                    settings.FFPROBE_BINARY,
                    "-hide_banner",
                    "-v",
                    "error",
                    *mediarunner.input_options(demuxer),
                    "-show_entries",
                    "format=duration:stream=codec_type,codec_name,width,height",
                    "-of",
                    "json",
                    "-i",
                    str(path),
                ]
            )
        )
    except (subprocess.SubprocessError, json.JSONDecodeError):
        return FileFacts()
    video = next((s for s in report.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None or video.get("codec_name") not in VIDEO_CODECS:
        return FileFacts()
    duration = (report.get("format") or {}).get("duration")
    return FileFacts(
        file_format=_CONTAINER_NAMES[demuxer],
        width=video.get("width"),
        height=video.get("height"),
        duration=float(duration) if duration else None,
        demuxer=demuxer,
    )


def probe(path: Path) -> FileFacts:
    """Tell what the file is, trusting its bytes, never its name."""
    head = mediarunner.read_head(path)
    if mediarunner.looks_like_pdf(head):
        try:
            info = run_checked(["pdfinfo", str(path)])
        except subprocess.SubprocessError:
            return FileFacts(file_format="PDF")
        fields = dict(
            line.split(":", 1) for line in info.splitlines() if ":" in line
        )  # "Pages:  2", "Page size: 595 x 842 pts (A4)"
        facts = FileFacts(file_format="PDF", page_count=int(fields.get("Pages", "0").strip() or 0))
        size = fields.get("Page size", "").split()
        if len(size) >= 3:
            facts.width, facts.height = round(float(size[0])), round(float(size[2]))
        return facts
    header = _image_header(path)
    if header:
        return FileFacts(file_format=header[0], width=header[1], height=header[2])
    demuxer = mediarunner.sniff_container(head)
    if demuxer is not None:
        return _probe_video(path, demuxer)
    return FileFacts()


def render_preview(path: Path, facts: FileFacts, out: Path) -> bool:
    """Write a WebP preview (image thumbnail, PDF first page, video poster); False if none."""
    width = conf.PREVIEW_WIDTH
    if facts.file_format != "PDF" and (
        not facts.width or facts.width * (facts.height or 0) > conf.ASSET_MAX_PIXELS
    ):
        return False
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        source = path
        if facts.file_format == "PDF":
            prefix = Path(work) / "page"
            run_checked(["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to-x",
                  str(width), "-scale-to-y", "-1", str(path), str(prefix)])  # fmt: skip
            source = prefix.with_suffix(".png")
        elif facts.demuxer is not None:
            source = Path(work) / "poster.png"
            seek = str(min(1.0, (facts.duration or 0) / 2))
            run_checked([settings.FFMPEG_BINARY, "-nostdin", "-v", "error",
                  *mediarunner.input_options(facts.demuxer), "-ss", seek, "-i", str(path),
                  "-map", "0:v:0", "-frames:v", "1", "-vf", f"scale={width}:-2",
                  "-f", "image2", "-c:v", "png", str(source)])  # fmt: skip
        elif facts.file_format not in IMAGE_FORMATS:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=(*IMAGE_FORMATS,)) as image:
                image.draft("RGB", (width, width * 4))
                image = ImageOps.exif_transpose(image)
                image.thumbnail((width, width * 4))
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA")
                image.save(out, "WEBP", quality=80)
    return True
