"""Periodic work of the campaigns app."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from onprovence.retry import retry_policy

from .scans import scan_counts_flush


@shared_task(
    name="campaigns.flush_scan_counts",
    ignore_result=True,
    # A connection lost midway (PostgreSQL restarted): the day being moved was rolled back and
    # is still in Redis, the days before it are done; a retry moves the rest, not a minute later.
    **retry_policy(OperationalError, InterfaceError, backoff=2, backoff_max=60, max_retries=5),
)
def flush_scan_counts() -> int:
    """Move QR scan counts from Redis to PostgreSQL (FunnelCount, step "scan")."""
    return scan_counts_flush()
