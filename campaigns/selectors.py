"""Reads of campaign content; other apps use these rather than querying the models."""

from django.db.models import QuerySet

from .models import Campaign, KeyFigure, Placement, Sector


def campaign_current() -> Campaign | None:
    """Return the live campaign shown on the home page (the most recent one)."""
    return Campaign.objects.filter(status=Campaign.Status.LIVE).order_by("-starts_on").first()


def key_figures_active() -> QuerySet[KeyFigure]:
    return KeyFigure.objects.filter(is_active=True)


def sectors_all() -> QuerySet[Sector]:
    return Sector.objects.all()


def placement_by_code(code: str) -> Placement | None:
    return Placement.objects.select_related("campaign").filter(code=code).first()
