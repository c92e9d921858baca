"""The media pipeline of a stored testimonial: download, run, upload, move the status.

`testimonial_process` wraps `ambassadors.services.pipeline.video_process_local` for a
testimonial: it downloads the original, runs the local work, uploads the renditions under
deterministic keys and moves the status to `in_review` or `rejected`.
"""

import logging
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F

from ambassadors import conf, keys
from ambassadors.media import probe as media_probe
from ambassadors.media.renditions import WEB_PUBLIC, early_poster_command, web_rendition_pending
from ambassadors.media.signature import Match, near_duplicate
from ambassadors.media.validation import (
    Flag,
    Verdict,
    reject_over_budget,
    reject_unprocessable,
)
from ambassadors.models import Status, Testimonial
from ambassadors.services.files import delete_keys, download_original, upload_files, work_directory
from ambassadors.services.locks import processing_lock
from ambassadors.services.media_budget import media_budget_charge
from ambassadors.services.pipeline import (
    MODERATION_FILES,
    LocalResult,
    review_first,
    signature_spec,
    video_process_local,
    video_review_local,
    web_render_local,
    web_spec,
)
from ambassadors.services.speech import speech_stage_queue
from ambassadors.services.status import InvalidTransition, testimonial_transition
from onprovence.mediarunner import read_head, run_tool, sniff_container
from onprovence.storage import ObjectMissing, TransientStorageError

logger = logging.getLogger(__name__)

WORKER = "worker"
# What the early poster's grab may take (it normally takes a fraction of a second): past it,
# moderators simply wait for the pass's poster.
EARLY_POSTER_TIMEOUT_SECONDS = 5.0
EARLY_POSTER_FILE = "poster-early.jpg"


def _claim(testimonial_id: UUID | str) -> Testimonial | None:
    """Count an attempt and move uploaded -> processing; None if there is nothing to do."""
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        if testimonial.status not in (Status.UPLOADED, Status.PROCESSING):
            return None
        testimonial.processing_attempts += 1
        testimonial.save(update_fields=["processing_attempts", "updated_at"])
        if testimonial.status == Status.UPLOADED:
            testimonial = testimonial_transition(
                testimonial_id=testimonial_id,
                to=Status.PROCESSING,
                actor_label=WORKER,
                note=f"tentative {testimonial.processing_attempts}",
                expected_from=[Status.UPLOADED],
            )
    return testimonial


def _give_back_attempt(testimonial_id: UUID | str) -> None:
    """A transient storage failure is not the file's fault: it does not count as an attempt."""
    Testimonial.objects.filter(pk=testimonial_id, processing_attempts__gt=0).update(
        processing_attempts=F("processing_attempts") - 1
    )


def testimonial_process(*, testimonial_id: UUID | str) -> str:
    """Make an uploaded testimonial ready for moderation (or reject it with a reason).

    Idempotent: a testimonial past `processing` is left alone, keys are deterministic, and the
    advisory lock keeps a redelivered task from running beside the one still at work.
    Returns what happened: "in_review", "rejected", "busy" or "skipped".
    """
    with processing_lock(testimonial_id) as acquired:
        if not acquired:
            return "busy"
        testimonial = _claim(testimonial_id)
        if testimonial is None:
            return "skipped"
        if testimonial.processing_attempts > conf.MEDIA_MAX_ATTEMPTS:
            verdict = reject_unprocessable(
                f"gave up after {testimonial.processing_attempts - 1} attempts"
            )
            return _finish_rejected(testimonial, LocalResult(verdict), content_hash="")
        try:
            return _process(testimonial)
        except TransientStorageError:
            _give_back_attempt(testimonial_id)
            raise


