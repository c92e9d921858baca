"""Periodic work of the campaigns app."""

from celery import current_app, shared_task

from .scans import scan_counts_flush

FLUSH_EVERY_SECONDS = 60.0


@shared_task(name="campaigns.flush_scan_counts", ignore_result=True)
def flush_scan_counts() -> int:
    """Move QR scan counts from Redis to PostgreSQL (FunnelCount, step "scan")."""
    return scan_counts_flush()


@current_app.on_after_finalize.connect
def _schedule(sender, **kwargs) -> None:
    sender.add_periodic_task(
        FLUSH_EVERY_SECONDS, flush_scan_counts.s(), name="campaigns: flush QR scan counts"
    )
