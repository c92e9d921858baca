"""The poster drawn: a vector PDF for print (fonts embedded, bleed, crop marks, TrimBox and
BleedBox), a PNG for screens (whole-pixel modules)."""

import io

from PIL import Image, ImageDraw
from reportlab.lib.colors import HexColor
from reportlab.pdfgen import canvas

from .. import qr
from .fonts import REGULAR, pil_font
from .formats import MM, PosterFormat, PosterText
from .layout import WHITE, Box, Rule, Shape, Text, poster_layout


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
    if isinstance(shape, Box):
        page.setFillColor(HexColor(shape.colour))
        page.rect(shape.x, shape.y, shape.w, shape.h, stroke=0, fill=1)
    elif isinstance(shape, Text):
        page.setFillColor(HexColor(shape.colour))
        page.setFont(shape.font, shape.size)
        draw = {
            "left": page.drawString,
            "centre": page.drawCentredString,
            "right": page.drawRightString,
        }[shape.align]
        draw(shape.x, shape.y, shape.text)
    elif isinstance(shape, Rule):
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
        if isinstance(shape, Box):
            top = height - (shape.y + shape.h)
            draw.rectangle(
                (round(shape.x), round(top), round(shape.x + shape.w), round(height - shape.y)),
                fill=shape.colour,
            )
        elif isinstance(shape, Text):
            anchor = {"left": "ls", "centre": "ms", "right": "rs"}[shape.align]
            draw.text(
                (shape.x, height - shape.y),
                shape.text,
                font=pil_font(shape.font, round(shape.size)),
                fill=shape.colour,
                anchor=anchor,
            )
        elif isinstance(shape, Rule):
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
