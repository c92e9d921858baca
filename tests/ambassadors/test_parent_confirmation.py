"""A minor's parent confirms (issue 12, finding 3 and "Parents confirm").

Real services: PostgreSQL, the Redis broker, the S3 endpoint; Django's test client for the
parent's page and the admin; the beat task run through Celery (`.apply()`).
"""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ambassadors import keys, selectors
from ambassadors.emails import testimonial_send_parent_notice
from ambassadors.links import parent_token, parent_url, resident_token
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.services import decisions, parents, publication
from ambassadors.services.status import (
    InvalidTransition,
    ParentConfirmationPending,
    testimonial_transition,
)
from ambassadors.tasks.journey import purge_testimonial
from ambassadors.tasks.moderation import publish_testimonial
from ambassadors.tasks.parents import parent_confirmations
from onprovence.storage import list_prefix, public_storage

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

APPROVE_REFUSED = "Accord parental en attente : ce témoignage ne peut pas être approuvé."
PUBLISH_REFUSED = "Accord parental en attente : ce témoignage ne peut pas être publié."


def _minor(testimonial: Testimonial, *, parent_email: str = "mere@example.org") -> Testimonial:
    ConsentRecord.objects.filter(testimonial=testimonial).update(
        is_minor=True,
        parent_email=parent_email,
        choices={"release": True, "age_group": "15-17", "parental_consent": True},
    )
    return testimonial


def _confirm(testimonial: Testimonial) -> None:
    parents.parent_confirm(testimonial_id=testimonial.pk)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _uploaded_minor(make_testimonial, **fields) -> Testimonial:
    """A minor's testimonial that went through `uploaded` (its audit history dates the upload)."""
    testimonial = _minor(make_testimonial(Status.CREATED, **fields))
    testimonial_transition(
        testimonial_id=testimonial.pk, to=Status.UPLOADED, actor_label="resident"
    )
    return testimonial


# --- Finding 3: approval and publication wait for the parent --------------------------------


def test_finding_3_a_minors_testimonial_cannot_be_approved_before_the_parent_confirms(
    make_testimonial, moderator
):
    """Reproduction: a 15-17 year old's testimonial in review, no parent confirmation;
    `testimonial_approve` approved it (status `approved`, publication scheduled)."""
    testimonial = _minor(make_testimonial())

    with pytest.raises(InvalidTransition) as refused:
        decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)

    assert str(refused.value) == APPROVE_REFUSED
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.publish_at) == (Status.IN_REVIEW, None)
    assert not testimonial.events.exists()

    _confirm(testimonial)
    decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED


def test_finding_3_the_scheduled_publisher_does_not_publish_an_unconfirmed_minor(
    make_testimonial,
):
    """Reproduction: an approved minor's testimonial (approved before the check existed) whose
    time has come was published by the worker, its files copied to the public bucket."""
    testimonial = _minor(
        make_testimonial(Status.APPROVED, publish_at=timezone.now() - datetime.timedelta(minutes=1))
    )

    assert testimonial.pk not in selectors.testimonials_due()
    # Queued anyway (a "publish now" asked before the check existed): the worker refuses.
    with pytest.raises(ParentConfirmationPending, match=PUBLISH_REFUSED):
        publish_testimonial.apply(args=[str(testimonial.pk)]).get()

    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert list_prefix(public_storage(), keys.testimonial_prefix(testimonial.pk)) == []

    _confirm(testimonial)
    assert testimonial.pk in selectors.testimonials_due()
    assert publish_testimonial.apply(args=[str(testimonial.pk)]).get() is True
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED


def test_an_adults_testimonial_and_unpublishing_a_minor_are_not_held(make_testimonial, moderator):
    adult = make_testimonial()
    decisions.testimonial_approve(testimonial_id=adult.pk, actor=moderator)
    # Published before the check existed: taking it offline must stay possible.
    minor = _minor(make_testimonial(Status.PUBLISHED))

    publication.testimonial_unpublish(testimonial_id=minor.pk, actor=moderator, note="à revoir")

    assert Testimonial.objects.get(pk=adult.pk).status == Status.APPROVED
    assert Testimonial.objects.get(pk=minor.pk).status == Status.APPROVED


