"""Writes of the employer kit: recruiters' access, assets and their versions, downloads,
archives, takedowns and the co-branded one-pager."""

import io
import logging
import re
import secrets
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image
from zipstream import ZIP_STORED, ZipStream

from ambassadors import keys
from ambassadors.selectors import testimonials_published
from ambassadors.services import retention
from campaigns.models import KeyFigure, Sector, localized
from campaigns.selectors import key_figures_active
from onprovence.mail import email_build
from onprovence.storage import delete_prefix, is_local, private_storage, public_storage

from . import conf, documents, media, selectors
from .models import (
    KitAsset,
    KitAssetVersion,
    KitDownload,
    OnePager,
    Recruiter,
    TakedownNotice,
    TalkingPoint,
)

logger = logging.getLogger(__name__)

MAGIC_LINK_SALT = "employer_kit.magic-link"
SESSION_KEY = "employer_kit.recruiter"


# --- Recruiters: identify once, confirm by magic link, delete -----------------------------------


class MagicLinkInvalid(Exception):
    """The link is tampered with, expired, already used, or its account is gone."""


def siret_is_valid(siret: str) -> bool:
    """14 digits with a Luhn checksum (La Poste's establishments use a digit sum rule)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(d) for d in siret) % 5 == 0
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(siret)):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def magic_link_token(*, recruiter: Recruiter) -> str:
    return signing.dumps({"r": str(recruiter.pk), "n": recruiter.login_nonce}, salt=MAGIC_LINK_SALT)


def recruiter_identify(
    *, company: str, email: str, siret: str = "", language: str = "fr"
) -> Recruiter:
    """Register (or find) a recruiter and email a magic link; nothing else changes before the
    address is confirmed, so a stranger cannot rename someone else's account."""
    email = email.strip().lower()
    recruiter, created = Recruiter.objects.get_or_create(
        email=email,
        defaults={"company": company.strip(), "siret": siret, "language": language},
    )
    if not created and recruiter.confirmed_at is None:
        recruiter.company, recruiter.siret, recruiter.language = company.strip(), siret, language
        recruiter.save(update_fields=["company", "siret", "language"])
    link = settings.SITE_URL + _localized_path(
        reverse("employer_kit:confirm", args=[magic_link_token(recruiter=recruiter)]), language
    )
    email_build(
        to=[recruiter.email],
        subject=gettext_lazy("Votre accès au kit employeur One Provence"),
        template="employer_kit/email/magic_link",
        context={
            "recruiter": recruiter,
            "link": link,
            "minutes": conf.MAGIC_LINK_MAX_AGE_SECONDS // 60,
        },
        language=language,
        html=False,
        site_suffix=False,
    ).send()
    return recruiter


