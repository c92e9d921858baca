"""Queue a task once the transaction commits, by its name (`ambassadors.task_names`).

The tasks import the services, so the services name the tasks instead of importing them.
"""

from typing import Any

from celery import current_app
from django.db import transaction


def task_queue_on_commit(name: str, *args: Any, robust: bool = False) -> None:
    """Send task `name` with `args` (as strings) when the current transaction commits.

    `robust`: a broker that is down after the commit must not turn a recorded decision into
    an error page; the failure is logged instead (the sweeps or a second click queue it again).
    """
    arguments = [str(arg) for arg in args]
    transaction.on_commit(lambda: current_app.send_task(name, args=arguments), robust=robust)
