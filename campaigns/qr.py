"""QR codes of placements: SVG for print, PNG for the web, vectors on a PDF page (posters).

Pure rendering (no ORM): callers pass the URL and the texts. Every code keeps a white quiet
zone of four modules; with a logo in the middle the error correction is H (30 % of the
symbol can be covered), and the logo covers about 5 % of it.
"""

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M
from reportlab.lib.colors import HexColor, white
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks
LOGO_SHARE = 0.22  # logo side / symbol side (without the quiet zone)
PNG_SIZES = (256, 512, 1024, 2048)
MAX_PNG_SIZE = 4096
INK = "#2a1f1a"


def qr_matrix(url: str, *, with_logo: bool) -> list[list[bool]]:
    """Return the modules of `url`'s code, quiet zone included (True = dark)."""
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_H if with_logo else ERROR_CORRECT_M, border=QUIET_ZONE
    )
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def brand_mark(size: int = 256) -> Image.Image:
    """The One Provence mark (a disc, terracotta over ochre), the default logo."""
    big = size * 4  # drawn large then reduced: smooth edges
    disc = Image.new("RGB", (big, big), "#f2b13b")
    ImageDraw.Draw(disc).rectangle((0, 0, big, big * 3 // 5), fill="#9c3d1f")
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, big - 1, big - 1), fill=255)
    disc.putalpha(mask)
    return disc.resize((size, size), Image.LANCZOS)


@dataclass(frozen=True)
class _Layout:
    modules: int  # symbol + quiet zone, in modules
    logo_box: tuple[float, float, float] | None  # x, y, side of the white logo box (modules)


def _layout(matrix: list[list[bool]], logo: Image.Image | None) -> _Layout:
    modules = len(matrix)
    if logo is None:
        return _Layout(modules, None)
    symbol = modules - 2 * QUIET_ZONE
    # Odd number of modules, centred on the middle module, so the box is module-aligned.
    side = int(symbol * LOGO_SHARE) | 1
    start = (modules - side) / 2
    return _Layout(modules, (start, start, side))


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def qr_svg(url: str, *, logo: Image.Image | None = None) -> bytes:
    """Return the code as a standalone SVG (one path, crisp at any print size)."""
    matrix = qr_matrix(url, with_logo=logo is not None)
    layout = _layout(matrix, logo)
    runs = [f"M{x} {y}h{length}v1h-{length}z" for y, x, length in _dark_runs(matrix)]
    n = layout.modules
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{n * 4}mm" '
        f'height="{n * 4}mm" shape-rendering="crispEdges">',
        f"<title>{escape(url)}</title>",
        f'<rect width="{n}" height="{n}" fill="#ffffff"/>',
        f'<path fill="{INK}" d="{"".join(runs)}"/>',
    ]
    if layout.logo_box:
        x, y, side = layout.logo_box
        inner = side * 0.84
        offset = (side - inner) / 2
        encoded = base64.b64encode(_png_bytes(_logo_square(logo, 512))).decode()
        parts += [
            f'<rect x="{x}" y="{y}" width="{side}" height="{side}" fill="#ffffff"/>',
            f'<image x="{x + offset}" y="{y + offset}" width="{inner}" height="{inner}" '
            f'href="data:image/png;base64,{encoded}"/>',
        ]
    parts.append("</svg>")
    return "".join(parts).encode()


def _logo_square(logo: Image.Image, size: int) -> Image.Image:
    """Fit the logo in a transparent square of `size` pixels, keeping its proportions."""
    fitted = logo.convert("RGBA")
    fitted.thumbnail((size, size), Image.LANCZOS)
    square = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    square.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2), fitted)
    return square


def qr_image(url: str, *, size: int, logo: Image.Image | None = None) -> Image.Image:
    """Return the code as a `size`×`size` RGB image with whole-pixel modules.

    Modules are never resampled (a blurred module misreads): the symbol is drawn at the
    largest whole module size that fits, and the remainder widens the white margin.
    """
    if not 64 <= size <= MAX_PNG_SIZE:
        raise ValueError(f"QR image size must be between 64 and {MAX_PNG_SIZE} pixels")
    matrix = qr_matrix(url, with_logo=logo is not None)
    layout = _layout(matrix, logo)
    box = max(1, size // layout.modules)
    if box < 2:
        raise ValueError("QR image too small for this address: choose a larger size")
    drawn = layout.modules * box
    image = Image.new("RGB", (size, size), "#ffffff")
    draw = ImageDraw.Draw(image)
    margin = (size - drawn) // 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = margin + x * box, margin + y * box
                draw.rectangle((left, top, left + box - 1, top + box - 1), fill=INK)
    if layout.logo_box:
        x, y, side = layout.logo_box
        left, top, px = margin + round(x * box), margin + round(y * box), round(side * box)
        draw.rectangle((left, top, left + px - 1, top + px - 1), fill="#ffffff")
        inner = int(px * 0.84)
        mark = _logo_square(logo, inner)
        offset = (px - inner) // 2
        image.paste(mark, (left + offset, top + offset), mark)
    return image


def qr_png(url: str, *, size: int, logo: Image.Image | None = None) -> bytes:
    return _png_bytes(qr_image(url, size=size, logo=logo))


def qr_draw_vector(
    page: canvas.Canvas,
    url: str,
    *,
    left: float,
    bottom: float,
    side: float,
    logo: Image.Image | None = None,
    logo_pixels: int = 512,
) -> None:
    """Draw the code as vectors on `page`: a square of `side` points, quiet zone included."""
    matrix = qr_matrix(url, with_logo=logo is not None)
    layout = _layout(matrix, logo)
    module = side / layout.modules
    top = bottom + side
    page.setFillColor(white)
    page.rect(left, bottom, side, side, stroke=0, fill=1)
    page.setFillColor(HexColor(INK))
    # A hair of overlap (a fiftieth of a module) so no white seam appears between runs.
    hair = module / 50
    for y, start, length in _dark_runs(matrix):
        page.rect(
            left + start * module,
            top - (y + 1) * module - hair,
            length * module,
            module + 2 * hair,
            stroke=0,
            fill=1,
        )
    if layout.logo_box and logo is not None:
        bx, by, bside = layout.logo_box
        page.setFillColor(white)
        page.rect(
            left + bx * module, top - (by + bside) * module, bside * module, bside * module, 0, 1
        )
        inner = bside * module * 0.84
        offset = (bside * module - inner) / 2
        pixels = min(logo_pixels, max(logo.size))  # never blown up: the PDF scales it
        page.drawImage(
            ImageReader(_logo_square(logo, pixels)),
            left + bx * module + offset,
            top - (by + bside) * module + offset,
            inner,
            inner,
            mask="auto",
        )
