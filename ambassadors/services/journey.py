"""The resident's journey: start with consent, upload the video, withdraw, erase (DESIGN §2–4)."""

from __future__ import annotations

import logging
from typing import Any, BinaryIO, NotRequired, TypedDict
from uuid import UUID

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ambassadors import task_names, uploads
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.services.consent import consent_text_shown
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.services.status import InvalidTransition, testimonial_transition
from campaigns.models import Placement, Sector
from campaigns.services import funnel_record

logger = logging.getLogger(__name__)

# Emptied on erasure: everything that says who the resident is or what they said.
PERSONAL_FIELDS: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "commune": "",
    "job_title": "",
    "display_name": "",
    "quote": "",
    "original_key": "",
    "content_hash": "",
    "signature": "",
    "rejection_reason": "",
    "probe": {},
    "tags": "",
}


class JourneyError(Exception):
    """The asked step does not fit where the testimonial is; `message` is for the resident."""

    def __init__(self, message) -> None:
        self.message = message
        super().__init__(str(message))


# --- Reads the journey needs ------------------------------------------------------------------


def consent_text_current() -> ConsentText | None:
    return ConsentText.objects.filter(is_current=True).order_by("-created_at").first()


def testimonial_for_resident(testimonial_id: UUID | str) -> Testimonial | None:
    return Testimonial.objects.filter(pk=testimonial_id).first()


# --- Writes -----------------------------------------------------------------------------------


def journey_count(*, placement_id: int | None, step: str) -> None:
    """Count a funnel step; a failing counter never stops a resident's journey.

    The savepoint keeps a surrounding transaction (an upload completing) usable if it fails.
    """
    try:
        with transaction.atomic():
            funnel_record(placement_id=placement_id, step=step)
    except DatabaseError:
        logger.exception("funnel count %s failed", step)


class AboutYou(TypedDict):
    """What the resident says of themselves on the journey's form, the testimonial's own
    fields (`ConsentForm.about_you` reads them from the form)."""

    first_name: str
    email: str
    commune: str
    sector: Sector | None
    last_name: NotRequired[str]
    job_title: NotRequired[str]


def _testimonial_create(*, about: AboutYou, proof: dict[str, Any], **fields: Any) -> Testimonial:
    """A new testimonial (status `created`) from what the resident said of themselves (`about`),
    with its proof of consent (`proof`: the record's fields): the public name starts as the
    first name."""
    testimonial = Testimonial.objects.create(display_name=about["first_name"], **about, **fields)
    ConsentRecord.objects.create(testimonial=testimonial, testimonial_ref=testimonial.pk, **proof)
    return testimonial


def testimonial_start(
    *,
    first_name: str,
    email: str,
    commune: str,
    sector: Sector | None,
    consent_text: ConsentText,
    choices: dict[str, Any],
    language: str,
    last_name: str = "",
    job_title: str = "",
    placement: Placement | None = None,
    is_minor: bool = False,
    parent_email: str = "",
) -> Testimonial:
    """Create a testimonial (status `created`) and the proof of the consent just given.

    The proof keeps a copy of the text as the consent page showed it in `language`, and its hash.
    """
    shown = consent_text_shown(consent_text=consent_text, language=language)
    with transaction.atomic():
        return _testimonial_create(
            about={
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "commune": commune,
                "sector": sector,
                "job_title": job_title,
            },
            language=language,
            placement=placement,
            proof={
                "consent_text": consent_text,
                "text_version": consent_text.version,
                "accepted_at": timezone.now(),
                "choices": {
                    **choices,
                    "channels": consent_text.channels,
                    "duration_months": consent_text.duration_months,
                    "language": language,
                },
                "placement": placement,
                "is_minor": is_minor,
                "parent_email": parent_email,
                "text_language": shown.language,
                "text_shown": shown.text,
                "text_sha256": shown.sha256,
            },
        )


def testimonial_upload_start(
    *, testimonial_id: UUID | str, size: int, content_type: str
) -> uploads.UploadSession:
    """Start (or restart) sending a testimonial's video; counts the funnel step once."""
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status != Status.CREATED:
        raise JourneyError(_("Votre vidéo a déjà été envoyée."))
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=size, content_type=content_type
    )
    # Count a journey once even when the browser restarts its upload.
    if cache.add(f"ambassadors:funnel-started:{testimonial.pk}", 1, 30 * 24 * 3600):
        journey_count(placement_id=testimonial.placement_id, step="recording_started")
    return session


