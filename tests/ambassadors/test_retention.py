"""Retention as code (issue 12, finding 5): what time erases, through the real tasks.

Reproduction (before this change): a testimonial left in `created`, a refused one and one
published 37 months ago all kept their personal data and files forever; nothing ran to erase
them (no retention task existed) and the consent's "36 mois" was nowhere enforced.
"""

import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import (
    ConsentRecord,
    ConsentText,
    RejectionReason,
    Status,
    Testimonial,
    TestimonialEvent,
)
from ambassadors.services.decisions import testimonial_reject
from ambassadors.services.publication import testimonial_publish, testimonial_unpublish
from ambassadors.services.retention import (
    add_months,
    testimonial_erasure_due_at,
    testimonials_abandoned_erase,
)
from ambassadors.tasks.journey import purge_testimonial
from ambassadors.tasks.retention import (
    retention_erase_abandoned,
    retention_erase_consent_ended,
    retention_erase_rejected,
)
from onprovence.storage import list_prefix, private_storage, public_storage
from tests import processes
from tests.ambassadors.conftest import queued_tasks

PURGE = "ambassadors.purge_testimonial"
TAKE_DOWN = "ambassadors.take_down_public_files"


def _erasures_queued(broker) -> list[str]:
    """Ids whose purge was queued, each with the take-down of its public copies."""
    queued = queued_tasks(broker, "default")
    purged = [args[0] for name, args in queued if name == PURGE]
    assert sorted(args[0] for name, args in queued if name == TAKE_DOWN) == sorted(purged)
    return purged


def _resident(status: str = Status.CREATED, *, duration_months: int = 36, **fields) -> Testimonial:
    testimonial = Testimonial.objects.create(
        status=status,
        first_name="Nadia",
        last_name="Benali",
        email="nadia@example.org",
        commune="Marseille",
        display_name="Nadia",
        **fields,
    )
    text = ConsentText.objects.get(is_current=True)
    ConsentRecord.objects.create(
        testimonial=testimonial,
        testimonial_ref=testimonial.pk,
        consent_text=text,
        text_version=text.version,
        accepted_at=timezone.now(),
        choices={"release": True, "duration_months": duration_months, "channels": text.channels},
    )
    return testimonial


def _age(testimonial: Testimonial, **fields) -> None:
    """Move a row's timestamps back (auto_now_add fields cannot be set at creation)."""
    Testimonial.objects.filter(pk=testimonial.pk).update(**fields)


def _give_files(testimonial: Testimonial) -> None:
    for name in (keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG):
        private_storage().save(keys.testimonial_key(testimonial.pk, name), ContentFile(b"v"))
    public_storage().save(keys.testimonial_key(testimonial.pk, keys.WEB), ContentFile(b"v"))


def _assert_erased(testimonial: Testimonial) -> None:
    testimonial.refresh_from_db()
    assert testimonial.status == Status.ERASED
    assert (testimonial.first_name, testimonial.last_name, testimonial.email) == ("", "", "")
    assert testimonial.rejection_reason == ""
    prefix = keys.testimonial_prefix(testimonial.pk)
    assert list_prefix(private_storage(), prefix) == []
    assert list_prefix(public_storage(), prefix) == []


def _withdrawal(testimonial: Testimonial) -> TestimonialEvent:
    return testimonial.events.get(to_status=Status.WITHDRAWN)


# --- Abandoned: consent given, no video ----------------------------------------------------------


@pytest.mark.django_db
def test_an_abandoned_testimonial_is_erased_after_seven_days_by_the_task(
    broker, django_capture_on_commit_callbacks
):
    old, young = _resident(), _resident()
    _age(old, created_at=timezone.now() - timedelta(days=7, minutes=1))
    _age(young, created_at=timezone.now() - timedelta(days=6, hours=23))

    with django_capture_on_commit_callbacks(execute=True):
        erased = retention_erase_abandoned()

    assert erased == [str(old.pk)]
    event = _withdrawal(old)
    assert (event.from_status, event.actor_label, event.actor) == (Status.CREATED, "system", None)
    assert event.note == "Durée de conservation écoulée (aucune vidéo reçue depuis 7 jours)"
    assert _erasures_queued(broker) == [str(old.pk)]
    young.refresh_from_db()
    assert young.status == Status.CREATED

    # What the worker does with the queued message: the existing purge.
    assert purge_testimonial(str(old.pk)) == Status.ERASED
    _assert_erased(old)


@pytest.mark.django_db
def test_the_abandoned_period_is_a_setting_and_time_can_be_moved(settings):
    testimonial = _resident()
    assert testimonials_abandoned_erase().erased == []
    assert testimonials_abandoned_erase(now=timezone.now() + timedelta(days=8)).erased == [
        str(testimonial.pk)
    ]

    settings.AMBASSADORS_RETENTION_ABANDONED_DAYS = 2
    other = _resident()
    assert testimonials_abandoned_erase(now=timezone.now() + timedelta(days=1)).erased == []
    assert testimonials_abandoned_erase(now=timezone.now() + timedelta(days=3)).erased == [
        str(other.pk)
    ]


