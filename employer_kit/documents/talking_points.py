"""Talking points as the archive carries them: Markdown, PDF and DOCX."""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate

from onprovence.text import markdown_escape, markdown_escape_paragraphs

from .style import INK, INK_SOFT, pdf_fonts
from .words import words


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
    regular, bold = pdf_fonts()
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
