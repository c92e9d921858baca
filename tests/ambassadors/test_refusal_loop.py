"""The refusal loop (issue 15, "The resident"): every refusal, the pipeline's or a moderator's,
emails the resident the reason and a link to send a new video in the same consent session; the
refused status page says so and leads there; the new video's form comes pre-filled and does not
ask the consent again while it holds."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from ambassadors import keys, links
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.services import consent as consent_service
from ambassadors.services import decisions, journey
from ambassadors.services.processing import testimonial_process
from ambassadors.services.status import ParentConfirmationPending
from ambassadors.tasks.moderation import email_moderation_decision
from ambassadors.views import NEW_VIDEO_KEY, SESSION_KEY
from onprovence.storage import delete_prefix, private_storage

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


def uploaded_text_file(make_testimonial, **fields) -> Testimonial:
    """A resident sent a text file named like a video: the journey leaves it `uploaded`."""
    testimonial = make_testimonial(Status.UPLOADED, media=False, **fields)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    client = private_storage().connection.meta.client
    client.put_object(Bucket=settings.S3_PRIVATE_BUCKET, Key=key, Body=b"bonjour, pas une video")
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key, original_size=22)
    return testimonial


def the_email_sent(testimonial: Testimonial, decision: str):
    assert email_moderation_decision.apply(args=[str(testimonial.pk), decision]).get()
    (message,) = mail.outbox
    return message, message.alternatives[0][0]


def new_video_path(testimonial: Testimonial, language: str = "fr") -> str:
    prefix = "/en" if language == "en" else ""
    return f"{prefix}/ambassadeurs/suivi/{links.resident_token(testimonial.pk)}/nouvelle-video/"


def new_video_link(text: str, testimonial: Testimonial, *, before: str = "", language="fr"):
    """The new-video link in `text` (after `before`), checked to be this testimonial's own (a
    token is signed with the time: two made a second apart differ)."""
    prefix = "/en" if language == "en" else ""
    pattern = (
        re.escape(before) + rf"({re.escape(prefix)}/ambassadeurs/suivi/([^/\s]+)/nouvelle-video/)"
    )
    match = re.search(pattern, text)
    assert match, f"no new-video link after {before!r}"
    assert links.read_resident_token(match[2]) == testimonial.pk
    return match[1]


def test_a_file_refused_by_the_pipeline_emails_the_resident_why_and_how_to_send_another(
    make_testimonial, broker, django_capture_on_commit_callbacks
):
    """Finding: a file refused by the pipeline (not a video) sent no email at all."""
    testimonial = uploaded_text_file(make_testimonial, first_name="Nadia", email="n@example.org")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert testimonial_process(testimonial_id=testimonial.pk) == "rejected"
        assert ("ambassadors.email_moderation_decision", [str(testimonial.pk), "rejected"]) in (
            broker.tasks()
        )

        message, html = the_email_sent(testimonial, "rejected")
    finally:
        delete_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk))

    assert message.to == ["n@example.org"]
    assert message.subject == "Votre témoignage ne sera pas publié · One Provence"
    # In plain words, from the pipeline (nobody "looked at it with attention").
    assert "Nous n'avons pas pu l'utiliser, pour la raison suivante :" in message.body
    assert "regardé avec attention" not in message.body
    assert "Ce fichier n'est pas une vidéo que nous savons lire" in message.body
    new_video_link(message.body, testimonial, before=f"vidéo : {settings.SITE_URL}")
    new_video_link(html, testimonial, before=f'href="{settings.SITE_URL}')
    assert "Enregistrer une nouvelle vidéo" in html


def test_a_moderators_refusal_offers_a_new_video_not_the_qr_code_again(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    """Finding: the refusal email told the resident to scan the campaign's QR code again
    (and start over, consent included)."""
    testimonial = make_testimonial(first_name="Léa", email="lea@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_reject(
            testimonial_id=testimonial.pk, actor=moderator, details="Le son est inaudible."
        )
    # One email, queued once, by the move itself.
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "rejected"])
    ]
    message, html = the_email_sent(testimonial, "rejected")

    for part in (message.body, html):
        assert "QR code" not in part
        assert "Le son est inaudible." in part
        new_video_link(part, testimonial, before=settings.SITE_URL)
    assert "Notre équipe l'a regardé avec attention" in message.body
    assert "vos informations sont déjà remplies" in message.body


def test_the_refusal_email_is_in_english_for_an_english_speaking_resident(
    make_testimonial, moderator, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(language="en", first_name="Sam", email="sam@example.org")
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Blurry.")

    message, html = the_email_sent(testimonial, "rejected")

    assert message.subject == "Your testimonial will not be published · One Provence"
    new_video_link(
        message.body, testimonial, before="Record a new video: " + settings.SITE_URL, language="en"
    )
    assert ">Record a new video</a>" in html
    assert "Your video was not accepted" in html
    assert "Bonjour" not in message.body and "vidéo" not in message.body


def test_the_refused_status_page_says_so_and_leads_to_a_new_video(make_testimonial):
    """Finding: right after sending, the page said "Merci ! Votre vidéo est bien arrivée."
    above "Non retenue", told the resident to record another video but offered only
    "Retirer mon témoignage"."""
    testimonial = uploaded_text_file(make_testimonial)
    try:
        testimonial_process(testimonial_id=testimonial.pk)
    finally:
        delete_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk))
    token = links.resident_token(testimonial.pk)

    page = Client().get(f"/ambassadeurs/suivi/{token}/?envoye=1").content.decode()

    assert "Merci ! Votre vidéo est bien arrivée." not in page
    assert re.search(r"<h1>Votre vidéo n(&#x27;|')a pas été retenue</h1>", page)
    assert "Ce fichier n&#x27;est pas une vidéo que nous savons lire" in page
    link = new_video_link(page, testimonial, before='<a class="button journey-cta" href="')
    assert f'href="{link}">Enregistrer une nouvelle vidéo</a>' in page
    assert "Retirer mon témoignage" in page


def test_the_new_video_form_is_pre_filled_and_does_not_ask_the_consent_again(
    make_testimonial, moderator
):
    refused = make_testimonial(
        first_name="Léa", last_name="Martin", email="lea@example.org", commune="Marignane"
    )
    decisions.testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Flou.")
    first_consent = ConsentRecord.objects.get(testimonial=refused)
    client = Client()

    page = client.get(new_video_path(refused))

    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="Léa"' in body and 'value="lea@example.org"' in body
    assert 'value="Marignane"' in body
    assert f'<option value="{refused.sector.slug}" selected>' in body
    assert "release" not in body and "age_group" not in body  # no consent asked
    assert "reste valable : inutile de la donner à nouveau" in body

    response = client.post(
        new_video_path(refused),
        {
            "first_name": "Léa",
            "last_name": "Martin",
            "email": "lea.m@example.org",
            "commune": "Vitrolles",
            "sector": refused.sector.slug,
            "job_title": "Technicienne",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/ambassadeurs/video/"
    new = Testimonial.objects.exclude(pk=refused.pk).get()
    assert (new.status, new.email, new.commune, new.placement) == (
        Status.CREATED,
        "lea.m@example.org",
        "Vitrolles",
        refused.placement,
    )
    assert client.session[SESSION_KEY] == str(new.pk)
    assert client.session[NEW_VIDEO_KEY] == str(refused.pk)
    # The same consent, proved the same way: the text, its hash, its time.
    copy = ConsentRecord.objects.get(testimonial=new)
    assert (copy.consent_text, copy.text_sha256, copy.accepted_at, copy.choices) == (
        first_consent.consent_text,
        first_consent.text_sha256,
        first_consent.accepted_at,
        first_consent.choices,
    )
    assert copy.testimonial_ref == new.pk
    # The record page is the next step; the refused testimonial is untouched.
    assert client.get("/ambassadeurs/video/").status_code == 200
    refused.refresh_from_db()
    assert refused.status == Status.REJECTED
    # Back on the link: the waiting testimonial, not a second one.
    assert client.get(new_video_path(refused))["Location"] == "/ambassadeurs/video/"
    assert Testimonial.objects.count() == 2


def test_a_changed_consent_text_is_asked_again_before_a_new_video(make_testimonial, moderator):
    refused = make_testimonial()
    decisions.testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Flou.")
    current = ConsentText.objects.get(is_current=True)
    newer = consent_service.consent_text_new_version(source_id=current.pk)
    ConsentText.objects.filter(pk=current.pk).update(is_current=False)
    ConsentText.objects.filter(pk=newer.pk).update(is_current=True)
    client = Client()

    body = client.get(new_video_path(refused)).content.decode()
    posted = client.post(new_video_path(refused), {"first_name": "Léa", "email": "l@example.org"})

    assert "autorisation de diffusion a changé depuis votre première vidéo" in body
    assert 'href="/ambassadeurs/vous/"' in body
    assert posted.status_code == 200
    assert Testimonial.objects.count() == 1


def test_the_new_video_link_of_a_testimonial_no_longer_refused_leads_to_its_status(
    make_testimonial, moderator
):
    testimonial = make_testimonial()
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")
    decisions.testimonial_reopen(testimonial_id=testimonial.pk, actor=moderator)

    path = new_video_path(testimonial)
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == path.removesuffix("nouvelle-video/")


def test_a_minors_new_video_waits_for_a_parents_confirmation_again(make_testimonial, moderator):
    """The parent confirmed a video; a new one is theirs to confirm too (their notice goes
    out when it is sent, as for the first)."""
    refused = make_testimonial(
        consent__is_minor=True,
        consent__parent_email="parent@example.org",
        consent__parent_confirmed_at=timezone.now(),
        consent__choices={"age_group": "15-17", "parental_consent": True, "release": True},
    )
    decisions.testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Flou.")

    new = journey.testimonial_start_again(
        refused_id=refused.pk,
        about={"first_name": "Léo", "email": "leo@example.org", "commune": "Aix", "sector": None},
    )

    record = ConsentRecord.objects.get(testimonial=new)
    assert (record.is_minor, record.parent_email, record.parent_confirmed_at) == (
        True,
        "parent@example.org",
        None,
    )
    assert record.choices["age_group"] == "15-17"
    # Sent, processed, and its card's quote written by the moderator.
    Testimonial.objects.filter(pk=new.pk).update(status=Status.IN_REVIEW, quote="La mer, enfin.")
    with pytest.raises(ParentConfirmationPending):
        decisions.testimonial_approve(testimonial_id=new.pk, actor=moderator)


def test_the_refused_status_page_and_the_new_video_form_in_english(make_testimonial, moderator):
    refused = make_testimonial(language="en", first_name="Sam")
    decisions.testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Blurry.")
    token = links.resident_token(refused.pk)
    client = Client()

    status_page = client.get(f"/en/ambassadeurs/suivi/{token}/").content.decode()
    form_page = client.get(new_video_path(refused, "en")).content.decode()

    assert "<h1>Your video was not accepted</h1>" in status_page
    link = new_video_link(status_page, refused, before='href="', language="en")
    assert f'href="{link}">Record a new video</a>' in status_page
    assert "<h1>Record a new video</h1>" in form_page
    assert "still holds: no need to give it again" in form_page
    assert 'value="Sam"' in form_page
