"""Periodic work of the campaigns app."""

from celery import current_app, shared_task
from django.db import InterfaceError, OperationalError

from .scans import scan_counts_flush

FLUSH_EVERY_SECONDS = 60.0


@shared_task(
    name="campaigns.flush_scan_counts",
    ignore_result=True,
    # A connection lost midway (PostgreSQL restarted): the day being moved was rolled back and
    # is still in Redis, the days before it are done; a retry moves the rest, not a minute later.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def flush_scan_counts() -> int:
    """Move QR scan counts from Redis to PostgreSQL (FunnelCount, step "scan")."""
    return scan_counts_flush()


# Written into the schedule when this module is imported (beat imports every app's tasks
# module before it reads the schedule), whether or not the app is already finalized.
current_app.conf.beat_schedule["campaigns: flush QR scan counts"] = {
    "task": "campaigns.flush_scan_counts",
    "schedule": FLUSH_EVERY_SECONDS,
}
