"""Queue again the testimonials a lost message or a dead worker left behind."""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ambassadors import conf, task_names
from ambassadors.media.renditions import WEB_FOR_REVIEW
from ambassadors.models import Status, Testimonial
from ambassadors.services.files import stale_work_directories_remove
from ambassadors.services.locks import processing_lock_held
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.services.speech import speech_drafts_requeue_stuck
from ambassadors.services.status import InvalidTransition, testimonial_transition

logger = logging.getLogger(__name__)


def testimonials_requeue_stuck(*, older_than: timedelta | None = None) -> list[str]:
    """Queue again every testimonial left in uploaded/processing for longer than `older_than`.

    A lost broker message (Redis restarted empty) or a dead worker leaves a testimonial there;
    `processing` ones nobody holds the lock of go back to `uploaded` (audited) first.
    """
    if older_than is None:
        older_than = timedelta(seconds=conf.MEDIA_STUCK_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    requeued = []
    stuck = Testimonial.objects.filter(
        status__in=[Status.UPLOADED, Status.PROCESSING],
        status_changed_at__lte=cutoff,
        updated_at__lte=cutoff,
    ).values_list("pk", "status")
    for testimonial_id, status in stuck:
        if processing_lock_held(testimonial_id):
            continue
        with transaction.atomic():
            if status == Status.PROCESSING:
                try:
                    testimonial_transition(
                        testimonial_id=testimonial_id,
                        to=Status.UPLOADED,
                        actor_label="system",
                        note="relancé : traitement interrompu",
                        expected_from=[Status.PROCESSING],
                    )
                except InvalidTransition:
                    continue
            else:
                # Touch the row so the next sweep waits a full period before sending it again.
                Testimonial.objects.filter(pk=testimonial_id).update(updated_at=timezone.now())
            task_queue_on_commit(task_names.PROCESS, testimonial_id)
        requeued.append(str(testimonial_id))
    requeued += _web_renditions_requeue_stuck(cutoff)  # review first (issue 18)
    speech_drafts_requeue_stuck(older_than=older_than)  # killed transcriptions (issue 19)
    stale_work_directories_remove(older_than)
    if requeued:
        logger.warning("requeued %d stuck testimonials", len(requeued))
    return requeued


def _web_renditions_requeue_stuck(cutoff) -> list[str]:
    """Queue again the approval-time renditions (public web rendition, then social cuts) of
    approved testimonials whose web.mp4 is still the review file since before `cutoff`: the
    approval's task was lost with the broker, or its worker died for good. The publication
    waits for them, so they must not stay lost."""
    requeued = []
    waiting = Testimonial.objects.filter(
        status=Status.APPROVED,
        probe__web=WEB_FOR_REVIEW,
        status_changed_at__lte=cutoff,
        updated_at__lte=cutoff,
    ).values_list("pk", flat=True)
    for testimonial_id in waiting:
        if processing_lock_held(testimonial_id):
            continue
        with transaction.atomic():
            # Touch the row so the next sweep waits a full period before sending it again.
            Testimonial.objects.filter(pk=testimonial_id).update(updated_at=timezone.now())
            task_queue_on_commit(task_names.RENDER_SOCIAL, testimonial_id)
        requeued.append(str(testimonial_id))
    return requeued
