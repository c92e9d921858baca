"""Tasks of a minor's parent: reminders, and withdrawal without confirmation (hourly)."""

import datetime
import logging

from celery import shared_task

from ambassadors import task_names
from ambassadors.services.parents import parents_sweep

logger = logging.getLogger(__name__)


@shared_task(name=task_names.PARENT_CONFIRMATIONS, ignore_result=True)
def parent_confirmations(now: str | None = None) -> dict[str, int]:
    """Remind the parents who are due a reminder; withdraw the testimonials that waited too long.

    `now` (ISO 8601) moves the clock, for tests and for a manual catch-up run.
    """
    report = parents_sweep(now=datetime.datetime.fromisoformat(now) if now else None)
    if report.reminded or report.withdrawn or report.failed:
        logger.info(
            "parents: %s reminded, %s withdrawn, %s failed",
            report.reminded,
            report.withdrawn,
            report.failed,
        )
    return {"reminded": report.reminded, "withdrawn": report.withdrawn, "failed": report.failed}
