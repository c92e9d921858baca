"""The co-branded one-pager: "Why join us in Aix-Marseille-Provence", the company's logo, the
region's figures, the sector, talking points, and a resident's voice with a QR code."""

import io
from dataclasses import dataclass, replace
from datetime import date
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .style import INK, INK_SOFT, LIMESTONE, LINE, OCHRE, TERRACOTTA, pdf_fonts
from .talking_points import Point
from .words import words


@dataclass(frozen=True)
class Figure:
    value: str
    label: str
    comparison: str
    source: str


@dataclass(frozen=True)
class Quote:
    """A resident's words for the one-pager: the quote, who said it, their photo (JPEG)."""

    text: str
    name: str
    job: str = ""
    photo_jpeg: bytes | None = None


@dataclass(frozen=True)
class OnePagerContent:
    """What the sheet says: the company and its logo, the sector, the figures, the talking
    points and, in its bottom third, a resident's quote, the testimonials and careers links."""

    company: str
    logo_png: bytes | None
    sector_name: str
    sector_text: str
    figures: list[Figure]
    points: list[Point]
    language: str
    day: date
    quote: Quote | None = None
    testimonials_url: str = ""
    careers_url: str = ""


def _qr_drawing(url: str, side: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _photo(jpeg: bytes, side: float) -> Image | None:
    """The resident's photo inside a `side` square, its proportions kept; None if unreadable."""
    try:
        pixel_width, pixel_height = ImageReader(io.BytesIO(jpeg)).getSize()
    except (OSError, ValueError):
        return None
    scale = min(side / pixel_width, side / pixel_height)
    return Image(io.BytesIO(jpeg), width=pixel_width * scale, height=pixel_height * scale)


def _voices_block(
    *,
    quote: Quote | None,
    testimonials_url: str,
    careers_url: str,
    width: float,
    w: dict[str, str],
    styles: dict[str, ParagraphStyle],
) -> list:
    """The sheet's bottom third: a quote and its photo, the QR code, the careers link."""
    if not (quote or testimonials_url or careers_url):
        return []
    quote_style = ParagraphStyle(
        "quote", parent=styles["base"], fontSize=11.5, leading=15.5, textColor=INK
    )
    qr_side = 30 * mm
    photo_side = 30 * mm
    cells: list = []
    widths: list[float] = []
    if quote is not None:
        photo = _photo(quote.photo_jpeg, photo_side) if quote.photo_jpeg else None
        if photo is not None:
            cells.append(photo)
            widths.append(photo_side + 4 * mm)
        who = quote.name + (f" · {quote.job}" if quote.job else "")
        cells.append(
            [
                Paragraph(
                    escape(
                        f"« {quote.text} »" if w["colon"].startswith(" ") else f"“{quote.text}”"
                    ),
                    quote_style,
                ),
                Spacer(0, 3),
                Paragraph(escape(who), styles["small"]),
            ]
        )
        widths.append(0)  # the rest, set below
    if testimonials_url:
        cells.append(
            [
                _qr_drawing(testimonials_url, qr_side),
                Paragraph(escape(w["scan"]), styles["small"]),
            ]
        )
        widths.append(qr_side + 8 * mm)
    if 0 in widths:
        widths[widths.index(0)] = width - sum(widths)
    elif widths:
        widths[-1] += width - sum(widths)
    block: list = [Spacer(0, 4), Paragraph(escape(w["voices"]), styles["heading"])]
    if cells:
        table = Table([cells], colWidths=widths)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, -1), LIMESTONE),
                    ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        block.append(table)
    if careers_url:
        link = escape(careers_url, {'"': "&quot;"})
        block += [
            Spacer(0, 6),
            Paragraph(
                f"{escape(w['careers'])}{escape(w['colon'])}"
                f'<link href="{link}" color="#9c3d1f"><u>{escape(careers_url)}</u></link>',
                styles["title"],
            ),
        ]
    return [KeepTogether(block)]


def one_pager_pdf(content: OnePagerContent) -> bytes:
    """Render the A4 "Why join us in Aix-Marseille-Provence" sheet with the company's logo.

    Its bottom third: a resident's quote with their photo, a QR code to the testimonials, the
    company's careers link. One page: talking points are left out from the last until it fits.
    """
    for count in range(len(content.points), -1, -1):
        pdf, pages = _one_pager_build(replace(content, points=content.points[:count]))
        if pages == 1:
            break
    return pdf


