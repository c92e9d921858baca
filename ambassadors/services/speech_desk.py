"""The moderator's desk and speech drafts (issue 19, docs/speech.md): what the desk shows of
a testimonial's drafts, whether they still wait for a person, and the moderator's acceptance,
which makes the drafts the testimonial's captions (and quote) through the captions service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ambassadors.models import SpeechDraft, SpeechState, Testimonial
from ambassadors.services.audit import audit_note, event_actor, moderation_audit
from ambassadors.services.captions import testimonial_captions_set
from ambassadors.services.speech import speech_draft_id as _id


class SpeechDraftError(Exception):
    """A desk action on speech drafts that cannot be done (French message for staff)."""


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
