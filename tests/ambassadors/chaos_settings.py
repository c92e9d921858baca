"""Settings of the worker and beat processes of tests/ambassadors/test_pipeline_chaos.py.

The test settings, with the broker on the test's own Redis server and short timings, so a lost
message comes back in seconds instead of hours.
"""

import os

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CHAOS_VISIBILITY_TIMEOUT", "5")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
AMBASSADORS_MEDIA_STUCK_AFTER_SECONDS = float(os.environ.get("CHAOS_STUCK_AFTER", "2"))
AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS = float(os.environ.get("CHAOS_SWEEP_INTERVAL", "2"))
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CHAOS_BEAT_SCHEDULE",
    CELERY_BEAT_SCHEDULE_FILENAME,  # noqa: F405
)
# The schedule (onprovence/settings.py) was built with the default interval: rebuild its entry.
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405
    "ambassadors.requeue_stuck_testimonials": {
        "task": "ambassadors.requeue_stuck_testimonials",
        "schedule": AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS,
    },
}
