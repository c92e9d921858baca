"""The one retry policy of the project's Celery tasks: exponential back-off with jitter.

A task that retries passes `**retry_policy(<errors>, max_retries=N)` to its decorator; only
the errors and the number of tries differ from task to task (a resident's email is worth
hours of tries, a scan-count flush a minute).
"""

import smtplib
from typing import Any

# The mail server refuses or cannot be reached (SMTPException is an OSError; both named for
# the reader).
EMAIL_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


def retry_policy(
    *errors: type[BaseException],
    max_retries: int,
    backoff: int = 5,
    backoff_max: int = 600,
) -> dict[str, Any]:
    """Celery task options: retry on `errors`, waiting about `backoff` × 2ⁿ seconds (at most
    `backoff_max`, randomised so retries of many tasks do not arrive together)."""
    return {
        "autoretry_for": errors,
        "retry_backoff": backoff,
        "retry_backoff_max": backoff_max,
        "retry_jitter": True,
        "max_retries": max_retries,
    }