def test_the_admin_refuses_approval_with_the_french_message_then_approves_once_confirmed(
    moderator_client, make_testimonial
):
    testimonial = _minor(make_testimonial(display_name="Zoé, lycéenne"))
    url = f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}"

    page = moderator_client.get(url).content.decode()
    assert '<span class="moderation-minor">mineur</span>' in page
    assert "accord parental : en attente (relancé 0 fois)" in page

    refused = moderator_client.post(url, {"ids": str(testimonial.pk)}, follow=True)
    assert f"Zoé, lycéenne : {APPROVE_REFUSED}" in refused.content.decode()
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.IN_REVIEW

    _confirm(testimonial)
    confirmed_at = ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at
    when = timezone.localtime(confirmed_at).strftime("%d/%m/%Y %H:%M")
    assert f"accord parental : confirmé le {when}" in moderator_client.get(url).content.decode()
    moderator_client.post(url, {"ids": str(testimonial.pk)})
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.APPROVED


def test_the_queue_shows_a_minor_badge_the_state_and_filters_on_mineur(
    moderator_client, make_testimonial
):
    minor = _minor(make_testimonial(display_name="Zoé, lycéenne"))
    ConsentRecord.objects.filter(testimonial=minor).update(parent_reminders_sent=1)
    make_testimonial(display_name="Marc, pilote")
    queue = "/admin/ambassadors/testimonial/?status__exact=in_review"

    everyone = moderator_client.get(queue).content.decode()
    minors = moderator_client.get(queue + "&mineur=oui").content.decode()
    adults = moderator_client.get(queue + "&mineur=non").content.decode()

    assert " Par Mineur " in everyone
    assert 'href="?mineur=oui&amp;status__exact=in_review"' in everyone
    assert '<th scope="col" class="column-minor_display">' in everyone
    assert (
        '<td class="field-minor_display"><span class="moderation-minor">mineur</span> '
        '<span class="moderation-parent">accord parental : en attente (relancé 1 fois)</span></td>'
    ) in everyone
    assert "Zoé, lycéenne" in minors and "Marc, pilote" not in minors
    assert "Marc, pilote" in adults and "Zoé, lycéenne" not in adults

    review = moderator_client.get(f"/admin/ambassadors/testimonial/{minor.pk}/change/")
    html = review.content.decode()
    assert '<span class="moderation-minor">mineur</span>' in html
    assert "<dt>accord parental</dt><dd>accord parental : en attente (relancé 1 fois)</dd>" in html


# --- The parent's email and link ------------------------------------------------------------


def test_after_the_upload_the_parent_gets_their_own_link_not_the_residents(make_testimonial):
    testimonial = _minor(make_testimonial(Status.UPLOADED, first_name="Zoé"))

    testimonial_send_parent_notice(testimonial_id=testimonial.pk)

    notice = next(message for message in mail.outbox if message.to == ["mere@example.org"])
    assert notice.subject == "Votre enfant a envoyé un témoignage · One Provence"
    assert "Zoé vient d'envoyer une vidéo" in notice.body
    assert "/ambassadeurs/parent/" in notice.body
    assert "/ambassadeurs/retrait/" not in notice.body
    assert "/ambassadeurs/suivi/" not in notice.body
    assert "dans les 14 jours qui suivent l'envoi" in notice.body
    link = re.search(r"https?://\S+/ambassadeurs/parent/\S+/", notice.body).group(0)
    assert link in notice.alternatives[0][0]


def test_an_english_speaking_resident_s_parent_is_written_to_in_english(make_testimonial):
    testimonial = _minor(make_testimonial(Status.UPLOADED, first_name="Zoé", language="en"))

    testimonial_send_parent_notice(testimonial_id=testimonial.pk)

    notice = next(message for message in mail.outbox if message.to == ["mere@example.org"])
    assert notice.subject == "Your child has sent a testimonial · One Provence"
    assert "/en/ambassadeurs/parent/" in notice.body
    assert "within 14 days of sending" in notice.body


def test_the_parent_page_shows_the_text_the_name_and_the_status_and_get_never_confirms(
    make_testimonial,
):
    testimonial = _minor(make_testimonial(first_name="Zoé"))
    url = _path(parent_url(testimonial.pk))

    response = Client().get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Le témoignage de Zoé" in html
    assert "J&#x27;autorise One Provence, agence d&#x27;attractivité" in html
    assert "durée : 36 mois à compter de la publication" in html
    assert "En cours de relecture par notre équipe" in html
    assert "Je confirme mon accord" in html
    assert "Retirer le témoignage" in html
    assert ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at is None
    assert not testimonial.events.exists()


