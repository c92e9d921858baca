"""The resident's right of access: what is held about them, and until when (issue 12).

Read from the status link (`views_access`): their data as JSON (fields, consent proof, status
history without staff names, retention dates) and their original video by a short-lived link.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ambassadors import conf
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.services import retention

# Who moved the status, as the resident reads it: never a staff member's name.
ACTORS = {"resident": "resident", "system": "system", "worker": "system", "": "staff"}
# Statuses with nothing left to give: the erasure is asked for or done.
GONE = (Status.WITHDRAWN, Status.ERASED)


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
            % {"days": conf.retention_rejected_days()},
            after_publication,
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "consent_months": self.consent_months,
            "consent_counted_from": "publication",
            "erase_on": self.erase_on.isoformat() if self.erase_on else None,
            "consent_ends_on": self.consent_ends_on.isoformat() if self.consent_ends_on else None,
            "abandoned_after_days": conf.retention_abandoned_days(),
            "refused_after_days": conf.retention_rejected_days(),
        }


def _day(day: datetime.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _consent(testimonial: Testimonial) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.select_related("consent_text")
        .filter(testimonial_ref=testimonial.pk)
        .first()
    )


def testimonial_retention(
    *, testimonial: Testimonial, record: ConsentRecord | None = None
) -> Retention:
    """The dates the retention rules (ambassadors.services.retention) apply to it now."""
    record = record if record is not None else _consent(testimonial)
    due = retention.testimonial_erasure_due_at(testimonial)
    day = timezone.localdate(due) if due else None
    published = testimonial.status == Status.PUBLISHED
    return Retention(
        consent_months=retention.consent_duration_months(record),
        erase_on=None if published else day,
        consent_ends_on=day if published else None,
    )


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