def _magic_link_data(token: str) -> dict:
    try:
        data = signing.loads(token, salt=MAGIC_LINK_SALT, max_age=conf.MAGIC_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise MagicLinkInvalid(str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise MagicLinkInvalid("not a magic link")
    return data


def _magic_link_recruiter(data: dict, *, lock: bool) -> Recruiter:
    recruiters = Recruiter.objects.select_for_update() if lock else Recruiter.objects
    recruiter = recruiters.filter(pk=data.get("r")).first()
    if recruiter is None or not secrets.compare_digest(recruiter.login_nonce, data["n"]):
        raise MagicLinkInvalid("link already used or account deleted")
    return recruiter


def recruiter_for_magic_link(*, token: str) -> Recruiter:
    """The recruiter a magic link would sign in, without using the link up.

    Opening the link (GET) only shows a confirm button: mail-security scanners that fetch every
    link of an email (Safe Links, Mimecast) must not burn it before the recruiter clicks.
    """
    return _magic_link_recruiter(_magic_link_data(token), lock=False)


def recruiter_confirm(*, token: str) -> Recruiter:
    """Confirm the address behind a magic link and use the link up (it works once)."""
    data = _magic_link_data(token)
    with transaction.atomic():
        recruiter = _magic_link_recruiter(data, lock=True)
        now = timezone.now()
        recruiter.confirmed_at = recruiter.confirmed_at or now
        recruiter.last_login_at = now
        recruiter.login_nonce = secrets.token_hex(16)
        recruiter.save(update_fields=["confirmed_at", "last_login_at", "login_nonce"])
    return recruiter


def recruiter_delete(*, recruiter_id: Any) -> None:
    """Delete a recruiter's account, download log, logos and one-pagers."""
    recruiter = Recruiter.objects.filter(pk=recruiter_id).first()
    if recruiter is None:
        return
    prefix = recruiter.storage_prefix
    recruiter.delete()
    transaction.on_commit(lambda: delete_prefix(private_storage(), prefix))


def _localized_path(path: str, language: str) -> str:
    """Paths are reversed in French (no prefix); English pages live under /en/."""
    if language.startswith("en") and not path.startswith("/en/"):
        return "/en" + path
    return path


# --- Assets: versions, analysis, testimonials ---------------------------------------------------


def kit_asset_save(*, asset: KitAsset, file_changed: bool) -> KitAsset:
    """Save an asset edited by staff; a new file keeps the previous one as a version.

    A testimonial's asset stays inside its author's consent (ValidationError otherwise).
    """
    if errors := kit_asset_consent_errors(asset=asset):
        raise ValidationError(errors)
    with transaction.atomic():
        if asset.pk and file_changed:
            previous = KitAsset.objects.select_for_update().get(pk=asset.pk)
            KitAssetVersion.objects.create(
                asset=previous,
                version=previous.version,
                file_key=previous.file.name,
                file_format=previous.file_format,
                size_bytes=previous.size_bytes,
                width=previous.width,
                height=previous.height,
            )
            asset.version = previous.version + 1
        if file_changed:
            asset.file_format, asset.preview_key, asset.analysed_at = "", "", None
            asset.width = asset.height = asset.duration = asset.page_count = None
        asset.save()
        if file_changed and asset.testimonial_id is None:
            from .tasks import analyse_kit_asset

            asset_id = asset.pk
            transaction.on_commit(
                lambda: analyse_kit_asset.apply_async(args=[asset_id], queue="media")
            )
    return asset


def kit_asset_analyse(*, asset_id: int) -> KitAsset:
    """Read format, dimensions and size from the file and render its preview once."""
    asset = KitAsset.objects.get(pk=asset_id)
    storage = private_storage()
    key = asset.file.name
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        local = Path(work) / "source"
        with storage.open(key, "rb") as source, local.open("wb") as target:
            shutil.copyfileobj(source, target, conf.STREAM_CHUNK_BYTES)
        facts = media.probe(local)
        preview_key = f"kit/previews/{asset.pk}/v{asset.version}.webp"
        preview = Path(work) / "preview.webp"
        try:
            has_preview = media.render_preview(local, facts, preview)
        except (subprocess.SubprocessError, OSError, Warning) as exc:
            logger.warning("kit asset %s: no preview (%s)", asset.pk, type(exc).__name__)
            has_preview = False
        if has_preview:
            public_storage().save(preview_key, ContentFile(preview.read_bytes()))
        size = local.stat().st_size
    with transaction.atomic():
        asset = KitAsset.objects.select_for_update().get(pk=asset_id)
        if asset.file.name != key:  # replaced meanwhile: the newer analysis wins
            return asset
        asset.file_format = facts.file_format
        asset.width, asset.height = facts.width, facts.height
        asset.duration, asset.page_count = facts.duration, facts.page_count
        asset.size_bytes = size
        asset.preview_key = preview_key if has_preview else ""
        asset.analysed_at = timezone.now()
        asset.save(
            update_fields=[
                "file_format", "width", "height", "duration", "page_count", "size_bytes",
                "preview_key", "analysed_at", "updated_at",
            ]
        )  # fmt: skip
    return asset


class TestimonialNotUsable(Exception):
    """The testimonial cannot go into the kit; the message says why (shown to staff)."""


@dataclass(frozen=True)
class ConsentLimits:
    """What a testimonial's consent allows the kit: until when, under which rights."""

    until: date  # the last day of use, the day before the consent period ends
    channels: list[str]
    usage_rights: str


def testimonial_kit_limits(*, testimonial: Any) -> ConsentLimits | None:
    """The kit's limits for a testimonial: its first publication + the accepted duration, the
    accepted channels. None without a consent record or before any publication."""
    consent = retention.consent_of(testimonial)
    ends = retention.testimonial_consent_ends_at(testimonial)
    if consent is None or ends is None:
        return None
    until = timezone.localdate(ends) - timedelta(days=1)
    channels = retention.consent_channels(consent)
    with translation.override("fr"):
        usage_rights = _(
            "Recrutement uniquement, dans les canaux acceptés par l'auteur (%(channels)s), sans "
            "montage ni recadrage, avec la mention « One Provence — Tous Ambassadeurs », "
            "jusqu'au %(day)s (accord de l'auteur, v%(version)s)."
        ) % {
            "channels": ", ".join(channels),
            "day": until.strftime("%d/%m/%Y"),
            "version": consent.text_version,
        }
    return ConsentLimits(until=until, channels=channels, usage_rights=usage_rights)


def _consent_includes_kit(consent: Any) -> bool:
    return consent.choices.get("employer_kit") is not False and any(
        "kit" in channel.lower() for channel in retention.consent_channels(consent)
    )


def kit_asset_consent_errors(*, asset: KitAsset) -> dict[str, str]:
    """Why a testimonial's asset would exceed its author's consent, by field (French); {} if
    it does not. Staff may shorten the availability, never extend it nor change the rights."""
    if asset.testimonial_id is None or asset.withdrawn_at is not None:
        return {}  # a withdrawn asset is out of the kit for good: nothing left to limit
    with translation.override("fr"):
        limits = testimonial_kit_limits(testimonial=asset.testimonial)
        if limits is None:
            # Not a field's error: the testimonial is read-only in the admin form.
            return {NON_FIELD_ERRORS: _("Ce témoignage n'a pas de preuve de consentement.")}
        if not _consent_includes_kit(retention.consent_of(asset.testimonial)):
            return {
                NON_FIELD_ERRORS: _("Le consentement de l'auteur n'inclut pas le kit employeur.")
            }
        errors = {}
        if asset.available_until is None or asset.available_until > limits.until:
            errors["available_until"] = _(
                "La date de fin ne peut pas dépasser la fin du consentement de l'auteur : "
                "le %(day)s au plus tard."
            ) % {"day": limits.until.strftime("%d/%m/%Y")}
        if asset.usage_rights.strip() != limits.usage_rights:
            errors["usage_rights"] = _(
                "Les droits d'usage d'un témoignage sont ceux que son auteur a acceptés "
                "(canaux : %(channels)s) : ils ne peuvent être ni élargis ni modifiés."
            ) % {"channels": ", ".join(limits.channels)}
    return errors


def kit_asset_from_testimonial(*, testimonial_id: Any) -> KitAsset:
    """Make a published testimonial a video asset of the kit, inside its consent limits.

    Messages and the asset's texts are French (the admin's and the kit content's language).
    """
    with translation.override("fr"):
        return _kit_asset_from_testimonial(testimonial_id)


def _kit_asset_from_testimonial(testimonial_id: Any) -> KitAsset:
    testimonial = testimonials_published().filter(pk=testimonial_id).first()
    if testimonial is None:
        raise TestimonialNotUsable(_("Seul un témoignage publié peut être ajouté au kit."))
    consent = retention.consent_of(testimonial)
    if consent is None:
        raise TestimonialNotUsable(_("Ce témoignage n'a pas de preuve de consentement."))
    if not _consent_includes_kit(consent):
        raise TestimonialNotUsable(_("Le consentement de l'auteur n'inclut pas le kit employeur."))
    limits = testimonial_kit_limits(testimonial=testimonial)
    if limits is None or limits.until < timezone.localdate():
        raise TestimonialNotUsable(_("La durée du consentement de l'auteur est écoulée."))
    name = testimonial.display_name or _("un ambassadeur")
    key = keys.testimonial_key(testimonial.pk, keys.WEB)
    storage = private_storage()
    size = storage.size(key) if storage.exists(key) else None
    fields = {
        "title": _("Témoignage — %(name)s") % {"name": name},
        "kind": KitAsset.Kind.VIDEO,
        "sector": testimonial.sector,
        "language": testimonial.language[:2] if testimonial.language[:2] in ("fr", "en") else "fr",
        "credits": _("%(name)s, ambassadeur One Provence — Tous Ambassadeurs") % {"name": name},
        "usage_rights": limits.usage_rights,
        "available_until": limits.until,
        "file_format": "MP4",
        "duration": testimonial.duration,
        "size_bytes": size,
        "preview_key": keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG),
        "withdrawn_at": None,
        "withdrawn_reason": "",
        "analysed_at": timezone.now(),
    }
    with transaction.atomic():
        asset = KitAsset.objects.select_for_update().filter(testimonial=testimonial).first()
        if asset is None:
            asset = KitAsset(testimonial=testimonial, **fields)
        else:
            for name_, value in fields.items():
                setattr(asset, name_, value)
        # The file stays the testimonial's own rendition: its erasure removes it from the kit too.
        asset.file.name = key
        asset.save()
    return asset


def kit_asset_takedown(*, testimonial_id: Any, reason: str) -> list[int]:
    """Take a testimonial's asset out of the kit at once and queue the takedown notices.

    Returns the ids of the notices created (one per recruiter who downloaded it, once).
    """
    from .tasks import send_takedown_notice

    with transaction.atomic():
        asset = (
            KitAsset.objects.select_for_update()
            .filter(testimonial_id=testimonial_id, withdrawn_at__isnull=True)
            .first()
        )
        if asset is None:
            return []
        asset.withdrawn_at = timezone.now()
        asset.withdrawn_reason = reason[:200]
        asset.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
        recruiters = list(selectors.recruiters_who_downloaded(asset_id=asset.pk))
        TakedownNotice.objects.bulk_create(
            [TakedownNotice(asset=asset, recruiter=recruiter) for recruiter in recruiters],
            ignore_conflicts=True,
        )
        notice_ids = list(
            TakedownNotice.objects.filter(asset=asset, sent_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        for notice_id in notice_ids:
            transaction.on_commit(lambda notice_id=notice_id: send_takedown_notice.delay(notice_id))
    return notice_ids


def takedown_notice_send(*, notice_id: int) -> bool:
    """Email one takedown notice; a rerun after success sends nothing."""
    with transaction.atomic():
        notice = (
            TakedownNotice.objects.select_for_update()
            .select_related("asset", "recruiter")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        recruiter = notice.recruiter
        with translation.override(recruiter.language):
            subject = _("Avis de retrait : « %(title)s » ne doit plus être utilisé") % {
                "title": notice.asset.title
            }
        email_build(
            to=[recruiter.email],
            subject=subject,
            template="employer_kit/email/takedown",
            context={
                "recruiter": recruiter,
                "asset": notice.asset,
                "kit_url": settings.SITE_URL
                + _localized_path(reverse("employer_kit:home"), recruiter.language),
            },
            language=recruiter.language,
            html=False,
            site_suffix=False,
        ).send()
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return True


# --- Downloads and archives -----------------------------------------------------------------------


def kit_download_record(*, recruiter: Recruiter, assets: Iterable[KitAsset], channel: str) -> None:
    KitDownload.objects.bulk_create(
        [
            KitDownload(
                recruiter=recruiter,
                asset=asset,
                asset_title=asset.title[:160],
                asset_version=asset.version,
                channel=channel,
            )
            for asset in assets
        ]
    )


def _object_chunks(key: str) -> Iterator[bytes]:
    """Yield an object's bytes piece by piece; nothing is held beyond one piece."""
    storage = private_storage()
    if is_local(storage):
        with storage.open(key, "rb") as handle:
            while chunk := handle.read(conf.STREAM_CHUNK_BYTES):
                yield chunk
        return
    body = storage.bucket.Object(key).get()["Body"]
    try:
        yield from body.iter_chunks(conf.STREAM_CHUNK_BYTES)
    finally:
        body.close()


def _point_data(points: Iterable[TalkingPoint]) -> list[documents.Point]:
    return [
        documents.Point(
            headline=point.headline,
            body=point.body,
            sources=documents.unique([_figure_source(f) for f in point.key_figures.all()]),
            audience=point.get_audience_display(),
            sector=point.sector.display_name if point.sector else "",
            version=point.version,
            reviewed_on=point.reviewed_on,
        )
        for point in points
    ]


def _figure_source(figure: KeyFigure) -> str:
    source = figure.source_name + (f", {figure.year}" if figure.year else "")
    return source + (f" ({figure.source_url})" if figure.source_url else "")


@dataclass
class KitArchive:
    stream: ZipStream
    assets: list[KitAsset]

    @property
    def size(self) -> int:
        return len(self.stream)


def kit_archive_build(
    *, assets: Iterable[KitAsset], points: Iterable[TalkingPoint], language: str
) -> KitArchive:
    """Lay out a ZIP of the assets, their README and the talking points, read lazily.

    Nothing is read from storage here: each file is fetched piece by piece while the archive
    streams, and files are stored (not deflated: media are compressed already), so the size is
    known in advance and the browser shows real progress.
    """
    day = timezone.localdate()
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    storage = private_storage()
    entries, included, used = [], [], set()
    for asset in assets:
        size = asset.size_bytes
        if size is None:
            try:
                size = storage.size(asset.file.name)
            except Exception:  # the file is gone (a purge raced us): leave it out
                logger.warning("kit asset %s: file missing, left out of the archive", asset.pk)
                continue
        folder = asset.sector.slug if asset.sector else "tous-secteurs"
        path = f"{asset.kind}/{folder}/{asset.download_name}"
        while path in used:
            stem, dot, ext = path.rpartition(".")
            path = f"{stem}-{asset.pk}.{ext}" if dot else f"{path}-{asset.pk}"
        used.add(path)
        stream.add(_object_chunks(asset.file.name), path, size=size)
        included.append(asset)
        entries.append(
            documents.ArchiveEntry(
                path=path,
                title=asset.title,
                kind=asset.get_kind_display(),
                credits=asset.credits,
                usage_rights=asset.usage_rights,
                available_until=asset.available_until,
                version=asset.version,
            )
        )
    point_data = _point_data(points)
    stream.add(documents.archive_readme(entries, language=language, day=day).encode(), "README.md")
    stream.add(
        documents.talking_points_markdown(point_data, language=language).encode(),
        "talking-points.md",
    )
    stream.add(documents.talking_points_pdf(point_data, language=language), "talking-points.pdf")
    stream.add(documents.talking_points_docx(point_data, language=language), "talking-points.docx")
    return KitArchive(stream=stream, assets=included)


# --- The co-branded one-pager ---------------------------------------------------------------------


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


def _figure_data(figures: Iterable[KeyFigure], language: str) -> list[documents.Figure]:
    data = []
    with translation.override(language):
        for figure in figures:
            comparison = ""
            if figure.comparison_label:
                label = localized(figure, "comparison_label")
                if figure.comparison_value is not None:
                    versus = _("contre")
                    comparison = f"{versus} {figure.display_comparison_value} — {label}"
                else:
                    comparison = label
            data.append(
                documents.Figure(
                    value=figure.display_value,
                    label=localized(figure, "label"),
                    comparison=comparison,
                    source=_figure_source(figure),
                )
            )
    return data


def one_pager_render(
    *, recruiter: Recruiter, sector: Sector | None, logo_png: bytes, language: str
) -> OnePager:
    """Render the co-branded sheet (PDF, and PNG from the same PDF) and store both."""
    slug = sector.slug if sector else None
    with translation.override(language):
        sector_name = sector.display_name if sector else ""
        sector_text = localized(sector, "description") if sector else ""
    points = list(selectors.talking_points_active(sector_slug=slug, language=language[:2]))
    # Sector-specific points first, then the general ones, at most four on one page.
    points.sort(key=lambda point: (point.sector_id is None, point.order))
    pdf = documents.one_pager_pdf(
        company=recruiter.company,
        logo_png=logo_png,
        sector_name=sector_name,
        sector_text=sector_text,
        figures=_figure_data(key_figures_active(), language),
        points=_point_data(points[:4]),
        language=language,
        day=timezone.localdate(),
    )
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        pdf_path = Path(work) / "sheet.pdf"
        pdf_path.write_bytes(pdf)
        media.run_checked(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", "-f", "1", "-l", "1",
             str(pdf_path), str(Path(work) / "sheet")]
        )  # fmt: skip
        png = (Path(work) / "sheet.png").read_bytes()
    one_pager = OnePager(recruiter=recruiter, sector=sector, language=language)
    base = f"{recruiter.storage_prefix}/one-pagers/{one_pager.pk}"
    storage = private_storage()
    storage.save(f"{base}/logo.png", ContentFile(logo_png))
    one_pager.pdf_key = storage.save(f"{base}/sheet.pdf", ContentFile(pdf))
    one_pager.png_key = storage.save(f"{base}/sheet.png", ContentFile(png))
    one_pager.save()
    return one_pager
