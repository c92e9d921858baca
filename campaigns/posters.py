"""Posters of a placement's QR code: print-ready PDFs (A4 to a 4 × 3 m billboard) and a PNG
for digital screens.

Pure rendering (no ORM): callers pass the URL, the texts and the logo (`campaigns.printing`
does). One layout per format, computed as a list of shapes in the trim's coordinates, drawn by
two back ends: a vector PDF for print (fonts embedded, bleed, crop marks, TrimBox and
BleedBox) and a PNG for screens. `docs/print.md` explains the formats and the QR size rule.
"""

import functools
import io
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.colors import HexColor
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from . import qr, theme

MM = 72 / 25.4  # PDF points in a millimetre
# A phone reads a module from up to 250 times its side (the "distance / 10" rule of thumb for a
# whole 25-module code, written per module so it holds for larger codes): module = distance / 250.
SCAN_RATIO = 250

# DejaVu Sans, from Debian's fonts-dejavu-core (scripts/install-system-packages.sh run): free
# licence that allows embedding; every Latin letter and French typographic space it needs.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

PRIVACY_NOTE = "Aucune donnée personnelle n'est collectée lors du scan."
GREY = "#5a4a40"
RULE = "#e4d8c6"
WHITE = "#ffffff"


class PosterFontMissing(RuntimeError):
    """The poster font is not installed on this machine."""


@dataclass(frozen=True)
class PosterFormat:
    """One poster format: print sizes are the trimmed poster in mm, a screen's in pixels."""

    slug: str
    label: str
    width: float
    height: float
    extension: str = "pdf"
    bleed: float = 0.0  # mm of background beyond the trim on each side
    marks: float = 0.0  # mm: length of the crop marks, drawn outside the bleed
    mark_width: float = 0.25  # pt
    scan_distance: float | None = None  # m: the distance the code is sized to be read from
    logo_pixels: int = 512

    @property
    def is_print(self) -> bool:
        return self.extension == "pdf"

    @property
    def module_min(self) -> float | None:
        """Smallest module side (mm) the scanning distance asks for."""
        if self.scan_distance is None:
            return None
        return self.scan_distance * 1000 / SCAN_RATIO


POSTER_FORMATS = {
    f.slug: f
    for f in (
        PosterFormat("a4", "A4 (21 × 29,7 cm)", 210, 297, bleed=3, marks=5, scan_distance=0.7),
        PosterFormat("a3", "A3 (29,7 × 42 cm)", 297, 420, bleed=3, marks=5, scan_distance=1.0),
        PosterFormat(
            "abribus",
            "Abribus (120 × 176 cm)",
            1200,
            1760,
            bleed=10,
            marks=10,
            mark_width=0.5,
            scan_distance=3.0,
            logo_pixels=1024,
        ),
        PosterFormat(
            "4x3",
            "Panneau 4 × 3 m",
            4000,
            3000,
            bleed=20,
            marks=20,
            mark_width=1.0,
            scan_distance=8.0,
            logo_pixels=1024,
        ),
        PosterFormat("ecran", "Écran numérique 1080 × 1920 px", 1080, 1920, extension="png"),
    )
}


@dataclass(frozen=True)
class PosterText:
    """What a poster says, in the campaign's public words (never its internal name)."""

    title: str  # the campaign's public slogan (its page's title)
    call_to_action: str
    pitch: str
    place_name: str
    code: str
    short_url: str
    primary_color: str = theme.HOUSE_PRIMARY
    privacy_note: str = PRIVACY_NOTE


# Shapes, in the trim's coordinates: origin at its bottom left corner, y upwards.
@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass(frozen=True)
class _Text:
    x: float
    y: float  # baseline
    text: str
    font: str
    size: float
    colour: str
    align: str = "left"  # left, centre, right


@dataclass(frozen=True)
class _Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float


@dataclass(frozen=True)
class _Code:
    x: float
    y: float
    side: float


Shape = _Box | _Text | _Rule | _Code


def fonts_register() -> None:
    """Register the poster fonts with reportlab (once), or say which package is missing."""
    for name, file in FONT_FILES.items():
        if name in pdfmetrics.getRegisteredFontNames():
            continue
        path = FONT_DIR / file
        if not path.exists():
            raise PosterFontMissing(
                f"Police {file} absente ({path}) : installez le paquet Debian fonts-dejavu-core "
                "(scripts/install-system-packages.sh run)."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))


