"""The resident is emailed when their testimonial is unpublished (issue 15, "Public pages")."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from ambassadors import links
from ambassadors.models import Status
from ambassadors.services import decisions, publication
from ambassadors.tasks.moderation import email_moderation_decision

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_an_unpublished_testimonial_emails_the_resident_in_french(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    """Finding: unpublishing a testimonial told its resident nothing."""
    testimonial = make_testimonial(
        Status.PUBLISHED, first_name="Léa", email="lea@example.org", published_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
    assert ("ambassadors.email_moderation_decision", [str(testimonial.pk), "unpublished"]) in (
        broker.tasks()
    )
    assert email_moderation_decision.apply(args=[str(testimonial.pk), "unpublished"]).get()

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["lea@example.org"]
    assert message.subject == "Votre témoignage n'est plus en ligne · One Provence"
    assert "Bonjour Léa," in message.body
    assert "il n'apparaît plus sur les pages publiques" in message.body
    for kind, part in (("suivi", message.body), ("retrait", message.body), ("retrait", html)):
        token = re.search(rf"{settings.SITE_URL}/ambassadeurs/{kind}/([^/\s]+)/", part)[1]
        assert links.read_resident_token(token) == testimonial.pk
    assert "n&#x27;est plus en ligne" in html or "n'est plus en ligne" in html


def test_the_unpublish_email_is_in_english_for_an_english_speaking_resident(
    make_testimonial, moderator
):
    testimonial = make_testimonial(
        Status.PUBLISHED, language="en", first_name="Sam", published_at=timezone.now()
    )
    publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)

    assert email_moderation_decision.apply(args=[str(testimonial.pk), "unpublished"]).get()

    (message,) = mail.outbox
    assert message.subject == "Your testimonial is no longer online · One Provence"
    assert "Hello Sam," in message.body
    assert "it no longer appears on public pages" in message.body
    assert f"{settings.SITE_URL}/en/ambassadeurs/retrait/" in message.body
    assert "Votre" not in message.body


def test_no_unpublish_email_once_it_is_back_online_or_withdrawn(make_testimonial, moderator):
    testimonial = make_testimonial(Status.PUBLISHED, published_at=timezone.now())
    publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
    decisions.testimonial_withdraw_by_staff(testimonial_id=testimonial.pk, actor=moderator)

    assert not email_moderation_decision.apply(args=[str(testimonial.pk), "unpublished"]).get()
    assert mail.outbox == []


def test_the_status_page_the_email_links_to_says_it_is_offline_not_soon_published(
    client, make_testimonial, moderator
):
    """The unpublish email sends the resident to the status page, which said "Acceptée,
    bientôt publiée" of a testimonial just taken offline."""
    testimonial = make_testimonial(
        Status.PUBLISHED, published_at=timezone.now(), first_published_at=timezone.now()
    )
    publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
    path = f"/ambassadeurs/suivi/{links.resident_token(testimonial.pk)}/"

    page = client.get(path).content.decode()

    assert "Retirée du site par notre équipe pour le moment" in page
    assert "bientôt publiée" not in page
    assert client.get(path + "?format=json").json()["label"] == (
        "Retirée du site par notre équipe pour le moment"
    )
