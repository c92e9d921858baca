"""Reads of testimonials for other apps and public pages: only `published` ever leaves here.

Moderation reads (the queue, the publishing calendar, free publication slots) live here too.
"""

import datetime
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import cast

from django.db.models import QuerySet
from django.utils import timezone

from onprovence.cacheversion import CacheVersion

from .media.renditions import web_rendition_pending
from .models import PublicationRhythm, Status, Testimonial

# Bumped whenever the set of published testimonials or what they show changes: every cached
# public read (feeds, embeds) keys on it, so unpublishing or erasing takes effect at once.
# (Deleting the key is a bump too: the next read starts a fresh version.)
PUBLISHED_VERSION_KEY = "ambassadors:published-version"
PUBLISHED_VERSION = CacheVersion(PUBLISHED_VERSION_KEY)

# Statuses that hold a publication slot in the calendar.
SCHEDULED_STATUSES = (Status.APPROVED, Status.PUBLISHED)


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


def testimonial_published_get(*, testimonial_id: uuid.UUID | str) -> Testimonial | None:
    """The published testimonial with this id, or None (unknown, unpublished, erased)."""
    try:
        testimonial_id = uuid.UUID(str(testimonial_id))
    except ValueError:
        return None
    return testimonials_published().filter(pk=testimonial_id).first()


def testimonials_published_communes(*, sector_slug: str | None = None) -> list[str]:
    """The communes that published testimonials come from, for the gallery filter."""
    return sorted(
        set(
            testimonials_published(sector_slug=sector_slug)
            .exclude(commune="")
            .values_list("commune", flat=True)
        ),
        key=str.casefold,
    )


def testimonials_published_version() -> str:
    """An opaque token that changes whenever what public pages show may have changed."""
    return str(PUBLISHED_VERSION.current())


def moderation_queue_count() -> int:
    return Testimonial.objects.filter(status=Status.IN_REVIEW).count()


def testimonials_due(*, now: datetime.datetime | None = None) -> list[uuid.UUID]:
    """Ids of approved testimonials whose publication time has come, oldest first.

    A minor's testimonial still waiting for the parent's confirmation is left out: publishing
    it would be refused (`testimonial_transition`), every minute.
    """
    return list(
        Testimonial.objects.filter(
            status=Status.APPROVED, publish_at__isnull=False, publish_at__lte=now or timezone.now()
        )
        .exclude(consent__is_minor=True, consent__parent_confirmed_at=None)
        .order_by("publish_at")
        .values_list("pk", flat=True)
    )


def publication_rhythm() -> PublicationRhythm:
    rhythm = PublicationRhythm.objects.order_by("pk").first()
    return rhythm if rhythm is not None else PublicationRhythm()


def _slot_times(rhythm: PublicationRhythm, start: datetime.date, days: int):
    """Yield each (date, aware datetime) of the rhythm from `start` for `days` days."""
    zone = timezone.get_current_timezone()
    weekdays = set(rhythm.weekday_numbers)
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        if day.weekday() in weekdays:
            yield day, datetime.datetime.combine(day, rhythm.time_of_day, tzinfo=zone)


def _taken_per_day(
    since: datetime.datetime, *, exclude: Collection[uuid.UUID | str] = ()
) -> Counter:
    zone = timezone.get_current_timezone()
    moments = (
        Testimonial.objects.filter(status__in=SCHEDULED_STATUSES, publish_at__gte=since)
        .exclude(pk__in=list(exclude))
        .values_list("publish_at", flat=True)
    )
    # publish_at__gte leaves out the rows without a publication time.
    return Counter(moment.astimezone(zone).date() for moment in moments)  # type: ignore[union-attr]


def publication_free_slots(
    *, count: int, after: datetime.datetime | None = None, exclude: Collection[uuid.UUID | str] = ()
) -> list[datetime.datetime]:
    """The next `count` publication times of the rhythm not yet taken, after `after`.

    A day of the rhythm holds `per_day` testimonials; approved and published ones scheduled
    that day take its places (`exclude` ignores some, e.g. the ones being rescheduled).
    """
    after = after or timezone.now()
    rhythm = publication_rhythm()
    if count <= 0:
        return []
    start = timezone.localdate(after)
    day_start = datetime.datetime.combine(start, datetime.time(), tzinfo=after.tzinfo)
    taken = _taken_per_day(day_start, exclude=exclude)
    slots: list[datetime.datetime] = []
    # Two years of days is far more than any queue; it bounds the loop for an empty rhythm.
    for day, moment in _slot_times(rhythm, start, 730):
        if moment <= after:
            continue
        free = max(rhythm.per_day - taken[day], 0)
        slots += [moment] * min(free, count - len(slots))
        if len(slots) == count:
            break
    return slots


@dataclass
class CalendarDay:
    day: datetime.date
    is_slot_day: bool
    # Places still to fill: none once the day's publication time has passed.
    capacity: int
    testimonials: list[Testimonial] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.capacity - len(self.testimonials), 0) if self.is_slot_day else 0

    @property
    def waiting_for_web(self) -> list[Testimonial]:
        """Approved testimonials of the day whose public web rendition is not made yet: their
        publication waits for it (review first, issue 18)."""
        return [t for t in self.testimonials if getattr(t, "web_rendition_pending", False)]


def publication_calendar(
    *, start: datetime.date | None = None, days: int = 28
) -> tuple[list[CalendarDay], list[Testimonial]]:
    """What goes out when: each day from `start`, and the approved ones with no date yet."""
    start = start or timezone.localdate()
    rhythm = publication_rhythm()
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)
    until = since + datetime.timedelta(days=days)
    scheduled = (
        Testimonial.objects.filter(
            status__in=SCHEDULED_STATUSES, publish_at__gte=since, publish_at__lt=until
        )
        .select_related("sector")
        .order_by("publish_at")
    )
    now = timezone.now()
    slot_times = dict(_slot_times(rhythm, start, days))
    calendar = {}
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        moment = slot_times.get(day)
        calendar[day] = CalendarDay(
            day=day,
            is_slot_day=moment is not None,
            capacity=rhythm.per_day if moment is not None and moment > now else 0,
        )
    for testimonial in scheduled:
        when = cast(datetime.datetime, testimonial.publish_at)  # scheduled: publish_at is set
        testimonial.web_rendition_pending = _web_pending(testimonial)  # type: ignore[attr-defined]
        calendar[when.astimezone(zone).date()].testimonials.append(testimonial)
    unscheduled = list(
        Testimonial.objects.filter(status=Status.APPROVED, publish_at__isnull=True)
        .select_related("sector")
        .order_by("status_changed_at")
    )
    for testimonial in unscheduled:
        testimonial.web_rendition_pending = _web_pending(testimonial)  # type: ignore[attr-defined]
    return list(calendar.values()), unscheduled


def _web_pending(testimonial: Testimonial) -> bool:
    """Approved, and `web.mp4` still the review file: the publication waits (review first)."""
    return testimonial.status == Status.APPROVED and web_rendition_pending(testimonial.probe)
