"""The resident's right of access: what is held about them, and until when (issue 12).

Read from the status link (`views_access`): their data as JSON (fields, consent proof, status
history without staff names, retention dates) and their original video by a short-lived link.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ambassadors.models import ConsentRecord, Status, Testimonial

# Retention periods of the retention tasks (issue 12, "Retention as code"), read by name so the
# status page states what the machine applies.
ABANDONED_DAYS_SETTING = "AMBASSADORS_RETENTION_ABANDONED_DAYS"
REJECTED_DAYS_SETTING = "AMBASSADORS_RETENTION_REJECTED_DAYS"
DEFAULT_ABANDONED_DAYS = 30
DEFAULT_REJECTED_DAYS = 90
DEFAULT_CONSENT_MONTHS = 36
# Who moved the status, as the resident reads it: never a staff member's name.
ACTORS = {"resident": "resident", "system": "system", "worker": "system", "": "staff"}
# Statuses with nothing left to give: the erasure is asked for or done.
GONE = (Status.WITHDRAWN, Status.ERASED)


def abandoned_days() -> int:
    return getattr(settings, ABANDONED_DAYS_SETTING, DEFAULT_ABANDONED_DAYS)


def rejected_days() -> int:
    return getattr(settings, REJECTED_DAYS_SETTING, DEFAULT_REJECTED_DAYS)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Retention:
    """How long a testimonial is kept, from where it is now."""

    consent_months: int
    erase_on: datetime.date | None  # refused or abandoned: erased on that day
    consent_ends_on: datetime.date | None  # published: unpublished and erased on that day

    def sentences(self, status: str) -> list[str]:
        """What the status page says, in the active language."""
        months = {"months": self.consent_months}
        after_publication = (
            _(
                "Une fois publiée, votre vidéo est diffusée pendant %(months)s mois à compter de "
                "la publication, puis retirée et effacée."
            )
            % months
        )
        if status == Status.CREATED:
            return [
                _("Sans vidéo envoyée, vos données seront effacées le %(day)s.")
                % {"day": _day(self.erase_on)}
            ]
        if status == Status.REJECTED:
            return [
                _("Votre vidéo et vos données seront effacées le %(day)s.")
                % {"day": _day(self.erase_on)}
            ]
        if status == Status.PUBLISHED:
            return [
                _(
                    "Votre vidéo est diffusée jusqu'au %(day)s (%(months)s mois à compter de la "
                    "publication), puis elle sera retirée et effacée avec vos données."
                )
                % {**months, "day": _day(self.consent_ends_on)}
            ]
        if status in GONE:
            return []
        return [
            _(
                "Si votre vidéo n'est pas retenue, elle et vos données seront effacées "
                "%(days)s jours après notre décision."
            )
            % {"days": rejected_days()},
            after_publication,
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "consent_months": self.consent_months,
            "consent_counted_from": "publication",
            "erase_on": self.erase_on.isoformat() if self.erase_on else None,
            "consent_ends_on": self.consent_ends_on.isoformat() if self.consent_ends_on else None,
            "abandoned_after_days": abandoned_days(),
            "refused_after_days": rejected_days(),
        }


def _day(day: datetime.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _consent(testimonial: Testimonial) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.select_related("consent_text")
        .filter(testimonial_ref=testimonial.pk)
        .first()
    )


def consent_months(record: ConsentRecord | None) -> int:
    """The consent's duration in months: as accepted (its choices), else its text's."""
    if record is None:
        return DEFAULT_CONSENT_MONTHS
    months = record.choices.get("duration_months") if isinstance(record.choices, dict) else None
    return int(months or record.consent_text.duration_months or DEFAULT_CONSENT_MONTHS)


def testimonial_retention(
    *, testimonial: Testimonial, record: ConsentRecord | None = None
) -> Retention:
    record = record if record is not None else _consent(testimonial)
    months = consent_months(record)
    erase_on = consent_ends_on = None
    if testimonial.status == Status.CREATED:
        start = timezone.localdate(testimonial.created_at)
        erase_on = start + datetime.timedelta(days=abandoned_days())
    elif testimonial.status == Status.REJECTED:
        start = timezone.localdate(testimonial.status_changed_at)
        erase_on = start + datetime.timedelta(days=rejected_days())
    elif testimonial.status == Status.PUBLISHED and testimonial.published_at:
        consent_ends_on = add_months(timezone.localdate(testimonial.published_at), months)
    return Retention(consent_months=months, erase_on=erase_on, consent_ends_on=consent_ends_on)


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def testimonial_access_data(*, testimonial: Testimonial, video_url: str = "") -> dict[str, Any]:
    """Everything held about the resident of a testimonial, as plain JSON data.

    Staff names and moderators' notes are left out of the history (they are staff data);
    `video_url` is where the original video can be fetched (empty: none held).
    """
    record = _consent(testimonial)
    retention = testimonial_retention(testimonial=testimonial, record=record)
    published = testimonial.status == Status.PUBLISHED
    return {
        "generated_at": timezone.now().isoformat(),
        "controller": "One Provence — Tous Ambassadeurs",
        "testimonial": {
            "id": str(testimonial.pk),
            "status": testimonial.status,
            "language": testimonial.language,
            "created_at": _when(testimonial.created_at),
            "status_changed_at": _when(testimonial.status_changed_at),
            "publish_at": _when(testimonial.publish_at),
            "published_at": _when(testimonial.published_at),
            "public_url": settings.SITE_URL + testimonial.get_absolute_url() if published else "",
        },
        "about_you": {
            "first_name": testimonial.first_name,
            "last_name": testimonial.last_name,
            "email": testimonial.email,
            "commune": testimonial.commune,
            "job_title": testimonial.job_title,
        },
        "shown_publicly": {
            "display_name": testimonial.display_name,
            "quote": testimonial.quote,
            "sector": testimonial.sector.display_name if testimonial.sector else "",
            "tags": testimonial.tag_list,
        },
        "video": {
            "original_size_bytes": testimonial.original_size,
            "duration_seconds": testimonial.duration,
            "has_captions": testimonial.has_captions,
            "original_download": video_url,
        },
        "rejection_reason": testimonial.rejection_reason,
        "consent": _consent_data(record),
        "history": [
            {
                "at": _when(event.created_at),
                "from": event.from_status,
                "to": event.to_status,
                "by": "staff" if event.actor_id else ACTORS.get(event.actor_label, "system"),
            }
            for event in testimonial.events.all()
        ],
        "retention": retention.as_dict(),
    }


def _consent_data(record: ConsentRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "text_version": record.text_version,
        "accepted_at": _when(record.accepted_at),
        "choices": record.choices,
        "is_minor": record.is_minor,
        "parent_email": record.parent_email,
    }


def status_page_access(*, testimonial: Testimonial, token: str) -> dict[str, Any]:
    """What the status page shows of the right of access: retention and download links."""
    from django.urls import reverse

    if testimonial.status in GONE:
        return {}
    retention = testimonial_retention(testimonial=testimonial)
    return {
        "retention": retention.sentences(testimonial.status),
        "data_url": reverse("ambassadors:access-data", args=[token]),
        "video_url": (
            reverse("ambassadors:access-video", args=[token]) if testimonial.original_key else ""
        ),
    }
