"""The one place where a testimonial changes status (DESIGN §4)."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ambassadors import task_names
from ambassadors.models import (
    ALLOWED_TRANSITIONS,
    ConsentRecord,
    Status,
    Testimonial,
    TestimonialEvent,
)
from ambassadors.services.audit import event_actor
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.signals import testimonial_status_changed


class InvalidTransition(Exception):
    """The testimonial is not in a status from which the asked move is allowed."""

    def __init__(self, testimonial_id: UUID | str, current: str, target: str) -> None:
        self.current, self.target = current, target
        super().__init__(f"testimonial {testimonial_id}: {current} -> {target} is not allowed")


PARENT_PENDING_MESSAGES = {
    Status.APPROVED: gettext_noop(
        "Accord parental en attente : ce témoignage ne peut pas être approuvé."
    ),
    Status.PUBLISHED: gettext_noop(
        "Accord parental en attente : ce témoignage ne peut pas être publié."
    ),
}


class ParentConfirmationPending(InvalidTransition):
    """A minor's testimonial cannot be approved or published before a parent confirms."""

    def __init__(self, testimonial_id: UUID | str, current: str, target: str) -> None:
        self.testimonial_id, self.current, self.target = testimonial_id, current, target
        # The admin shows the message as is (in French, as the admin is).
        Exception.__init__(self, PARENT_PENDING_MESSAGES[Status(target)])

    def __reduce__(self):
        # A worker's result store pickles it: rebuild it from what __init__ takes.
        return type(self), (self.testimonial_id, self.current, self.target)


def resident_notice(current: str, to: str) -> str | None:
    """The email a move sends the resident (`ambassadors.emails.DECISION_SUBJECTS`), if any.

    Every refusal (the pipeline's, a file it cannot use, or a moderator's) tells the resident why
    and how to send a new video; an unpublication (published -> approved) says it is offline.
    Here, the one path of both, so no refusal ever goes unannounced.
    """
    if to == Status.REJECTED:
        return "rejected"
    if current == Status.PUBLISHED and to == Status.APPROVED:
        return "unpublished"
    return None


def testimonial_refused_by_pipeline(testimonial_id: UUID | str) -> bool:
    """Whether the last refusal was the pipeline's (the file could not be used), not a
    moderator's: the status history says it (the decisions, the emails, retention and the
    erasure ask it here; the erasure is below the decisions, which queue it)."""
    refusal = TestimonialEvent.objects.filter(
        testimonial_id=testimonial_id, to_status=Status.REJECTED
    ).order_by("-created_at", "-pk")
    return refusal.values_list("from_status", flat=True).first() == Status.PROCESSING


def _parent_confirmation_pending(testimonial_id: UUID | str) -> bool:
    return ConsentRecord.objects.filter(
        testimonial_id=testimonial_id, is_minor=True, parent_confirmed_at=None
    ).exists()


def testimonial_transition(
    *,
    testimonial_id: UUID | str,
    to: Status | str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    note: str = "",
    expected_from: Iterable[str] | None = None,
    changes: dict[str, Any] | None = None,
) -> Testimonial:
    """Move a testimonial to `to`, apply `changes` to its fields, and audit the move.

    The row is locked for the duration, so two workers or two moderators cannot both apply a
    move from the same status. `expected_from` narrows the statuses the caller accepts to start
    from (a worker only picks up `uploaded`); a mismatch raises InvalidTransition and changes
    nothing.
    """
    to = Status(to)
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        current = testimonial.status
        if to not in ALLOWED_TRANSITIONS[current] or (
            expected_from is not None and current not in set(expected_from)
        ):
            raise InvalidTransition(testimonial_id, current, to)
        # Every road to the public (approval, publication, the scheduled publisher) passes here;
        # unpublishing (published -> approved) stays open.
        if (
            to == Status.PUBLISHED or (to == Status.APPROVED and current != Status.PUBLISHED)
        ) and _parent_confirmation_pending(testimonial.pk):
            raise ParentConfirmationPending(testimonial_id, current, to)
        testimonial.status = to
        testimonial.status_changed_at = timezone.now()
        fields = ["status", "status_changed_at", "updated_at"]
        for name, value in (changes or {}).items():
            setattr(testimonial, name, value)
            fields.append(name)
        testimonial.save(update_fields=fields)
        TestimonialEvent.objects.create(
            testimonial=testimonial,
            from_status=current,
            to_status=to,
            actor=event_actor(actor),
            actor_label=actor_label,
            note=note,
        )
        notice = resident_notice(current, to)
        if notice:
            # Sent by the worker after the commit; it checks the status again before sending.
            task_queue_on_commit(task_names.DECISION_EMAIL, testimonial.pk, notice, robust=True)
        transaction.on_commit(
            lambda: testimonial_status_changed.send(
                sender=Testimonial, testimonial_id=testimonial.pk, from_status=current, to_status=to
            )
        )
    return testimonial
