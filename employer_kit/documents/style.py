"""The house colours and fonts of the kit's PDFs."""

from pathlib import Path

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

TERRACOTTA = colors.HexColor("#9c3d1f")
OCHRE = colors.HexColor("#f2b13b")
INK = colors.HexColor("#2a1f1a")
INK_SOFT = colors.HexColor("#5a4a40")
LIMESTONE = colors.HexColor("#fbf6ee")
LINE = colors.HexColor("#e4d8c6")

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def pdf_fonts() -> tuple[str, str]:
    """DejaVu when the system has it (every accent and sign), else the PDF base fonts."""
    if "KitSans" in pdfmetrics.getRegisteredFontNames():
        return "KitSans", "KitSans-Bold"
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("KitSans", str(regular)))
        pdfmetrics.registerFont(TTFont("KitSans-Bold", str(bold)))
        return "KitSans", "KitSans-Bold"
    return "Helvetica", "Helvetica-Bold"
