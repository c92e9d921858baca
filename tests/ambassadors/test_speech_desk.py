"""Speech drafts on the moderator's desk (issue 19, "The moderator's desk marks them
«brouillon automatique»"), through the admin's views on the real services.

Before: the review page said nothing of the speech stage (a moderator could not tell a draft
waiting from a model missing or a failure), the drafts could not reach the cue editor or the
card's quote, approving did not mention an unreviewed draft, and a failed or skipped stage
could not be run again from the desk. Each test names what it proves.
"""

import datetime
import re

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from ambassadors import keys
from ambassadors.media import speech as media_speech
from ambassadors.models import SpeechDraft, SpeechState, Status, Testimonial, TestimonialEvent
from ambassadors.services import publication, speech, speech_desk
from onprovence.storage import private_storage, public_storage
from tests.ambassadors.speech_model import *  # noqa: F403

from .moderation_support import *  # noqa: F403
from .moderation_support import change_form_data, desk_form

pytestmark = pytest.mark.django_db

MARKER = "Zqxmarker"
# Model text that would be markup if it were not escaped: a script, the end of the captions'
# text box, an attribute break.
HOSTILE = f'<script>alert("x")</script></textarea><b>gras</b> " onmouseover="x {MARKER}.'
DRAFT_VTT = (
    "WEBVTT\n\nNOTE Brouillon automatique : à relire avant publication\n\n"
    f"00:00:00.000 --> 00:00:01.500\nBonjour, je suis soudeuse {MARKER}.\n\n"
    "00:00:01.500 --> 00:00:02.000\nÀ Fos-sur-Mer.\n"
)
QUOTES = [
    f"Je soude des coques de bateaux depuis dix ans {MARKER}.",
    "Le chantier, c'est une famille.",
    "Venez voir, vous ne le regretterez pas.",
]


def _change(testimonial) -> str:
    return f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"


def _draft(testimonial, **fields) -> SpeechDraft:
    """A draft as the stage stores it (`_store`), made directly for the page tests."""
    values = {
        "state": SpeechState.DRAFT,
        "captions_vtt": DRAFT_VTT,
        "transcript": f"Bonjour, je suis soudeuse {MARKER}. À Fos-sur-Mer.",
        "quotes": QUOTES,
        "language": "fr",
        "language_detected": False,
        "model_name": "ggml-base.bin (whisper base, multilingue)",
        **fields,
    }
    return SpeechDraft.objects.create(testimonial=testimonial, **values)


def _panel(html: str) -> str:
    """The review page's speech panel (the read-only field's row)."""
    return re.search(r'<div class="speech-draft .*?<!-- /speech-draft -->', html, re.S).group(0)


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _queue_of(make_testimonial, count: int) -> list[Testimonial]:
    made = [make_testimonial(Status.IN_REVIEW) for _ in range(count)]
    now = timezone.now()
    for index, testimonial in enumerate(made):
        Testimonial.objects.filter(pk=testimonial.pk).update(
            status_changed_at=now - datetime.timedelta(hours=count - index)
        )
    return made


# --- 1. The state in words --------------------------------------------------------------------


def test_the_review_page_says_each_speech_state_in_words(
    moderator_client, make_testimonial, moderator, settings
):
    """Before: nothing on the review page said whether a draft was waiting, skipped for want of
    a model, failed (and why), ready ("brouillon automatique") or reviewed (by whom)."""
    settings.SPEECH_MODEL_PATH = ""
    none, waiting, skipped, failed, drafted, reviewed = (
        make_testimonial(Status.IN_REVIEW) for _ in range(6)
    )
    SpeechDraft.objects.create(testimonial=waiting, state=SpeechState.PENDING)
    speech.speech_stage_queue(testimonial_id=skipped.pk)  # no model: skipped at once
    SpeechDraft.objects.create(
        testimonial=failed,
        state=SpeechState.FAILED,
        message="Modèle de transcription introuvable : « /srv/models/ggml-base.bin ».",
    )
    _draft(drafted)
    _draft(reviewed)
    speech_desk.speech_draft_accept(testimonial_id=reviewed.pk, actor=moderator)

    said = {
        name: _words(_panel(moderator_client.get(_change(testimonial)).content.decode()))
        for name, testimonial in [
            ("none", none),
            ("waiting", waiting),
            ("skipped", skipped),
            ("failed", failed),
            ("draft", drafted),
            ("reviewed", reviewed),
        ]
    }

    assert "Aucun brouillon automatique pour cette vidéo." in said["none"]
    assert "transcription en cours" in said["waiting"]
    assert "Pas de modèle de transcription installé" in said["skipped"]
    assert "Modèle de transcription introuvable" in said["failed"]
    assert "échec de la transcription" in said["failed"]
    assert "brouillon automatique" in said["draft"] and "À relire" in said["draft"]
    assert "Langue : fr (choisie par le résident)" in said["draft"]
    assert "Relu et accepté par camille le" in said["reviewed"]
    assert "brouillon automatique" not in said["reviewed"]
    # The desk bar warns before approving only while the draft is unreviewed.
    assert (
        "Brouillon automatique non relu" in moderator_client.get(_change(drafted)).content.decode()
    )
    assert (
        "Brouillon automatique non relu"
        not in moderator_client.get(_change(reviewed)).content.decode()
    )


