import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from ambassadors import emails, keys, selectors
from ambassadors.models import PublicationRhythm, RejectionReason, Status, TestimonialEvent
from ambassadors.services import audit, captions, decisions, publication
from ambassadors.services.status import InvalidTransition
from ambassadors.tasks.moderation import email_moderation_decision, take_down_public_files
from onprovence.storage import private_storage, public_storage

from .moderation_support import *  # noqa: F403
from .moderation_support import stored_keys

pytestmark = pytest.mark.django_db

PARIS = datetime.timezone(datetime.timedelta(hours=1))  # late November: CET


def test_approve_takes_the_next_free_weekday_slot_and_queues_social_renditions_and_email(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    # Friday 27 November 2026, 09:00 in Paris: today's 10:00 slot is still free.
    with django_capture_on_commit_callbacks(execute=True):
        approved = decisions.testimonial_approve(
            testimonial_id=testimonial.pk,
            actor=moderator,
            publish_at=selectors.publication_free_slots(
                count=1, after=datetime.datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)
            )[0],
        )

    assert approved.status == Status.APPROVED
    assert approved.publish_at == datetime.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)
    event = TestimonialEvent.objects.get(testimonial=testimonial)
    assert (event.from_status, event.to_status, event.actor) == (
        Status.IN_REVIEW,
        Status.APPROVED,
        moderator,
    )
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "approved"]),
        ("ambassadors.render_social_renditions", [str(testimonial.pk)]),
    ]
    assert broker.queue_of("ambassadors.render_social_renditions") == "media"


def test_free_slots_follow_the_rhythm_skip_weekends_and_taken_days(make_testimonial):
    friday_9am = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)
    make_testimonial(
        Status.APPROVED, publish_at=datetime.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)
    )

    slots = selectors.publication_free_slots(count=3, after=friday_9am)

    assert [slot.astimezone(PARIS) for slot in slots] == [
        datetime.datetime(2026, 11, 30, 10, 0, tzinfo=PARIS),  # Monday: Friday is taken
        datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS),
        datetime.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS),
    ]


def test_two_a_day_on_tuesdays_and_thursdays():
    PublicationRhythm.objects.update(weekdays="13", per_day=2, time_of_day=datetime.time(18, 30))

    slots = selectors.publication_free_slots(
        count=3, after=datetime.datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)
    )

    assert [slot.astimezone(PARIS) for slot in slots] == [
        datetime.datetime(2026, 12, 1, 18, 30, tzinfo=PARIS),
        datetime.datetime(2026, 12, 1, 18, 30, tzinfo=PARIS),
        datetime.datetime(2026, 12, 3, 18, 30, tzinfo=PARIS),
    ]


def test_approve_refuses_a_testimonial_that_is_not_in_review(make_testimonial, moderator):
    testimonial = make_testimonial(Status.PROCESSING)

    with pytest.raises(InvalidTransition):
        decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PROCESSING
    assert testimonial.publish_at is None


def test_reject_needs_a_reason(make_testimonial, moderator):
    testimonial = make_testimonial()

    with pytest.raises(audit.ModerationError) as error:
        decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details=" ")

    assert str(error.value) == "Choisissez un motif ou écrivez-le."
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW


def test_reject_emails_the_reason_in_the_residents_language(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(language="en", first_name="Sam", email="sam@example.org")
    reason = RejectionReason.objects.get(label="Hors sujet")

    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_reject(
            testimonial_id=testimonial.pk,
            actor=moderator,
            reason=reason,
            details="Please tell us about your job in Marseille.",
        )
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "rejected"])
    ]
    email_moderation_decision.apply(args=[str(testimonial.pk), "rejected"]).get()

    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject == "Your testimonial will not be published · One Provence"
    assert "Hello Sam," in message.body
    assert (
        "Your video is not about your life or work in the Aix-Marseille-Provence metropolis.\n\n"
        "Please tell us about your job in Marseille."
    ) in message.body
    assert "/en/ambassadeurs/suivi/" in message.body
    assert "/en/ambassadeurs/retrait/" in message.body
    html = message.alternatives[0][0]
    assert "Please tell us about your job in Marseille." in html


def test_approval_email_gives_the_publication_date_in_french(
    make_testimonial, moderator, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    when = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator, publish_at=when)

    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="approved")

    (message,) = mail.outbox
    assert message.subject == "Votre témoignage est accepté · One Provence"
    assert "Bonjour Léa," in message.body
    assert "Elle sera publiée le 1 décembre 2026 à 10:00" in message.body
    assert "http://localhost:8000/ambassadeurs/retrait/" in message.body


