"""The speech model's drafts on the review page (issue 19, docs/speech.md): their state in
words, the draft captions for the cue editor, the transcript, the suggested quotes, and
"Relancer la transcription". Everything the model wrote is plain text, escaped by the
template (never marked safe)."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from ..models import SpeechState, Testimonial
from ..services.speech import ACTIVE_STATUSES, NO_MODEL_MESSAGE
from ..services.speech_desk import speech_draft_for_desk, speech_stage_can_run
from .actions import MODERATE

# The states "Relancer la transcription" is offered in, once a model is configured.
RERUN_STATES = frozenset({SpeechState.NONE, SpeechState.FAILED, SpeechState.SKIPPED})


def speech_rerun_url(user: Any, testimonial: Testimonial) -> str | None:
    """The rerun's URL when this user may run the stage again on this testimonial now."""
    if testimonial.status not in ACTIVE_STATUSES or not user.has_perm(MODERATE):
        return None
    if not speech_stage_can_run():
        return None
    desk = speech_draft_for_desk(testimonial_id=testimonial.pk)
    if desk.state not in RERUN_STATES:
        return None
    return reverse("admin:ambassadors_testimonial_speech_rerun", args=[testimonial.pk])


def speech_draft_html(
    testimonial: Testimonial, user: AbstractBaseUser | None, *, draft_used: bool = False
) -> SafeString:
    """The panel; `draft_used`: the page is shown again (an error) after the moderator loaded
    the draft into the editor, so saving it still accepts the draft."""
    desk = speech_draft_for_desk(testimonial_id=testimonial.pk)
    can_edit = user is not None and user.has_perm("ambassadors.change_testimonial")
    rerun_url = speech_rerun_url(user, testimonial) if user is not None else None
    context = {
        "desk": desk,
        "no_model": desk.state == SpeechState.SKIPPED and desk.message == NO_MODEL_MESSAGE,
        "can_edit": can_edit,
        "draft_used": draft_used,
        "rerun_url": rerun_url,
        "cannot_rerun": desk.state in (SpeechState.FAILED, SpeechState.SKIPPED)
        and not speech_stage_can_run(),
        "cue_count": desk.captions_vtt.count("-->"),
        "word_count": len(desk.transcript.split()),
    }
    # The template's output: every model text in it autoescaped.
    return render_to_string("ambassadors/admin/speech_draft.html", context)
