"""Periodic tasks of retention (docs/PRIVACY.md): each rule erases what its period has passed.

Each run only withdraws what is due and queues the purge (`ambassadors.purge_testimonial`), so
a rerun or two overlapping runs are harmless.
"""

from celery import current_app, shared_task

from ambassadors import conf
from ambassadors.services import retention


@shared_task(name="ambassadors.retention_erase_abandoned", ignore_result=True)
def retention_erase_abandoned() -> list[str]:
    """Erase testimonials left in `created` (no video) past their retention period."""
    return retention.testimonials_abandoned_erase().erased


@shared_task(name="ambassadors.retention_erase_rejected", ignore_result=True)
def retention_erase_rejected() -> list[str]:
    """Erase refused testimonials past their retention period."""
    return retention.testimonials_rejected_erase().erased


@shared_task(name="ambassadors.retention_erase_consent_ended", ignore_result=True)
def retention_erase_consent_ended() -> list[str]:
    """Unpublish and erase testimonials whose consent period is over."""
    return retention.testimonials_consent_ended_erase().erased


# Written into the schedule when this module is imported, like the other periodic tasks.
for _name in (
    "ambassadors.retention_erase_abandoned",
    "ambassadors.retention_erase_rejected",
    "ambassadors.retention_erase_consent_ended",
):
    current_app.conf.beat_schedule[_name] = {
        "task": _name,
        "schedule": conf.retention_sweep_interval_seconds(),
    }