def _one_pager_build(content: OnePagerContent) -> tuple[bytes, int]:
    regular, bold = pdf_fonts()
    w = words(content.language)
    buffer = io.BytesIO()
    band_height = 58 * mm
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=band_height + 8 * mm,
        bottomMargin=18 * mm,
        title=w["title"],
        author=f"One Provence × {content.company}",
        lang=content.language,
    )
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=13, textColor=INK)
    heading = ParagraphStyle(
        "heading", parent=base, fontName=bold, fontSize=13, leading=16, spaceBefore=6,
        spaceAfter=5, textColor=TERRACOTTA,
    )  # fmt: skip
    value_style = ParagraphStyle(
        "value", parent=base, fontName=bold, fontSize=22, leading=25, textColor=TERRACOTTA
    )
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=INK_SOFT)
    point_title = ParagraphStyle("point", parent=base, fontName=bold, fontSize=10.5, leading=14)

    story: list = [Paragraph(escape(w["figures"]), heading)]
    cells = []
    for figure in content.figures:
        value, comparison = figure.value, figure.comparison
        if regular == "Helvetica":  # no narrow no-break space ("83 %") in the PDF base fonts
            value, comparison = (
                value.replace("\u202f", "\xa0"),
                comparison.replace("\u202f", "\xa0"),
            )
        cell = [Paragraph(escape(value), value_style), Paragraph(escape(figure.label), base)]
        if comparison:
            cell.append(Paragraph(escape(comparison), small))
        cell.append(Paragraph(escape(f"{w['source']}{w['colon']}{figure.source}"), small))
        cells.append(cell)
    if cells:
        rows = [
            cells[i : i + 2] + [[]] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)
        ]
        table = Table(rows, colWidths=[document.width / 2] * 2)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, -1), LIMESTONE),
                    ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                    ("INNERGRID", (0, 0), (-1, -1), 0.5, LINE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        story.append(table)
    if content.sector_name and content.sector_text:
        story += [
            Paragraph(escape(w["sector"] % {"sector": content.sector_name}), heading),
            Paragraph(escape(content.sector_text), base),
        ]
    if content.points:
        story.append(Paragraph(escape(w["points"]), heading))
        for point in content.points:
            block = [
                Paragraph(escape(point.headline), point_title),
                Paragraph(escape(point.body), base),
            ]
            if point.sources:
                sources = "; ".join(point.sources)
                block.append(Paragraph(escape(f"{w['sources']}{w['colon']}{sources}"), small))
            block.append(Spacer(0, 5))
            story.append(KeepTogether(block))

    story += _voices_block(
        quote=content.quote,
        testimonials_url=content.testimonials_url,
        careers_url=content.careers_url,
        width=document.width,
        w=w,
        styles={"base": base, "heading": heading, "small": small, "title": point_title},
    )

    subtitle = (
        w["hiring"] % {"company": content.company, "sector": content.sector_name}
        if content.sector_name
        else w["hiring_all"] % {"company": content.company}
    )
    footer = w["footer"] % {"day": content.day.isoformat()}

    def decorate(canvas, doc) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(TERRACOTTA)
        canvas.rect(0, height - band_height, width, band_height, stroke=0, fill=1)
        canvas.setFillColor(OCHRE)
        canvas.rect(0, height - band_height - 3 * mm, width, 3 * mm, stroke=0, fill=1)
        logo_box = (44 * mm, 30 * mm)
        text_right = width - 16 * mm - (logo_box[0] + 6 * mm if content.logo_png else 0)
        title_style = ParagraphStyle(
            "title", fontName=bold, fontSize=21, leading=25, textColor=colors.white,
            alignment=TA_LEFT,
        )  # fmt: skip
        sub_style = ParagraphStyle(
            "sub", fontName=regular, fontSize=12, leading=15, textColor=colors.white
        )
        title = Paragraph(escape(w["title"]), title_style)
        sub = Paragraph(escape(subtitle), sub_style)
        text_width = text_right - 16 * mm
        _, title_h = title.wrap(text_width, band_height)
        title.drawOn(canvas, 16 * mm, height - 14 * mm - title_h)
        _, sub_h = sub.wrap(text_width, band_height)
        sub.drawOn(canvas, 16 * mm, height - 18 * mm - title_h - sub_h)
        if content.logo_png:
            x = width - 16 * mm - logo_box[0]
            y = height - 12 * mm - logo_box[1]
            canvas.setFillColor(colors.white)
            pad = 3 * mm
            canvas.roundRect(
                x - pad, y - pad, logo_box[0] + 2 * pad, logo_box[1] + 2 * pad, pad,
                stroke=0, fill=1,
            )  # fmt: skip
            canvas.drawImage(
                ImageReader(io.BytesIO(content.logo_png)), x, y, *logo_box,
                preserveAspectRatio=True, anchor="c", mask="auto",
            )  # fmt: skip
        canvas.setFillColor(INK_SOFT)
        canvas.setFont(regular, 8)
        canvas.drawString(16 * mm, 10 * mm, footer)
        canvas.restoreState()

    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), document.page
