"""The co-branded one-pager: a recruiter's logo, checked, on a sheet of figures and points."""

import io
import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from ambassadors import keys
from campaigns.models import Sector, localized
from campaigns.selectors import key_figures_active
from onprovence.storage import private_storage, public_storage
from onprovence.text import single_line

from .. import conf, media, selectors
from ..documents.one_pager import OnePagerContent, Quote, one_pager_pdf
from ..models import OnePager, Recruiter
from .content import figures_data, points_data


def logo_validate(*, upload: Any) -> bytes:
    """Check an uploaded logo from its header before decoding it; return it as a PNG.

    Raises ValidationError with a message for the recruiter (type, size, pixel bombs).
    """
    if upload.size > conf.LOGO_MAX_BYTES:
        raise ValidationError(
            _("Le logo pèse plus de %(mb)s Mo. Envoyez une image plus légère.")
            % {"mb": conf.LOGO_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    try:
        header = Image.open(upload)  # reads the header only: no pixel decoded yet
        file_format, (width, height) = header.format, header.size
    except (OSError, Image.DecompressionBombError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise _bomb_error() from exc
        raise ValidationError(
            _("Ce fichier n'est pas une image PNG, JPEG ou WebP."), code="not_image"
        ) from exc
    if file_format not in conf.LOGO_FORMATS:
        raise ValidationError(
            _("Ce fichier n'est pas une image PNG, JPEG ou WebP."), code="not_image"
        )
    if max(width, height) > conf.LOGO_MAX_SIDE or width * height > conf.LOGO_MAX_PIXELS:
        raise _bomb_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            header.load()
            image = header.convert("RGBA")
            image.thumbnail((1200, 1200))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("Cette image est illisible ou incomplète. Essayez un autre fichier."),
            code="unreadable",
        ) from exc
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _bomb_error() -> ValidationError:
    return ValidationError(
        _(
            "Cette image est trop grande (plus de %(side)s pixels de côté ou %(mp)s millions de "
            "pixels). Envoyez un logo de taille normale."
        )
        % {"side": conf.LOGO_MAX_SIDE, "mp": conf.LOGO_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def _voice(sector_slug: str | None) -> tuple[Quote | None, Any]:
    """The quote at the bottom of the sheet, with the poster of the video as its photo."""
    asset = selectors.one_pager_voice(sector_slug=sector_slug)
    testimonial = asset.testimonial if asset is not None else None
    if testimonial is None:
        return None, None
    photo = None
    try:
        with public_storage().open(keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG)) as f:
            photo = f.read()
    except Exception:  # no poster in the store: the quote goes without its photo
        photo = None
    quote = Quote(
        text=single_line(testimonial.quote)[:280],
        name=testimonial.display_name or _("un ambassadeur"),
        job=testimonial.job_title,
        photo_jpeg=photo,
    )
    return quote, testimonial


def testimonials_url(*, sector_slug: str | None, language: str) -> str:
    """The public testimonials (of the sector), which the sheet's QR code opens."""
    with translation.override(language):
        path = reverse("gallery:index")  # the pages' URLs carry their language (/en/…)
    return (
        settings.SITE_URL
        + path
        + (f"?{urlencode({'secteur': sector_slug})}" if sector_slug else "")
    )


def one_pager_render(
    *,
    recruiter: Recruiter,
    sector: Sector | None,
    logo_png: bytes,
    language: str,
    careers_url: str = "",
) -> OnePager:
    """Render the co-branded sheet (PDF, and PNG from the same PDF) and store both.

    Its bottom third quotes a resident of the kit (of the sector when one is), links to the
    testimonials by QR code and to the company's careers page."""
    slug = sector.slug if sector else None
    with translation.override(language):
        sector_name = sector.display_name if sector else ""
        sector_text = localized(sector, "description") if sector else ""
    points = list(selectors.talking_points_active(sector_slug=slug, language=language[:2]))
    # Sector-specific points first, then the general ones, at most four on one page.
    # In English, translated points before those still in French.
    with translation.override(language):
        points.sort(
            key=lambda point: (
                not point.reads_in_page_language,
                point.sector_id is None,
                point.order,
            )
        )
    quote, testimonial = _voice(slug)
    pdf = one_pager_pdf(
        OnePagerContent(
            company=recruiter.company,
            logo_png=logo_png,
            sector_name=sector_name,
            sector_text=sector_text,
            figures=figures_data(key_figures_active(), language),
            points=points_data(points[:4], language),
            language=language,
            day=timezone.localdate(),
            quote=quote,
            testimonials_url=testimonials_url(sector_slug=slug, language=language),
            careers_url=careers_url,
        )
    )
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        pdf_path = Path(work) / "sheet.pdf"
        pdf_path.write_bytes(pdf)
        media.run_checked(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", "-f", "1", "-l", "1",
             str(pdf_path), str(Path(work) / "sheet")]
        )  # fmt: skip
        png = (Path(work) / "sheet.png").read_bytes()
    one_pager = OnePager(
        recruiter=recruiter,
        sector=sector,
        language=language,
        careers_url=careers_url,
        testimonial=testimonial,
    )
    base = f"{recruiter.storage_prefix}/one-pagers/{one_pager.pk}"
    storage = private_storage()
    storage.save(f"{base}/logo.png", ContentFile(logo_png))
    one_pager.pdf_key = storage.save(f"{base}/sheet.pdf", ContentFile(pdf))
    one_pager.png_key = storage.save(f"{base}/sheet.png", ContentFile(png))
    one_pager.save()
    return one_pager
