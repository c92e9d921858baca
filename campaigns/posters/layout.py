"""Each format's poster as shapes: the campaign's band with its slogan, the call to action, the
pitch, the code with its address and privacy note, and where the poster hangs.

Shapes are in the trim's coordinates (origin at its bottom left corner, y upwards), in points
for print and pixels for screens; `render` draws them.
"""

from dataclasses import dataclass, replace

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics

from .. import qr, theme
from .fonts import BOLD, REGULAR, fonts_register
from .formats import MM, PosterFormat, PosterText

GREY = "#5a4a40"
RULE = "#e4d8c6"
WHITE = "#ffffff"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    font: str
    size: float
    colour: str
    align: str = "left"  # left, centre, right


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float


@dataclass(frozen=True)
class Code:
    x: float
    y: float
    side: float


Shape = Box | Text | Rule | Code


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
        shapes.append(Text(x, baseline, line, font, size, colour, align))
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
    shapes.append(Code(centre - side / 2, code_bottom, side))
    url_size = _fit(text.short_url, BOLD, right - left, 18 * f, 9 * f, 1)[0]
    shapes.append(
        Text(centre, code_bottom - 9 * k, text.short_url, BOLD, url_size, qr.INK, "centre")
    )
    shapes.append(
        Text(centre, code_bottom - 16 * k, text.privacy_note, REGULAR, 10 * f, GREY, "centre")
    )


def _footer(shapes: list[Shape], text: PosterText, *, left: float, right: float, k: float) -> None:
    """Where the poster hangs and its code, to tell posters apart at the print shop."""
    f = k / MM
    code = f"Code : {text.code}"
    room = right - left - pdfmetrics.stringWidth(code, REGULAR, 10 * f) - 8 * k
    size, lines = _fit(f"Emplacement : {text.place_name}", REGULAR, room, 10 * f, 7 * f, 1)
    shapes.append(Rule(left, 24 * k, right, 24 * k, RULE, 0.75 * f))
    shapes.append(Text(left, 16 * k, lines[0], REGULAR, size, GREY))
    shapes.append(Text(right, 16 * k, code, REGULAR, 10 * f, GREY, "right"))


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
    shapes: list[Shape] = [Box(-bleed, height - band, width + 2 * bleed, band + bleed, primary)]
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
    shapes: list[Shape] = [Box(-bleed, -bleed, band + bleed, height + 2 * bleed, primary)]
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
    shapes += [replace(word, y=word.y - drop) for word in words if isinstance(word, Text)]
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
        s for s in poster_layout(url, fmt, text, with_logo=with_logo) if isinstance(s, Code)
    )
    modules = len(qr.qr_matrix(url, with_logo=with_logo))
    if fmt.is_print:
        return code.side / MM / modules
    return code.side // modules
