"""Reads of the employer kit. What a recruiter may see or download is decided here only."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.selectors import testimonials_published

from .models import (
    Audience,
    CompanySize,
    KitAsset,
    KitDownload,
    Language,
    OnePager,
    Recruiter,
    TalkingPoint,
)


def kit_asset_file_key(asset: KitAsset) -> str:
    """The storage key of a saved asset's file."""
    key = asset.file.name
    # The file column is NOT NULL: a FieldFile read from the database always has a str name.
    assert key is not None, f"kit asset {asset.pk} has no file name"
    return key


def _today() -> date:
    return timezone.localdate()


def kit_assets_available(
    *,
    sector_slug: str | None = None,
    audience: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    today: date | None = None,
) -> QuerySet[KitAsset]:
    """Assets in the public kit: inside their window, not withdrawn, testimonials still published.

    Filters keep what applies to everyone: an all-sector asset shows under every sector.
    """
    today = today or _today()
    queryset = (
        KitAsset.objects.filter(withdrawn_at__isnull=True)
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=today))
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        .filter(
            Q(testimonial__isnull=True) | Q(testimonial__in=testimonials_published().values("pk"))
        )
        .select_related("sector")
    )
    if sector_slug:
        queryset = queryset.filter(Q(sector__slug=sector_slug) | Q(sector__isnull=True))
    if audience and audience != Audience.ALL:
        queryset = queryset.filter(audience__in=[audience, Audience.ALL])
    if kind:
        queryset = queryset.filter(kind=kind)
    if language and language != Language.ANY:
        queryset = queryset.filter(language__in=[language, Language.ANY])
    return queryset.order_by("kind", "title")


def kit_asset_downloadable(*, asset_id: int) -> KitAsset | None:
    """The asset if a recruiter may download it right now, else None."""
    return kit_assets_available().filter(pk=asset_id).first()


def kit_assets_picked(*, asset_ids: list[int]) -> QuerySet[KitAsset]:
    """The picked assets a recruiter may still download (a withdrawn one is left out)."""
    return kit_assets_available().filter(pk__in=asset_ids)


def talking_points_active(
    *,
    sector_slug: str | None = None,
    audience: str | None = None,
    language: str | None = None,
) -> QuerySet[TalkingPoint]:
    # Published with a source only (its own, or a sourced key figure it quotes).
    sourced = TalkingPoint.objects.filter(
        Q(source_year__isnull=False, source_name__gt="") | Q(key_figures__source_name__gt="")
    ).values("pk")
    queryset = (
        TalkingPoint.objects.filter(is_active=True, pk__in=sourced)
        .select_related("sector")
        .prefetch_related("key_figures")
    )
    if sector_slug:
        queryset = queryset.filter(Q(sector__slug=sector_slug) | Q(sector__isnull=True))
    if audience and audience != Audience.ALL:
        queryset = queryset.filter(audience__in=[audience, Audience.ALL])
    if language == Language.EN:
        # The English kit has the French points too: in English where staff translated them,
        # else in French, marked so (`TalkingPoint.reads_in_page_language`).
        queryset = queryset.filter(language__in=[Language.EN, Language.ANY, Language.FR])
    elif language and language != Language.ANY:
        queryset = queryset.filter(language__in=[language, Language.ANY])
    return queryset


def recruiter_confirmed(*, recruiter_id: str | None) -> Recruiter | None:
    """The confirmed recruiter of a session, or None (unknown, unconfirmed or deleted)."""
    if not recruiter_id:
        return None
    try:
        return Recruiter.objects.filter(pk=recruiter_id, confirmed_at__isnull=False).first()
    except (ValidationError, ValueError):  # a session value that is not a UUID
        return None


def recruiter_downloads(*, recruiter: Recruiter) -> QuerySet[KitDownload]:
    return (
        KitDownload.objects.filter(recruiter=recruiter)
        .select_related("asset")
        .order_by("-created_at")
    )


def recruiter_one_pagers(*, recruiter: Recruiter) -> QuerySet[OnePager]:
    return OnePager.objects.filter(recruiter=recruiter).select_related("sector")


def one_pager_of(*, recruiter: Recruiter, one_pager_id: str) -> OnePager | None:
    """A one-pager only its own recruiter can fetch."""
    return recruiter_one_pagers(recruiter=recruiter).filter(pk=one_pager_id).first()


def recruiters_who_downloaded(*, asset_id: int) -> QuerySet[Recruiter]:
    return Recruiter.objects.filter(downloads__asset_id=asset_id).distinct()


@dataclass(frozen=True)
class AssetUsage:
    """An asset's downloads: in all, by week (Monday), by company size and sector (as the
    recruiters said them, "not given" otherwise), by channel."""

    total: int
    recruiters: int
    by_week: list[tuple[date, int]]
    by_size: list[tuple[str, int]]
    by_sector: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]


def kit_asset_usage(*, asset_id: int, weeks: int = 12, today: date | None = None) -> AssetUsage:
    today = today or _today()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    downloads = KitDownload.objects.filter(asset_id=asset_id)
    weekly = dict(
        downloads.filter(created_at__date__gte=first)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    # TruncWeek gives the Monday at midnight in the site's time zone.
    weekly_by_day = {timezone.localdate(week): n for week, n in weekly.items()}
    by_week = [
        (first + timedelta(weeks=i), weekly_by_day.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]
    sizes = dict(CompanySize.choices)
    not_given = str(_("non précisé"))
    by_size = [
        (str(sizes.get(size, not_given)) if size else not_given, n)
        for size, n in downloads.values_list("recruiter__company_size")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    by_sector = [
        (name or not_given, n)
        for name, n in downloads.values_list("recruiter__sector__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    channels = dict(KitDownload.Channel.choices)
    by_channel = [
        (str(channels.get(channel, channel)), n)
        for channel, n in downloads.values_list("channel").annotate(n=Count("pk")).order_by("-n")
    ]
    return AssetUsage(
        total=downloads.count(),
        recruiters=downloads.values("recruiter").distinct().count(),
        by_week=by_week,
        by_size=by_size,
        by_sector=by_sector,
        by_channel=by_channel,
    )


def kit_asset_download_counts() -> QuerySet[KitAsset]:
    return KitAsset.objects.annotate(
        download_count=Count("downloads"),
        recruiter_count=Count("downloads__recruiter", distinct=True),
    )


def one_pager_voice(*, sector_slug: str | None) -> KitAsset | None:
    """The testimonial a one-pager quotes: one in the kit now (so its author agreed to the kit),
    with a quote, of the sector when there is one, else of any sector; the newest first."""
    videos = (
        kit_assets_available()
        .filter(testimonial__isnull=False)
        .exclude(testimonial__quote="")
        .select_related("testimonial", "testimonial__sector")
        .order_by("-created_at")
    )
    if sector_slug and (asset := videos.filter(sector__slug=sector_slug).first()):
        return asset
    return videos.first()


def widget_testimonials(*, sector_slug: str | None, limit: int = 6):
    """Published testimonials for the embeddable widget (the ambassadors selector only)."""
    return list(testimonials_published(sector_slug=sector_slug)[:limit])
