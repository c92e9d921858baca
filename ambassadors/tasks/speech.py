"""The speech stage's tasks (queue `speech`, docs/speech.md): each calls a service.

The transcription is idempotent (only a `pending` draft is worked on, under a per-testimonial
advisory lock, its result written by compare-and-set), so it acks late and is requeued when
its worker dies; the sweeper queues again what a lost message left `pending`.
"""

from celery import shared_task

from ambassadors import conf, task_names
from ambassadors.services import speech
from onprovence.retry import retry_policy
from onprovence.storage import TransientStorageError

# The hard limit covers the longest accepted video: the child process itself is stopped
# earlier, by budgets scaled to the real duration (services.speech.transcription_timeout).
_SOFT_LIMIT = (
    int(
        speech.extraction_timeout(conf.MAX_DURATION_SECONDS)
        + speech.transcription_timeout(conf.MAX_DURATION_SECONDS)
    )
    + 120
)


@shared_task(
    name=task_names.TRANSCRIBE,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_SOFT_LIMIT + 60,
    acks_late=True,
    reject_on_worker_lost=True,
    **retry_policy(TransientStorageError, backoff_max=300, max_retries=6),
)
def transcribe_testimonial(testimonial_id: str) -> str:
    """Draft captions, transcript and quotes of a testimonial in review."""
    return speech.testimonial_transcribe(testimonial_id=testimonial_id)
