"""Speech drafts (issue 19, docs/speech.md): captions, transcript and quotes a whisper.cpp model
drafts from a testimonial's moderation rendition, for a moderator to correct and accept.

The stage (queue `speech`, task `ambassadors.transcribe_testimonial`) runs after the
moderation rendition is stored: the audio is extracted by the hardened ffmpeg runner, the
model runs in a child process under the same runner's limits (`ambassadors/media/
speech_child.py`), and the drafts are stored in `SpeechDraft`, never in the stores: public
pages read only the captions a moderator set (`testimonial_captions_set`), which is what
`speech_draft_accept` (the desk's, `speech_desk.py`) calls.

States: none → pending → draft → reviewed, or skipped (no model, no sound) / failed (a staff
message in French, also logged). A killed transcription stays `pending` with its lock released:
the sweeper queues it again (`speech_drafts_requeue_stuck`), and the attempts counter turns a
file that keeps killing workers into `failed`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import wave
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ambassadors import conf, keys, task_names
from ambassadors.media import speech as media_speech
from ambassadors.media.speech import ModelFileError, Segment
from ambassadors.models import SpeechDraft, SpeechState, Status, Testimonial
from ambassadors.services.captions import captions_validate
from ambassadors.services.files import download_original, work_directory
from ambassadors.services.locks import SPEECH as SPEECH_LOCK
from ambassadors.services.locks import work_lock, work_lock_held
from ambassadors.services.queue import task_queue_on_commit
from onprovence.mediarunner import MOV, ToolTimeout, run_tool
from onprovence.storage import ObjectMissing, TransientStorageError

logger = logging.getLogger(__name__)

CHILD_SCRIPT = Path(media_speech.__file__).with_name("speech_child.py")

# Knobs (settings.py may set them; the defaults are here, once).
THREADS_DEFAULT = 2
TIMEOUT_BASE_SECONDS_DEFAULT = 60.0
# Seconds of wall time per second of video: a small multilingual model on two cores runs at
# about real time; base well under it (bench/speech.py measures it on the deployer's machine).
TIMEOUT_PER_SECOND_DEFAULT = 4.0
MEMORY_BYTES_DEFAULT = 6 * 1024**3
MAX_ATTEMPTS_DEFAULT = 3
EXTRACT_MEMORY_BYTES = 1024**3

NO_MODEL_MESSAGE = (
    "Pas de brouillon automatique : aucun modèle de transcription n'est installé "
    "(réglage SPEECH_MODEL_PATH, voir README « Speech drafts »)."
)
NO_AUDIO_MESSAGE = "Pas de brouillon automatique : la vidéo n'a pas de piste son."
ACTIVE_STATUSES = (Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED)


def speech_draft_id(testimonial_id: UUID | str) -> UUID:
    """A speech draft's key: its testimonial's id as a UUID."""
    return testimonial_id if isinstance(testimonial_id, UUID) else UUID(str(testimonial_id))


def _knob(name: str, default):
    return type(default)(getattr(settings, name, default))


def transcription_timeout(duration: float | None) -> float:
    seconds = duration if duration is not None else conf.MAX_DURATION_SECONDS
    return _knob("SPEECH_TIMEOUT_BASE_SECONDS", TIMEOUT_BASE_SECONDS_DEFAULT) + _knob(
        "SPEECH_TIMEOUT_PER_SECOND", TIMEOUT_PER_SECOND_DEFAULT
    ) * float(seconds)


def extraction_timeout(duration: float | None) -> float:
    seconds = duration if duration is not None else conf.MAX_DURATION_SECONDS
    return conf.MEDIA_TIMEOUT_BASE_SECONDS + 0.5 * float(seconds)


def speech_lock(testimonial_id: UUID | str) -> contextlib.AbstractContextManager[bool]:
    """This testimonial's transcription lock (session-level: a killed worker releases it)."""
    return work_lock(SPEECH_LOCK, testimonial_id)


def speech_lock_held(testimonial_id: UUID | str) -> bool:
    return work_lock_held(SPEECH_LOCK, testimonial_id)


# --- Queueing -----------------------------------------------------------------------------------


def speech_stage_queue(*, testimonial_id: UUID | str) -> SpeechDraft:
    """Start the speech stage of a testimonial whose moderation rendition is stored.

    Without a model the stage is skipped at once (the desk says so); otherwise the draft is
    `pending` and the task queued on commit. A reviewed draft is never replaced.
    """
    with transaction.atomic():
        draft, _ = SpeechDraft.objects.select_for_update().get_or_create(
            pk=speech_draft_id(testimonial_id)
        )
        if draft.state == SpeechState.REVIEWED:
            return draft
        draft.attempts = 0
        if not settings.SPEECH_MODEL_PATH:
            draft.state, draft.message = SpeechState.SKIPPED, NO_MODEL_MESSAGE
        else:
            draft.state, draft.message = SpeechState.PENDING, ""
            task_queue_on_commit(task_names.TRANSCRIBE, testimonial_id)
        draft.save()
    return draft


