"""Tasks: publication of approved testimonials, taking public copies down, the moderation emails.

Each takes ids, calls a service, and is safe to rerun (the services check the status first).
"""

import logging

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from ambassadors import emails, selectors, task_names
from ambassadors.services import publication
from onprovence.retry import EMAIL_ERRORS, retry_policy
from onprovence.storage import TransientStorageError

logger = logging.getLogger(__name__)


@shared_task(name=task_names.PUBLISH_DUE, ignore_result=True)
def publish_due_testimonials() -> int:
    """Queue the publication of each approved testimonial whose time has come."""
    due = selectors.testimonials_due()
    for testimonial_id in due:
        publish_testimonial.delay(str(testimonial_id))
    return len(due)


@shared_task(
    name=task_names.PUBLISH,
    acks_late=True,
    **retry_policy(BotoCoreError, ClientError, OSError, backoff=1, max_retries=8),
)
def publish_testimonial(testimonial_id: str) -> bool:
    return publication.testimonial_publish(testimonial_id=testimonial_id)


@shared_task(
    name=task_names.TAKE_DOWN,
    acks_late=True,
    **retry_policy(TransientStorageError, max_retries=20),
)
def take_down_public_files(testimonial_id: str) -> int | None:
    """Delete an unpublished or erased testimonial's public copies (kept if published again).

    Retried with back-off while the store is away (20 tries over up to ~2 h); a refusal such
    as AccessDenied is not retried and is logged as the task's failure.
    """
    return publication.testimonial_take_down(testimonial_id=testimonial_id)


@shared_task(name=task_names.PUBLIC_SWEEP, ignore_result=True, soft_time_limit=900)
def reconcile_public_store() -> int:
    """Periodic: take down public copies left behind by a lost or exhausted take-down task.

    A store that is away fails this run (TransientStorageError, logged); the next one retries.
    """
    return len(publication.public_store_reconcile().taken_down)


@shared_task(
    name=task_names.DECISION_EMAIL,
    **retry_policy(*EMAIL_ERRORS, backoff=1, backoff_max=900, max_retries=10),
)
def email_moderation_decision(testimonial_id: str, decision: str) -> bool:
    """Email the resident the approval (with its date), a new date, the refusal (with its
    reason) or, at its first publication, that it is online (with the link)."""
    return emails.testimonial_email_decision(testimonial_id=testimonial_id, decision=decision)
