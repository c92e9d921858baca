"""The periodic publisher, and the whole path from the queue to the public pages and feeds."""

import datetime
import json
import time

import pytest
from celery import current_app
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.tasks.moderation import publish_due_testimonials, publish_testimonial
from onprovence.storage import public_storage
from tests import processes

from .moderation_support import *  # noqa: F403


@pytest.mark.django_db
def test_the_publisher_is_scheduled_every_minute():
    current_app.loader.import_default_modules()
    current_app.finalize()

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


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def _worker_log(path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_from_the_queue_to_the_gallery_and_feeds_through_the_admin_and_a_real_worker(
    client, make_testimonial, moderator, tmp_path, broker
):
    """In review → approved in the admin (logged in) → published by the worker → public."""
    testimonial = make_testimonial(Status.IN_REVIEW, display_name="Léa, de bout en bout")
    client.force_login(moderator)
    queue = client.get("/admin/ambassadors/testimonial/?status__exact=in_review").content.decode()
    assert "Léa, de bout en bout" in queue
    review = client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")
    assert "moderation-player" in review.content.decode()

    # Approve for right now: the publisher takes it on its next run.
    now = timezone.localtime()
    response = client.post(
        f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}",
        {
            "ids": str(testimonial.pk),
            "publish_at_0": now.date().isoformat(),
            "publish_at_1": (now - datetime.timedelta(minutes=1)).strftime("%H:%M"),
        },
    )
    assert response.status_code == 302
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert client.get(f"/temoignages/{testimonial.pk}/").status_code == 404

    worker = processes.start_worker(
        env=processes.worker_env(), hostname="moderation-e2e", log_path=tmp_path / "worker.log"
    )
    try:
        publish_due_testimonials.delay()
        _wait_for(lambda: Testimonial.objects.get(pk=testimonial.pk).status == Status.PUBLISHED)
    finally:
        processes.stop(worker)

    assert public_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
    client.logout()
    assert "Léa, de bout en bout" in client.get("/temoignages/").content.decode()
    assert client.get(f"/temoignages/{testimonial.pk}/").status_code == 200
    feed = json.loads(client.get("/temoignages/flux.json").content)
    assert [item["id"] for item in feed["items"]] == [str(testimonial.pk)]
    assert str(testimonial.pk) in client.get("/temoignages/flux.rss").content.decode()
