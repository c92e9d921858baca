"""The "your testimonial is online" email: sent once, at the first publication."""

import pytest
from django.core import mail
from django.utils import timezone

from ambassadors import emails
from ambassadors.models import Status
from ambassadors.services import decisions, journey, publication
from ambassadors.tasks.moderation import email_moderation_decision

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

EMAIL_TASK = "ambassadors.email_moderation_decision"


def _publish(testimonial, capture) -> None:
    with capture(execute=True):
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)


def _published_emails_queued(broker, testimonial) -> int:
    return broker.tasks().count((EMAIL_TASK, [str(testimonial.pk), "published"]))


def test_the_first_publication_emails_the_link_to_the_public_page_in_french(
    make_testimonial, broker, client, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())

    _publish(testimonial, django_capture_on_commit_callbacks)
    # A rerun of the publisher (the minute sweep, a redelivered task) queues nothing more.
    assert not publication.testimonial_publish(testimonial_id=testimonial.pk)

    assert _published_emails_queued(broker, testimonial) == 1
    assert email_moderation_decision.apply(args=[str(testimonial.pk), "published"]).get()
    (message,) = mail.outbox
    assert message.to == ["lea.martin@example.org"]
    assert message.subject == "Votre témoignage est en ligne · One Provence"
    link = f"http://localhost:8000/temoignages/{testimonial.pk}/"
    assert message.body.startswith("Bonjour Léa,\n\n")
    assert (
        "Votre témoignage est en ligne sur le site de la campagne « Tous Ambassadeurs » :\n"
        f"{link}\n"
        "Il y apparaît sous le nom « Léa, ingénieure »."
    ) in message.body
    assert "avec #TousAmbassadeurs si vous le souhaitez" in message.body
    assert "http://localhost:8000/ambassadeurs/retrait/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert f'<a href="{link}">{link}</a>' in html
    assert "Retirer mon témoignage</a>" in html
    assert "<img" not in html  # no tracking pixel
    # The link leads to the page itself.
    assert client.get(link.removeprefix("http://localhost:8000")).status_code == 200


def test_an_english_speaking_resident_gets_it_in_english_with_the_english_page(
    make_testimonial, broker, client, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(
        Status.APPROVED,
        publish_at=timezone.now(),
        language="en",
        first_name="Sam",
        display_name="Sam, engineer",
        email="sam@example.org",
    )
    _publish(testimonial, django_capture_on_commit_callbacks)

    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="published")

    (message,) = mail.outbox
    assert message.subject == "Your testimonial is online · One Provence"
    link = f"http://localhost:8000/en/temoignages/{testimonial.pk}/"
    assert message.body.startswith("Hello Sam,\n\n")
    assert (
        "Your testimonial is online on the “Tous Ambassadeurs” campaign website:\n"
        f"{link}\n"
        "It appears there under the name “Sam, engineer”."
    ) in message.body
    assert "To share it, paste this link" in message.body
    assert "You can withdraw it at any time" in message.body
    assert "http://localhost:8000/en/ambassadeurs/retrait/" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="en">' in html
    assert f'<a href="{link}">{link}</a>' in html
    assert "Withdraw my testimonial</a>" in html
    page = client.get(link.removeprefix("http://localhost:8000"))
    assert page.status_code == 200 and '<html lang="en"' in page.content.decode()


def test_publishing_again_after_an_unpublish_sends_no_second_email(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    _publish(testimonial, django_capture_on_commit_callbacks)
    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="published")
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
        decisions.testimonial_schedule(
            testimonial_id=testimonial.pk, actor=moderator, publish_at=timezone.now()
        )
    broker.clear()

    _publish(testimonial, django_capture_on_commit_callbacks)

    assert _published_emails_queued(broker, testimonial) == 0
    assert len(mail.outbox) == 1


def test_no_email_when_the_resident_withdrew_before_it_went(
    make_testimonial, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    _publish(testimonial, django_capture_on_commit_callbacks)
    assert _published_emails_queued(broker, testimonial) == 1

    journey.testimonial_withdraw(testimonial_id=testimonial.pk)

    assert not email_moderation_decision.apply(args=[str(testimonial.pk), "published"]).get()
    assert mail.outbox == []


def test_no_email_when_it_was_unpublished_before_it_went(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    _publish(testimonial, django_capture_on_commit_callbacks)
    publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)

    assert not emails.testimonial_email_decision(
        testimonial_id=testimonial.pk, decision="published"
    )
    assert mail.outbox == []


def test_names_with_html_are_escaped_in_the_html_part_and_left_as_typed_in_the_text(
    make_testimonial, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(
        Status.APPROVED,
        publish_at=timezone.now(),
        first_name='<img src="x">Léa',
        display_name='<b>Léa</b> & "co"',
    )
    _publish(testimonial, django_capture_on_commit_callbacks)

    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="published")

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<b>Léa</b>" not in html and '<img src="x">' not in html
    assert "Bonjour &lt;img src=&quot;x&quot;&gt;Léa," in html
    assert "« &lt;b&gt;Léa&lt;/b&gt; &amp; &quot;co&quot; »" in html
    assert 'Bonjour <img src="x">Léa,' in message.body
    assert '« <b>Léa</b> & "co" »' in message.body
