"""Documents the kit renders: the co-branded one-pager, talking points (Markdown, PDF, DOCX)
and the README of an archive. Pure functions of plain data: no ORM, no storage."""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from onprovence.text import markdown_code, markdown_escape, markdown_escape_paragraphs

TERRACOTTA = colors.HexColor("#9c3d1f")
OCHRE = colors.HexColor("#f2b13b")
INK = colors.HexColor("#2a1f1a")
INK_SOFT = colors.HexColor("#5a4a40")
LIMESTONE = colors.HexColor("#fbf6ee")
LINE = colors.HexColor("#e4d8c6")

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str]:
    """DejaVu when the system has it (every accent and sign), else the PDF base fonts."""
    if "KitSans" in pdfmetrics.getRegisteredFontNames():
        return "KitSans", "KitSans-Bold"
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("KitSans", str(regular)))
        pdfmetrics.registerFont(TTFont("KitSans-Bold", str(bold)))
        return "KitSans", "KitSans-Bold"
    return "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class Figure:
    value: str
    label: str
    comparison: str
    source: str


def unique(items: list[str]) -> list[str]:
    """Keep the first of each repeated item (two figures often share one source)."""
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class Point:
    headline: str
    body: str
    sources: list[str] = field(default_factory=list)
    audience: str = ""
    sector: str = ""
    version: int = 1
    reviewed_on: date | None = None


@dataclass(frozen=True)
class Quote:
    """A resident's words for the one-pager: the quote, who said it, their photo (JPEG)."""

    text: str
    name: str
    job: str = ""
    photo_jpeg: bytes | None = None


@dataclass(frozen=True)
class ArchiveEntry:
    path: str
    title: str
    kind: str
    credits: str
    usage_rights: str
    available_until: date | None
    version: int


# --- Words of the documents (French msgids, English in locale/; not rendered in a request, so
# `words` activates the document's language) ----------------------------------------------

WORDS = {
    # French sets a space before the colon, English does not.
    "colon": pgettext_lazy("between a label and its value", " : "),
    "title": _("Pourquoi nous rejoindre à Aix-Marseille-Provence ?"),
    "hiring": _("%(company)s recrute — filière %(sector)s"),
    "hiring_all": _("%(company)s recrute en Provence"),
    "figures": _("La région en chiffres"),
    "source": _("Source"),
    "sector": _("%(sector)s : pourquoi ici"),
    "points": _("Ce que nous disons aux talents"),
    "footer": _("Kit employeur One Provence · Tous Ambassadeurs · %(day)s"),
    "voices": _("Ils vivent et travaillent ici"),
    "scan": _("Scannez pour voir leurs témoignages vidéo"),
    "careers": _("Nos offres d'emploi"),
    "points_title": _("Éléments de langage — Kit employeur One Provence"),
    "audience": _("Public"),
    "sector_label": _("Secteur"),
    "version": _("version"),
    "reviewed": _("relu le"),
    "sources": _("Sources"),
    "readme_title": _("Kit employeur One Provence"),
    "readme_intro": _(
        "Archive générée le %(day)s. Chaque fichier est listé avec ses crédits et ses "
        "droits d'usage : respectez-les. Si une ressource est retirée du kit (par "
        "exemple un témoignage dont l'auteur retire son accord), vous recevrez un avis "
        "de retrait par e-mail : cessez alors de l'utiliser."
    ),
    "readme_files": _("Fichiers"),
    "credits": _("Crédits"),
    "rights": _("Droits d'usage"),
    "until": _("Utilisable jusqu'au"),
    "readme_points": _(
        "Les éléments de langage sont dans talking-points.md, talking-points.pdf et "
        "talking-points.docx."
    ),
}


def words(language: str) -> dict[str, str]:
    """The documents' words in `language` (French unless it is English)."""
    with translation.override("en" if language.startswith("en") else "fr"):
        return {key: str(text) for key, text in WORDS.items()}


# --- The co-branded one-pager -----------------------------------------------------------------


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


