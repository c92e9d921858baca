"""The periodic publisher: what it picks, when it runs, and that a rerun is harmless."""

import datetime

import pytest
from celery import current_app
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.tasks.moderation import publish_due_testimonials, publish_testimonial

from .moderation_support import *  # noqa: F403


@pytest.mark.django_db
def test_the_publisher_is_scheduled_every_minute():
    current_app.loader.import_default_modules()  # what beat does before reading its schedule

    entry = current_app.conf.beat_schedule["ambassadors.publish_due_testimonials"]

    assert entry["task"] == "ambassadors.publish_due_testimonials"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db
def test_the_publisher_queues_only_approved_testimonials_whose_time_has_come(
    make_testimonial, broker
):
    now = timezone.now()
    due = make_testimonial(Status.APPROVED, publish_at=now - datetime.timedelta(minutes=1))
    make_testimonial(Status.APPROVED, publish_at=now + datetime.timedelta(hours=1))
    make_testimonial(Status.APPROVED)  # approved, no date yet
    make_testimonial(Status.IN_REVIEW, publish_at=now - datetime.timedelta(days=1))

    assert publish_due_testimonials.apply().get() == 1

    assert broker.tasks() == [("ambassadors.publish_testimonial", [str(due.pk)])]
    assert publish_testimonial.apply(args=[str(due.pk)]).get() is True
    assert publish_testimonial.apply(args=[str(due.pk)]).get() is False  # already out
    due.refresh_from_db()
    assert due.status == Status.PUBLISHED
    event = due.events.last()
    assert (event.to_status, event.actor, event.actor_label) == (Status.PUBLISHED, None, "system")
