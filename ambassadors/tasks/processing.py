"""Tasks of the media pipeline (queue `media`): each loads nothing itself and calls a service.

Both renditions tasks are idempotent (deterministic keys, status compare-and-set, an advisory
lock per testimonial), so they ack late and are requeued when their worker dies; the attempt
counter on the testimonial stops a file that keeps killing workers.
"""

from celery import shared_task

from ambassadors import conf, task_names
from ambassadors.services import processing, social, sweeper
from ambassadors.services.pipeline import transcode_timeout
from onprovence.retry import retry_policy
from onprovence.storage import TransientStorageError

# The hard limit covers the longest accepted video; ffmpeg itself is stopped earlier, by a
# budget scaled to the real duration (services.pipeline.transcode_timeout).
_SOFT_LIMIT = int(transcode_timeout(conf.MAX_DURATION_SECONDS)) + 120
# The approval-time task makes the public web rendition (review first), then the social cuts.
_SOCIAL_SOFT_LIMIT = (
    int(
        transcode_timeout(
            conf.MAX_DURATION_SECONDS, per_second=conf.MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND
        )
    )
    + int(transcode_timeout(conf.MAX_DURATION_SECONDS))
    + 120
)
_RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    **retry_policy(TransientStorageError, backoff_max=300, max_retries=6),
}


@shared_task(
    name=task_names.PROCESS,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_SOFT_LIMIT + 60,
    **_RELIABLE,
)
def process_testimonial(testimonial_id: str) -> str:
    """Probe, check and transcode an uploaded testimonial up to `in_review` (or `rejected`)."""
    return processing.testimonial_process(testimonial_id=testimonial_id)


# A render queued while another holds the testimonial's lock (captions changed during a
# render) waits its turn: it must run after, or the cuts would keep the old captions.
_SOCIAL_BUSY_RETRY_SECONDS = 30
_SOCIAL_BUSY_MAX_RETRIES = 60


@shared_task(
    bind=True,
    name=task_names.RENDER_SOCIAL,
    soft_time_limit=_SOCIAL_SOFT_LIMIT,
    time_limit=_SOCIAL_SOFT_LIMIT + 60,
    **_RELIABLE,
)
def render_social_renditions(self, testimonial_id: str, reason: str = "") -> str:
    """Make the public web rendition of an approved testimonial reviewed first (issue 18), then
    render its branded 9:16, 1:1 and 16:9 renditions (again after a captions change, `reason`
    "captions": the render retries while another holds the lock, and is skipped when the cuts
    already burn the stored captions)."""
    if processing.testimonial_render_web(testimonial_id=testimonial_id) == "busy":
        raise self.retry(countdown=_SOCIAL_BUSY_RETRY_SECONDS, max_retries=_SOCIAL_BUSY_MAX_RETRIES)
    result = social.testimonial_render_social(testimonial_id=testimonial_id, reason=reason)
    if result == "busy":
        raise self.retry(countdown=_SOCIAL_BUSY_RETRY_SECONDS, max_retries=_SOCIAL_BUSY_MAX_RETRIES)
    return result


@shared_task(name=task_names.REQUEUE_STUCK)
def requeue_stuck_testimonials() -> list[str]:
    """Periodic: queue again testimonials stuck in uploaded/processing."""
    return sweeper.testimonials_requeue_stuck()