def one_pager_pdf(
    *,
    company: str,
    logo_png: bytes | None,
    sector_name: str,
    sector_text: str,
    figures: list[Figure],
    points: list[Point],
    language: str,
    day: date,
    quote: Quote | None = None,
    testimonials_url: str = "",
    careers_url: str = "",
) -> bytes:
    """Render the A4 "Why join us in Aix-Marseille-Provence" sheet with the company's logo.

    Its bottom third: a resident's quote with their photo, a QR code to the testimonials, the
    company's careers link. One page: talking points are left out from the last until it fits.
    """
    for count in range(len(points), -1, -1):
        pdf, pages = _one_pager_build(
            company=company, logo_png=logo_png, sector_name=sector_name,
            sector_text=sector_text, figures=figures, points=points[:count], language=language,
            day=day, quote=quote, testimonials_url=testimonials_url, careers_url=careers_url,
        )  # fmt: skip
        if pages == 1:
            break
    return pdf


def _one_pager_build(
    *,
    company: str,
    logo_png: bytes | None,
    sector_name: str,
    sector_text: str,
    figures: list[Figure],
    points: list[Point],
    language: str,
    day: date,
    quote: Quote | None = None,
    testimonials_url: str = "",
    careers_url: str = "",
) -> tuple[bytes, int]:
    regular, bold = _fonts()
    w = words(language)
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
        author=f"One Provence × {company}",
        lang=language,
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
    for figure in figures:
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
    if sector_name and sector_text:
        story += [
            Paragraph(escape(w["sector"] % {"sector": sector_name}), heading),
            Paragraph(escape(sector_text), base),
        ]
    if points:
        story.append(Paragraph(escape(w["points"]), heading))
        for point in points:
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
        quote=quote,
        testimonials_url=testimonials_url,
        careers_url=careers_url,
        width=document.width,
        w=w,
        styles={"base": base, "heading": heading, "small": small, "title": point_title},
    )

    subtitle = (
        w["hiring"] % {"company": company, "sector": sector_name}
        if sector_name
        else w["hiring_all"] % {"company": company}
    )
    footer = w["footer"] % {"day": day.isoformat()}

    def decorate(canvas, doc) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(TERRACOTTA)
        canvas.rect(0, height - band_height, width, band_height, stroke=0, fill=1)
        canvas.setFillColor(OCHRE)
        canvas.rect(0, height - band_height - 3 * mm, width, 3 * mm, stroke=0, fill=1)
        logo_box = (44 * mm, 30 * mm)
        text_right = width - 16 * mm - (logo_box[0] + 6 * mm if logo_png else 0)
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
        if logo_png:
            x = width - 16 * mm - logo_box[0]
            y = height - 12 * mm - logo_box[1]
            canvas.setFillColor(colors.white)
            pad = 3 * mm
            canvas.roundRect(
                x - pad, y - pad, logo_box[0] + 2 * pad, logo_box[1] + 2 * pad, pad,
                stroke=0, fill=1,
            )  # fmt: skip
            canvas.drawImage(
                ImageReader(io.BytesIO(logo_png)), x, y, *logo_box,
                preserveAspectRatio=True, anchor="c", mask="auto",
            )  # fmt: skip
        canvas.setFillColor(INK_SOFT)
        canvas.setFont(regular, 8)
        canvas.drawString(16 * mm, 10 * mm, footer)
        canvas.restoreState()

    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), document.page


# --- Talking points exports ---------------------------------------------------------------------


