"""What every moderator action shares: its error, and its audit note when the status stays."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.utils import formats, timezone, translation

from ambassadors.models import Testimonial, TestimonialEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise


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
        actor=event_actor(actor),
        actor_label="" if actor is not None else "system",
        note=note,
    )


def event_actor(actor: AbstractBaseUser | None) -> User | None:
    """The user an audit event points to: a signed-in moderator, or None (system, anonymous)."""
    if actor is None or not actor.is_authenticated:
        return None
    # A signed-in user is always an instance of AUTH_USER_MODEL (the auth backends load it with
    # get_user_model()); the event's foreign key would refuse anything else.
    assert isinstance(actor, get_user_model()), "the actor is not an AUTH_USER_MODEL instance"
    return actor


def field_verbose_name(model: type[Model], name: str) -> StrOrPromise:
    """The verbose name (lazy, as declared) of one of `model`'s own fields."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        # A reverse relation has no verbose name.
        raise FieldDoesNotExist(f"{model.__name__}.{name} is a reverse relation, not a field")
    return field.verbose_name


def audit_note(message: str, *, when: datetime.datetime | None = None, **params: Any) -> str:
    """An audit note, always in the admin's language (French), whatever language is active."""
    with translation.override(settings.LANGUAGE_CODE):
        if when is not None:
            params["when"] = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
        return message % {name: str(value) for name, value in params.items()}


def in_french(text: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
