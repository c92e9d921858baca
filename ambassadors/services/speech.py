"""Speech drafts (issue 19, docs/speech.md): captions, transcript and quotes a whisper.cpp model
drafts from a testimonial's moderation rendition, for a moderator to correct and accept.

The stage (queue `speech`, task `ambassadors.transcribe_testimonial`) runs after the
moderation rendition is stored: the audio is extracted by the hardened ffmpeg runner, the
model runs in a child process under the same runner's limits (`ambassadors/media/
speech_child.py`), and the drafts are stored in `SpeechDraft`, never in the stores: public
pages read only the captions a moderator set (`testimonial_captions_set`), which is what
`speech_draft_accept` calls.

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
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ambassadors import conf, keys, task_names
from ambassadors.media import speech as media_speech
from ambassadors.media.speech import ModelFileError, Segment
from ambassadors.models import SpeechDraft, SpeechState, Status, Testimonial
from ambassadors.services.audit import audit_note, event_actor, moderation_audit
from ambassadors.services.captions import captions_validate, testimonial_captions_set
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


def _id(testimonial_id: UUID | str) -> UUID:
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


class SpeechDraftError(Exception):
    """A desk action on speech drafts that cannot be done (French message for staff)."""


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
        draft, _ = SpeechDraft.objects.select_for_update().get_or_create(pk=_id(testimonial_id))
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
                pk=_id(testimonial_id), state=SpeechState.PENDING
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
            .filter(pk=_id(testimonial_id))
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
    done = SpeechDraft.objects.filter(pk=_id(testimonial_id), state=SpeechState.PENDING).update(
        state=state, message=message, updated_at=timezone.now(), **changes
    )
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
            SpeechDraft.objects.filter(pk=_id(testimonial_id), attempts__gt=0).update(
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


# --- The desk: selector and decision ------------------------------------------------------------


@dataclass(frozen=True)
class SpeechDesk:
    """What the moderator's desk shows of a testimonial's speech drafts (plain text: the
    templates escape it; none of it is public)."""

    state: str
    state_label: str
    automatic_draft: bool  # "brouillon automatique": not yet edited or accepted by a person
    message: str
    captions_vtt: str
    transcript: str
    quotes: list[str]
    language: str
    language_detected: bool
    model_name: str
    reviewed_by: str
    reviewed_at: datetime | None


def speech_draft_for_desk(*, testimonial_id: UUID | str) -> SpeechDesk:
    """The desk's view of a testimonial's speech drafts (state `none` when there are none)."""
    draft = SpeechDraft.objects.select_related("reviewed_by").filter(
        pk=_id(testimonial_id)
    ).first() or SpeechDraft(state=SpeechState.NONE)
    return SpeechDesk(
        state=draft.state,
        state_label=str(SpeechState(draft.state).label),
        automatic_draft=draft.state == SpeechState.DRAFT,
        message=draft.message,
        captions_vtt=draft.captions_vtt,
        transcript=draft.transcript,
        quotes=list(draft.quotes or []),
        language=draft.language,
        language_detected=draft.language_detected,
        model_name=draft.model_name,
        reviewed_by=draft.reviewed_by.get_username() if draft.reviewed_by else "",
        reviewed_at=draft.reviewed_at,
    )


def speech_draft_unreviewed(*, testimonial_id: UUID | str) -> bool:
    """True while automatic drafts wait for a person: approving should ask to confirm."""
    return SpeechDraft.objects.filter(pk=_id(testimonial_id), state=SpeechState.DRAFT).exists()


def speech_drafts_unreviewed_among(*, testimonial_ids: list[UUID | str]) -> set[UUID]:
    """Which of these testimonials have automatic drafts waiting for a person (one query, for
    a selection: approving them asks to confirm)."""
    return set(
        SpeechDraft.objects.filter(
            pk__in=[_id(pk) for pk in testimonial_ids], state=SpeechState.DRAFT
        ).values_list("pk", flat=True)
    )


def speech_stage_can_run() -> bool:
    """Whether a model is configured, so the stage can run again (the desk's "Relancer")."""
    return bool(settings.SPEECH_MODEL_PATH)


def speech_draft_accept(
    *,
    testimonial_id: UUID | str,
    actor: AbstractBaseUser | None,
    captions_text: str | None = None,
    quote: str | None = None,
) -> SpeechDraft:
    """A moderator accepts the drafts, as they are or as edited (`captions_text`): the captions
    become the testimonial's captions (validated and stored by the captions service), the
    quote (one of the suggestions, or edited) becomes its card quote, and the draft is
    `reviewed`. Raises SpeechDraftError or ValidationError (invalid captions)."""
    with transaction.atomic():
        draft = SpeechDraft.objects.select_for_update().filter(pk=_id(testimonial_id)).first()
        if draft is None or draft.state not in (SpeechState.DRAFT, SpeechState.REVIEWED):
            raise SpeechDraftError("Aucun brouillon automatique à accepter pour ce témoignage.")
        text = draft.captions_vtt if captions_text is None else captions_text
        testimonial = testimonial_captions_set(
            testimonial_id=testimonial_id, actor=actor, text=text
        )
        if quote is not None:
            quote = " ".join(quote.split())
            max_length = Testimonial._meta.get_field("quote").max_length or 280
            if len(quote) > max_length:
                raise SpeechDraftError(f"Une citation tient en {max_length} caractères au plus.")
            Testimonial.objects.filter(pk=_id(testimonial_id)).update(quote=quote)
        draft.state = SpeechState.REVIEWED
        draft.message = ""
        draft.reviewed_by = event_actor(actor)
        draft.reviewed_at = timezone.now()
        draft.save()
        moderation_audit(
            testimonial,
            actor=actor,
            note=audit_note("Brouillon automatique de sous-titres relu et accepté"),
        )
    return draft


def speech_drafts_erase(*, testimonial_id: UUID | str) -> int:
    """Delete a testimonial's speech drafts (transcript, captions, quotes): the erasure's part."""
    deleted, _ = SpeechDraft.objects.filter(pk=_id(testimonial_id)).delete()
    return deleted
