"""The processing service on the real services: PostgreSQL, the S3 endpoint, ffmpeg."""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from PIL import Image

from ambassadors import conf, keys
from ambassadors.models import Status, Testimonial, TestimonialEvent
from ambassadors.services.locks import PROCESSING, advisory_key
from ambassadors.services.processing import testimonial_process
from ambassadors.services.sweeper import testimonials_requeue_stuck
from onprovence.storage import list_prefix, private_storage
from tests.ambassadors.media import corpus as corpus_builders
from tests.ambassadors.media.corpus import Corpus

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("processing-corpus"))


def upload(path: Path, **fields) -> Testimonial:
    """An uploaded testimonial whose original is in the private store, as the journey leaves it."""
    testimonial = Testimonial.objects.create(status=Status.UPLOADED, **fields)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    client = private_storage().connection.meta.client
    client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(
        original_key=key, original_size=path.stat().st_size
    )
    testimonial.refresh_from_db()
    return testimonial


def moves(testimonial: Testimonial) -> list[tuple[str, str, str]]:
    return list(
        TestimonialEvent.objects.filter(testimonial=testimonial)
        .order_by("created_at", "pk")
        .values_list("from_status", "to_status", "actor_label")
    )


def test_an_upload_reaches_in_review_with_renditions_probe_flags_and_hash(corpus):
    path = corpus["portrait_rotated"]
    testimonial = upload(path)

    outcome = testimonial_process(testimonial_id=testimonial.pk)

    assert outcome == "in_review"
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW
    assert moves(testimonial) == [
        (Status.UPLOADED, Status.PROCESSING, "worker"),
        (Status.PROCESSING, Status.IN_REVIEW, "worker"),
    ]
    assert testimonial.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert testimonial.duration == pytest.approx(4.0, abs=0.05)
    assert testimonial.probe["video"]["display_width"] == 180
    assert testimonial.probe["video"]["rotation"] == 270
    assert {"download", "probe", "transcode", "upload"} <= set(testimonial.probe["timings"])
    assert [flag["code"] for flag in testimonial.flags] == ["short"]
    assert testimonial.processing_attempts == 1
    prefix = keys.testimonial_prefix(testimonial.pk)
    assert set(list_prefix(private_storage(), prefix)) == {
        keys.testimonial_key(testimonial.pk, name)
        for name in (keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP, keys.PREVIEW)
    }
    head = private_storage().connection.meta.client.head_object(
        Bucket=settings.S3_PRIVATE_BUCKET, Key=keys.testimonial_key(testimonial.pk, keys.WEB)
    )
    assert head["ContentType"] == "video/mp4"


def test_processing_again_changes_nothing(corpus):
    testimonial = upload(corpus["landscape"])
    testimonial_process(testimonial_id=testimonial.pk)
    events = moves(testimonial)

    assert testimonial_process(testimonial_id=testimonial.pk) == "skipped"

    assert moves(testimonial) == events
    testimonial.refresh_from_db()
    assert testimonial.processing_attempts == 1


def test_a_hostile_upload_is_rejected_with_the_reason_in_the_residents_language(tmp_path, corpus):
    french = upload(corpus_builders.playlist(tmp_path, "http://127.0.0.1:9"))
    english = upload(corpus["too_short"], language="en")

    testimonial_process(testimonial_id=french.pk)
    testimonial_process(testimonial_id=english.pk)

    french.refresh_from_db()
    english.refresh_from_db()
    assert french.status == english.status == Status.REJECTED
    assert french.rejection_reason.startswith("Ce fichier n'est pas une vidéo que nous savons lire")
    assert french.probe["verdict"]["code"] == "not_a_video"
    assert english.rejection_reason.startswith("Your video lasts 1.5 s")
    assert english.probe["verdict"]["detail"].endswith(" s < 3.0 s")
    assert moves(english)[-1] == (Status.PROCESSING, Status.REJECTED, "worker")
    assert list_prefix(private_storage(), keys.testimonial_prefix(french.pk)) == [
        keys.testimonial_key(french.pk, keys.ORIGINAL)
    ]
    assert "root:" not in json.dumps(french.probe)


