"""Tasks: publication of approved testimonials, taking public copies down, the moderation emails.

Each takes ids, calls a service, and is safe to rerun (the services check the status first).
"""

import logging
import smtplib

from botocore.exceptions import BotoCoreError, ClientError
from celery import current_app, shared_task

from ambassadors import conf, selectors
from ambassadors.services import moderation
from ambassadors.services.processing import TransientStorageError

logger = logging.getLogger(__name__)

# Every minute: a testimonial goes out at most a minute after its publish_at.
PUBLISH_EVERY_SECONDS = 60.0


@shared_task(name="ambassadors.publish_due_testimonials", ignore_result=True)
def publish_due_testimonials() -> int:
    """Queue the publication of each approved testimonial whose time has come."""
    due = selectors.testimonials_due()
    for testimonial_id in due:
        publish_testimonial.delay(str(testimonial_id))
    return len(due)


@shared_task(
    name=moderation.PUBLISH_TASK,
    acks_late=True,
    autoretry_for=(BotoCoreError, ClientError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def publish_testimonial(testimonial_id: str) -> bool:
    return moderation.testimonial_publish(testimonial_id=testimonial_id)


@shared_task(
    name=moderation.TAKE_DOWN_TASK,
    acks_late=True,
    autoretry_for=(TransientStorageError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=20,
)
def take_down_public_files(testimonial_id: str) -> int | None:
    """Delete an unpublished or erased testimonial's public copies (kept if published again).

    Retried with back-off while the store is away (20 tries over up to ~2 h); a refusal such
    as AccessDenied is not retried and is logged as the task's failure.
    """
    return moderation.testimonial_take_down(testimonial_id=testimonial_id)


@shared_task(name=moderation.PUBLIC_SWEEP_TASK, ignore_result=True, soft_time_limit=900)
def reconcile_public_store() -> int:
    """Periodic: take down public copies left behind by a lost or exhausted take-down task.

    A store that is away fails this run (TransientStorageError, logged); the next one retries.
    """
    return len(moderation.public_store_reconcile().taken_down)


@shared_task(
    name="ambassadors.email_moderation_decision",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=10,
)
def email_moderation_decision(testimonial_id: str, decision: str) -> bool:
    """Email the resident the approval (with its date), a new date, the refusal (with its
    reason) or, at its first publication, that it is online (with the link)."""
    return moderation.testimonial_email_decision(testimonial_id=testimonial_id, decision=decision)


# Written into the schedule when this module is imported (beat imports every app's tasks module
# before it reads the schedule), whether or not the app is already finalized.
current_app.conf.beat_schedule["ambassadors.publish_due_testimonials"] = {
    "task": "ambassadors.publish_due_testimonials",
    "schedule": PUBLISH_EVERY_SECONDS,
}
current_app.conf.beat_schedule[moderation.PUBLIC_SWEEP_TASK] = {
    "task": moderation.PUBLIC_SWEEP_TASK,
    "schedule": conf.PUBLIC_SWEEP_INTERVAL_SECONDS,
}