def test_no_email_once_the_resident_has_withdrawn(make_testimonial, moderator):
    testimonial = make_testimonial()
    decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator)
    decisions.testimonial_withdraw_by_staff(testimonial_id=testimonial.pk, actor=moderator)

    assert not emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="approved")
    assert mail.outbox == []


def test_publish_copies_the_web_files_to_the_public_store_and_unpublish_removes_them(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks, tiny_media
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    captions.testimonial_captions_set(
        testimonial_id=testimonial.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nBonjour !\n",
    )
    public = public_storage()

    with django_capture_on_commit_callbacks(execute=True):
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)
    assert not publication.testimonial_publish(testimonial_id=testimonial.pk)  # a rerun is harmless

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED
    assert testimonial.published_at is not None
    for name in (keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP, keys.CAPTIONS):
        assert public.exists(keys.testimonial_key(testimonial.pk, name)), name
    with public.open(keys.testimonial_key(testimonial.pk, keys.WEB), "rb") as handle:
        assert handle.read() == tiny_media[keys.WEB]
    head = public.connection.meta.client.head_object(
        Bucket=public.bucket.name, Key=keys.testimonial_key(testimonial.pk, keys.WEB)
    )
    assert head["ContentType"] == "video/mp4"

    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)

    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.publish_at, testimonial.published_at) == (
        Status.APPROVED,
        None,
        None,
    )
    # The copies go in a task queued on commit (retried while the store is away); the resident
    # is told (tests/ambassadors/test_unpublish_email.py).
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "unpublished"]),
        ("ambassadors.take_down_public_files", [str(testimonial.pk)]),
    ]
    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() == 4
    assert [key for key in stored_keys(testimonial.pk) if "public" in key] == []
    assert not public.exists(keys.testimonial_key(testimonial.pk, keys.WEB))


def test_publish_without_a_web_rendition_fails_and_changes_nothing(make_testimonial):
    testimonial = make_testimonial(Status.APPROVED, media=False, publish_at=timezone.now())

    with pytest.raises(audit.ModerationError):
        publication.testimonial_publish(testimonial_id=testimonial.pk)

    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED


def test_erase_withdraws_takes_public_files_down_and_queues_the_purge(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_publish(testimonial_id=testimonial.pk)
    broker.clear()

    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_withdraw_by_staff(
            testimonial_id=testimonial.pk, actor=moderator, note="RGPD"
        )

    testimonial.refresh_from_db()
    assert testimonial.status == Status.WITHDRAWN
    assert broker.tasks() == [
        ("ambassadors.take_down_public_files", [str(testimonial.pk)]),
        ("ambassadors.purge_testimonial", [str(testimonial.pk)]),
    ]
    take_down_public_files.apply(args=[str(testimonial.pk)]).get()
    assert not public_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
    assert testimonial.events.last().note == "RGPD"


def test_schedule_feature_and_edit_are_audited(make_testimonial, moderator):
    testimonial = make_testimonial(Status.APPROVED)
    when = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=PARIS)

    decisions.testimonial_schedule(testimonial_id=testimonial.pk, actor=moderator, publish_at=when)
    decisions.testimonial_feature(testimonial_id=testimonial.pk, actor=moderator)
    decisions.testimonial_edit(
        testimonial_id=testimonial.pk,
        actor=moderator,
        changes={"display_name": "Léa M.", "quote": "Le soleil et les hélicos."},
    )

    testimonial.refresh_from_db()
    assert (testimonial.publish_at, testimonial.featured, testimonial.display_name) == (
        when,
        True,
        "Léa M.",
    )
    notes = list(testimonial.events.values_list("note", "actor", "from_status", "to_status"))
    assert notes == [
        ("Publication programmée le 4 décembre 2026 10:00", moderator.pk, "approved", "approved"),
        ("Mis à la une", moderator.pk, "approved", "approved"),
        ("Modifié : nom affiché, citation", moderator.pk, "approved", "approved"),
    ]


