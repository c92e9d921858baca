"""Periodic tasks of retention (docs/PRIVACY.md): each rule erases what its period has passed.

Each run only withdraws what is due and queues the purge (`ambassadors.purge_testimonial`), so
a rerun or two overlapping runs are harmless.
"""

from celery import shared_task

from ambassadors import task_names
from ambassadors.services import retention


@shared_task(name=task_names.RETENTION_ABANDONED, ignore_result=True)
def retention_erase_abandoned() -> list[str]:
    """Erase testimonials left in `created` (no video) past their retention period."""
    return retention.testimonials_abandoned_erase().erased


@shared_task(name=task_names.RETENTION_REJECTED, ignore_result=True)
def retention_erase_rejected() -> list[str]:
    """Erase refused testimonials past their retention period."""
    return retention.testimonials_rejected_erase().erased


@shared_task(name=task_names.RETENTION_CONSENT_ENDED, ignore_result=True)
def retention_erase_consent_ended() -> list[str]:
    """Unpublish and erase testimonials whose consent period is over."""
    return retention.testimonials_consent_ended_erase().erased