# --- Refused -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_testimonial_is_erased_after_thirty_days_keeping_only_the_reason_label(
    broker, django_capture_on_commit_callbacks
):
    reason, _ = RejectionReason.objects.get_or_create(
        label="Hors sujet", defaults={"text": "Votre vidéo est hors sujet."}
    )
    refused, recent = _resident(Status.IN_REVIEW), _resident(Status.IN_REVIEW)
    for testimonial in (refused, recent):
        testimonial_reject(
            testimonial_id=testimonial.pk,
            actor=None,
            reason=reason,
            details="Nadia Benali parle de son voisin M. Durand.",
        )
    _age(refused, status_changed_at=timezone.now() - timedelta(days=30, minutes=1))
    _age(recent, status_changed_at=timezone.now() - timedelta(days=29))
    broker.delete("default")

    with django_capture_on_commit_callbacks(execute=True):
        erased = retention_erase_rejected()

    assert erased == [str(refused.pk)]
    assert _withdrawal(refused).note == (
        "Durée de conservation écoulée (refusé depuis 30 jours) ; motif : « Hors sujet »"
    )
    # The reason is kept as its template's label; the moderator's free text is gone.
    refusals = refused.events.filter(to_status=Status.REJECTED)
    assert list(refusals.values_list("note", flat=True)) == ["Hors sujet"]
    assert _erasures_queued(broker) == [str(refused.pk)]
    purge_testimonial(str(refused.pk))
    _assert_erased(refused)
    recent.refresh_from_db()
    assert recent.status == Status.REJECTED and recent.email == "nadia@example.org"


@pytest.mark.django_db
def test_a_refusal_without_template_keeps_a_generic_mention(django_capture_on_commit_callbacks):
    testimonial = _resident(Status.IN_REVIEW)
    testimonial_reject(testimonial_id=testimonial.pk, actor=None, details="Nadia, 06 12 34 56 78")
    _age(testimonial, status_changed_at=timezone.now() - timedelta(days=31))

    retention_erase_rejected()

    notes = list(testimonial.events.values_list("note", flat=True))
    assert not any("06 12" in note or "Nadia" in note for note in notes), notes
    assert _withdrawal(testimonial).note.endswith("motif : « motif rédigé par la modération »")


@pytest.mark.django_db
def test_retention_then_the_erasure_keep_the_label_of_a_template_whose_label_holds_a_dash(
    django_capture_on_commit_callbacks,
):
    """Only the refusal's label is one rule (`erasure.refusal_label`): retention keeps the
    label of a template named "Son — inaudible" as the erasure after it does.

    Failed before the fold (docs/status.md, "Code": the rule was in two places): retention cut
    the note at its first " — " and kept "motif rédigé par la modération" instead.
    """
    reason = RejectionReason.objects.create(label="Son — inaudible", text="Le son est inaudible.")
    testimonial = _resident(Status.IN_REVIEW)
    testimonial_reject(
        testimonial_id=testimonial.pk, actor=None, reason=reason, details="Nadia, 06 12 34 56 78"
    )
    _age(testimonial, status_changed_at=timezone.now() - timedelta(days=31))
    refusals = testimonial.events.filter(to_status=Status.REJECTED)

    with django_capture_on_commit_callbacks(execute=True):
        retention_erase_rejected()

    assert _withdrawal(testimonial).note.endswith("motif : « Son — inaudible »")
    assert list(refusals.values_list("note", flat=True)) == ["Son — inaudible"]
    purge_testimonial(str(testimonial.pk))
    assert list(refusals.values_list("note", flat=True)) == ["Son — inaudible (détails effacés)"]


# --- Consent period: 36 months from the first publication -----------------------------------------


