"""Reads of campaign content; other apps use these rather than querying the models."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import cast

from django.db.models import QuerySet, Sum

from .models import Campaign, DestinationChange, FunnelCount, KeyFigure, Placement, Sector
from .signals import funnel_published_counts


def campaign_current() -> Campaign | None:
    """Return the live campaign shown on the home page (the most recent one)."""
    return Campaign.objects.filter(status=Campaign.Status.LIVE).order_by("-starts_on").first()


def campaign_live(*, slug: str) -> Campaign | None:
    """Return a campaign by slug only while it is live (drafts and ended ones are not public)."""
    return Campaign.objects.filter(status=Campaign.Status.LIVE, slug=slug).first()


def key_figures_active() -> QuerySet[KeyFigure]:
    return KeyFigure.objects.filter(is_active=True)


def key_figures_general() -> QuerySet[KeyFigure]:
    """The region's figures (no sector): the home page's."""
    return key_figures_active().filter(sector__isnull=True)


def key_figures_of_sector(*, sector: Sector) -> QuerySet[KeyFigure]:
    return key_figures_active().filter(sector=sector)


def sectors_all() -> QuerySet[Sector]:
    """The sectors offered on pages and in pickers (archived ones are not)."""
    return Sector.objects.filter(archived_at__isnull=True)


def sector_by_slug(*, slug: str) -> Sector | None:
    return sectors_all().filter(slug=slug).first()


def placement_by_code(code: str) -> Placement | None:
    return Placement.objects.select_related("campaign").filter(code=code).first()


def placement_destination_history(*, placement: Placement) -> QuerySet[DestinationChange]:
    """Every change of a placement's destination, the newest first (scheduled ones included)."""
    return placement.destination_changes.select_related("changed_by").order_by("-changed_at", "-pk")


@dataclass
class Dependents:
    """What refers to an object, model by model (the admin's confirmation pages list it)."""

    label: str
    count: int
    items: list[str]


def sector_dependents(*, sector: Sector, limit: int = 20) -> list[Dependents]:
    """Every row of any app that refers to `sector`, read through the model's related
    objects (campaigns does not import the apps above it: kit talking points and assets,
    testimonials, one-pagers are found the same way as key figures)."""
    found = []
    for relation in Sector._meta.related_objects:
        model = relation.related_model
        rows = model._base_manager.filter(**{relation.field.name: sector})
        count = rows.count()
        if count:
            found.append(
                Dependents(
                    label=str(model._meta.verbose_name_plural),
                    count=count,
                    items=[str(row) for row in rows[:limit]],
                )
            )
    return found


# --- The funnel of a campaign (admin dashboard and CSV) -----------------------------------

FUNNEL_STEPS = ("scan", "landing", "recording_started", "upload_completed", "published")


@dataclass
class FunnelRow:
    """Counts of every step for one placement (or one day)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL_STEPS, 0))

    def rate(self, step: str, of: str = "scan") -> float | None:
        base = self.counts[of]
        return None if not base else self.counts[step] / base

    def conversions(self) -> list[tuple[str, float | None]]:
        """Each step after the scan as a share of the step before it (None: nothing before)."""
        return [(step, self.rate(step, of=previous)) for previous, step in pairwise(FUNNEL_STEPS)]

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values())


@dataclass
class CampaignFunnel:
    campaign: Campaign
    start: date
    end: date
    placements: list[Placement]
    by_placement: dict[int, FunnelRow]
    by_day: dict[date, FunnelRow]
    by_placement_day: dict[tuple[int, date], FunnelRow]
    total: FunnelRow
    declared_audience: int

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def top_placements(self, n: int = 5) -> list[tuple[Placement, FunnelRow]]:
        ranked = sorted(
            self.placements,
            key=lambda p: (-self.by_placement[p.pk].counts["scan"], p.place_name),
        )
        return [(p, self.by_placement[p.pk]) for p in ranked[:n]]

    @property
    def reach_share(self) -> float | None:
        target = self.campaign.reach_target
        return None if not target else self.declared_audience / target

    def reach(self) -> list[tuple[str, int, float | None]]:
        """Declared audience beside what was measured (scans, landing visits), each as a
        share of the campaign's reach target."""
        target = self.campaign.reach_target
        return [
            (name, n, (n / target) if target else None)
            for name, n in (
                ("declared", self.declared_audience),
                ("scan", self.total.counts["scan"]),
                ("landing", self.total.counts["landing"]),
            )
        ]


def campaign_funnel(*, campaign: Campaign, start: date, end: date) -> CampaignFunnel:
    """Scans → landings → recordings started → uploads completed → published, per placement
    and per day between `start` and `end` (inclusive). Three queries whatever the size.

    Publications are counted by the app that publishes (`signals.funnel_published_counts`).
    """
    placements = list(campaign.placements.order_by("place_name"))
    by_placement = {p.pk: FunnelRow() for p in placements}
    by_day = {start + timedelta(days=i): FunnelRow() for i in range((end - start).days + 1)}
    by_placement_day: dict[tuple[int, date], FunnelRow] = defaultdict(FunnelRow)
    total = FunnelRow()

    def add(placement_id: int, day: date, step: str, n: int) -> None:
        by_placement[placement_id].counts[step] += n
        by_day[day].counts[step] += n
        by_placement_day[(placement_id, day)].counts[step] += n
        total.counts[step] += n

    counts = FunnelCount.objects.filter(
        placement__campaign=campaign, day__gte=start, day__lte=end
    ).values_list("placement_id", "day", "step", "count")
    for placement_id, day, step, n in counts:
        add(placement_id, day, step, n)
    answers = funnel_published_counts.send(sender=Campaign, campaign=campaign, start=start, end=end)
    for _receiver, published in answers:
        # The signal's contract: each receiver returns an iterable of (placement_id, day, count).
        for placement_id, day, n in cast("Iterable[tuple[int, date, int]]", published):
            add(placement_id, day, "published", n)
    declared = sum(p.declared_audience for p in placements)
    return CampaignFunnel(
        campaign=campaign,
        start=start,
        end=end,
        placements=placements,
        by_placement=by_placement,
        by_day=by_day,
        by_placement_day=dict(by_placement_day),
        total=total,
        declared_audience=declared,
    )


def campaign_first_count_day(*, campaign: Campaign) -> date | None:
    """The first day anything was counted for one of the campaign's placements."""
    return (
        FunnelCount.objects.filter(placement__campaign=campaign)
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )


def placements_scan_totals(*, placement_ids: list[int]) -> dict[int, int]:
    """All-time scans counted in PostgreSQL for each placement (admin list)."""
    rows = (
        FunnelCount.objects.filter(placement_id__in=placement_ids, step=FunnelCount.Step.SCAN)
        .values("placement_id")
        .annotate(n=Sum("count"))
    )
    return {row["placement_id"]: row["n"] for row in rows}
