"""A campaign's colours as a same-origin stylesheet of CSS custom properties.

The strict Content-Security-Policy forbids inline styles, so a page cannot carry the campaign's
colours itself: it links `/campagne/theme/<primary>-<accent>.css`, which sets the
`--campaign-*` properties `static/css/site.css` uses for headings, links, buttons and accents.

- Only `#rrggbb` values ever reach the CSS: anything else stored in a campaign falls back to
  the house colours, and the URL only matches six hexadecimal digits per colour.
- Every text/background pair the properties make meets WCAG 2.1 AA (4.5:1): text over a
  campaign colour is white, ink or black, whichever first reaches 4.5:1; the primary colour
  used as text on the light page backgrounds is darkened until it reaches 4.5:1 on both.
- The URL is made of the colours and carries `?v=<hash of the CSS>`: a colour change links
  another address at once, so the stylesheet can be cached for a year.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from django.urls import reverse

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

HOUSE_PRIMARY = "#9c3d1f"  # --c-terracotta
HOUSE_ACCENT = "#f2b13b"  # --c-ochre
WHITE = "#ffffff"
INK = "#2a1f1a"  # --c-ink
BLACK = "#000000"
# --c-bg and --c-surface: the backgrounds headings and links sit on.
PAGE_BACKGROUNDS = ("#fbf6ee", "#ffffff")
AA_CONTRAST = 4.5
YEAR_SECONDS = 365 * 24 * 3600


def colour_or_house(value: object, house: str) -> str:
    """Return `value` in lower case if it is exactly `#rrggbb`, else the house colour."""
    if isinstance(value, str) and HEX_COLOUR.fullmatch(value):
        return value.lower()
    return house


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a `#rrggbb` colour (0 black, 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """`colour` moved `share` (0 to 1) of the way towards `other`."""
    mixed = (
        round(a + (b - a) * share) for a, b in zip(_channels(colour), _channels(other), strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def text_on(background: str) -> str:
    """White, ink or black text, whichever first reads at 4.5:1 on `background`.

    Black always does when white does not (the two meet at a luminance of about 0.18).
    """
    for text in (WHITE, INK):
        if contrast_ratio(text, background) >= AA_CONTRAST:
            return text
    return BLACK


def readable_on(colour: str, backgrounds: tuple[str, ...] = PAGE_BACKGROUNDS) -> str:
    """`colour`, darkened in 5 % steps until it reads at 4.5:1 on every background."""
    for step in range(21):
        candidate = mix(colour, BLACK, step / 20)
        if all(contrast_ratio(candidate, bg) >= AA_CONTRAST for bg in backgrounds):
            return candidate
    return BLACK


def hover_of(colour: str) -> str:
    """The pressed/hovered shade of a button colour: darker, or lighter for very dark ones."""
    if relative_luminance(colour) < 0.03:
        return mix(colour, WHITE, 0.25)
    return mix(colour, BLACK, 0.18)


@dataclass(frozen=True)
class Theme:
    primary: str
    accent: str

    @classmethod
    def of(cls, campaign) -> "Theme":
        """The theme of a campaign (the house theme for None or for invalid colours)."""
        if campaign is None:
            return cls(HOUSE_PRIMARY, HOUSE_ACCENT)
        return cls(
            colour_or_house(campaign.primary_color, HOUSE_PRIMARY),
            colour_or_house(campaign.accent_color, HOUSE_ACCENT),
        )

    def properties(self) -> dict[str, str]:
        primary_hover, accent_hover = hover_of(self.primary), hover_of(self.accent)
        return {
            "--campaign-primary": self.primary,
            "--campaign-on-primary": text_on(self.primary),
            "--campaign-primary-hover": primary_hover,
            "--campaign-on-primary-hover": text_on(primary_hover),
            "--campaign-primary-text": readable_on(self.primary),
            "--campaign-accent": self.accent,
            "--campaign-on-accent": text_on(self.accent),
            "--campaign-accent-hover": accent_hover,
            "--campaign-on-accent-hover": text_on(accent_hover),
        }

    @cached_property
    def css(self) -> str:
        lines = "".join(f"  {name}: {value};\n" for name, value in self.properties().items())
        return f"/* The campaign's colours (campaigns/theme.py). */\n:root {{\n{lines}}}\n"

    @cached_property
    def version(self) -> str:
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]

    @property
    def url(self) -> str:
        path = reverse(
            "campaign-theme", kwargs={"primary": self.primary[1:], "accent": self.accent[1:]}
        )
        return f"{path}?v={self.version}"


def campaign_theme_url(campaign) -> str:
    """The address of `campaign`'s stylesheet ("" without a campaign: site.css has the house's)."""
    return Theme.of(campaign).url if campaign is not None else ""