def speech_drafts_requeue_stuck(*, older_than: timedelta | None = None) -> list[str]:
    """Queue again the transcriptions left `pending` (lost message, killed worker)."""
    if older_than is None:
        older_than = timedelta(seconds=conf.MEDIA_STUCK_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    requeued = []
    stuck = SpeechDraft.objects.filter(state=SpeechState.PENDING, updated_at__lte=cutoff)
    for testimonial_id in stuck.values_list("pk", flat=True):
        if speech_lock_held(testimonial_id):
            continue
        with transaction.atomic():
            touched = SpeechDraft.objects.filter(
                pk=speech_draft_id(testimonial_id), state=SpeechState.PENDING
            ).update(updated_at=timezone.now())
            if touched:
                task_queue_on_commit(task_names.TRANSCRIBE, testimonial_id)
                requeued.append(str(testimonial_id))
    if requeued:
        logger.warning("requeued %d stuck transcriptions", len(requeued))
    return requeued


# --- The stage ----------------------------------------------------------------------------------


@dataclass
class Transcription:
    """What the child process returned, clipped to the video."""

    language: str
    detected: bool
    segments: list[Segment]
    timings: dict[str, float] = field(default_factory=dict)


def _claim(testimonial_id: UUID | str) -> SpeechDraft | None:
    with transaction.atomic():
        draft = (
            SpeechDraft.objects.select_for_update()
            .select_related("testimonial")
            .filter(pk=speech_draft_id(testimonial_id))
            .first()
        )
        if draft is None or draft.state != SpeechState.PENDING:
            return None
        if draft.testimonial.status not in ACTIVE_STATUSES:
            draft.state, draft.message = SpeechState.NONE, ""
            draft.save(update_fields=["state", "message", "updated_at"])
            return None
        draft.attempts += 1
        draft.save(update_fields=["attempts", "updated_at"])
    return draft


def _finish(testimonial_id: UUID | str, state: str, message: str = "", **changes) -> bool:
    """Record the outcome if the draft is still pending (compare-and-set: an erasure or a
    newer run wins); True when recorded."""
    done = SpeechDraft.objects.filter(
        pk=speech_draft_id(testimonial_id), state=SpeechState.PENDING
    ).update(state=state, message=message, updated_at=timezone.now(), **changes)
    if state == SpeechState.FAILED:
        logger.error("speech draft of %s failed: %s", testimonial_id, message)
    return bool(done)


def testimonial_transcribe(*, testimonial_id: UUID | str) -> str:
    """Draft captions, transcript and quotes of a testimonial (the `speech` task's service).

    Idempotent: only a `pending` draft is worked on, under the testimonial's speech lock, and
    the result is written only if it is still pending. Returns "draft", "skipped", "failed",
    "busy" or "nothing".
    """
    with speech_lock(testimonial_id) as acquired:
        if not acquired:
            return "busy"
        draft = _claim(testimonial_id)
        if draft is None:
            return "nothing"
        max_attempts = _knob("SPEECH_MAX_ATTEMPTS", MAX_ATTEMPTS_DEFAULT)
        if draft.attempts > max_attempts:
            _finish(
                testimonial_id,
                SpeechState.FAILED,
                f"La transcription s'est interrompue {draft.attempts - 1} fois "
                "(mémoire ou temps dépassés, ou modèle qui plante) : abandon.",
            )
            return "failed"
        if not settings.SPEECH_MODEL_PATH:
            _finish(testimonial_id, SpeechState.SKIPPED, NO_MODEL_MESSAGE)
            return "skipped"
        try:
            model = media_speech.model_file_check(settings.SPEECH_MODEL_PATH)
        except ModelFileError as error:
            _finish(testimonial_id, SpeechState.FAILED, error.message)
            return "failed"
        testimonial = draft.testimonial
        if not (testimonial.probe or {}).get("audio"):
            _finish(testimonial_id, SpeechState.SKIPPED, NO_AUDIO_MESSAGE)
            return "skipped"
        try:
            result = _transcribe(testimonial, model)
        except TransientStorageError:
            SpeechDraft.objects.filter(pk=speech_draft_id(testimonial_id), attempts__gt=0).update(
                attempts=F("attempts") - 1
            )
            raise
        except SpeechFailure as failure:
            _finish(testimonial_id, SpeechState.FAILED, failure.message)
            return "failed"
        return _store(testimonial, model, result)


class SpeechFailure(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _transcribe(testimonial: Testimonial, model: media_speech.ModelInfo) -> Transcription:
    timings: dict[str, float] = {}
    with work_directory(testimonial.pk) as workdir:
        video, audio = workdir / keys.WEB, workdir / "speech.wav"
        try:
            download_original(keys.testimonial_key(testimonial.pk, keys.WEB), video)
        except ObjectMissing as error:
            raise SpeechFailure(
                "Transcription impossible : la vidéo de modération manque dans le stockage."
            ) from error
        duration = testimonial.duration or conf.MAX_DURATION_SECONDS
        command = media_speech.audio_extract_command(
            settings.FFMPEG_BINARY, str(video), MOV, str(audio), max_duration=duration
        )
        try:
            run = run_tool(
                command,
                timeout=extraction_timeout(duration),
                memory_bytes=EXTRACT_MEMORY_BYTES,
                file_bytes=int(duration * media_speech.SAMPLE_RATE * 2) + 1024**2,
            )
        except ToolTimeout as error:
            raise SpeechFailure(f"Extraction du son interrompue : {error}.") from error
        timings["extract"] = round(run.seconds, 3)
        if run.returncode != 0 or not audio.exists():
            raise SpeechFailure(f"Extraction du son impossible (ffmpeg {run.returncode}).")
        with wave.open(str(audio), "rb") as handle:
            audio_seconds = handle.getnframes() / handle.getframerate()
        language = _language(testimonial.language)
        try:
            run = run_tool(
                [
                    sys.executable, "-I", str(CHILD_SCRIPT), model.path, str(audio), language,
                    str(_knob("SPEECH_THREADS", THREADS_DEFAULT)),
                ],
                timeout=transcription_timeout(audio_seconds),
                memory_bytes=_knob("SPEECH_MEMORY_BYTES", MEMORY_BYTES_DEFAULT),
                cwd=workdir,
                file_bytes=1024**2,
            )  # fmt: skip
        except ToolTimeout as error:
            raise SpeechFailure(
                f"Transcription arrêtée : elle a dépassé son temps ({error}). Un modèle plus "
                "petit (ggml-base) ou un worker plus rapide est nécessaire."
            ) from error
        timings["transcribe"] = round(run.seconds, 3)
        timings["transcribe_cpu"] = run.cpu_seconds
        timings["audio"] = round(audio_seconds, 3)
    if run.returncode != 0:
        logger.error("speech child exit %s: %s", run.returncode, run.stderr[-2000:])
        if run.returncode == 3 or run.returncode < 0:
            raise SpeechFailure(
                f"Modèle de transcription incompatible ou endommagé : whisper.cpp n'a pas pu "
                f"utiliser « {Path(model.path).name} » (code {run.returncode}). Téléchargez un "
                "modèle ggml (voir README « Speech drafts »)."
            )
        raise SpeechFailure(f"Transcription impossible (code {run.returncode}).")
    try:
        output = json.loads(run.stdout)
        segments = [
            Segment(float(start) / 1000, float(end) / 1000, str(text))
            for start, end, text in output["segments"]
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise SpeechFailure("Transcription illisible (réponse inattendue du modèle).") from error
    return Transcription(
        language=str(output.get("language") or language)[:8],
        detected=bool(output.get("detected")),
        segments=media_speech.segments_clip(segments, min(audio_seconds, duration)),
        timings=timings,
    )


def _language(choice: str) -> str:
    """The whisper language code of the resident's choice, or "" to detect it."""
    code = (choice or "").split("-")[0].split("_")[0].lower()
    return code if len(code) == 2 and code.isalpha() else ""


def _store(testimonial: Testimonial, model: media_speech.ModelInfo, result: Transcription) -> str:
    captions = media_speech.captions_from_segments(
        result.segments, note="Brouillon automatique : à relire avant publication"
    )
    if captions:
        try:
            captions = captions_validate(captions)
        except ValidationError as error:
            message = "; ".join(str(m) for m in error.messages)
            message = f"Brouillon de sous-titres invalide : {message}"
            _finish(testimonial.pk, SpeechState.FAILED, message)
            return "failed"
    transcript = media_speech.transcript_from_segments(result.segments)
    message = "" if transcript else "Le modèle n'a reconnu aucune parole."
    recorded = _finish(
        testimonial.pk,
        SpeechState.DRAFT,
        message,
        captions_vtt=captions,
        transcript=transcript,
        quotes=media_speech.quotes_suggest(transcript),
        language=result.language,
        language_detected=result.detected,
        model_name=model.describe()[:200],
        timings=result.timings,
    )
    logger.info("speech draft of %s: %s (%s)", testimonial.pk, recorded, result.timings)
    return "draft" if recorded else "nothing"


def speech_drafts_erase(*, testimonial_id: UUID | str) -> int:
    """Delete a testimonial's speech drafts (transcript, captions, quotes): the erasure's part."""
    deleted, _ = SpeechDraft.objects.filter(pk=speech_draft_id(testimonial_id)).delete()
    return deleted