def test_an_english_speaking_resident_s_parent_reads_the_text_in_english(make_testimonial):
    testimonial = _minor(make_testimonial(first_name="Zoé", language="en"))

    html = Client().get(_path(parent_url(testimonial.pk, "en"))).content.decode()

    assert "<h1>Zoé's testimonial</h1>" in html
    assert "I authorise One Provence, the attractiveness agency" in html
    assert "duration: 36 months from publication" in html
    assert "I confirm my consent" in html


def test_the_parent_confirms_by_post_with_csrf_once_and_it_is_audited(make_testimonial):
    testimonial = _minor(make_testimonial(first_name="Zoé"))
    url = _path(parent_url(testimonial.pk))
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(url)
    assert forged.status_code == 403
    assert ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at is None

    page = browser.get(url).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    first = browser.post(url, {"csrfmiddlewaretoken": csrf})
    again = browser.post(url, {"csrfmiddlewaretoken": csrf}, follow=True)

    assert (first.status_code, first["Location"]) == (302, url)
    consent = ConsentRecord.objects.get(testimonial=testimonial)
    assert consent.parent_confirmed_at is not None
    event = testimonial.events.get()
    assert (event.from_status, event.to_status) == (Status.IN_REVIEW, Status.IN_REVIEW)
    assert (event.actor, event.actor_label, event.note) == (
        None,
        "parent",
        "Accord parental confirmé",
    )
    html = again.content.decode()
    assert "Votre accord est enregistré" in html
    assert "Je confirme mon accord" not in html


def test_a_resident_token_is_no_parent_token_and_a_parent_token_no_resident_token(
    make_testimonial,
):
    testimonial = _minor(make_testimonial())

    as_parent = Client().get(f"/ambassadeurs/parent/{resident_token(testimonial.pk)}/")
    posted = Client().post(f"/ambassadeurs/parent/{resident_token(testimonial.pk)}/")
    withdraw = Client().post(f"/ambassadeurs/parent/{resident_token(testimonial.pk)}/retrait/")
    as_resident = Client().get(f"/ambassadeurs/suivi/{parent_token(testimonial.pk)}/")

    assert as_parent.status_code == 404
    assert "<h1>Ce lien n'est pas valable</h1>" in as_parent.content.decode()
    assert (posted.status_code, withdraw.status_code, as_resident.status_code) == (404, 404, 404)
    assert ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at is None
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.IN_REVIEW


def test_an_expired_parent_link_says_so_in_french_and_english_and_confirms_nothing(
    make_testimonial,
):
    testimonial = _minor(make_testimonial())
    # The link lasts as long as the consent (36 months); this one was sent 40 months ago.
    old = timezone.now() - datetime.timedelta(days=40 * 31)
    token = parent_token(testimonial.pk, issued_at=old)

    french = Client().get(f"/ambassadeurs/parent/{token}/")
    posted = Client().post(f"/ambassadeurs/parent/{token}/")
    english = Client().get(f"/en/ambassadeurs/parent/{token}/")

    assert french.status_code == 410
    assert "Ce lien a expiré" in french.content.decode()
    assert posted.status_code == 410
    assert english.status_code == 410
    assert "This link has expired" in english.content.decode()
    assert ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at is None


def test_the_parent_withdraws_after_a_confirmation_step_and_the_purge_is_queued(
    make_testimonial, broker, django_capture_on_commit_callbacks
):
    testimonial = _minor(make_testimonial(first_name="Zoé"))
    url = _path(parent_url(testimonial.pk)) + "retrait/"

    ask = Client().get(url)
    assert "Oui, retirer et effacer la vidéo" in ask.content.decode()
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.IN_REVIEW

    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(url)

    assert "Le témoignage est retiré" in done.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.WITHDRAWN
    assert testimonial.events.get().actor_label == "parent"
    assert ("ambassadors.purge_testimonial", [str(testimonial.pk)]) in broker.tasks()
    # The parent's page now says where things are and offers nothing more to do.
    html = Client().get(_path(parent_url(testimonial.pk))).content.decode()
    assert "<h1>Le témoignage est retiré</h1>" in html
    assert "Retirée : effacement en cours" in html
    assert "Je confirme mon accord" not in html


# --- Reminders and expiry (the hourly beat task, clock moved forward) -------------------------


def _sweep(now: datetime.datetime) -> dict:
    return parent_confirmations.apply(kwargs={"now": now.isoformat()}).get()