@pytest.mark.django_db
def test_a_published_testimonial_is_unpublished_and_erased_when_its_consent_ends(
    broker, django_capture_on_commit_callbacks
):
    now = timezone.now()
    ended = _resident(Status.PUBLISHED, published_at=now - timedelta(days=40))
    ended_first = add_months(now, -36) - timedelta(minutes=1)
    # Republished 40 days ago, first published 36 months ago: the period runs from the first.
    _age(ended, first_published_at=ended_first)
    running = _resident(Status.PUBLISHED, published_at=add_months(now, -35))
    _age(running, first_published_at=add_months(now, -35))
    unpublished = _resident(Status.APPROVED)
    _age(unpublished, first_published_at=ended_first)
    never_published = _resident(Status.APPROVED, publish_at=now + timedelta(days=1))
    short = _resident(Status.PUBLISHED, duration_months=12, published_at=add_months(now, -13))
    _age(short, first_published_at=add_months(now, -13))

    with django_capture_on_commit_callbacks(execute=True):
        erased = retention_erase_consent_ended()

    assert sorted(erased) == sorted(str(t.pk) for t in (ended, unpublished, short))
    assert _withdrawal(ended).note == (
        "Fin de la durée du consentement (36 mois à compter de la publication)"
    )
    assert _withdrawal(ended).from_status == Status.PUBLISHED
    assert _withdrawal(short).note == (
        "Fin de la durée du consentement (12 mois à compter de la publication)"
    )
    assert sorted(_erasures_queued(broker)) == sorted(erased)
    for testimonial in (running, never_published):
        testimonial.refresh_from_db()
        assert testimonial.status in (Status.PUBLISHED, Status.APPROVED)
    purge_testimonial(str(ended.pk))
    _assert_erased(ended)


@pytest.mark.django_db
def test_first_publication_is_set_once_and_kept_by_a_republication(
    broker, django_capture_on_commit_callbacks
):
    testimonial = _resident(Status.APPROVED, publish_at=timezone.now())
    _give_files(testimonial)

    assert testimonial_publish(testimonial_id=testimonial.pk) is True
    testimonial.refresh_from_db()
    first = testimonial.first_published_at
    assert first is not None and first == testimonial.published_at

    testimonial_unpublish(testimonial_id=testimonial.pk, actor=None)
    testimonial.refresh_from_db()
    assert (testimonial.published_at, testimonial.first_published_at) == (None, first)
    Testimonial.objects.filter(pk=testimonial.pk).update(publish_at=timezone.now())
    assert testimonial_publish(testimonial_id=testimonial.pk) is True

    testimonial.refresh_from_db()
    assert testimonial.first_published_at == first < testimonial.published_at


@pytest.mark.django_db
def test_each_status_has_its_erasure_date(settings):
    settings.AMBASSADORS_RETENTION_REJECTED_DAYS = 10
    now = timezone.now()
    created = _resident()
    refused = _resident(Status.REJECTED)
    published = _resident(Status.PUBLISHED, published_at=now, first_published_at=now)
    in_review = _resident(Status.IN_REVIEW)

    assert testimonial_erasure_due_at(created) == created.created_at + timedelta(days=7)
    assert testimonial_erasure_due_at(refused) == refused.status_changed_at + timedelta(days=10)
    assert testimonial_erasure_due_at(published) == add_months(now, 36)
    assert testimonial_erasure_due_at(in_review) is None


def test_the_retention_tasks_are_in_the_beat_schedule():
    from celery import current_app

    schedule = current_app.conf.beat_schedule
    for name in (
        "ambassadors.retention_erase_abandoned",
        "ambassadors.retention_erase_rejected",
        "ambassadors.retention_erase_consent_ended",
    ):
        assert schedule[name]["task"] == name
        assert schedule[name]["schedule"] == 3600.0


# --- On a real worker --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_erases_a_refused_testimonial_and_its_files_once_its_time_is_up(tmp_path):
    testimonial = _resident(Status.REJECTED, rejection_reason="Vidéo floue, Nadia.")
    _give_files(testimonial)
    _age(testimonial, status_changed_at=timezone.now() - timedelta(days=45))
    worker = processes.start_worker(
        env=processes.worker_env(), queues="default", log_path=tmp_path / "worker.log"
    )
    try:
        retention_erase_rejected.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            testimonial.refresh_from_db()
            if testimonial.status == Status.ERASED:
                break
            time.sleep(0.3)
    finally:
        processes.stop(worker)
    assert testimonial.status == Status.ERASED, (tmp_path / "worker.log").read_text()[-3000:]
    _assert_erased(testimonial)
    assert _withdrawal(testimonial).actor_label == "system"


@pytest.mark.django_db
def test_the_migration_back_fills_the_first_publication_from_the_history():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("ambassadors.migrations.0008_testimonial_first_published_at")
    now = timezone.now()
    republished = _resident(Status.PUBLISHED, published_at=now - timedelta(days=5))
    unpublished = _resident(Status.APPROVED)
    never = _resident(Status.APPROVED)
    for testimonial, days in ((republished, 400), (republished, 5), (unpublished, 100)):
        event = TestimonialEvent.objects.create(
            testimonial=testimonial, from_status=Status.APPROVED, to_status=Status.PUBLISHED
        )
        TestimonialEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(days=days))

    migration.first_publications(apps, None)

    values = dict(Testimonial.objects.values_list("pk", "first_published_at"))
    assert values[republished.pk] == now - timedelta(days=400)
    assert values[unpublished.pk] == now - timedelta(days=100)
    assert values[never.pk] is None
