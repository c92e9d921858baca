"""Printable QR material of placements: one code in any format, or a campaign's ZIP."""

import io
from collections.abc import Iterator

from django.conf import settings
from django.utils.text import slugify
from PIL import Image
from zipstream import ZipStream

from . import qr
from .models import Campaign, Placement
from .posters.formats import POSTER_FORMATS, PosterText
from .posters.render import poster_pdf, poster_png
from .services import spreadsheet_csv

FORMATS = ("svg", "png", "pdf")
DEFAULT_PNG_SIZE = 1024
# The PNG sizes offered (docs/campaigns.md): below, modules blur on screen; above, files grow.
PNG_SIZE_MIN, PNG_SIZE_MAX = qr.PNG_SIZES[0], qr.MAX_PNG_SIZE


def poster_pitch() -> str:
    """The poster's call, with the journey's one length limit (settings)."""
    seconds = round(settings.AMBASSADORS_MAX_DURATION_SECONDS)
    return (
        f"Scannez ce code et filmez-vous {seconds} secondes avec votre téléphone : "
        "dites pourquoi vous vivez et travaillez ici."
    )


def placement_scan_url(placement: Placement) -> str:
    """The absolute address printed in the code (never changes: see Placement.destination)."""
    return f"{settings.SITE_URL}{placement.get_absolute_url()}"


def campaign_logo(campaign: Campaign) -> Image.Image:
    """The campaign's logo for the middle of its codes, or the One Provence mark."""
    if campaign.logo:
        try:
            with campaign.logo.open("rb") as handle:
                image = Image.open(io.BytesIO(handle.read()))
                image.load()
                return image
        except (OSError, ValueError):
            pass  # an unreadable logo must not stop printing: use the mark
    return qr.brand_mark()


def placement_qr_file(
    placement: Placement, *, fmt: str, size: int = DEFAULT_PNG_SIZE, with_logo: bool = True
) -> tuple[bytes, str, str]:
    """Return (content, content type, file name) of a placement's code in `fmt`."""
    url = placement_scan_url(placement)
    logo = campaign_logo(placement.campaign) if with_logo else None
    name = _file_name(placement, fmt, size)
    if fmt == "svg":
        return qr.qr_svg(url, logo=logo), "image/svg+xml", name
    if fmt == "png":
        return qr.qr_png(url, size=size, logo=logo), "image/png", name
    if fmt == "pdf":  # the A4 poster, as in the campaign's ZIP
        content = placement_poster_file(placement, poster="a4", with_logo=with_logo)[0]
        return content, "application/pdf", name
    raise ValueError(f"unknown QR format: {fmt}")


def placement_poster_text(placement: Placement) -> PosterText:
    """What the placement's poster says: the campaign's public slogan, never its internal name."""
    campaign = placement.campaign
    url = placement_scan_url(placement)
    return PosterText(
        title=campaign.hero_title,
        call_to_action=campaign.cta_label,
        pitch=poster_pitch(),
        place_name=placement.place_name,
        code=placement.code,
        short_url=url.split("://", 1)[-1],
        primary_color=campaign.primary_color,
    )


def placement_poster_file(
    placement: Placement, *, poster: str, with_logo: bool = True, with_marks: bool = True
) -> tuple[bytes, str, str]:
    """Return (content, content type, file name) of a placement's poster in format `poster`
    (a key of `POSTER_FORMATS`), with crop marks or not (print formats)."""
    fmt = POSTER_FORMATS.get(poster)
    if fmt is None:
        raise ValueError(f"unknown poster format: {poster}")
    logo = campaign_logo(placement.campaign) if with_logo else None
    url, text = placement_scan_url(placement), placement_poster_text(placement)
    if fmt.is_print:  # a PDF, crop marks or not
        content = poster_pdf(url, fmt=fmt, text=text, logo=logo, with_marks=with_marks)
    else:
        content = poster_png(url, fmt=fmt, text=text, logo=logo)
    content_type = "application/pdf" if fmt.is_print else "image/png"
    name = f"affiche-{fmt.slug}-{slugify(placement.place_name)[:50]}-{placement.code}"
    if fmt.is_print and not with_marks:
        name += "-sans-traits"
    return content, content_type, f"{name}.{fmt.extension}"


def campaign_qr_zip(campaign: Campaign, *, size: int = DEFAULT_PNG_SIZE) -> ZipStream:
    """A ZIP of every placement's SVG, PNG and PDF poster, built file by file as it streams."""
    archive = ZipStream(sized=False)
    placements = list(campaign.placements.select_related("campaign").order_by("place_name"))
    folder = slugify(campaign.name)[:60] or "qr-codes"

    def rendered(placement: Placement, fmt: str) -> Iterator[bytes]:
        yield placement_qr_file(placement, fmt=fmt, size=size)[0]

    for placement in placements:
        for fmt in FORMATS:
            archive.add(rendered(placement, fmt), f"{folder}/{_file_name(placement, fmt, size)}")
    archive.add(_placements_index(placements).encode(), f"{folder}/emplacements.csv")
    return archive


def _placements_index(placements: list[Placement]) -> str:
    header = ["emplacement", "canal", "code", "adresse du QR code", "destination"]
    rows = [
        [
            p.place_name,
            p.get_channel_display(),
            p.code,
            placement_scan_url(p),
            p.destination or "/ambassadeurs/",
        ]
        for p in placements
    ]
    return spreadsheet_csv([header, *rows])


def _file_name(placement: Placement, fmt: str, size: int) -> str:
    base = f"qr-{slugify(placement.place_name)[:50]}-{placement.code}"
    return f"{base}-{size}px.png" if fmt == "png" else f"{base}.{fmt}"
