"""Celery tasks of the employer kit. Each takes an id, loads the row, calls a service."""

from celery import shared_task

from onprovence.retry import retry_policy

from . import services, task_names


@shared_task(
    name=task_names.ANALYSE_KIT_ASSET,
    acks_late=True,
    **retry_policy(ConnectionError, TimeoutError, backoff=1, max_retries=5),
)
def analyse_kit_asset(asset_id: int) -> None:
    """Read the file's format and dimensions and render its preview (idempotent)."""
    services.kit_asset_analyse(asset_id=int(asset_id))


@shared_task(
    name=task_names.SEND_TAKEDOWN_NOTICE,
    acks_late=True,
    **retry_policy(ConnectionError, TimeoutError, OSError, backoff=1, max_retries=8),
)
def send_takedown_notice(notice_id: int) -> None:
    """Email one takedown notice; marks it sent, so a redelivery sends nothing twice."""
    services.takedown_notice_send(notice_id=int(notice_id))
