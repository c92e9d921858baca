"""Taking public copies down after unpublish or erase: a task, retried, and never after a republish.

Against the real S3 endpoint (moto server). "Store down" points the public store at a loopback
port nothing listens on (as the email tests do with the mail server), with botocore's own
retries off so each task attempt fails at once and Celery's retries are what is counted.
"""

import copy
import socket
import threading
import time

import pytest
from botocore.config import Config
from django.db import connection, transaction
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.services import decisions, publication
from ambassadors.tasks.moderation import take_down_public_files
from onprovence.storage import list_prefix, public_storage

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

PUBLIC_NAMES = [keys.POSTER_JPEG, keys.POSTER_WEBP, keys.WEB]


def public_names(testimonial) -> list[str]:
    prefix = keys.testimonial_prefix(testimonial.pk) + "/"
    return sorted(key.removeprefix(prefix) for key in list_prefix(public_storage(), prefix))


@pytest.fixture
def published(make_testimonial, django_capture_on_commit_callbacks):
    def make() -> Testimonial:
        testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            assert publication.testimonial_publish(testimonial_id=testimonial.pk)
        assert public_names(testimonial) == PUBLIC_NAMES
        return testimonial

    return make


class PublicStore:
    """Take the public store down (its endpoint moves to a closed port) and bring it back."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.original = copy.deepcopy(settings.STORAGES)

    def down(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]  # nothing listens there once closed
        storages = copy.deepcopy(self.original)
        storages["public"]["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{closed_port}"
        storages["public"]["OPTIONS"]["client_config"] = Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"total_max_attempts": 1},
            connect_timeout=2,
        )
        self.settings.STORAGES = storages

    def back(self) -> None:
        self.settings.STORAGES = self.original


@pytest.fixture
def public_store(settings) -> PublicStore:
    return PublicStore(settings)


def test_unpublish_from_the_admin_queues_the_take_down_which_deletes_the_public_copies(
    published, moderator_client, broker, django_capture_on_commit_callbacks
):
    testimonial = published()
    broker.clear()

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            f"/admin/ambassadors/testimonial/moderate/unpublish/?ids={testimonial.pk}",
            {"ids": str(testimonial.pk)},
        )

    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "unpublished"]),
        ("ambassadors.take_down_public_files", [str(testimonial.pk)]),
    ]
    assert public_names(testimonial) == PUBLIC_NAMES  # still there until the worker runs
    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() == 3
    assert public_names(testimonial) == []
    # A rerun (redelivered message) is harmless.
    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() == 0


def test_with_the_store_down_the_moderator_still_unpublishes_and_the_take_down_is_retried(
    published,
    moderator_client,
    broker,
    django_capture_on_commit_callbacks,
    public_store,
    caplog,
):
    testimonial = published()
    broker.clear()
    public_store.down()

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            f"/admin/ambassadors/testimonial/moderate/unpublish/?ids={testimonial.pk}",
            {"ids": str(testimonial.pk)},
            follow=True,
        )
    assert "Dépublier : 1 témoignage(s)." in response.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED

    # Run in this process, each retry follows at once instead of after its back-off.
    result = take_down_public_files.apply(args=[str(testimonial.pk)])

    retries = [r.getMessage() for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert len(retries) == take_down_public_files.max_retries == 20
    assert all("TransientStorageError" in message for message in retries)
    assert "Could not connect to the endpoint URL" in retries[0]
    assert result.state == "FAILURE"
    public_store.back()
    assert public_names(testimonial) == PUBLIC_NAMES  # nothing was deleted meanwhile

    # The store is back: the next try (a later retry, or the redelivered message) takes them down.
    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() == 3
    assert public_names(testimonial) == []


def test_a_refusal_of_the_store_is_not_retried(published, moderator, settings, caplog):
    testimonial = published()
    publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
    storages = copy.deepcopy(settings.STORAGES)
    storages["public"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    settings.STORAGES = storages

    result = take_down_public_files.apply(args=[str(testimonial.pk)])

    assert result.state == "FAILURE"
    assert "NoSuchBucket" in str(result.result)
    assert not [r for r in caplog.records if "retry: Retry in" in r.getMessage()]


def test_a_republish_before_the_task_runs_keeps_the_public_copies(
    published, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = published()
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_unpublish(testimonial_id=testimonial.pk, actor=moderator)
    # The worker is late (a queue full of media work); the moderator puts it back on line.
    decisions.testimonial_schedule(
        testimonial_id=testimonial.pk, actor=moderator, publish_at=timezone.now()
    )
    assert publication.testimonial_publish(testimonial_id=testimonial.pk)

    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() is None

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED
    assert public_names(testimonial) == PUBLIC_NAMES


def test_erase_takes_the_public_copies_down_before_the_purge(
    published, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = published()
    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_withdraw_by_staff(testimonial_id=testimonial.pk, actor=moderator)

    assert [name for name, _args in broker.tasks()] == [
        "ambassadors.take_down_public_files",
        "ambassadors.purge_testimonial",
    ]
    assert take_down_public_files.apply(args=[str(testimonial.pk)]).get() == 3
    assert public_names(testimonial) == []


# --- The race with a publication in flight (real threads, real PostgreSQL locks) ----------------


def _waits_for_a_lock(results: dict, name: str, kinds: tuple[str, ...]) -> bool:
    """Whether the thread `name`'s database session waits for a lock of one of these kinds."""
    pid = results.get(f"{name}.pid")
    if pid is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted AND locktype = ANY(%s)",
            [pid, list(kinds)],
        )
        return cursor.fetchone()[0] > 0


