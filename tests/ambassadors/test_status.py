import pytest

from ambassadors.models import ALLOWED_TRANSITIONS, Status, Testimonial, TestimonialEvent
from ambassadors.services.status import InvalidTransition, testimonial_transition

pytestmark = pytest.mark.django_db


def test_every_status_has_its_allowed_moves_and_any_live_status_can_be_withdrawn():
    assert set(ALLOWED_TRANSITIONS) == set(Status)
    for status in set(Status) - {Status.WITHDRAWN, Status.ERASED}:
        assert Status.WITHDRAWN in ALLOWED_TRANSITIONS[status]
    assert ALLOWED_TRANSITIONS[Status.ERASED] == frozenset()


def test_a_transition_moves_the_status_and_writes_one_audit_event(django_user_model):
    moderator = django_user_model.objects.create_user("mod", password="x")
    testimonial = Testimonial.objects.create(status=Status.IN_REVIEW)

    moved = testimonial_transition(
        testimonial_id=testimonial.pk, to=Status.APPROVED, actor=moderator, note="Très bien"
    )

    assert moved.status == Status.APPROVED
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    event = TestimonialEvent.objects.get(testimonial=testimonial)
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        Status.IN_REVIEW,
        Status.APPROVED,
        moderator,
        "Très bien",
    )


def test_a_forbidden_transition_changes_nothing():
    testimonial = Testimonial.objects.create(status=Status.CREATED)

    with pytest.raises(InvalidTransition) as error:
        testimonial_transition(testimonial_id=testimonial.pk, to=Status.PUBLISHED)

    assert str(error.value) == f"testimonial {testimonial.pk}: created -> published is not allowed"
    testimonial.refresh_from_db()
    assert testimonial.status == Status.CREATED
    assert not TestimonialEvent.objects.exists()


def test_expected_from_refuses_a_move_from_another_allowed_status():
    testimonial = Testimonial.objects.create(status=Status.PROCESSING)

    with pytest.raises(InvalidTransition):
        testimonial_transition(
            testimonial_id=testimonial.pk, to=Status.WITHDRAWN, expected_from=[Status.UPLOADED]
        )

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PROCESSING


def test_changes_are_saved_with_the_move():
    testimonial = Testimonial.objects.create(status=Status.PROCESSING)

    testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.REJECTED,
        actor_label="worker",
        changes={"rejection_reason": "Pas de piste vidéo."},
    )

    testimonial.refresh_from_db()
    assert testimonial.rejection_reason == "Pas de piste vidéo."
    assert testimonial.events.get().actor_label == "worker"


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_of_a_move_only_once_it_is_committed():
    from ambassadors.signals import testimonial_status_changed

    heard = []

    def listener(sender, testimonial_id, from_status, to_status, **kwargs):
        heard.append((testimonial_id, from_status, to_status))

    testimonial_status_changed.connect(listener)
    try:
        testimonial = Testimonial.objects.create(status=Status.PUBLISHED)
        testimonial_transition(testimonial_id=testimonial.pk, to=Status.APPROVED)
    finally:
        testimonial_status_changed.disconnect(listener)

    assert heard == [(testimonial.pk, Status.PUBLISHED, Status.APPROVED)]
