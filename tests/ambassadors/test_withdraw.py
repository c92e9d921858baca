"""Withdrawal: one confirmation, then a real worker erases files and personal data."""

import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from ambassadors import keys, uploads
from ambassadors.links import resident_token
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.services.erasure import testimonial_purge
from ambassadors.services.journey import testimonial_withdraw
from onprovence.storage import list_prefix, private_storage, public_storage
from tests import processes
from tests.ambassadors.conftest import queued_tasks


def give_files(testimonial: Testimonial) -> None:
    """What a published testimonial has: an original, renditions, public copies, a consent."""
    for name in (keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG):
        private_storage().save(keys.testimonial_key(testimonial.pk, name), ContentFile(b"v"))
    public_storage().save(keys.testimonial_key(testimonial.pk, keys.WEB), ContentFile(b"v"))
    ConsentRecord.objects.create(
        testimonial=testimonial,
        testimonial_ref=testimonial.pk,
        consent_text=ConsentText.objects.get(is_current=True),
        text_version="2026.1",
        accepted_at=timezone.now(),
        choices={"release": True, "age_group": "15-17", "parental_consent": True},
        is_minor=True,
        parent_email="mere@example.org",
    )


def assert_erased(testimonial: Testimonial) -> None:
    prefix = keys.testimonial_prefix(testimonial.pk)
    assert list_prefix(private_storage(), prefix) == []
    assert list_prefix(public_storage(), prefix) == []
    testimonial.refresh_from_db()
    assert testimonial.status == Status.ERASED
    for field in ("first_name", "last_name", "email", "commune", "job_title", "display_name"):
        assert getattr(testimonial, field) == "", field
    assert (testimonial.quote, testimonial.original_key, testimonial.probe) == ("", "", {})
    record = ConsentRecord.objects.get(testimonial_ref=testimonial.pk)
    assert record.parent_email == ""
    assert record.anonymised_at is not None
    # The proof stays: which text, when, what was accepted.
    assert (record.text_version, record.choices["release"], record.is_minor) == (
        "2026.1",
        True,
        True,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_withdrawal_asks_once_then_a_worker_erases_every_file_and_the_personal_data(
    client, testimonial, s3_client, tmp_path
):
    testimonial.status = Status.PUBLISHED
    testimonial.quote = "J'aime la lumière du Vieux-Port."
    testimonial.probe = {"format": {"tags": {"location": "+43.29+5.37/"}}}
    testimonial.save(update_fields=["status", "quote", "probe"])
    give_files(testimonial)
    # An upload left unfinished: its parts are not objects, yet they must go too.
    uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    url = reverse("ambassadors:withdraw", args=[resident_token(testimonial.pk)])

    asked = client.get(url)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED  # asking changes nothing
    assert "Oui, retirer et effacer ma vidéo" in asked.content.decode()

    worker = processes.start_worker(
        env=processes.worker_env(), queues="default", log_path=tmp_path / "worker.log"
    )
    try:
        done = client.post(url)
        assert "Votre témoignage est retiré" in done.content.decode()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            testimonial.refresh_from_db()
            if testimonial.status == Status.ERASED:
                break
            time.sleep(0.5)
    finally:
        processes.stop(worker)

    assert testimonial.status == Status.ERASED, (tmp_path / "worker.log").read_text()[-3000:]
    assert_erased(testimonial)
    assert [(e.from_status, e.to_status, e.actor_label) for e in testimonial.events.all()] == [
        ("published", "withdrawn", "resident"),
        ("withdrawn", "erased", "system"),
    ]
    unfinished = s3_client.list_multipart_uploads(
        Bucket=private_storage().bucket_name, Prefix=keys.testimonial_prefix(testimonial.pk)
    )
    assert unfinished.get("Uploads", []) == []
    # The status page still answers, without anything personal.
    status = client.get(reverse("ambassadors:status", args=[resident_token(testimonial.pk)]))
    assert "Retirée et effacée" in status.content.decode()


@pytest.mark.django_db
def test_erasure_on_local_storage_empties_the_prefix_including_unfinished_parts(
    local_storage, testimonial, client
):
    give_files(testimonial)
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    url = uploads.upload_sign_parts(session=session, numbers=[1])[1]
    client.generic("PUT", url, data=b"0123456789")
    testimonial_withdraw(testimonial_id=testimonial.pk)

    testimonial_purge(testimonial_id=testimonial.pk)
    again = testimonial_purge(testimonial_id=testimonial.pk)  # a rerun is harmless

    assert again.status == Status.ERASED
    assert_erased(testimonial)


@pytest.mark.django_db
def test_withdrawing_queues_the_purge_once_and_a_second_click_changes_nothing(
    client, testimonial, broker, django_capture_on_commit_callbacks
):
    url = reverse("ambassadors:withdraw", args=[resident_token(testimonial.pk)])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
        second = client.post(url)

    testimonial.refresh_from_db()
    assert testimonial.status == Status.WITHDRAWN
    assert "Votre témoignage est retiré" in second.content.decode()
    assert queued_tasks(broker, "default") == [
        ("ambassadors.purge_testimonial", [str(testimonial.pk)])
    ]


@pytest.mark.django_db
def test_a_forged_withdrawal_link_finds_nothing(client):
    assert client.get("/ambassadeurs/retrait/not-a-token/").status_code == 404
    assert client.post("/ambassadeurs/retrait/not-a-token/").status_code == 404
