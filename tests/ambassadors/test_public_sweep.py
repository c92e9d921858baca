"""The public-store sweep: copies of testimonials that are not published are taken down.

Against the real S3 endpoint (moto server), each test with a public bucket of its own so the
sweep sees exactly what the test put there. Leftovers are made as a lost take-down task leaves
them: the status moved on, the public copies stayed.
"""

import datetime
import io
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from celery import current_app
from django.core.management import CommandError, call_command
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.services import decisions, publication
from ambassadors.tasks.moderation import reconcile_public_store
from onprovence.storage import public_storage

from .moderation_support import *  # noqa: F403
from .test_takedown import (
    PUBLIC_NAMES,
    PublicStore,
    _in_thread,
    _publisher_held_after_its_copies,
    _wait_until,
    _waits_for_a_lock,
    public_names,
)

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def public_bucket(settings, s3_client, s3_endpoint):
    """A fresh public bucket for this test, emptied and removed afterwards."""
    name = f"sweep-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    storages = {**settings.STORAGES, "public": {**settings.STORAGES["public"]}}
    storages["public"]["OPTIONS"] = {**storages["public"]["OPTIONS"], "bucket_name": name}
    settings.STORAGES = storages
    yield name
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name):
        objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if objects:
            s3_client.delete_objects(Bucket=name, Delete={"Objects": objects})
    s3_client.delete_bucket(Bucket=name)


def put_public(s3_client, bucket: str, folder: str, names=PUBLIC_NAMES) -> None:
    for name in names:
        s3_client.put_object(Bucket=bucket, Key=f"{keys.FOLDER}/{folder}/{name}", Body=b"copy")


@pytest.fixture
def folder_listings() -> list[dict]:
    """The parameters of each folder listing (`Delimiter="/"`) sent to the public store."""
    calls: list[dict] = []

    def record(params, **kwargs):
        if params.get("Delimiter") == "/":
            calls.append(dict(params))

    events = public_storage().bucket.meta.client.meta.events
    events.register("provide-client-params.s3.ListObjectsV2", record)
    yield calls
    events.unregister("provide-client-params.s3.ListObjectsV2", record)


def all_public_keys(s3_client, bucket: str) -> list[str]:
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture
def published(make_testimonial):
    """A testimonial published as the publisher does it: its copies are in the public store."""

    def make() -> Testimonial:
        testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)
        return testimonial

    return make


@pytest.fixture
def leftover(make_testimonial, s3_client, public_bucket):
    """A testimonial in `status` whose public copies were left behind."""

    def make(status: str, **fields) -> Testimonial:
        testimonial = make_testimonial(status, **fields)
        put_public(s3_client, public_bucket, str(testimonial.pk))
        return testimonial

    return make


def test_copies_of_withdrawn_unpublished_erased_and_unknown_testimonials_are_taken_down(
    published, leftover, moderator, s3_client, public_bucket
):
    kept = published()
    unpublished = published()
    publication.testimonial_unpublish(testimonial_id=unpublished.pk, actor=moderator)
    withdrawn = published()
    decisions.testimonial_withdraw_by_staff(testimonial_id=withdrawn.pk, actor=moderator)
    erased = leftover(Status.ERASED)
    rejected = leftover(Status.REJECTED)
    unknown = str(uuid.uuid4())  # a row gone, or never ours
    put_public(s3_client, public_bucket, unknown)

    report = publication.public_store_reconcile()

    assert report.checked == 6
    assert report.taken_down == {
        str(unpublished.pk): Status.APPROVED,
        str(withdrawn.pk): Status.WITHDRAWN,
        str(erased.pk): Status.ERASED,
        str(rejected.pk): Status.REJECTED,
        unknown: "",
    }
    assert report.deleted == 15
    assert not report.stopped_at_max
    assert public_names(kept) == PUBLIC_NAMES
    assert all_public_keys(s3_client, public_bucket) == [
        keys.testimonial_key(kept.pk, name) for name in PUBLIC_NAMES
    ]
    # A rerun finds nothing more to do.
    assert publication.public_store_reconcile().taken_down == {}