def _fit(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int
) -> tuple[float, list[str]]:
    """The largest size (down to `smallest`) at which `text` fits in `max_lines` lines of
    `width`; cut with an ellipsis if it never does."""
    size = largest
    while True:
        lines = simpleSplit(text, font, size, width) or [""]
        fits = all(pdfmetrics.stringWidth(line, font, size) <= width for line in lines)
        if (len(lines) <= max_lines and fits) or size <= smallest:
            break
        size = max(smallest, size * 0.94)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return size, lines


def _stack(
    shapes: list[Shape],
    x: float,
    top: float,
    lines: list[str],
    *,
    font: str,
    size: float,
    colour: str,
    leading: float = 1.2,
    align: str = "left",
) -> float:
    """Add `lines` below `top` (their cap height touches it); return where they end."""
    baseline = top - size * 0.73
    for line in lines:
        shapes.append(_Text(x, baseline, line, font, size, colour, align))
        baseline -= size * leading
    return baseline + size * leading - size * 0.24


def _code_group(
    shapes: list[Shape],
    text: PosterText,
    *,
    left: float,
    right: float,
    bottom: float,
    top: float,
    k: float,
    max_side: float | None,
) -> None:
    """The code, the printed address and the privacy note, centred in the given area."""
    f = k / MM
    below = 20 * k  # room for the address and the note under the code
    side = min(right - left, top - bottom - below)
    if max_side is not None:
        side = min(side, max_side)
    group = side + below
    code_bottom = bottom + (top - bottom - group) / 2 + below
    centre = (left + right) / 2
    shapes.append(_Code(centre - side / 2, code_bottom, side))
    url_size = _fit(text.short_url, BOLD, right - left, 18 * f, 9 * f, 1)[0]
    shapes.append(
        _Text(centre, code_bottom - 9 * k, text.short_url, BOLD, url_size, qr.INK, "centre")
    )
    shapes.append(
        _Text(centre, code_bottom - 16 * k, text.privacy_note, REGULAR, 10 * f, GREY, "centre")
    )


def _footer(shapes: list[Shape], text: PosterText, *, left: float, right: float, k: float) -> None:
    """Where the poster hangs and its code, to tell posters apart at the print shop."""
    f = k / MM
    code = f"Code : {text.code}"
    room = right - left - pdfmetrics.stringWidth(code, REGULAR, 10 * f) - 8 * k
    size, lines = _fit(f"Emplacement : {text.place_name}", REGULAR, room, 10 * f, 7 * f, 1)
    shapes.append(_Rule(left, 24 * k, right, 24 * k, RULE, 0.75 * f))
    shapes.append(_Text(left, 16 * k, lines[0], REGULAR, size, GREY))
    shapes.append(_Text(right, 16 * k, code, REGULAR, 10 * f, GREY, "right"))


def _portrait(
    width: float, height: float, bleed: float, text: PosterText, max_side: float | None
) -> list[Shape]:
    """A4's layout, scaled to the width: a band with the slogan, the call to action, the pitch,
    the code and where it hangs. `k` is one millimetre of the A4 poster in this format's units."""
    k = width / 210
    f = k / MM
    margin = 18 * k
    text_width = width - 2 * margin
    primary = theme.colour_or_house(text.primary_color, theme.HOUSE_PRIMARY)
    band = 52 * k
    shapes: list[Shape] = [_Box(-bleed, height - band, width + 2 * bleed, band + bleed, primary)]
    size, lines = _fit(text.title, BOLD, text_width, 30 * f, 16 * f, 2)
    block = size * 0.73 + size * 1.15 * (len(lines) - 1)
    _stack(
        shapes,
        margin,
        height - (band - block) / 2,
        lines,
        font=BOLD,
        size=size,
        colour=theme.text_on(primary),
        leading=1.15,
    )
    cta_colour = theme.readable_on(primary, (WHITE,))
    size, lines = _fit(text.call_to_action, BOLD, text_width, 26 * f, 16 * f, 2)
    y = _stack(
        shapes, margin, height - band - 12 * k, lines, font=BOLD, size=size, colour=cta_colour
    )
    size, lines = _fit(text.pitch, REGULAR, text_width, 15 * f, 10 * f, 3)
    y = _stack(
        shapes, margin, y - 6 * k, lines, font=REGULAR, size=size, colour=qr.INK, leading=1.35
    )
    _code_group(
        shapes,
        text,
        left=margin,
        right=width - margin,
        bottom=30 * k,
        top=y - 8 * k,
        k=k,
        max_side=max_side,
    )
    _footer(shapes, text, left=margin, right=width - margin, k=k)
    return shapes


