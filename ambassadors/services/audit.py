"""What every moderator action shares: its error, and its audit note when the status stays."""

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import formats, timezone, translation

from ambassadors.models import Testimonial, TestimonialEvent


class ModerationError(Exception):
    """A moderator's action cannot be done; the message says why, in French."""


def moderation_audit(
    testimonial: Testimonial, *, actor: AbstractBaseUser | None, note: str
) -> None:
    """Record an action that leaves the status as it is, in the same history as status moves."""
    TestimonialEvent.objects.create(
        testimonial=testimonial,
        from_status=testimonial.status,
        to_status=testimonial.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label="" if actor is not None else "system",
        note=note,
    )


def audit_note(message: str, *, when: datetime.datetime | None = None, **params: Any) -> str:
    """An audit note, always in the admin's language (French), whatever language is active."""
    with translation.override(settings.LANGUAGE_CODE):
        if when is not None:
            params["when"] = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
        return message % {name: str(value) for name, value in params.items()}


def in_french(text: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