def _process(testimonial: Testimonial) -> str:
    key = testimonial.original_key or keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    with work_directory(testimonial.pk) as workdir:
        source = workdir / "original"
        begun = time.monotonic()
        try:
            content_hash = download_original(key, source)
        except ObjectMissing:
            verdict = reject_unprocessable(f"original {key} missing from storage")
            return _finish_rejected(testimonial, LocalResult(verdict), content_hash="")
        download_seconds = time.monotonic() - begun
        early: dict[str, float] = {}

        def admit(facts: media_probe.ProbeFacts) -> Verdict | None:
            refusal = _within_budget(testimonial.pk, facts)
            if refusal is None:
                _early_poster(testimonial.pk, source, facts, early, since=begun)
            return refusal

        # Review first (issue 18): the public web rendition waits for the approval.
        local = video_review_local if review_first() else video_process_local
        result = local(source, workdir, admit=admit)
        result.timings["download"] = round(download_seconds, 3)
        result.timings.update(early)
        if not result.accepted:
            return _finish_rejected(
                testimonial, result, content_hash=content_hash, poster_early=bool(early)
            )
        # Only validate_probe accepts, and only probed facts with a duration.
        assert result.facts is not None and result.facts.duration is not None
        duration = result.facts.duration
        started = time.monotonic()
        upload_files(
            {
                keys.testimonial_key(testimonial.pk, name): result.outputs[output]
                for output, name in MODERATION_FILES.items()
            }
        )
        result.timings["upload"] = round(time.monotonic() - started, 3)
    flags = [flag.as_dict() for flag in result.flags]
    duplicates = _earlier_uploads_with_hash(testimonial.pk, content_hash)
    if duplicates:
        flags.append(
            Flag(
                "duplicate",
                "Doublon d'un envoi précédent",
                "même fichier que " + ", ".join(str(pk) for pk in duplicates),
            ).as_dict()
        )
    started = time.monotonic()
    similar = _earlier_near_duplicates(
        testimonial.pk, result.signature, duration, exclude=duplicates
    )
    result.timings["near_duplicates"] = round(time.monotonic() - started, 3)
    if similar:
        flags.append(
            Flag(
                "near_duplicate",
                "Quasi-doublon d'un envoi précédent",
                "même image que "
                + ", ".join(f"{pk} (écart {_percent(match.distance)})" for pk, match in similar),
            ).as_dict()
        )
    try:
        testimonial_transition(
            testimonial_id=testimonial.pk,
            to=Status.IN_REVIEW,
            actor_label=WORKER,
            note=", ".join(flag["code"] for flag in flags),
            expected_from=[Status.PROCESSING],
            changes={
                "probe": _probe_record(result, poster_early=bool(early)),
                "flags": flags,
                "duration": duration,
                "content_hash": content_hash,
                "signature": result.signature,
                "rejection_reason": "",
            },
        )
    except InvalidTransition:
        # Withdrawn while we worked: the purge may already have run, so take our files back.
        delete_keys(list(MODERATION_FILES.values()), testimonial.pk)
        return "skipped"
    logger.info("testimonial %s in review (%s)", testimonial.pk, result.timings)
    speech_stage_queue(testimonial_id=testimonial.pk)  # speech drafts (issue 19)
    return "in_review"


# Statuses whose public web rendition is made (review first): approved, and published for a
# testimonial published before its rendition was due (never by the publisher, which waits).
WEB_STATUSES = (Status.APPROVED, Status.PUBLISHED)


def testimonial_render_web(*, testimonial_id: UUID | str) -> str:
    """Make the public web rendition of an approved testimonial reviewed from its review file.

    Runs after approval, before the social cuts (`ambassadors.render_social_renditions`), and
    before the publication slot: the publisher waits while `probe["web"]` is "review".
    Idempotent and crash-safe like `testimonial_process`: the advisory lock, a deterministic key
    (`web.mp4` replaced in one upload), and `probe["web"]` set to "public" only after the upload,
    so a worker killed mid-encode leaves the testimonial pending and the redelivered task (or the
    sweeper) makes it again. Returns "rendered", "current" (nothing to make), "busy" or "skipped".
    """
    with processing_lock(testimonial_id) as acquired:
        if not acquired:
            return "busy"
        testimonial = Testimonial.objects.get(pk=testimonial_id)
        if testimonial.status not in WEB_STATUSES:
            return "skipped"
        if not web_rendition_pending(testimonial.probe):
            return "current"
        key = testimonial.original_key or keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
        with work_directory(testimonial.pk) as workdir:
            source = workdir / "original"
            started = time.monotonic()
            try:
                download_original(key, source)
            except ObjectMissing:
                logger.error("testimonial %s: no original for its web rendition", testimonial.pk)
                return "skipped"
            download = time.monotonic() - started
            output, timings = web_render_local(source, workdir)
            started = time.monotonic()
            upload_files({keys.testimonial_key(testimonial.pk, keys.WEB): output})
            timings.update(download=round(download, 3), upload=round(time.monotonic() - started, 3))
        with transaction.atomic():
            row = Testimonial.objects.select_for_update().get(pk=testimonial.pk)
            if row.status not in WEB_STATUSES:
                # Withdrawn or erased while we encoded: the purge may already have run, so
                # take our file back (a later purge would find it gone, which is harmless).
                delete_keys([keys.WEB], testimonial.pk)
                return "skipped"
            probe = dict(row.probe or {})
            probe["web"] = WEB_PUBLIC
            probe["web_rendition"] = {"timings": timings}
            row.probe = probe
            row.save(update_fields=["probe", "updated_at"])
    logger.info("testimonial %s: web rendition made (%s)", testimonial.pk, timings)
    return "rendered"


def _within_budget(testimonial_id: UUID | str, facts: media_probe.ProbeFacts) -> Verdict | None:
    """Charge the video's real length to its sender's day; a rejection when it does not fit."""
    # Called by video_process_local on accepted facts only, which have a duration.
    assert facts.duration is not None
    admitted, spent = media_budget_charge(testimonial_id=testimonial_id, seconds=facts.duration)
    if admitted:
        return None
    return reject_over_budget(spent=spent, budget=conf.media_seconds_per_client_per_day())


def _earlier_uploads_with_hash(testimonial_id: UUID | str, content_hash: str) -> list[UUID]:
    return list(
        Testimonial.objects.filter(content_hash=content_hash)
        .exclude(pk=testimonial_id)
        .exclude(status__in=[Status.WITHDRAWN, Status.ERASED])
        .order_by("created_at")
        .values_list("pk", flat=True)[:5]
    )