# --- 2. Drafts into the cue editor and the quote ---------------------------------------------


def test_the_draft_is_offered_to_the_cue_editor_with_its_transcript_folded_and_quotes(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)

    html = moderator_client.get(_change(testimonial)).content.decode()
    panel = _panel(html)

    assert "Utiliser le brouillon" in panel and "data-speech-use" in panel
    assert 'name="speech_draft_used"' in panel
    assert '<script id="speech-draft-captions" type="application/json">' in panel
    assert re.search(r'<details class="speech-draft__fold speech-draft__transcript">', panel)
    assert panel.count("Prendre pour la carte") == 3
    assert f'data-speech-quote="{QUOTES[1].replace(chr(39), "&#x27;")}"' in panel
    assert "ambassadors/admin/speech-draft.js" in html
    # The panel sits in the change form, before the captions field it fills.
    assert html.index("data-speech-draft") < html.index('name="captions_text"')


def test_saving_the_draft_captions_loaded_in_the_editor_accepts_them_as_reviewed(
    moderator_client, make_testimonial, moderator
):
    """ "Utiliser le brouillon" then "Enregistrer" (edited or as they are): the captions are the
    testimonial's and the draft is reviewed by this moderator."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)
    edited = DRAFT_VTT.replace("soudeuse", "chaudronnière")

    response = moderator_client.post(
        _change(testimonial),
        change_form_data(testimonial, captions_text=edited, speech_draft_used="1"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    testimonial.refresh_from_db()
    draft = SpeechDraft.objects.get(pk=testimonial.pk)
    assert testimonial.has_captions and draft.state == SpeechState.REVIEWED
    assert draft.reviewed_by == moderator
    stored = private_storage().open(keys.testimonial_key(testimonial.pk, keys.CAPTIONS)).read()
    assert "chaudronnière" in stored.decode()
    assert not speech_desk.speech_draft_unreviewed(testimonial_id=testimonial.pk)
    assert TestimonialEvent.objects.filter(
        testimonial=testimonial, note__contains="Brouillon automatique de sous-titres relu"
    ).exists()
    page = moderator_client.get(response["Location"]).content.decode()
    assert "Brouillon automatique relu" in page


def test_loading_the_draft_without_saving_or_saving_other_captions_leaves_it_unreviewed(
    moderator_client, make_testimonial
):
    """The draft counts as reviewed only when the moderator saves the captions from it: typed
    captions of one's own leave the draft a draft."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)
    own = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nMes propres mots.\n"

    response = moderator_client.post(
        _change(testimonial), change_form_data(testimonial, captions_text=own)
    )

    assert response.status_code == 302
    assert SpeechDraft.objects.get(pk=testimonial.pk).state == SpeechState.DRAFT
    assert speech_desk.speech_draft_unreviewed(testimonial_id=testimonial.pk)


