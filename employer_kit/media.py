"""Read a kit file's format and dimensions and render its preview. No ORM, no storage:
paths in, facts and files out. Run by a Celery worker (media queue), never in a request."""

import json
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

from . import conf


@dataclass
class FileFacts:
    file_format: str = ""
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    page_count: int | None = None


def _run(args: list[str]) -> str:
    return subprocess.run(
        args, check=True, capture_output=True, text=True, timeout=conf.TOOL_TIMEOUT_SECONDS
    ).stdout


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"%PDF-"


def _image_header(path: Path) -> tuple[str, int, int] | None:
    """(format, width, height) from the header only, or None when Pillow does not know it."""
    try:
        with Image.open(path) as image:
            return image.format or "", image.width, image.height
    except (OSError, Image.DecompressionBombError):
        return None


def probe(path: Path) -> FileFacts:
    """Tell what the file is, trusting its bytes, never its name."""
    if _is_pdf(path):
        info = _run(["pdfinfo", str(path)])
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
    try:
        report = json.loads(
            _run(
                [
                    settings.FFPROBE_BINARY,
                    "-v",
                    "error",
                    "-protocol_whitelist",
                    "file",
                    "-show_entries",
                    "format=format_name,duration:stream=codec_type,width,height",
                    "-of",
                    "json",
                    str(path),
                ]
            )
        )
    except (subprocess.CalledProcessError, json.JSONDecodeError):
        return FileFacts(file_format=path.suffix.lstrip(".").upper()[:20])
    video = next((s for s in report.get("streams", []) if s.get("codec_type") == "video"), {})
    container = report.get("format", {}).get("format_name", "").split(",")[0]
    duration = report.get("format", {}).get("duration")
    return FileFacts(
        file_format={"mov": "MP4", "matroska": "WEBM"}.get(container, container.upper())[:20],
        width=video.get("width"),
        height=video.get("height"),
        duration=float(duration) if duration else None,
    )


def render_preview(path: Path, facts: FileFacts, out: Path) -> bool:
    """Write a WebP preview (image thumbnail, PDF first page, video poster); False if none."""
    width = conf.PREVIEW_WIDTH
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        source = path
        if facts.file_format == "PDF":
            prefix = Path(work) / "page"
            _run(["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to-x",
                  str(width), "-scale-to-y", "-1", str(path), str(prefix)])  # fmt: skip
            source = prefix.with_suffix(".png")
        elif facts.duration is not None and facts.width:
            source = Path(work) / "poster.png"
            seek = str(min(1.0, (facts.duration or 0) / 2))
            _run([settings.FFMPEG_BINARY, "-v", "error", "-protocol_whitelist", "file", "-ss",
                  seek, "-i", str(path), "-frames:v", "1", "-vf", f"scale={width}:-2",
                  str(source)])  # fmt: skip
        elif not facts.width or facts.width * (facts.height or 0) > conf.ASSET_MAX_PIXELS:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image.draft("RGB", (width, width * 4))
                image = ImageOps.exif_transpose(image)
                image.thumbnail((width, width * 4))
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA")
                image.save(out, "WEBP", quality=80)
    return True