# The most recent candidates of about the same duration a new video is compared with: bounds the
# work (about 0.5 ms per candidate for a 120 s video) whatever the size of the table.
NEAR_DUPLICATE_CANDIDATES = 500


def _earlier_near_duplicates(
    testimonial_id: UUID | str, signature: str, duration: float | None, *, exclude: list[UUID]
) -> list[tuple[UUID, Match]]:
    """Other testimonials whose picture matches this signature (closest first, at most 5).

    Only videos within MEDIA_NEAR_DUPLICATE_DURATION_SECONDS of this duration are compared: a
    re-encoded or resized copy keeps its duration, and the signature tolerates only a second
    of shift anyway. Exact duplicates (same sha256, already flagged) are left out.
    """
    if not signature or duration is None:
        return []
    window = conf.MEDIA_NEAR_DUPLICATE_DURATION_SECONDS
    candidates = (
        Testimonial.objects.filter(duration__range=(duration - window, duration + window))
        .exclude(pk=testimonial_id)
        .exclude(pk__in=exclude)
        .exclude(status__in=[Status.WITHDRAWN, Status.ERASED])
        .exclude(signature="")
        .order_by("-created_at")
        .values_list("pk", "signature")[:NEAR_DUPLICATE_CANDIDATES]
    )
    spec = signature_spec()
    matches = [
        (pk, match)
        for pk, other in candidates
        if (match := near_duplicate(signature, other, spec)) is not None
    ]
    return sorted(matches, key=lambda item: item[1].distance)[:5]


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


def _early_poster(
    testimonial_id: UUID,
    source: Path,
    facts: media_probe.ProbeFacts,
    timings: dict[str, float],
    *,
    since: float,
) -> None:
    """Grab one upright frame of an admitted upload and put it at the poster JPEG's key at
    once, so moderators see it in the list while the review pass runs (issue 18: the pass's
    own poster comes ~9 s later for a 60 s 1080p phone clip); the pass then overwrites the
    same key with the chosen poster. Never fails the pipeline: a failure is logged and the
    testimonial just waits for the pass's poster. `timings["poster"]`: seconds from `since`.

    Crash-safe: a killed worker leaves a key the re-run overwrites, under the prefix that
    erasure and the purge already clear.
    """
    output = source.parent / EARLY_POSTER_FILE
    try:
        demuxer = sniff_container(read_head(source))  # as the probe found it (it admitted it)
        assert demuxer is not None
        command = early_poster_command(
            settings.FFMPEG_BINARY, str(source), demuxer, facts, str(output), spec=web_spec()
        )
        run = run_tool(
            command,
            timeout=EARLY_POSTER_TIMEOUT_SECONDS,
            memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
            file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
        )
        if run.returncode != 0 or not output.exists() or output.stat().st_size == 0:
            raise RuntimeError(f"ffmpeg exit {run.returncode}: {run.stderr.strip()[-200:]}")
        upload_files({keys.testimonial_key(testimonial_id, keys.POSTER_JPEG): output})
        with transaction.atomic():
            row = Testimonial.objects.select_for_update().get(pk=testimonial_id)
            if row.status != Status.PROCESSING:
                # Withdrawn while we grabbed: the purge may already have run.
                delete_keys([keys.POSTER_JPEG], testimonial_id)
                return
            row.probe = {**(row.probe or {}), "poster_early": True}
            row.save(update_fields=["probe", "updated_at"])
    except Exception:
        logger.warning("testimonial %s: no early poster", testimonial_id, exc_info=True)
        return
    timings["poster"] = round(time.monotonic() - since, 3)


def _probe_record(result: LocalResult, *, poster_early: bool) -> dict[str, Any]:
    """What `Testimonial.probe` keeps of the pass, and whether an early poster went up."""
    record = result.probe_record()
    if poster_early:
        record["poster_early"] = True
    return record


def _finish_rejected(
    testimonial: Testimonial, result: LocalResult, *, content_hash: str, poster_early: bool = False
) -> str:
    reason = result.verdict.reason
    assert reason is not None  # every rejecting Verdict (media.validation) carries its Reason
    try:
        testimonial_transition(
            testimonial_id=testimonial.pk,
            to=Status.REJECTED,
            actor_label=WORKER,
            note=f"{reason.code}: {reason.detail}",
            expected_from=[Status.PROCESSING],
            changes={
                "probe": _probe_record(result, poster_early=poster_early),
                "flags": [flag.as_dict() for flag in result.flags],
                "duration": result.facts.duration if result.facts else None,
                "content_hash": content_hash,
                "rejection_reason": reason.for_language(testimonial.language),
            },
        )
    except InvalidTransition:
        if poster_early:  # withdrawn while we worked: take the early poster back
            delete_keys([keys.POSTER_JPEG], testimonial.pk)
        return "skipped"
    logger.info("testimonial %s rejected: %s", testimonial.pk, reason.code)
    return "rejected"
