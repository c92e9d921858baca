"""Reads of testimonials for other apps and public pages: only `published` ever leaves here."""

from django.db.models import QuerySet

from .models import Status, Testimonial


def testimonials_published(
    *, sector_slug: str | None = None, commune: str | None = None
) -> QuerySet[Testimonial]:
    """Published testimonials, newest first, with what cards need in one query."""
    queryset = (
        Testimonial.objects.filter(status=Status.PUBLISHED)
        .select_related("sector")
        .order_by("-published_at")
    )
    if sector_slug:
        queryset = queryset.filter(sector__slug=sector_slug)
    if commune:
        queryset = queryset.filter(commune__iexact=commune)
    return queryset