def test_a_suggested_quote_saved_as_the_card_quote(moderator_client, make_testimonial):
    """ "Prendre pour la carte" fills the quote field; saving keeps it (through the edit
    service, audited)."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)

    response = moderator_client.post(
        _change(testimonial), change_form_data(testimonial, quote=QUOTES[1])
    )

    assert response.status_code == 302
    testimonial.refresh_from_db()
    assert testimonial.quote == QUOTES[1]
    assert testimonial.events.filter(note__contains="citation").exists()


# --- 3. Approving with an unreviewed draft asks to confirm -----------------------------------


def test_approve_with_an_unreviewed_draft_asks_to_confirm_on_the_approval_page(
    moderator_client, make_testimonial, django_capture_on_commit_callbacks
):
    """Before: the desk's "Approuver" (and its key a) approved at once, draft or not."""
    first, second = _queue_of(make_testimonial, 2)
    _draft(first)
    form = desk_form(moderator_client.get(_change(first)).content.decode())

    # The desk's button: the approval page puts the question, nothing is approved yet.
    asked = moderator_client.post(form["action"], {"ids": form["ids"], "next": form["next"]})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'name="speech_asked" value="1"' in page
    assert 'name="speech_confirm"' in page and "Approuver quand même" in page
    assert "brouillon automatique non relu" in page
    assert f'name="next" value="{form["next"].replace("&", "&amp;")}"' in page
    first.refresh_from_db()
    assert first.status == Status.IN_REVIEW

    # Submitted without the box: refused with a message, still in review.
    refused = moderator_client.post(
        form["action"], {"ids": form["ids"], "next": form["next"], "speech_asked": "1"}
    )
    assert refused.status_code == 200
    assert "Cochez la case pour approuver sans relire" in refused.content.decode()
    first.refresh_from_db()
    assert first.status == Status.IN_REVIEW

    # Confirmed: approved, and the next testimonial opens.
    with django_capture_on_commit_callbacks(execute=True):
        done = moderator_client.post(
            form["action"],
            {"ids": form["ids"], "next": form["next"], "speech_asked": "1", "speech_confirm": "on"},
        )
    first.refresh_from_db()
    assert first.status == Status.APPROVED
    assert moderator_client.get(done["Location"])["Location"] == _change(second)
    # Still a draft: approving reviewed nothing.
    assert SpeechDraft.objects.get(pk=first.pk).state == SpeechState.DRAFT


def test_a_reviewed_draft_or_none_approves_at_once_as_before(
    moderator_client, make_testimonial, moderator
):
    first, second, _third = _queue_of(make_testimonial, 3)
    _draft(first)
    speech_desk.speech_draft_accept(testimonial_id=first.pk, actor=moderator)
    for testimonial in (first, second):
        form = desk_form(moderator_client.get(_change(testimonial)).content.decode())
        response = moderator_client.post(form["action"], {"ids": form["ids"], "next": form["next"]})
        assert response.status_code == 302
        testimonial.refresh_from_db()
        assert testimonial.status == Status.APPROVED


def test_the_bulk_approval_asks_to_confirm_and_names_the_unreviewed_drafts(
    moderator_client, make_testimonial
):
    drafted, plain = _queue_of(make_testimonial, 2)
    _draft(drafted)

    response = moderator_client.post(
        "/admin/ambassadors/testimonial/",
        {"action": "approve_selected", "_selected_action": [drafted.pk, plain.pk]},
    )
    page = moderator_client.get(response["Location"]).content.decode()

    assert 'name="speech_confirm"' in page
    assert (
        "1 témoignage choisi a un brouillon automatique de sous-titres que personne n'a relu"
        in page
    )
    selection = re.search(r'<ul class="moderation-selection">.*?</ul>', page, re.S).group(0)
    rows = re.findall(r"<li>.*?</li>", selection, re.S)
    marked = [row for row in rows if "brouillon automatique non relu" in row]
    assert len(marked) == 1 and str(drafted.pk) in marked[0]
    ids = f"{drafted.pk},{plain.pk}"
    url = f"/admin/ambassadors/testimonial/moderate/approve/?ids={ids}"
    moderator_client.post(url, {"ids": ids, "speech_asked": "1"})
    assert set(
        Testimonial.objects.filter(pk__in=[drafted.pk, plain.pk]).values_list("status", flat=True)
    ) == {Status.IN_REVIEW}
    moderator_client.post(url, {"ids": ids, "speech_asked": "1", "speech_confirm": "on"})
    assert set(
        Testimonial.objects.filter(pk__in=[drafted.pk, plain.pk]).values_list("status", flat=True)
    ) == {Status.APPROVED}