def _landscape(
    width: float, height: float, bleed: float, text: PosterText, max_side: float | None
) -> list[Shape]:
    """The billboard: the band's words on the left half, the code on the right half."""
    k = height / 297
    f = k / MM
    margin = 18 * k
    primary = theme.colour_or_house(text.primary_color, theme.HOUSE_PRIMARY)
    on_primary = theme.text_on(primary)
    band = width / 2
    shapes: list[Shape] = [_Box(-bleed, -bleed, band + bleed, height + 2 * bleed, primary)]
    text_width = band - 2 * margin
    words: list[Shape] = []
    size, lines = _fit(text.title, BOLD, text_width, 54 * f, 28 * f, 3)
    y = _stack(words, margin, height, lines, font=BOLD, size=size, colour=on_primary, leading=1.15)
    size, lines = _fit(text.call_to_action, BOLD, text_width, 36 * f, 20 * f, 2)
    y = _stack(words, margin, y - 18 * k, lines, font=BOLD, size=size, colour=on_primary)
    size, lines = _fit(text.pitch, REGULAR, text_width, 20 * f, 12 * f, 4)
    y = _stack(
        words, margin, y - 12 * k, lines, font=REGULAR, size=size, colour=on_primary, leading=1.35
    )
    # The words, stacked from the top, move down to the middle of the band's height.
    drop = max(margin, y / 2)
    shapes += [replace(word, y=word.y - drop) for word in words if isinstance(word, _Text)]
    _code_group(
        shapes,
        text,
        left=band + margin,
        right=width - margin,
        bottom=30 * k,
        top=height - margin,
        k=k,
        max_side=max_side,
    )
    _footer(shapes, text, left=band + margin, right=width - margin, k=k)
    return shapes


def poster_layout(url: str, fmt: PosterFormat, text: PosterText, *, with_logo: bool) -> list[Shape]:
    """The shapes of `fmt`'s poster, in points (print) or pixels (screen)."""
    fonts_register()
    unit = MM if fmt.is_print else 1.0
    width, height, bleed = fmt.width * unit, fmt.height * unit, fmt.bleed * unit
    max_side = None
    if fmt.module_min is not None:
        modules = len(qr.qr_matrix(url, with_logo=with_logo))
        max_side = modules * fmt.module_min * MM
    draw = _landscape if width > height else _portrait
    return draw(width, height, bleed, text, max_side)


def poster_code_module(url: str, fmt: PosterFormat, text: PosterText, *, with_logo: bool) -> float:
    """The side of one module of the poster's code, in millimetres (print) or pixels (screen)."""
    code = next(
        s for s in poster_layout(url, fmt, text, with_logo=with_logo) if isinstance(s, _Code)
    )
    modules = len(qr.qr_matrix(url, with_logo=with_logo))
    if fmt.is_print:
        return code.side / MM / modules
    return code.side // modules