def _wait_until(condition, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _in_thread(function, results: dict, name: str) -> threading.Thread:
    """Run `function` in a thread with its own database session (its pid in results)."""

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                results[f"{name}.pid"] = cursor.fetchone()[0]
            results[name] = function()
        except Exception as error:  # reported to the test
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


ROW = ("transactionid", "tuple")


def _publisher_held_after_its_copies(
    testimonial, results: dict, name: str = "publish"
) -> tuple[threading.Event, list[threading.Thread]]:
    """Start a publisher of `testimonial` and hold it after its copies, before `published`.

    A row lock the test takes holds it there (its status move waits for the row). Returns the
    event that releases the row and the threads to join (the row holder, the publisher).
    """
    release_row = threading.Event()
    row_locked = threading.Event()

    def hold_row() -> None:
        with transaction.atomic():
            Testimonial.objects.select_for_update().get(pk=testimonial.pk)
            row_locked.set()
            release_row.wait(30)

    holder = _in_thread(hold_row, results, "holder")
    assert row_locked.wait(10)
    publisher = _in_thread(
        lambda: publication.testimonial_publish(testimonial_id=testimonial.pk), results, name
    )
    _wait_until(lambda: _waits_for_a_lock(results, name, ROW), f"the {name} at the row")
    return release_row, [holder, publisher]


@pytest.mark.django_db(transaction=True)
def test_a_take_down_waits_for_a_publication_in_flight_and_then_keeps_its_copies(
    make_testimonial, moderator
):
    """An unpublish's take-down is delivered while the same testimonial, rescheduled, is being
    published again: the publisher has copied the files but not yet marked it published.

    The publisher is held at that point by a row lock the test takes (its status move waits for
    the row); the take-down must wait for the publisher instead of deleting the fresh copies.
    """
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    results: dict = {}
    # The publisher has copied the files and waits for the row to mark it published.
    release_row, threads = _publisher_held_after_its_copies(testimonial, results)
    assert public_names(testimonial) == PUBLIC_NAMES
    take_down = _in_thread(
        lambda: publication.testimonial_take_down(testimonial_id=testimonial.pk),
        results,
        "take_down",
    )
    # Without the lock it would not wait: it would find `approved` and delete the copies.
    _wait_until(
        lambda: "take_down" in results or _waits_for_a_lock(results, "take_down", ("advisory",)),
        "the take-down to wait or finish",
    )
    assert "take_down" not in results
    assert public_names(testimonial) == PUBLIC_NAMES

    release_row.set()
    for thread in (*threads, take_down):
        thread.join(30)
        assert not thread.is_alive()

    assert results["publish"] is True
    assert results["take_down"] is None  # published again: nothing deleted
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED
    assert public_names(testimonial) == PUBLIC_NAMES


@pytest.mark.django_db(transaction=True)
def test_a_second_publisher_waits_for_the_first_and_does_not_delete_its_copies(make_testimonial):
    """The minute sweep queues a testimonial again while a slow copy runs: two publishers.

    Before the lock the second, failing to move `published` -> `published`, deleted the public
    copies the first had just made.
    """
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    results: dict = {}
    release_row, threads = _publisher_held_after_its_copies(testimonial, results, "first")
    second = _in_thread(
        lambda: publication.testimonial_publish(testimonial_id=testimonial.pk), results, "second"
    )
    # Without the lock it would copy again and wait for the row too, then fail and delete.
    _wait_until(
        lambda: "second" in results or _waits_for_a_lock(results, "second", ("advisory", *ROW)),
        "the second to wait or finish",
    )

    release_row.set()
    for thread in (*threads, second):
        thread.join(30)
        assert not thread.is_alive()

    assert (results["first"], results["second"]) == (True, False)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED
    assert public_names(testimonial) == PUBLIC_NAMES