def testimonial_upload_part(*, token: str, stream: BinaryIO, length: int) -> str:
    """Store one part sent to the local endpoint, unless the testimonial no longer waits for it.

    (A withdrawn testimonial's files are being erased: a late part must not bring one back.)
    """
    session, _number = uploads.local_part_read_token(token)
    if not Testimonial.objects.filter(pk=session.testimonial_id, status=Status.CREATED).exists():
        raise uploads.UploadRefused(_("Votre vidéo a déjà été envoyée."), code="done")
    return uploads.local_part_write(token=token, stream=stream, length=length)


def testimonial_upload_complete(
    *, testimonial_id: UUID | str, session: uploads.UploadSession, send_email: bool = True
) -> Testimonial:
    """Complete the upload, move the testimonial to `uploaded` and queue its processing.

    Idempotent: a browser that retries after losing the answer gets the same result.
    """
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status != Status.CREATED:
        if testimonial.original_key == session.key:
            return testimonial
        raise JourneyError(_("Votre vidéo a déjà été envoyée."))
    size = uploads.upload_complete(session=session)
    try:
        with transaction.atomic():
            testimonial = testimonial_transition(
                testimonial_id=testimonial.pk,
                to=Status.UPLOADED,
                expected_from=[Status.CREATED],
                actor_label="resident",
                changes={"original_key": session.key, "original_size": size},
            )
            journey_count(placement_id=testimonial.placement_id, step="upload_completed")
            pk = str(testimonial.pk)
            task_queue_on_commit(task_names.PROCESS, pk)
            if send_email:
                task_queue_on_commit(task_names.CONFIRMATION_EMAIL, pk)
                # Its own task: a retry of one email never sends the other twice.
                if ConsentRecord.objects.filter(
                    testimonial_id=pk, is_minor=True, parent_email__gt=""
                ).exists():
                    task_queue_on_commit(task_names.PARENT_NOTICE_EMAIL, pk)
    except InvalidTransition:
        # A concurrent completion won the race; its result stands.
        testimonial.refresh_from_db()
    return testimonial


def testimonial_withdraw(
    *, testimonial_id: UUID | str, actor=None, actor_label: str = "resident", note: str = ""
) -> Testimonial:
    """Withdraw a testimonial at the resident's (or staff's) request and queue its purge."""
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status in (Status.WITHDRAWN, Status.ERASED):
        return testimonial
    with transaction.atomic():
        testimonial = testimonial_transition(
            testimonial_id=testimonial.pk,
            to=Status.WITHDRAWN,
            actor=actor,
            actor_label=actor_label,
            note=note,
        )
        task_queue_on_commit(task_names.PURGE, testimonial.pk)
    return testimonial


# --- A new video in the same consent session (after a refusal) -------------------------------


def new_video_consent(testimonial: Testimonial) -> ConsentRecord | None:
    """The consent a refused testimonial's resident gave, if a new video may rest on it.

    It holds while the testimonial is still refused (not reopened, withdrawn or erased: the
    retention of refused testimonials ends the session) and the text accepted is still the one
    in force; otherwise the resident reads and accepts the current text again.
    """
    if testimonial.status != Status.REJECTED:
        return None
    consent = ConsentRecord.objects.filter(testimonial=testimonial).select_related("consent_text")
    record = consent.first()
    if record is None or record.anonymised_at is not None:
        return None
    current = consent_text_current()
    if current is None or current.pk != record.consent_text_id:
        return None
    return record


# What a new video after a refusal copies of the refused testimonial's proof of consent.
PROOF_COPIED = (
    "consent_text",
    "text_version",
    "accepted_at",
    "placement",
    "is_minor",
    "parent_email",
    "text_language",
    "text_shown",
    "text_sha256",
)


def testimonial_start_again(*, refused_id: UUID | str, about: AboutYou) -> Testimonial:
    """Start a new testimonial (status `created`) after a refusal, on the consent already given.

    The new testimonial keeps the refused one's language and placement; its consent record is a
    copy of the refused one's proof (same text, hash, choices and time of acceptance). A minor's
    parent is told of the new video again when it is sent, and confirms it again.
    Raises JourneyError when the consent no longer holds (`new_video_consent`).
    """
    with transaction.atomic():
        refused = Testimonial.objects.select_for_update().get(pk=refused_id)
        record = new_video_consent(refused)
        if record is None:
            raise JourneyError(_("Votre accord doit être donné à nouveau pour une nouvelle vidéo."))
        # The refused testimonial's proof, copied as it is.
        proof = {name: getattr(record, name) for name in PROOF_COPIED}
        return _testimonial_create(
            about=about,
            language=refused.language,
            placement=refused.placement,
            proof={**proof, "choices": dict(record.choices)},
        )
