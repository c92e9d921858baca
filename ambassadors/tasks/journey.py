"""Tasks of the resident journey: confirmation email, purge after withdrawal, upload cleanup."""

import logging

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from ambassadors import task_names, uploads
from ambassadors.emails import testimonial_send_confirmation, testimonial_send_parent_notice
from ambassadors.models import Status, Testimonial
from ambassadors.services.erasure import testimonial_purge
from onprovence.retry import EMAIL_ERRORS, retry_policy

logger = logging.getLogger(__name__)


# Every email to a resident or a parent: one email per task, retried while the mail server
# refuses or cannot be reached, for up to about 8 hours.
EMAIL_RETRY = retry_policy(*EMAIL_ERRORS, backoff=30, backoff_max=3600, max_retries=8)


@shared_task(name=task_names.CONFIRMATION_EMAIL, **EMAIL_RETRY)
def send_confirmation_email(testimonial_id: str) -> bool:
    """Send the resident the "we received your video" email (retried if the server is down)."""
    return testimonial_send_confirmation(testimonial_id=testimonial_id)


@shared_task(name=task_names.PARENT_NOTICE_EMAIL, **EMAIL_RETRY)
def send_parent_notice_email(testimonial_id: str) -> bool:
    """Send a minor's parent the notice with the withdrawal link (retried likewise)."""
    return testimonial_send_parent_notice(testimonial_id=testimonial_id)


@shared_task(
    name=task_names.PURGE,
    acks_late=True,
    **retry_policy(BotoCoreError, ClientError, OSError, backoff=10, max_retries=20),
)
def purge_testimonial(testimonial_id: str) -> str:
    """Erase a withdrawn testimonial everywhere (idempotent, so acks late)."""
    return testimonial_purge(testimonial_id=testimonial_id).status


@shared_task(name=task_names.CLEANUP_LOCAL_UPLOADS)
def cleanup_local_uploads() -> int:
    """Delete the parts of local uploads abandoned for longer than the configured delay, and
    (after a short grace) every part of a testimonial that no longer waits for its video."""
    on_disk = uploads.local_part_testimonials()
    waiting = {
        str(pk)
        for pk in Testimonial.objects.filter(pk__in=on_disk, status=Status.CREATED).values_list(
            "pk", flat=True
        )
    }
    removed = uploads.local_uploads_cleanup(testimonial_ids=sorted(waiting))
    removed += uploads.local_uploads_cleanup(
        testimonial_ids=[pk for pk in on_disk if pk not in waiting],
        older_than=uploads.ORPHAN_PARTS_GRACE,
    )
    if removed:
        logger.info("removed %s abandoned local uploads", removed)
    return removed
