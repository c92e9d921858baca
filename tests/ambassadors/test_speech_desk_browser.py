"""Speech drafts on the moderator's desk in Chromium at 1366×768 (issue 19), axe-core included.

- "Utiliser le brouillon" puts the draft's cues into the cue editor, a suggested quote goes into
  the "Citation" field in one click, saving makes the draft "relu";
- hostile model text runs no script and reaches the fields as plain text;
- the key `a` on a testimonial whose draft is unreviewed opens the approval page with the
  confirmation box focused: Space, Enter approves and the next testimonial opens;
- the screenshot of the review page with a draft (var/screenshots/desk-speech-draft.png, kept in
  docs/screenshots/).
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ambassadors.models import SpeechDraft, SpeechState, Status, Testimonial
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403
from .moderation_support import moderator_signs_in, page_errors
from .test_speech_desk import HOSTILE

DRAFT_VTT = (
    "WEBVTT\n\nNOTE Brouillon automatique : à relire avant publication\n\n"
    "00:00:00.000 --> 00:00:01.200\nBonjour, je suis soudeuse.\n\n"
    "00:00:01.200 --> 00:00:02.000\nÀ Fos-sur-Mer.\n"
)
QUOTES = [
    "Je soude des coques de bateaux depuis dix ans.",
    "Le chantier, c'est une famille.",
    "Venez voir, vous ne le regretterez pas.",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page, errors: list[str]) -> None:
    """axe-core: no serious violation (axe's own inline styles, blocked by the CSP, aside)."""
    before = len(errors)
    assert_accessible(page)
    errors[before:] = [line for line in errors[before:] if "Applying inline style" not in line]


def _draft(testimonial, **fields) -> None:
    SpeechDraft.objects.create(
        testimonial=testimonial,
        **{
            "state": SpeechState.DRAFT,
            "captions_vtt": DRAFT_VTT,
            "transcript": "Bonjour, je suis soudeuse.\n\nÀ Fos-sur-Mer, sur les chantiers navals.",
            "quotes": QUOTES,
            "language": "fr",
            "model_name": "ggml-base.bin (whisper base, multilingue)",
            **fields,
        },
    )


def test_the_draft_goes_into_the_cue_editor_and_the_quote_then_saving_reviews_it(
    laptop_page, live_server, make_testimonial, moderator, screenshot
):
    testimonial = make_testimonial(Status.IN_REVIEW, quote="")
    _draft(testimonial)
    page = laptop_page
    errors = page_errors(page)
    moderator_signs_in(page, live_server, moderator)
    page.goto(f"{live_server.url}/admin/ambassadors/testimonial/{testimonial.pk}/change/")

    panel = page.locator("[data-speech-draft]")
    expect(panel).to_contain_text("brouillon automatique")
    expect(page.locator(".moderation-desk")).to_contain_text("Brouillon automatique non relu")
    use = panel.get_by_role("button", name="Utiliser le brouillon")
    expect(use).to_be_visible()
    panel.locator(".speech-draft__transcript summary").click()
    expect(panel.locator(".speech-draft__text")).to_contain_text("chantiers navals")
    panel.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -90)")
    _accessible(page, errors)
    screenshot(page, "desk-speech-draft", full_page=False)

    use.click()
    expect(page.locator(".captions-editor-cues .captions-cue")).to_have_count(2)
    expect(page.locator(".captions-cue-text").first).to_have_value("Bonjour, je suis soudeuse.")
    expect(page.locator("#id_captions_text")).to_have_value(DRAFT_VTT)
    expect(panel.locator("[data-speech-status]")).to_contain_text("Brouillon chargé")
    # One suggested quote into the card's quote field, in one click.
    panel.get_by_role("button", name="Prendre pour la carte").nth(1).click()
    expect(page.locator("#id_quote")).to_have_value(QUOTES[1])
    # The moderator corrects a cue in the editor, then saves.
    page.locator(".captions-cue-text").nth(1).fill("À Fos-sur-Mer, Bouches-du-Rhône.")
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state()
    expect(page.locator("[data-speech-draft]")).to_contain_text("Relu et accepté par camille")

    testimonial.refresh_from_db()
    draft = SpeechDraft.objects.get(pk=testimonial.pk)
    assert draft.state == SpeechState.REVIEWED and draft.reviewed_by == moderator
    assert testimonial.quote == QUOTES[1] and testimonial.has_captions
    expect(page.locator(".moderation-desk")).not_to_contain_text("Brouillon automatique non relu")
    assert errors == [], "\n".join(errors)


def test_key_a_on_an_unreviewed_draft_asks_then_approves_and_hostile_text_stays_text(
    laptop_page, live_server, make_testimonial, moderator, screenshot
):
    now = timezone.now()
    first = make_testimonial(Status.IN_REVIEW)
    second = make_testimonial(Status.IN_REVIEW)
    for index, testimonial in enumerate((first, second)):
        Testimonial.objects.filter(pk=testimonial.pk).update(
            status_changed_at=now - datetime.timedelta(hours=2 - index)
        )
    _draft(first, transcript=HOSTILE, quotes=[HOSTILE], model_name=HOSTILE)
    page = laptop_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors = page_errors(page)
    moderator_signs_in(page, live_server, moderator)
    page.goto(f"{live_server.url}/admin/ambassadors/testimonial/{first.pk}/change/")

    panel = page.locator("[data-speech-draft]")
    panel.locator(".speech-draft__transcript summary").click()
    expect(panel.locator(".speech-draft__text")).to_contain_text('<script>alert("x")</script>')
    assert page.locator("[data-speech-draft] script:not([type='application/json'])").count() == 0
    assert page.locator("[data-speech-draft] b").count() == 0
    panel.get_by_role("button", name="Prendre pour la carte").click()
    expect(page.locator("#id_quote")).to_have_value(HOSTILE)

    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("a")
    page.wait_for_url("**/moderate/approve/")
    box = page.locator("input[name=speech_confirm]")
    expect(box).to_be_focused()
    expect(page.locator(".moderation-speech-confirm")).to_contain_text("brouillon automatique")
    _accessible(page, errors)
    screenshot(page, "desk-speech-confirm", full_page=False)
    first.refresh_from_db()
    assert first.status == Status.IN_REVIEW
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/ambassadors/testimonial/{second.pk}/change/")

    first.refresh_from_db()
    assert first.status == Status.APPROVED
    assert SpeechDraft.objects.get(pk=first.pk).state == SpeechState.DRAFT
    assert dialogs == []
    assert errors == [], "\n".join(errors)