@pytest.mark.parametrize(
    ("status", "publish_at"),
    [
        (Status.APPROVED, None),
        (Status.APPROVED, timezone.now() + datetime.timedelta(days=3)),
        (Status.PUBLISHED, None),
    ],
    ids=["approved", "scheduled", "published"],
)
def test_the_quote_of_an_approved_scheduled_or_published_testimonial_is_never_emptied(
    make_testimonial, moderator, status, publish_at
):
    """Approval needs the card's quote, and so does every later edit (one rule:
    `decisions.testimonial_quote_missing`). Failed before (docs/status.md, "Moderation"):
    `testimonial_edit` emptied it."""
    testimonial = make_testimonial(status, quote="La mer, enfin.", publish_at=publish_at)

    for empty in ("", "   "):
        with pytest.raises(audit.ModerationError) as refused:
            decisions.testimonial_edit(
                testimonial_id=testimonial.pk,
                actor=moderator,
                changes={"quote": empty, "display_name": "Léa M."},
            )
        assert str(refused.value) == (
            "La citation ne peut pas être vide : un témoignage approuvé, programmé ou publié la "
            "montre sur sa carte. Écrivez-en une autre. Rien n'a changé."
        )

    testimonial.refresh_from_db()
    assert (testimonial.quote, testimonial.display_name) == ("La mer, enfin.", "Léa, ingénieure")
    assert not testimonial.events.filter(note__startswith="Modifié").exists()


def test_a_quote_may_still_be_emptied_before_approval(make_testimonial, moderator):
    testimonial = make_testimonial(Status.IN_REVIEW, quote="Une première idée.")

    decisions.testimonial_edit(
        testimonial_id=testimonial.pk, actor=moderator, changes={"quote": ""}
    )

    testimonial.refresh_from_db()
    assert testimonial.quote == ""


def test_a_new_date_is_emailed_to_the_resident_in_their_language(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    testimonial.language = "en"
    testimonial.save(update_fields=["language"])
    first = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator, publish_at=first)
    later = datetime.datetime(2026, 12, 8, 15, 30, tzinfo=PARIS)

    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_schedule(
            testimonial_id=testimonial.pk, actor=moderator, publish_at=later
        )
        decisions.testimonial_schedule(  # the same date again: nothing more to tell
            testimonial_id=testimonial.pk, actor=moderator, publish_at=later
        )

    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "rescheduled"])
    ]
    assert email_moderation_decision(str(testimonial.pk), "rescheduled")
    (message,) = mail.outbox
    assert message.subject == "New publication date for your testimonial · One Provence"
    assert "The publication date of your video has changed." in message.body
    assert "Dec. 8, 2026 at 3:30 p.m." in message.body
    assert "/en/ambassadeurs/retrait/" in message.body
    assert "Dec. 8, 2026 at 3:30 p.m." in message.alternatives[0][0]


def test_no_new_date_email_once_published_or_withdrawn(make_testimonial, moderator):
    testimonial = make_testimonial(Status.PUBLISHED)

    assert not emails.testimonial_email_decision(
        testimonial_id=testimonial.pk, decision="rescheduled"
    )
    assert mail.outbox == []


def test_schedule_refuses_a_testimonial_in_review(make_testimonial, moderator):
    testimonial = make_testimonial()

    with pytest.raises(audit.ModerationError) as error:
        decisions.testimonial_schedule(
            testimonial_id=testimonial.pk, actor=moderator, publish_at=timezone.now()
        )

    assert str(error.value) == (
        "Seul un témoignage approuvé peut être programmé (statut : à modérer)."
    )


