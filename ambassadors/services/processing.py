"""The media pipeline: probe, validate, transcode and check an upload; render social formats.

`video_process_local` does the media work on a local file and touches no database (the
`process_video` command and the benchmark call it); `testimonial_process` wraps it for a
stored testimonial: download, run, upload under deterministic keys, move the status.
"""

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from ambassadors import conf, keys
from ambassadors.media import probe as media_probe
from ambassadors.media.checks import Findings, flags_from_findings, parse_check_log
from ambassadors.media.renditions import (
    SOCIAL_FORMATS,
    Branding,
    CheckSpec,
    ModerationOutputs,
    WebSpec,
    moderation_command,
    social_command,
)
from ambassadors.media.signature import (
    Match,
    SignatureSpec,
    encode,
    hashes_from_raw,
    near_duplicate,
)
from ambassadors.media.validation import (
    Flag,
    MediaLimits,
    Verdict,
    reject_damaged,
    reject_empty,
    reject_not_a_video,
    reject_over_budget,
    reject_unprocessable,
    validate_probe,
)
from ambassadors.models import Status, Testimonial
from ambassadors.services.media_budget import media_budget_charge
from ambassadors.services.status import InvalidTransition, testimonial_transition
from onprovence.mediarunner import ToolRun, ToolTimeout, run_tool  # noqa: F401
from onprovence.storage import is_local, private_storage, storage_error_is_transient

logger = logging.getLogger(__name__)

PROCESS_TASK = "ambassadors.process_testimonial"
SOCIAL_TASK = "ambassadors.render_social_renditions"
WORKER = "worker"
_CHUNK = 4 * 1024 * 1024
# Raw gray samples the moderation pass writes for the perceptual signature (never uploaded).
SIGNATURE_SAMPLES = "signature.gray"


# --- Settings as values -----------------------------------------------------------------------


def media_limits() -> MediaLimits:
    return MediaLimits(
        min_duration=conf.MIN_DURATION_SECONDS,
        max_duration=conf.MAX_DURATION_SECONDS,
        video_codecs=frozenset(conf.MEDIA_VIDEO_CODECS),
        audio_codecs=frozenset(conf.MEDIA_AUDIO_CODECS),
        min_side=conf.MEDIA_MIN_SIDE,
        max_side=conf.MEDIA_MAX_SIDE,
        max_pixels=conf.MEDIA_MAX_PIXELS,
        max_frame_rate=conf.MEDIA_MAX_FRAME_RATE,
        max_pixel_rate=conf.MEDIA_MAX_PIXEL_RATE,
    )


def web_spec() -> WebSpec:
    return WebSpec(
        long_side=conf.MEDIA_WEB_LONG_SIDE, preset=conf.MEDIA_X264_PRESET, crf=conf.MEDIA_WEB_CRF
    )


def check_spec() -> CheckSpec:
    return CheckSpec(short_seconds=conf.MEDIA_SHORT_FLAG_SECONDS)


def signature_spec() -> SignatureSpec:
    return SignatureSpec(threshold=conf.MEDIA_NEAR_DUPLICATE_MAX_DISTANCE)


def transcode_timeout(duration: float | None, *, per_second: float | None = None) -> float:
    """Wall-time budget of one ffmpeg run for a video of `duration` seconds."""
    per_second = conf.MEDIA_TIMEOUT_PER_VIDEO_SECOND if per_second is None else per_second
    return conf.MEDIA_TIMEOUT_BASE_SECONDS + per_second * (
        duration if duration is not None else conf.MAX_DURATION_SECONDS
    )


# --- Running ffmpeg/ffprobe: onprovence.mediarunner (one runner for the project) -------------


# --- The media work on a local file (no database) ---------------------------------------------


@dataclass
class LocalResult:
    """What the pipeline made of one local file."""

    verdict: Verdict
    demuxer: str | None = None
    facts: media_probe.ProbeFacts | None = None
    findings: Findings | None = None
    flags: list[Flag] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    signature: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted

    def probe_record(self) -> dict[str, Any]:
        """The JSON stored in Testimonial.probe: facts, checks, verdict, timings."""
        record: dict[str, Any] = {"demuxer": self.demuxer, "timings": self.timings}
        if self.facts is not None:
            record.update(self.facts.as_dict())
        if self.findings is not None:
            record["checks"] = self.findings.as_dict()
        if self.verdict.reason is not None:
            record["verdict"] = self.verdict.reason.as_dict()
        return record

    def as_dict(self) -> dict[str, Any]:
        """The `process_video --json` report."""
        return {
            "accepted": self.accepted,
            "reason": self.verdict.reason.as_dict() if self.verdict.reason else None,
            "probe": self.facts.as_dict() if self.facts else None,
            "flags": [flag.as_dict() for flag in self.flags],
            "checks": self.findings.as_dict() if self.findings else None,
            "outputs": {name: str(path) for name, path in self.outputs.items()},
            "signature": self.signature,
            "timings": self.timings,
        }