def poster_pdf(
    url: str,
    *,
    fmt: PosterFormat,
    text: PosterText,
    logo: Image.Image | None = None,
    with_marks: bool = True,
) -> bytes:
    """The print-ready PDF: one page, MediaBox = trim + bleed + crop marks, fonts embedded.

    Without marks (print shops that place their own), MediaBox = BleedBox."""
    if not fmt.is_print:
        raise ValueError(f"{fmt.slug} is not a print format")
    shapes = poster_layout(url, fmt, text, with_logo=logo is not None)
    width, height = fmt.width * MM, fmt.height * MM
    bleed, marks = fmt.bleed * MM, (fmt.marks * MM if with_marks else 0.0)
    edge = bleed + marks
    buffer = io.BytesIO()
    page = canvas.Canvas(
        buffer,
        pagesize=(width + 2 * edge, height + 2 * edge),
        pageCompression=1,
        initialFontName=REGULAR,  # else reportlab declares Helvetica, never embedded
    )
    page.setTitle(text.title)
    page.setSubject(f"{text.place_name} — {url}")
    page.setAuthor("One Provence")
    page.setCreator(f"One Provence — affiche {fmt.label}")
    page.setTrimBox((edge, edge, edge + width, edge + height))
    page.setBleedBox((marks, marks, marks + width + 2 * bleed, marks + height + 2 * bleed))
    page.translate(edge, edge)
    for shape in shapes:
        _draw_pdf(page, shape, url, logo, fmt.logo_pixels)
    if with_marks:
        _crop_marks(page, width, height, bleed, marks, fmt.mark_width)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _draw_pdf(
    page: canvas.Canvas, shape: Shape, url: str, logo: Image.Image | None, logo_pixels: int
) -> None:
    if isinstance(shape, _Box):
        page.setFillColor(HexColor(shape.colour))
        page.rect(shape.x, shape.y, shape.w, shape.h, stroke=0, fill=1)
    elif isinstance(shape, _Text):
        page.setFillColor(HexColor(shape.colour))
        page.setFont(shape.font, shape.size)
        draw = {
            "left": page.drawString,
            "centre": page.drawCentredString,
            "right": page.drawRightString,
        }[shape.align]
        draw(shape.x, shape.y, shape.text)
    elif isinstance(shape, _Rule):
        page.setStrokeColor(HexColor(shape.colour))
        page.setLineWidth(shape.width)
        page.line(shape.x1, shape.y1, shape.x2, shape.y2)
    else:
        qr.qr_draw_vector(
            page,
            url,
            left=shape.x,
            bottom=shape.y,
            side=shape.side,
            logo=logo,
            logo_pixels=logo_pixels,
        )


def _crop_marks(
    page: canvas.Canvas, width: float, height: float, bleed: float, marks: float, line: float
) -> None:
    """Marks on the trim's lines, outside the bleed, in registration colour (every ink)."""
    page.setStrokeColorCMYK(1, 1, 1, 1)
    page.setLineWidth(line)
    for x, dx in ((0, -1), (width, 1)):
        for y, dy in ((0, -1), (height, 1)):
            page.line(x + dx * bleed, y, x + dx * (bleed + marks), y)
            page.line(x, y + dy * bleed, x, y + dy * (bleed + marks))


@functools.lru_cache(maxsize=32)
def _pil_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[name]), size)


def poster_png(
    url: str, *, fmt: PosterFormat, text: PosterText, logo: Image.Image | None = None
) -> bytes:
    """The screen poster: the same layout in pixels, the code with whole-pixel modules."""
    if fmt.is_print:
        raise ValueError(f"{fmt.slug} is a print format")
    shapes = poster_layout(url, fmt, text, with_logo=logo is not None)
    width, height = int(fmt.width), int(fmt.height)
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, _Box):
            top = height - (shape.y + shape.h)
            draw.rectangle(
                (round(shape.x), round(top), round(shape.x + shape.w), round(height - shape.y)),
                fill=shape.colour,
            )
        elif isinstance(shape, _Text):
            anchor = {"left": "ls", "centre": "ms", "right": "rs"}[shape.align]
            draw.text(
                (shape.x, height - shape.y),
                shape.text,
                font=_pil_font(shape.font, round(shape.size)),
                fill=shape.colour,
                anchor=anchor,
            )
        elif isinstance(shape, _Rule):
            draw.line(
                (shape.x1, height - shape.y1, shape.x2, height - shape.y2),
                fill=shape.colour,
                width=max(1, round(shape.width)),
            )
        else:
            side = int(shape.side)
            code = qr.qr_image(url, size=side, logo=logo)
            image.paste(code, (round(shape.x), round(height - shape.y - side)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def poster_render(
    url: str,
    *,
    fmt: PosterFormat,
    text: PosterText,
    logo: Image.Image | None = None,
    with_marks: bool = True,
) -> bytes:
    """The poster in `fmt`: a PDF for print formats (crop marks or not), a PNG for screens."""
    if fmt.is_print:
        return poster_pdf(url, fmt=fmt, text=text, logo=logo, with_marks=with_marks)
    return poster_png(url, fmt=fmt, text=text, logo=logo)