BAD_CAPTIONS = [
    (
        "00:00:01.000 --> 00:00:02.000\nBonjour",
        "Un fichier WebVTT commence par la ligne « WEBVTT ».",
    ),
    (
        "WEBVTT\n\n00:01.000 -> 00:02.000\nBonjour",
        "Le fichier ne contient aucun sous-titre horodaté.",
    ),
    (
        "WEBVTT\n\n0:01 --> 0:02\nBonjour",
        "Ligne 3 : horaire illisible (attendu : 00:00:01.000 --> 00:00:04.000).",
    ),
    (
        "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nBonjour",
        "Ligne 3 : la fin d'un sous-titre doit suivre son début.",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_CAPTIONS)
def test_bad_captions_are_refused_with_the_reason(text, message):
    with pytest.raises(ValidationError) as error:
        captions.captions_validate(text)

    assert error.value.messages == [message]


def test_captions_accept_hours_settings_and_windows_line_endings():
    text = (
        "\ufeffWEBVTT - One Provence\r\n\r\n01:00:01.000 --> 01:00:04.250 align:start\r\nSalut\r\n"
    )

    assert captions.captions_validate(text.encode("utf-8")) == (
        "WEBVTT - One Provence\n\n01:00:01.000 --> 01:00:04.250 align:start\nSalut\n"
    )


def test_the_calendar_shows_the_rhythms_days_and_no_free_slot_in_the_past(make_testimonial):
    today = timezone.localdate()
    scheduled = make_testimonial(
        Status.APPROVED,
        publish_at=timezone.now() + datetime.timedelta(days=3),
        display_name="Soon",
    )
    make_testimonial(Status.APPROVED, display_name="Undated")

    past, _ = selectors.publication_calendar(start=today - datetime.timedelta(days=14), days=7)
    days, unscheduled = selectors.publication_calendar(start=today, days=14)

    assert [day.is_slot_day for day in past].count(True) == 5
    assert all(day.free == 0 for day in past)
    (soon_day,) = [day for day in days if day.testimonials]
    assert soon_day.testimonials == [scheduled]
    assert soon_day.day == timezone.localdate(scheduled.publish_at)
    assert [t.display_name for t in unscheduled] == ["Undated"]


def test_an_unreachable_mail_server_makes_the_email_task_retry_with_back_off(
    make_testimonial, moderator, settings, caplog
):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once closed
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    testimonial = make_testimonial()
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")

    # Run in this process, each retry follows at once instead of after its delay.
    result = email_moderation_decision.apply(args=[str(testimonial.pk), "rejected"])

    retries = [r.getMessage() for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert len(retries) == email_moderation_decision.max_retries == 10
    assert all("ConnectionRefusedError" in message for message in retries)
    assert result.state == "FAILURE"


# --- Back to review ------------------------------------------------------------------------------


def test_reopen_puts_a_refused_testimonial_back_in_review_audited_without_emailing(
    make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")
    broker.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reopened = decisions.testimonial_reopen(
            testimonial_id=testimonial.pk, actor=moderator, note="Mauvais clic"
        )

    assert reopened.status == Status.IN_REVIEW
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.rejection_reason) == (Status.IN_REVIEW, "")
    event = testimonial.events.order_by("created_at", "pk").last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        Status.REJECTED,
        Status.IN_REVIEW,
        moderator,
        "Mauvais clic",
    )
    assert broker.tasks() == []  # nothing for the resident until the next decision


def test_after_a_reopen_the_pending_refusal_email_is_dropped_and_the_approval_is_sent(
    make_testimonial, moderator
):
    testimonial = make_testimonial()
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")
    decisions.testimonial_reopen(testimonial_id=testimonial.pk, actor=moderator)

    # The refusal's email task, still retrying against a mail server that was down, sends nothing.
    assert not emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="rejected")
    decisions.testimonial_approve(
        testimonial_id=testimonial.pk,
        actor=moderator,
        publish_at=datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS),
    )
    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="approved")

    (message,) = mail.outbox
    assert message.subject == "Votre témoignage est accepté · One Provence"


def test_reopen_refuses_a_testimonial_the_pipeline_refused(make_testimonial, moderator):
    from ambassadors.services.status import testimonial_transition

    testimonial = make_testimonial(Status.PROCESSING, media=False)
    testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.REJECTED,
        actor_label="worker",
        note="unreadable: moov atom not found",
        expected_from=[Status.PROCESSING],
        changes={"rejection_reason": "Votre fichier n'est pas une vidéo lisible."},
    )

    with pytest.raises(audit.ModerationError) as refused:
        decisions.testimonial_reopen(testimonial_id=testimonial.pk, actor=moderator)

    assert str(refused.value) == (
        "Ce témoignage a été refusé par le traitement automatique de la vidéo "
        "(fichier inutilisable) : il ne peut pas revenir en modération."
    )
    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED
    assert testimonial.rejection_reason == "Votre fichier n'est pas une vidéo lisible."


def test_reopen_refuses_when_the_moderation_video_is_gone(make_testimonial, moderator):
    testimonial = make_testimonial()
    decisions.testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")
    private_storage().delete(keys.testimonial_key(testimonial.pk, keys.WEB))

    with pytest.raises(audit.ModerationError) as refused:
        decisions.testimonial_reopen(testimonial_id=testimonial.pk, actor=moderator)

    assert str(refused.value) == (
        "La vidéo de modération de ce témoignage n'existe plus : "
        "il ne peut pas revenir en modération."
    )
    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED


def test_reopen_only_applies_to_a_refused_testimonial(make_testimonial, moderator):
    testimonial = make_testimonial(Status.APPROVED)

    with pytest.raises(audit.ModerationError) as refused:
        decisions.testimonial_reopen(testimonial_id=testimonial.pk, actor=moderator)

    assert str(refused.value) == (
        "Seul un témoignage refusé peut revenir en modération (statut : approuvé)."
    )
