"""Tasks of the media pipeline (queue `media`): each loads nothing itself and calls a service.

Both renditions tasks are idempotent (deterministic keys, status compare-and-set, an advisory
lock per testimonial), so they ack late and are requeued when their worker dies; the attempt
counter on the testimonial stops a file that keeps killing workers.
"""

from celery import current_app, shared_task

from ambassadors import conf
from ambassadors.services import processing

# The hard limit covers the longest accepted video; ffmpeg itself is stopped earlier, by a
# budget scaled to the real duration (services.processing.transcode_timeout).
_SOFT_LIMIT = int(processing.transcode_timeout(conf.MAX_DURATION_SECONDS)) + 120
_SOCIAL_SOFT_LIMIT = (
    int(
        processing.transcode_timeout(
            conf.MAX_DURATION_SECONDS, per_second=conf.MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND
        )
    )
    + 120
)
_RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (processing.TransientStorageError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(
    name=processing.PROCESS_TASK,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_SOFT_LIMIT + 60,
    **_RELIABLE,
)
def process_testimonial(testimonial_id: str) -> str:
    """Probe, check and transcode an uploaded testimonial up to `in_review` (or `rejected`)."""
    return processing.testimonial_process(testimonial_id=testimonial_id)


@shared_task(
    name=processing.SOCIAL_TASK,
    soft_time_limit=_SOCIAL_SOFT_LIMIT,
    time_limit=_SOCIAL_SOFT_LIMIT + 60,
    **_RELIABLE,
)
def render_social_renditions(testimonial_id: str) -> str:
    """Render the branded 9:16, 1:1 and 16:9 renditions of an approved testimonial."""
    return processing.testimonial_render_social(testimonial_id=testimonial_id)


@shared_task(name="ambassadors.requeue_stuck_testimonials")
def requeue_stuck_testimonials() -> list[str]:
    """Periodic: queue again testimonials stuck in uploaded/processing."""
    return processing.testimonials_requeue_stuck()


current_app.conf.beat_schedule["ambassadors.requeue_stuck_testimonials"] = {
    "task": "ambassadors.requeue_stuck_testimonials",
    "schedule": conf.MEDIA_SWEEP_INTERVAL_SECONDS,
}
