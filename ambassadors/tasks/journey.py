"""Tasks of the resident journey: confirmation email, purge after withdrawal, upload cleanup."""

import logging
import smtplib

from botocore.exceptions import BotoCoreError, ClientError
from celery import current_app, shared_task

from ambassadors import uploads
from ambassadors.emails import testimonial_send_confirmation, testimonial_send_parent_notice
from ambassadors.models import Status, Testimonial
from ambassadors.services.erasure import testimonial_erase
from ambassadors.services.journey import CONFIRMATION_TASK, PARENT_NOTICE_TASK

logger = logging.getLogger(__name__)


# Every email to a resident or a parent: one email per task, retried while the mail server
# refuses or cannot be reached (SMTPException is an OSError; both named for the reader), for up
# to about 8 hours.
EMAIL_RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=CONFIRMATION_TASK, **EMAIL_RETRY)
def send_confirmation_email(testimonial_id: str) -> bool:
    """Send the resident the "we received your video" email (retried if the server is down)."""
    return testimonial_send_confirmation(testimonial_id=testimonial_id)


@shared_task(name=PARENT_NOTICE_TASK, **EMAIL_RETRY)
def send_parent_notice_email(testimonial_id: str) -> bool:
    """Send a minor's parent the notice with the withdrawal link (retried likewise)."""
    return testimonial_send_parent_notice(testimonial_id=testimonial_id)


@shared_task(
    name="ambassadors.purge_testimonial",
    acks_late=True,
    autoretry_for=(BotoCoreError, ClientError, OSError),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=20,
)
def purge_testimonial(testimonial_id: str) -> str:
    """Erase a withdrawn testimonial everywhere (idempotent, so acks late)."""
    return testimonial_erase(testimonial_id=testimonial_id).status


@shared_task(name="ambassadors.cleanup_local_uploads")
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


# Written into the schedule when this module is imported (beat imports every app's tasks module
# before it reads the schedule), like the other periodic tasks.
current_app.conf.beat_schedule["ambassadors.cleanup_local_uploads"] = {
    "task": "ambassadors.cleanup_local_uploads",
    "schedule": 3600.0,
}