def test_the_same_file_sent_twice_is_flagged_as_a_duplicate(corpus):
    first = upload(corpus["no_audio"])
    second = upload(corpus["no_audio"])

    testimonial_process(testimonial_id=first.pk)
    testimonial_process(testimonial_id=second.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert "duplicate" not in {flag["code"] for flag in first.flags}
    duplicate = next(flag for flag in second.flags if flag["code"] == "duplicate")
    assert str(first.pk) in duplicate["detail"]
    assert {flag["code"] for flag in second.flags} == {"no_audio", "short", "duplicate"}


def test_a_file_that_keeps_killing_workers_is_rejected_after_the_last_attempt(corpus):
    testimonial = upload(corpus["landscape"])
    Testimonial.objects.filter(pk=testimonial.pk).update(
        status=Status.PROCESSING, processing_attempts=conf.MEDIA_MAX_ATTEMPTS
    )

    assert testimonial_process(testimonial_id=testimonial.pk) == "rejected"

    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED
    assert testimonial.probe["verdict"]["code"] == "unprocessable"
    assert testimonial.rejection_reason.startswith("Nous n'avons pas réussi à préparer")


def test_a_missing_original_is_rejected_not_retried_forever():
    testimonial = Testimonial.objects.create(status=Status.UPLOADED)

    assert testimonial_process(testimonial_id=testimonial.pk) == "rejected"

    testimonial.refresh_from_db()
    assert testimonial.probe["verdict"]["detail"].endswith("missing from storage")


def test_a_testimonial_another_worker_holds_is_left_to_it(corpus):
    testimonial = upload(corpus["landscape"])
    db = settings.DATABASES["default"]
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=connection.settings_dict["NAME"],
        autocommit=True,
    )  # fmt: skip
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [advisory_key(PROCESSING, testimonial.pk)])

        assert testimonial_process(testimonial_id=testimonial.pk) == "busy"
        assert testimonials_requeue_stuck(older_than=timedelta(0)) == []
    finally:
        other.close()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.UPLOADED


def test_a_withdrawal_during_processing_leaves_no_rendition_behind(corpus):
    testimonial = upload(corpus["landscape"])
    from django.db.models.signals import post_save

    def withdraw_when_processing(sender, instance, update_fields=None, **kwargs):
        # The resident withdraws while ffmpeg runs (after the move to processing).
        if update_fields and "status" in update_fields and instance.status == Status.PROCESSING:
            Testimonial.objects.filter(pk=instance.pk).update(status=Status.WITHDRAWN)

    post_save.connect(withdraw_when_processing, sender=Testimonial)
    try:
        assert testimonial_process(testimonial_id=testimonial.pk) == "skipped"
    finally:
        post_save.disconnect(withdraw_when_processing, sender=Testimonial)

    assert list_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk)) == [
        keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    ]


def test_the_sweeper_requeues_stuck_testimonials_on_the_media_queue(
    django_capture_on_commit_callbacks,
):
    long_ago = timezone.now() - timedelta(hours=1)
    lost = Testimonial.objects.create(status=Status.UPLOADED)
    crashed = Testimonial.objects.create(status=Status.PROCESSING)
    fresh = Testimonial.objects.create(status=Status.UPLOADED)
    done = Testimonial.objects.create(status=Status.IN_REVIEW)
    Testimonial.objects.filter(pk__in=[lost.pk, crashed.pk, done.pk]).update(
        status_changed_at=long_ago, updated_at=long_ago
    )
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("media")

    with django_capture_on_commit_callbacks(execute=True):
        requeued = testimonials_requeue_stuck(older_than=timedelta(minutes=15))

    assert sorted(requeued) == sorted([str(lost.pk), str(crashed.pk)])
    crashed.refresh_from_db()
    assert crashed.status == Status.UPLOADED
    assert moves(crashed) == [(Status.PROCESSING, Status.UPLOADED, "system")]
    queued = [json.loads(message) for message in broker.lrange("media", 0, -1)]
    broker.delete("media")
    assert sorted(m["headers"]["argsrepr"] for m in queued) == sorted(
        [repr([str(lost.pk)]), repr([str(crashed.pk)])]
    )
    assert {m["headers"]["task"] for m in queued} == {"ambassadors.process_testimonial"}
    # Sent once: the next sweep right after finds nothing older than the threshold.
    with django_capture_on_commit_callbacks(execute=False):
        assert testimonials_requeue_stuck(older_than=timedelta(minutes=15)) == []
    assert fresh.pk and done.pk


def test_the_poster_is_a_frame_of_the_video(corpus):
    testimonial = upload(corpus["portrait_rotated"])
    testimonial_process(testimonial_id=testimonial.pk)

    with private_storage().open(keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG)) as f:
        poster = Image.open(f)
        poster.load()
    assert poster.size == (180, 320)
    red = poster.convert("RGB").getpixel((90, 20))
    assert red[0] > 200 and red[1] < 60


def test_the_embedded_local_store_works_the_same(corpus, local_storage):
    testimonial = Testimonial.objects.create(status=Status.UPLOADED)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    original = local_storage / "private" / key
    original.parent.mkdir(parents=True)
    original.write_bytes(corpus["landscape"].read_bytes())

    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"
    assert testimonial_process(testimonial_id=testimonial.pk) == "skipped"

    assert sorted(p.name for p in original.parent.iterdir()) == sorted(
        [keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP, keys.PREVIEW]
    )