def probe_local(
    source: Path, *, limits: MediaLimits
) -> tuple[str | None, media_probe.ProbeFacts | None, Verdict, dict[str, float]]:
    """Sniff, ffprobe and validate a local file: (demuxer, facts, verdict, timings)."""
    timings: dict[str, float] = {}
    with open(source, "rb") as handle:
        head = handle.read(64)
    if not head:
        return None, None, reject_empty(), timings
    demuxer = media_probe.sniff_container(head)
    if demuxer is None:
        image = media_probe.looks_like_image(head)
        verdict = reject_not_a_video("unrecognised container signature", image=image)
        return None, None, verdict, timings
    run = run_tool(
        media_probe.probe_command(settings.FFPROBE_BINARY, str(source), demuxer),
        timeout=conf.MEDIA_PROBE_TIMEOUT_SECONDS,
        memory_bytes=conf.MEDIA_PROBE_MEMORY_BYTES,
    )
    timings["probe"] = round(run.seconds, 3)
    refused = media_probe.refused_sizes(run.stderr)
    if run.returncode != 0 and not refused:
        return demuxer, None, reject_damaged(_last_line(run.stderr) or "ffprobe failed"), timings
    try:
        facts = media_probe.parse_probe(run.stdout if run.returncode == 0 else "", run.stderr)
    except media_probe.ProbeOutputError as error:
        if refused:
            facts = media_probe.ProbeFacts("", None, 0, 0, None, None, 0, 0, 0, refused)
        else:
            return demuxer, None, reject_damaged(str(error)), timings
    if facts.video is not None and not facts.refused_sizes:
        # The header's duration and frame rate are claims: count what the packets hold.
        try:
            scan = run_tool(
                media_probe.packet_scan_command(settings.FFMPEG_BINARY, str(source), demuxer),
                timeout=conf.MEDIA_PROBE_TIMEOUT_SECONDS,
                memory_bytes=conf.MEDIA_PROBE_MEMORY_BYTES,
            )
        except ToolTimeout as error:
            return demuxer, facts, reject_unprocessable(f"packet scan: {error}"), timings
        timings["packets"] = round(scan.seconds, 3)
        facts = media_probe.with_packet_scan(facts, media_probe.parse_packet_scan(scan.stdout))
    return demuxer, facts, validate_probe(facts, limits), timings


def moderation_outputs(workdir: Path, *, signature: bool = True) -> ModerationOutputs:
    """Where the moderation pass writes in `workdir` (the signature samples stay local)."""
    return ModerationOutputs(
        web=str(workdir / keys.WEB),
        poster_jpeg=str(workdir / keys.POSTER_JPEG),
        poster_webp=str(workdir / keys.POSTER_WEBP),
        preview=str(workdir / keys.PREVIEW),
        signature=str(workdir / SIGNATURE_SAMPLES) if signature else None,
    )