def test_the_parent_is_reminded_twice_then_the_testimonial_is_withdrawn_and_erased(
    make_testimonial, broker, django_capture_on_commit_callbacks, settings
):
    minor = _uploaded_minor(make_testimonial, first_name="Zoé")
    confirmed = _uploaded_minor(make_testimonial, first_name="Inès")
    _confirm(confirmed)
    adult = make_testimonial(Status.CREATED)
    testimonial_transition(testimonial_id=adult.pk, to=Status.UPLOADED, actor_label="resident")
    start = timezone.now()
    consent = ConsentRecord.objects.get(testimonial=minor)

    assert _sweep(start + datetime.timedelta(days=1))["reminded"] == 0
    assert mail.outbox == []

    assert _sweep(start + datetime.timedelta(days=2, hours=1))["reminded"] == 1
    assert _sweep(start + datetime.timedelta(days=2, hours=2))["reminded"] == 0
    assert [message.to for message in mail.outbox] == [["mere@example.org"]]
    reminder = mail.outbox[0]
    assert reminder.subject == "Rappel : votre accord est attendu · One Provence"
    assert "Zoé a envoyé une vidéo" in reminder.body
    assert "/ambassadeurs/parent/" in reminder.body
    consent.refresh_from_db()
    assert consent.parent_reminders_sent == 1

    assert _sweep(start + datetime.timedelta(days=5, hours=1))["reminded"] == 1
    assert _sweep(start + datetime.timedelta(days=10))["reminded"] == 0
    assert len(mail.outbox) == 2
    consent.refresh_from_db()
    assert consent.parent_reminders_sent == 2

    assert _sweep(start + datetime.timedelta(days=13, hours=23))["withdrawn"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        report = _sweep(start + datetime.timedelta(days=14, hours=1))

    assert report == {"reminded": 0, "withdrawn": 1, "failed": 0}
    minor.refresh_from_db()
    assert minor.status == Status.WITHDRAWN
    event = minor.events.get(to_status=Status.WITHDRAWN)
    assert (event.actor_label, event.note) == ("system", "accord parental non reçu")
    assert ("ambassadors.purge_testimonial", [str(minor.pk)]) in broker.tasks()
    assert Testimonial.objects.get(pk=confirmed.pk).status == Status.UPLOADED
    assert Testimonial.objects.get(pk=adult.pk).status == Status.UPLOADED
    assert len(mail.outbox) == 2

    # The queued purge erases it; the anonymised proof stays.
    assert purge_testimonial.apply(args=[str(minor.pk)]).get() == Status.ERASED
    minor.refresh_from_db()
    assert (minor.first_name, minor.email) == ("", "")
    assert ConsentRecord.objects.get(testimonial_ref=minor.pk).parent_email == ""


def test_the_reminder_and_expiry_delays_are_settings(make_testimonial, settings):
    settings.AMBASSADORS_PARENT_REMINDER_DAYS = (1,)
    settings.AMBASSADORS_PARENT_CONFIRMATION_DAYS = 3
    minor = _uploaded_minor(make_testimonial)
    start = timezone.now()

    assert _sweep(start + datetime.timedelta(days=1, hours=1))["reminded"] == 1
    assert _sweep(start + datetime.timedelta(days=2, hours=1))["reminded"] == 0
    assert _sweep(start + datetime.timedelta(days=3, hours=1))["withdrawn"] == 1
    assert Testimonial.objects.get(pk=minor.pk).status == Status.WITHDRAWN


def test_a_minor_still_waiting_for_the_upload_is_neither_reminded_nor_withdrawn(
    make_testimonial,
):
    waiting = _minor(make_testimonial(Status.CREATED))

    assert _sweep(timezone.now() + datetime.timedelta(days=30)) == {
        "reminded": 0,
        "withdrawn": 0,
        "failed": 0,
    }
    assert Testimonial.objects.get(pk=waiting.pk).status == Status.CREATED


def test_the_beat_runs_the_parent_sweep_hourly():
    from celery import current_app

    entry = current_app.conf.beat_schedule["ambassadors.parent_confirmations"]
    assert (entry["task"], entry["schedule"]) == ("ambassadors.parent_confirmations", 3600.0)


def test_a_mail_server_that_refuses_leaves_the_reminder_due_for_the_next_run(
    make_testimonial, settings
):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    minor = _uploaded_minor(make_testimonial)
    due = timezone.now() + datetime.timedelta(days=2, hours=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port

    assert _sweep(due) == {"reminded": 0, "withdrawn": 0, "failed": 1}
    consent = ConsentRecord.objects.get(testimonial=minor)
    assert (consent.parent_reminders_sent, consent.parent_last_reminded_at) == (0, None)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _sweep(due + datetime.timedelta(hours=1))["reminded"] == 1
    assert [message.to for message in mail.outbox] == [["mere@example.org"]]
