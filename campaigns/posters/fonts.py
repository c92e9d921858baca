"""The posters' typeface: DejaVu Sans, embedded in the PDFs and drawn in the PNGs."""

import functools
from pathlib import Path

from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# DejaVu Sans, from Debian's fonts-dejavu-core (scripts/install-system-packages.sh run): free
# licence that allows embedding; every Latin letter and French typographic space it needs.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


class PosterFontMissing(RuntimeError):
    """The poster font is not installed on this machine."""


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


@functools.lru_cache(maxsize=32)
def pil_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The typeface at `size` pixels, for the screen poster."""
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[name]), size)