def video_process_local(
    source: Path,
    workdir: Path,
    *,
    limits: MediaLimits | None = None,
    spec: WebSpec | None = None,
    checks: CheckSpec | None = None,
    signature: SignatureSpec | None = None,
    admit: Callable[[media_probe.ProbeFacts], Verdict | None] | None = None,
) -> LocalResult:
    """Probe, validate, then make the moderation rendition, posters, preview, checks and the
    perceptual signature.

    `admit`, when given, sees the validated facts before the transcode and may return a
    rejection (the per-client budget of media seconds).
    """
    limits = limits or media_limits()
    spec = spec or web_spec()
    checks = checks or check_spec()
    signature = signature or signature_spec()
    demuxer, facts, verdict, timings = probe_local(source, limits=limits)
    result = LocalResult(verdict, demuxer=demuxer, facts=facts, timings=timings)
    if not verdict.accepted:
        return result
    refusal = admit(facts) if admit is not None else None
    if refusal is not None:
        result.verdict = refusal
        return result
    outputs = moderation_outputs(workdir)
    command = moderation_command(
        settings.FFMPEG_BINARY,
        str(source),
        demuxer,
        facts,
        outputs,
        spec=spec,
        checks=checks,
        max_duration=limits.max_duration,
        signature=signature,
    )
    result.commands.append(command)
    run = run_tool(
        command,
        timeout=transcode_timeout(facts.duration),
        memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
        file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
    )
    timings["transcode"] = round(run.seconds, 3)
    timings["transcode_cpu"] = run.cpu_seconds
    made = {name: Path(path) for name, path in vars(outputs).items() if name in MODERATION_FILES}
    missing = [str(path) for path in made.values() if not _non_empty(path)]
    full = [line for line in run.stderr.splitlines() if any(m in line for m in _NO_SPACE_MESSAGES)]
    if run.returncode != 0 and full:
        raise WorkDirectoryFull(f"ffmpeg: {full[0].strip()[:300]}")
    if run.returncode != 0 or missing:
        detail = f"ffmpeg exit {run.returncode}: {_last_line(run.stderr)}"
        result.verdict = reject_damaged(detail if run.returncode else f"no output {missing}")
        return result
    result.findings = parse_check_log(run.stderr, facts.duration)
    result.flags = verdict.flags + flags_from_findings(
        result.findings, duration=facts.duration, has_audio=facts.audio is not None, spec=checks
    )
    result.outputs = made
    # A flag helper, not an output moderators need: no samples only means no comparison.
    samples = Path(outputs.signature)
    if samples.exists():
        result.signature = encode(hashes_from_raw(samples.read_bytes(), signature))
    return result


def _non_empty(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# --- Storage ----------------------------------------------------------------------------------


class TransientStorageError(Exception):
    """The store did not answer or answered "try again": worth a retry with backoff."""


class WorkDirectoryFull(TransientStorageError):
    """MEDIA_WORK_DIR is full (ENOSPC) or over quota (EDQUOT): the machine's fault, not the
    video's, so the job is retried like a store outage instead of rejecting the testimonial."""


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
# What ffmpeg prints for them (its environment is LC_ALL=C).
_NO_SPACE_MESSAGES = tuple(os.strerror(code) for code in _NO_SPACE)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turn connection failures and 5xx answers into TransientStorageError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as error:
        if storage_error_is_transient(error):
            raise TransientStorageError(str(error)) from error
        raise


class OriginalMissing(Exception):
    """The uploaded original is not in the store."""


def download_original(key: str, destination: Path) -> str:
    """Copy a private object to a local file; return the sha256 of its bytes."""
    storage = private_storage()
    digest = hashlib.sha256()
    with storage_errors():
        if not storage.exists(key):
            raise OriginalMissing(key)
        if is_local(storage):
            source = open(storage.path(key), "rb")  # noqa: SIM115
        else:
            client = storage.connection.meta.client
            source = client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
        with source, open(destination, "wb") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                target.write(chunk)
    return digest.hexdigest()


def upload_file(path: Path, key: str) -> None:
    """Store a local file under `key` in the private store, replacing what was there."""
    storage = private_storage()
    with storage_errors():
        if is_local(storage):
            if storage.exists(key):
                storage.delete(key)
            with open(path, "rb") as handle:
                stored = storage.save(key, File(handle))
            if stored != key:  # pragma: no cover - a concurrent writer took the name
                raise RuntimeError(f"stored as {stored}, expected {key}")
            return
        storage.connection.meta.client.upload_file(
            str(path),
            storage.bucket_name,
            key,
            ExtraArgs={"ContentType": _content_type(key)},
        )


def upload_files(files: dict[str, Path]) -> None:
    """Store several local files (key -> path) at once: in parallel on S3."""
    storage = private_storage()
    if is_local(storage) or len(files) < 2:
        for key, path in files.items():
            upload_file(path, key)
        return
    client = storage.connection.meta.client  # boto3 clients are thread-safe

    def put(item: tuple[str, Path]) -> None:
        key, path = item
        with storage_errors():
            client.upload_file(
                str(path),
                storage.bucket_name,
                key,
                ExtraArgs={"ContentType": _content_type(key)},
            )

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        list(pool.map(put, files.items()))


def _content_type(key: str) -> str:
    return {
        ".mp4": "video/mp4",
        ".jpg": "image/jpeg",
        ".webp": "image/webp",
        ".vtt": "text/vtt",
    }.get(Path(key).suffix, "application/octet-stream")


def delete_keys(names: list[str], testimonial_id: UUID | str) -> None:
    storage = private_storage()
    for name in names:
        with contextlib.suppress(Exception):
            storage.delete(keys.testimonial_key(testimonial_id, name))


@contextlib.contextmanager
def work_directory(testimonial_id: Any) -> Iterator[Path]:
    """A private temporary folder under MEDIA_WORK_DIR, removed afterwards."""
    root = Path(settings.MEDIA_WORK_DIR)
    try:
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"t-{testimonial_id}-", dir=root))
    except OSError as error:
        if error.errno in _NO_SPACE:
            raise WorkDirectoryFull(str(error)) from error
        raise
    try:
        yield path
    except OSError as error:
        # Writing the downloaded original (or anything else) into the folder.
        if error.errno in _NO_SPACE:
            raise WorkDirectoryFull(str(error)) from error
        raise
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- One worker per testimonial at a time -----------------------------------------------------