def test_an_approved_testimonial_within_the_publication_grace_keeps_its_copies(
    leftover, settings, s3_client, public_bucket
):
    settings.AMBASSADORS_PUBLIC_SWEEP_GRACE_SECONDS = 600
    now = timezone.now()
    # Being published: its publication may be copying the files right now.
    due = leftover(Status.APPROVED, publish_at=now - 2 * MINUTE)
    next_up = leftover(Status.APPROVED, publish_at=now + 5 * MINUTE)
    # Stale copies of an unpublished testimonial, rescheduled for tomorrow; a publication that
    # has been failing for a day.
    tomorrow = leftover(Status.APPROVED, publish_at=now + datetime.timedelta(days=1))
    failing = leftover(Status.APPROVED, publish_at=now - datetime.timedelta(days=1))

    report = publication.public_store_reconcile(now=now)

    assert sorted(report.in_grace) == sorted([str(due.pk), str(next_up.pk)])
    assert set(report.taken_down) == {str(tomorrow.pk), str(failing.pk)}
    assert public_names(due) == public_names(next_up) == PUBLIC_NAMES
    assert public_names(tomorrow) == public_names(failing) == []


def test_folders_not_named_after_a_testimonial_id_are_left_alone_and_logged(
    s3_client, public_bucket, caplog
):
    upper = str(uuid.uuid4()).upper()  # the same id in another spelling names another folder
    put_public(s3_client, public_bucket, "not-a-uuid", ["web.mp4"])
    put_public(s3_client, public_bucket, upper, ["web.mp4"])
    s3_client.put_object(Bucket=public_bucket, Key=f"{keys.FOLDER}/LISEZMOI.txt", Body=b"x")
    before = all_public_keys(s3_client, public_bucket)

    report = publication.public_store_reconcile()

    assert report.checked == 2
    assert sorted(report.not_testimonials) == sorted(["not-a-uuid", upper])
    assert report.taken_down == {}
    assert all_public_keys(s3_client, public_bucket) == before
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "public store: testimonials/not-a-uuid/ is not a testimonial's, left alone" in warnings


def test_the_sweep_pages_through_the_listing_and_stops_at_its_maximum(
    leftover, s3_client, public_bucket, folder_listings
):
    kept = [leftover(Status.PUBLISHED) for _ in range(3)]
    unknown = sorted(str(uuid.uuid4()) for _ in range(7))
    for folder in unknown:
        put_public(s3_client, public_bucket, folder)

    first = publication.public_store_reconcile(page_size=2, max_take_downs=4)

    assert first.stopped_at_max
    assert len(folder_listings) >= 3 and {call["MaxKeys"] for call in folder_listings} == {2}
    assert len(first.taken_down) == 4
    second = publication.public_store_reconcile(page_size=2, max_take_downs=4)
    assert not second.stopped_at_max
    assert second.checked == 6  # the 3 kept and the 3 left by the first run
    assert sorted([*first.taken_down, *second.taken_down]) == unknown
    assert all_public_keys(s3_client, public_bucket) == sorted(
        keys.testimonial_key(testimonial.pk, name) for testimonial in kept for name in PUBLIC_NAMES
    )


def test_more_than_a_thousand_folders_are_all_checked_and_a_dry_run_deletes_nothing(
    s3_client, public_bucket, folder_listings
):
    folders = [str(uuid.uuid4()) for _ in range(1001)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda f: put_public(s3_client, public_bucket, f, ["web.mp4"]), folders))

    report = publication.public_store_reconcile(dry_run=True, max_take_downs=2000)

    assert report.checked == 1001
    assert len(folder_listings) == 2  # two pages of S3's maximum, 1000
    assert sorted(report.taken_down) == sorted(folders)
    assert report.deleted == 0
    assert len(all_public_keys(s3_client, public_bucket)) == 1001