def talking_points_markdown(points: list[Point], *, language: str) -> str:
    """Talking points as Markdown; the staff's text is escaped (shown as typed, never markup)."""
    w = words(language)
    md = markdown_escape
    lines = [f"# {w['points_title']}", ""]
    for point in points:
        lines += [f"## {md(point.headline)}", "", markdown_escape_paragraphs(point.body), ""]
        meta = [f"{w['audience']}{w['colon']}{md(point.audience)}"] if point.audience else []
        if point.sector:
            meta.append(f"{w['sector_label']}{w['colon']}{md(point.sector)}")
        stamp = f"{w['version']} {point.version}"
        if point.reviewed_on:
            stamp += f", {w['reviewed']} {point.reviewed_on.isoformat()}"
        meta.append(stamp)
        lines += [f"*{' · '.join(meta)}*", ""]
        if point.sources:
            lines += [
                f"{w['sources']}{w['colon'].rstrip()}",
                *[f"- {md(source)}" for source in point.sources],
                "",
            ]
    return "\n".join(lines)


def talking_points_pdf(points: list[Point], *, language: str) -> bytes:
    regular, bold = _fonts()
    w = words(language)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=w["points_title"], leftMargin=20 * mm, rightMargin=20 * mm
    )
    base = ParagraphStyle("base", fontName=regular, fontSize=10.5, leading=15, textColor=INK)
    title = ParagraphStyle("t", parent=base, fontName=bold, fontSize=18, leading=22, spaceAfter=10)
    head = ParagraphStyle("h", parent=base, fontName=bold, fontSize=12.5, leading=16, spaceBefore=8)
    small = ParagraphStyle("s", parent=base, fontSize=8.5, leading=11, textColor=INK_SOFT)
    story: list = [Paragraph(escape(w["points_title"]), title)]
    for point in points:
        block = [Paragraph(escape(point.headline), head), Paragraph(escape(point.body), base)]
        if point.sources:
            block.append(
                Paragraph(escape(f"{w['sources']}{w['colon']}{'; '.join(point.sources)}"), small)
            )
        story.append(KeepTogether(block))
    document.build(story)
    return buffer.getvalue()


def talking_points_docx(points: list[Point], *, language: str) -> bytes:
    """A minimal WordprocessingML document (opens in Word and LibreOffice), no dependency."""
    w = words(language)

    def paragraph(text: str, style: str | None = None) -> str:
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f'<w:p>{props}<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'

    body = [paragraph(w["points_title"], "Title")]
    for point in points:
        body += [paragraph(point.headline, "Heading1"), paragraph(point.body)]
        if point.sources:
            body.append(paragraph(f"{w['sources']}{w['colon']}{'; '.join(point.sources)}"))
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {ns}><w:body>'
        + "".join(body)
        + "</w:body></w:document>"
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {ns}>'
        '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
        '<w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
        '<w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style></w:styles>'
    )
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    wordml = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    content_types = (
        f'{xml}<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{wordml}.document.main+xml"/>'
        f'<Override PartName="/word/styles.xml" ContentType="{wordml}.styles+xml"/>'
        "</Types>"
    )
    rels = (
        f'{xml}<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    document_rels = (
        f'{xml}<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/styles.xml", styles)
        archive.writestr("word/_rels/document.xml.rels", document_rels)
    return buffer.getvalue()


def archive_readme(entries: list[ArchiveEntry], *, language: str, day: date) -> str:
    """The README.md of an archive: every file with its credits and usage rights.

    Titles, credits and rights are typed by staff (a testimonial's title by a resident): they
    are escaped, so a viewer shows them as typed, never as links, headings or HTML.
    """
    w = words(language)
    md = markdown_escape
    lines = [f"# {w['readme_title']}", "", w["readme_intro"] % {"day": day.isoformat()}, ""]
    lines += [f"## {w['readme_files']}", ""]
    for entry in entries:
        lines.append(f"### {markdown_code(entry.path)}")
        lines.append("")
        lines.append(f"- {md(entry.title)} ({md(entry.kind)}, {w['version']} {entry.version})")
        lines.append(f"- {w['credits']}{w['colon']}{md(entry.credits or 'One Provence')}")
        lines.append(f"- {w['rights']}{w['colon']}{md(entry.usage_rights)}")
        if entry.available_until:
            lines.append(f"- {w['until']}{w['colon']}{entry.available_until.isoformat()}")
        lines.append("")
    lines += [w["readme_points"], ""]
    return "\n".join(lines)