def _lock_key(testimonial_id: Any) -> int:
    value = UUID(str(testimonial_id)).int >> 64
    return value - (1 << 64) if value >= (1 << 63) else value


@contextlib.contextmanager
def processing_lock(testimonial_id: Any) -> Iterator[bool]:
    """Hold PostgreSQL's advisory lock for this testimonial; yield False if another has it.

    The lock belongs to the database session, so a worker that dies (SIGKILL, lost machine)
    releases it with its connection; a redelivered task can then take over.
    """
    if connection.vendor != "postgresql":
        yield True  # the embedded default runs one worker
        return
    key = _lock_key(testimonial_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def processing_lock_held(testimonial_id: Any) -> bool:
    """True when another database session holds the processing lock of this testimonial."""
    if connection.vendor != "postgresql":
        return False
    key = _lock_key(testimonial_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return False


# --- The moderation rendition -----------------------------------------------------------------

# Output of the moderation pass -> its object name under the testimonial's prefix.
MODERATION_FILES = {
    "web": keys.WEB,
    "poster_jpeg": keys.POSTER_JPEG,
    "poster_webp": keys.POSTER_WEBP,
    "preview": keys.PREVIEW,
}


def _claim(testimonial_id: Any) -> Testimonial | None:
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


def _give_back_attempt(testimonial_id: Any) -> None:
    """A transient storage failure is not the file's fault: it does not count as an attempt."""
    from django.db.models import F

    Testimonial.objects.filter(pk=testimonial_id, processing_attempts__gt=0).update(
        processing_attempts=F("processing_attempts") - 1
    )


def testimonial_process(*, testimonial_id: Any) -> str:
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
        started = time.monotonic()
        try:
            content_hash = download_original(key, source)
        except OriginalMissing:
            verdict = reject_unprocessable(f"original {key} missing from storage")
            return _finish_rejected(testimonial, LocalResult(verdict), content_hash="")
        download_seconds = time.monotonic() - started
        result = video_process_local(
            source, workdir, admit=lambda facts: _within_budget(testimonial.pk, facts)
        )
        result.timings["download"] = round(download_seconds, 3)
        if not result.accepted:
            return _finish_rejected(testimonial, result, content_hash=content_hash)
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
        testimonial.pk, result.signature, result.facts.duration, exclude=duplicates
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
                "probe": result.probe_record(),
                "flags": flags,
                "duration": result.facts.duration,
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
    return "in_review"


def _within_budget(testimonial_id: Any, facts: media_probe.ProbeFacts) -> Verdict | None:
    """Charge the video's real length to its sender's day; a rejection when it does not fit."""
    admitted, spent = media_budget_charge(testimonial_id=testimonial_id, seconds=facts.duration)
    if admitted:
        return None
    return reject_over_budget(spent=spent, budget=conf.media_seconds_per_client_per_day())


def _earlier_uploads_with_hash(testimonial_id: Any, content_hash: str) -> list[Any]:
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
    testimonial_id: Any, signature: str, duration: float | None, *, exclude: list[Any]
) -> list[tuple[Any, Match]]:
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


def _finish_rejected(testimonial: Testimonial, result: LocalResult, *, content_hash: str) -> str:
    reason = result.verdict.reason
    try:
        testimonial_transition(
            testimonial_id=testimonial.pk,
            to=Status.REJECTED,
            actor_label=WORKER,
            note=f"{reason.code}: {reason.detail}",
            expected_from=[Status.PROCESSING],
            changes={
                "probe": result.probe_record(),
                "flags": [flag.as_dict() for flag in result.flags],
                "duration": result.facts.duration if result.facts else None,
                "content_hash": content_hash,
                "rejection_reason": reason.for_language(testimonial.language),
            },
        )
    except InvalidTransition:
        return "skipped"
    logger.info("testimonial %s rejected: %s", testimonial.pk, reason.code)
    return "rejected"


# --- Stuck testimonials -----------------------------------------------------------------------


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
            transaction.on_commit(
                lambda pk=testimonial_id: current_app.send_task(PROCESS_TASK, args=[str(pk)])
            )
        requeued.append(str(testimonial_id))
    _remove_stale_work_directories(older_than)
    if requeued:
        logger.warning("requeued %d stuck testimonials", len(requeued))
    return requeued


def _remove_stale_work_directories(older_than: timedelta) -> None:
    """Temporary folders of workers that died (SIGKILL leaves them behind)."""
    root = Path(settings.MEDIA_WORK_DIR)
    if not root.is_dir():
        return
    limit = time.time() - max(older_than.total_seconds(), 3600)
    for path in root.glob("t-*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and path.stat().st_mtime < limit:
                shutil.rmtree(path, ignore_errors=True)


# --- Social renditions (after approval) -------------------------------------------------------


def testimonial_branding(testimonial: Testimonial, workdir: Path) -> Branding:
    """The campaign look for this testimonial (its placement's campaign, else the live one)."""
    from campaigns.models import Campaign

    campaign = testimonial.placement.campaign if testimonial.placement_id else None
    if campaign is None:
        campaign = (
            Campaign.objects.filter(status=Campaign.Status.LIVE).order_by("-starts_on").first()
        )
    if campaign is None:
        return Branding()
    logo = None
    if campaign.logo:
        suffix = Path(campaign.logo.name).suffix.lower()
        if suffix in {".png", ".jpg", ".jpeg", ".webp"}:
            logo_path = workdir / f"logo{suffix}"
            with storage_errors(), campaign.logo.open("rb") as source:
                logo_path.write_bytes(source.read())
            logo = logo_path.name
    return Branding(
        primary_color=campaign.primary_color, accent_color=campaign.accent_color, logo=logo
    )


def testimonial_render_social(*, testimonial_id: Any) -> str:
    """Render the 9:16, 1:1 and 16:9 renditions of an approved testimonial, branded and captioned.

    Returns "rendered", "busy" or "skipped" (not approved/published, or nothing to render from).
    """
    with processing_lock(testimonial_id) as acquired:
        if not acquired:
            return "busy"
        testimonial = Testimonial.objects.select_related("placement__campaign").get(
            pk=testimonial_id
        )
        if testimonial.status not in (Status.APPROVED, Status.PUBLISHED):
            return "skipped"
        key = testimonial.original_key or keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
        storage = private_storage()
        with work_directory(testimonial.pk) as workdir:
            source = workdir / "original"
            try:
                download_original(key, source)
            except OriginalMissing:
                logger.error("testimonial %s: no original to render social formats", testimonial.pk)
                return "skipped"
            demuxer, facts, verdict, _ = probe_local(source, limits=media_limits())
            if not verdict.accepted:
                return "skipped"
            captions = None
            captions_key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
            with storage_errors():
                if storage.exists(captions_key):
                    with storage.open(captions_key, "rb") as handle:
                        (workdir / keys.CAPTIONS).write_bytes(handle.read())
                    captions = keys.CAPTIONS
            branding = testimonial_branding(testimonial, workdir)
            outputs = {name: keys.SOCIAL[name] for name in SOCIAL_FORMATS}
            command = social_command(
                settings.FFMPEG_BINARY,
                source.name,
                demuxer,
                facts,
                outputs,
                branding=branding,
                captions=captions,
                spec=web_spec(),
                max_duration=conf.MAX_DURATION_SECONDS,
            )
            run = run_tool(
                command,
                timeout=transcode_timeout(
                    facts.duration, per_second=conf.MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND
                ),
                memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
                file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
                cwd=workdir,
            )
            if run.returncode != 0:
                raise RuntimeError(f"social renditions failed: {_last_line(run.stderr)}")
            upload_files(
                {
                    keys.testimonial_key(testimonial.pk, filename): workdir / filename
                    for filename in outputs.values()
                }
            )
        probe = dict(testimonial.probe or {})
        probe["social"] = {
            "formats": sorted(outputs),
            "captions": bool(captions),
            "logo": bool(branding.logo),
            "seconds": round(run.seconds, 3),
        }
        Testimonial.objects.filter(pk=testimonial.pk).update(probe=probe, updated_at=timezone.now())
    return "rendered"