def test_the_command_prints_what_a_dry_run_would_take_down_then_takes_it_down(
    published, moderator, s3_client, public_bucket
):
    kept = published()
    unpublished = published()
    publication.testimonial_unpublish(testimonial_id=unpublished.pk, actor=moderator)
    unknown = str(uuid.uuid4())
    put_public(s3_client, public_bucket, unknown)
    put_public(s3_client, public_bucket, "not-a-uuid", ["web.mp4"])
    before = all_public_keys(s3_client, public_bucket)

    out = io.StringIO()
    call_command("reconcile_public_store", "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"would take down: testimonials/{unpublished.pk}/ (approved)" in lines
    assert f"would take down: testimonials/{unknown}/ (no testimonial)" in lines
    assert "left alone (not a testimonial id): testimonials/not-a-uuid/" in lines
    assert lines[-1] == (
        "Dry run: 4 folders checked, 2 to take down, 0 in the publication grace, "
        "1 not a testimonial's (left alone), 0 failed."
    )
    assert all_public_keys(s3_client, public_bucket) == before

    out = io.StringIO()
    call_command("reconcile_public_store", stdout=out)

    assert f"taken down: testimonials/{unpublished.pk}/ (approved)" in out.getvalue()
    assert public_names(unpublished) == []
    assert public_names(kept) == PUBLIC_NAMES
    assert len(all_public_keys(s3_client, public_bucket)) == len(PUBLIC_NAMES) + 1


def test_the_command_says_so_when_the_public_store_does_not_answer(settings):
    store = PublicStore(settings)
    store.down()

    with pytest.raises(CommandError, match=r"^The public store did not answer: Could not connect"):
        call_command("reconcile_public_store", "--dry-run", stdout=io.StringIO())


def test_the_task_runs_the_sweep_and_beat_runs_it_hourly_on_the_default_queue(leftover, broker):
    leftover(Status.WITHDRAWN)
    current_app.loader.import_default_modules()  # what beat does before reading its schedule

    entry = current_app.conf.beat_schedule["ambassadors.reconcile_public_store"]

    assert entry == {"task": "ambassadors.reconcile_public_store", "schedule": 3600.0}
    current_app.send_task(entry["task"])
    assert broker.queue_of("ambassadors.reconcile_public_store") == "default"
    assert reconcile_public_store.apply().get() == 1


def test_the_sweep_works_on_the_local_file_storage(local_storage, make_testimonial):
    withdrawn = make_testimonial(Status.WITHDRAWN)
    kept = make_testimonial(Status.PUBLISHED)
    storage = public_storage()
    for testimonial in (withdrawn, kept):
        for name in PUBLIC_NAMES:
            storage.save(keys.testimonial_key(testimonial.pk, name), io.BytesIO(b"copy"))
    storage.save(f"{keys.FOLDER}/not-a-uuid/web.mp4", io.BytesIO(b"copy"))

    report = publication.public_store_reconcile()

    assert report.taken_down == {str(withdrawn.pk): Status.WITHDRAWN}
    assert report.not_testimonials == ["not-a-uuid"]
    assert not (local_storage / "public" / keys.testimonial_prefix(withdrawn.pk)).exists()
    assert public_names(kept) == PUBLIC_NAMES
    assert storage.exists(f"{keys.FOLDER}/not-a-uuid/web.mp4")


@pytest.mark.django_db(transaction=True)
def test_the_sweep_waits_for_a_publication_in_flight_and_keeps_its_copies(make_testimonial):
    """A late publication (outside the grace) is copying files when the sweep reaches it.

    As in test_takedown, the publisher is held after its copies by a row lock the test takes;
    the sweep finds `approved` in its listing, then must wait for the publication lock and,
    once the publisher has committed `published`, delete nothing.
    """
    late = make_testimonial(
        Status.APPROVED, publish_at=timezone.now() - datetime.timedelta(hours=1)
    )
    results: dict = {}
    release_row, threads = _publisher_held_after_its_copies(late, results)
    assert public_names(late) == PUBLIC_NAMES
    sweep = _in_thread(publication.public_store_reconcile, results, "sweep")
    _wait_until(
        lambda: "sweep" in results or _waits_for_a_lock(results, "sweep", ("advisory",)),
        "the sweep to wait or finish",
    )
    assert "sweep" not in results
    assert public_names(late) == PUBLIC_NAMES

    release_row.set()
    for thread in (*threads, sweep):
        thread.join(30)
        assert not thread.is_alive()

    assert results["publish"] is True
    assert results["sweep"].checked == 1
    assert results["sweep"].taken_down == {}
    late.refresh_from_db()
    assert late.status == Status.PUBLISHED
    assert public_names(late) == PUBLIC_NAMES
