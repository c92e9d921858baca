"""The poster formats, the one table (`docs/print.md` states it), and what a poster says."""

from dataclasses import dataclass

from .. import theme

MM = 72 / 25.4  # PDF points in a millimetre
# A phone reads a module from up to 250 times its side (the "distance / 10" rule of thumb for a
# whole 25-module code, written per module so it holds for larger codes): module = distance / 250.
SCAN_RATIO = 250

PRIVACY_NOTE = "Aucune donnée personnelle n'est collectée lors du scan."


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