def test_approved_with_an_unreviewed_draft_and_no_captions_nothing_of_the_draft_is_public(
    client, moderator_client, make_testimonial, django_capture_on_commit_callbacks
):
    """Approve (confirmed) with the draft unreviewed and no captions, publish: the public page,
    the player, the gallery and the three feeds show no draft text, and there is no captions
    track, in either store."""
    testimonial = make_testimonial(Status.IN_REVIEW, quote="Une citation écrite à la main.")
    _draft(testimonial)
    ids = str(testimonial.pk)
    moderator_client.post(
        f"/admin/ambassadors/testimonial/moderate/approve/?ids={ids}",
        {"ids": ids, "speech_asked": "1", "speech_confirm": "on"},
    )
    Testimonial.objects.filter(pk=testimonial.pk).update(publish_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED and not testimonial.has_captions

    client.logout()
    for url in [
        "/temoignages/",
        f"/temoignages/{testimonial.pk}/",
        f"/temoignages/{testimonial.pk}/lecteur/",
        "/temoignages/flux.rss",
        "/temoignages/flux.atom",
        "/temoignages/flux.json",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert MARKER not in body, url
        assert "soudeuse" not in body and QUOTES[1] not in body, url
    assert client.get(f"/temoignages/{testimonial.pk}/sous-titres.vtt").status_code == 404
    key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
    assert not private_storage().exists(key) and not public_storage().exists(key)


# --- 4. Escaping -----------------------------------------------------------------------------


def test_hostile_model_text_is_escaped_in_every_place_on_the_desk(
    moderator_client, make_testimonial
):
    """Model output (captions, transcript, quotes, language, model name, a failure message) is
    shown as text on the review page, the approval page and the change list: never markup, and
    the captions' JSON cannot close its script element."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(
        testimonial,
        captions_vtt=f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{HOSTILE}\n",
        transcript=f"{HOSTILE}\n\n{HOSTILE}",
        quotes=[HOSTILE, HOSTILE],
        language="<b>",
        model_name=HOSTILE,
        message=HOSTILE,
    )
    failed = make_testimonial(Status.IN_REVIEW)
    SpeechDraft.objects.create(testimonial=failed, state=SpeechState.FAILED, message=HOSTILE)

    pages = {
        "review": moderator_client.get(_change(testimonial)).content.decode(),
        "failed": moderator_client.get(_change(failed)).content.decode(),
        "approval": moderator_client.post(
            f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}",
            {"ids": str(testimonial.pk)},
        ).content.decode(),
        "queue": moderator_client.get(
            "/admin/ambassadors/testimonial/?status__exact=in_review"
        ).content.decode(),
    }

    for name, html in pages.items():
        assert '<script>alert("x")' not in html, name
        assert "<b>gras</b>" not in html and 'lang="<b>"' not in html, name
        assert '" onmouseover="x' not in html, name
        # The only end of a text box is the page's own (captions, social posts): none inside
        # the speech panel.
        if "data-speech-draft" in html:
            panel = _panel(html)
            assert "</textarea>" not in panel, name
            assert panel.count("</script>") <= 1, name  # json_script's own end only
    review = _panel(pages["review"])
    # Seen as text: the transcript, the quotes (text and the button's value), the VTT, the
    # model's name and the message.
    assert review.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;/textarea&gt;") >= 7
    json_block = re.search(
        r'<script id="speech-draft-captions" type="application/json">(.*?)</script>', review, re.S
    ).group(1)
    assert "<" not in json_block and "\\u003Cscript\\u003E" in json_block
    assert "&lt;script&gt;" in _panel(pages["failed"])


# --- 5. Relancer la transcription ------------------------------------------------------------


@pytest.fixture
def speech_queue():
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("speech")
    yield queue
    queue.delete("speech")


@pytest.mark.parametrize("state", [SpeechState.FAILED, SpeechState.SKIPPED])
def test_a_failed_or_skipped_draft_is_run_again_once_a_model_is_configured(
    moderator_client, make_testimonial, settings, tmp_path, speech_queue, state,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Before: a stage that failed (or was skipped, no model) could only be run again from a
    shell. Without a model the desk says a model is needed and offers no button."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    SpeechDraft.objects.create(
        testimonial=testimonial, state=state, message=speech.NO_MODEL_MESSAGE, attempts=3
    )
    rerun = f"/admin/ambassadors/testimonial/{testimonial.pk}/speech/rerun/"

    settings.SPEECH_MODEL_PATH = ""
    html = moderator_client.get(_change(testimonial)).content.decode()
    assert "Relancer la transcription" not in html and rerun not in html
    assert "installe d'abord un modèle" in _panel(html)

    settings.SPEECH_MODEL_PATH = str(tmp_path / "ggml-base.bin")
    html = moderator_client.get(_change(testimonial)).content.decode()
    assert "Relancer la transcription" in _panel(html)
    assert 'form="speech-rerun-form"' in _panel(html)
    assert (
        f'<form id="speech-rerun-form" class="speech-rerun-form" method="post" action="{rerun}">'
        in html
    )
    assert moderator_client.get(rerun).status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(rerun)

    assert response["Location"] == _change(testimonial)
    draft = SpeechDraft.objects.get(pk=testimonial.pk)
    assert (draft.state, draft.attempts) == (SpeechState.PENDING, 0)
    assert speech_queue.llen("speech") == 1
    page = moderator_client.get(_change(testimonial)).content.decode()
    assert "Transcription relancée" in page and "transcription en cours" in page
    assert "Relancer la transcription" not in _panel(page)


def test_only_moderators_run_the_transcription_again(
    client, make_testimonial, django_user_model, settings, tmp_path, speech_queue
):
    settings.SPEECH_MODEL_PATH = str(tmp_path / "ggml-base.bin")
    viewer = django_user_model.objects.create_user("lecteur", password="x", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Campagnes"))
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_testimonial"))
    testimonial = make_testimonial(Status.IN_REVIEW)
    SpeechDraft.objects.create(testimonial=testimonial, state=SpeechState.FAILED, message="x")
    client.force_login(viewer)

    html = client.get(_change(testimonial)).content.decode()
    response = client.post(f"/admin/ambassadors/testimonial/{testimonial.pk}/speech/rerun/")

    assert "Relancer la transcription" not in html and "Utiliser le brouillon" not in html
    assert response.status_code == 403
    assert SpeechDraft.objects.get(pk=testimonial.pk).state == SpeechState.FAILED
    assert speech_queue.llen("speech") == 0


def test_the_generated_model_drafts_and_the_desk_shows_the_real_draft(
    moderator_client, make_testimonial, speech_model, settings, tiny_media
):
    """A real draft from the stage (whisper.cpp on the generated model, on the tiny clip) shows
    on the review page as "brouillon automatique" with its captions for the cue editor."""
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = make_testimonial(
        Status.IN_REVIEW, probe={"audio": {"codec": "aac", "channels": 1}}, duration=2.0
    )
    SpeechDraft.objects.create(testimonial=testimonial, state=SpeechState.PENDING)

    outcome = speech.testimonial_transcribe(testimonial_id=testimonial.pk)

    assert outcome == "draft", SpeechDraft.objects.get(pk=testimonial.pk).message
    panel = _panel(moderator_client.get(_change(testimonial)).content.decode())
    assert "brouillon automatique" in panel
    desk = speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk)
    if desk.captions_vtt:
        assert "Utiliser le brouillon" in panel
    assert media_speech.SAMPLE_RATE == 16000


def test_a_page_shown_again_after_an_error_still_accepts_the_loaded_draft_when_saved(
    moderator_client, make_testimonial, moderator
):
    """Loaded into the editor, then a mistake elsewhere (bad captions): the page comes back
    with the mark kept, so the corrected save still makes the draft reviewed."""
    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)
    broken = DRAFT_VTT.replace("00:00:01.500 --> 00:00:02.000", "00:00:01.500 --> 00:00:01.000")

    again = moderator_client.post(
        _change(testimonial),
        change_form_data(testimonial, captions_text=broken, speech_draft_used="1"),
    )

    assert again.status_code == 200
    assert 'name="speech_draft_used" value="1"' in _panel(again.content.decode())
    assert SpeechDraft.objects.get(pk=testimonial.pk).state == SpeechState.DRAFT
    response = moderator_client.post(
        _change(testimonial),
        change_form_data(testimonial, captions_text=DRAFT_VTT, speech_draft_used="1"),
    )
    assert response.status_code == 302
    assert SpeechDraft.objects.get(pk=testimonial.pk).state == SpeechState.REVIEWED


def test_the_panel_has_its_english_words(make_testimonial, moderator):
    """The admin is served in French (i18n_patterns leave /admin/ unprefixed); its words
    have their English translations all the same, as the rest of the desk's."""
    from django.utils import translation

    from ambassadors.admin.speech import speech_draft_html

    testimonial = make_testimonial(Status.IN_REVIEW)
    _draft(testimonial)

    with translation.override("en"):
        panel = speech_draft_html(testimonial, moderator)

    assert "Use the draft" in panel and "Use on the card" in panel
    assert "automatic draft" in panel and "Utiliser le brouillon" not in panel
