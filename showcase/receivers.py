"""What the public pages hear from the apps they show (connected in ShowcaseConfig.ready())."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from ambassadors.selectors import testimonials_published
from campaigns.pagecache import content_changed


def on_shown_content_saved(sender: Any, **kwargs: Any) -> None:
    """A testimonial or a kit asset changed: cached pages go stale after the commit."""
    transaction.on_commit(content_changed)


def on_testimonial_status_changed(sender: Any, **kwargs: Any) -> None:
    # Sent after the commit already.
    content_changed()


def funnel_published_per_day(
    sender: Any, *, campaign: Any, start: date, end: date, **kwargs: Any
) -> Iterable[tuple[int, date, int]]:
    """The funnel's last step (campaigns.signals.funnel_published_counts): testimonials made
    through the campaign's placements and published, per placement and day (one query)."""
    return (
        testimonials_published()
        .filter(placement__campaign=campaign, published_at__isnull=False)
        .annotate(day=TruncDate("published_at", tzinfo=timezone.get_current_timezone()))
        .filter(day__gte=start, day__lte=end)
        .order_by()
        .values_list("placement_id", "day")
        .annotate(n=Count("id"))
    )
