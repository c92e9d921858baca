"""Local upload parts left behind when a resident restarts an upload (security review 2026-12).

Reproduction (failed before the fix): a resident starts an upload (session A), restarts it
(session B: `start` removes A's folder), but A's page, still open, sends one more part: the
local endpoint recreates A's folder. B completes, the testimonial leaves `created`, and A's
folder (up to 600 MB) stayed on disk for good: the hourly sweep only looked at testimonials
still waiting for their video.
"""

import os
import time

import pytest

from ambassadors import keys, uploads
from ambassadors.models import Status
from ambassadors.services import journey
from tests.ambassadors.test_uploads import put_part

pytestmark = pytest.mark.django_db

PART = 10


@pytest.fixture
def small_parts(local_storage, settings):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = PART
    return local_storage


def _restarted_upload(client, testimonial):
    """Session A gets a part after B started; B is complete. Returns A's part folder."""
    first = uploads.upload_start(
        testimonial_id=testimonial.pk, size=2 * PART, content_type="video/mp4"
    )
    put_part(client, first, 1, b"a" * PART)
    second = uploads.upload_start(
        testimonial_id=testimonial.pk, size=2 * PART, content_type="video/mp4"
    )
    # A's page, still open, sends its next part after the restart.
    assert put_part(client, first, 2, b"a" * PART) == 200
    stale = uploads.upload_backend().folder(first)
    assert stale.is_dir()
    for number in (1, 2):
        assert put_part(client, second, number, b"b" * PART) == 200
    journey.testimonial_upload_complete(testimonial_id=testimonial.pk, session=second)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.UPLOADED
    return stale


def _age(folder, hours: float) -> None:
    old = time.time() - hours * 3600
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (old, old))


def test_a_stale_session_s_parts_written_after_a_restart_go_when_the_upload_completes(
    small_parts, testimonial, client
):
    stale = _restarted_upload(client, testimonial)

    # Completion removed every part folder of the testimonial, not only its own session's.
    assert not stale.exists()
    parts_root = stale.parent
    assert not parts_root.exists()


def test_the_hourly_sweep_removes_parts_of_testimonials_that_no_longer_wait_for_a_video(
    small_parts, testimonial, client
):
    from ambassadors.tasks.journey import cleanup_local_uploads

    stale = _restarted_upload(client, testimonial)
    # A part that passed the status check just before completion lands after it.
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "3").write_bytes(b"late")

    kept = cleanup_local_uploads()  # within the grace period: a write may still be under way
    _age(stale, 2)
    removed = cleanup_local_uploads()

    assert kept == 0
    assert removed == 1
    assert not stale.exists()
    assert not (
        small_parts / "private" / keys.testimonial_prefix(testimonial.pk) / "parts"
    ).exists()


def test_the_sweep_removes_parts_of_a_testimonial_row_that_is_gone(
    small_parts, testimonial, client
):
    from ambassadors.tasks.journey import cleanup_local_uploads

    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=PART, content_type="video/mp4"
    )
    put_part(client, session, 1, b"x" * PART)
    folder = uploads.upload_backend().folder(session)
    testimonial.delete()
    _age(folder, 2)

    assert cleanup_local_uploads() == 1
    assert not folder.exists()


def test_the_sweep_keeps_a_waiting_testimonial_s_recent_parts(small_parts, testimonial, client):
    from ambassadors.tasks.journey import cleanup_local_uploads

    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=PART, content_type="video/mp4"
    )
    put_part(client, session, 1, b"x" * PART)
    folder = uploads.upload_backend().folder(session)
    _age(folder, 2)  # past the grace, well within the 24 h abandon delay

    assert cleanup_local_uploads() == 0
    assert folder.is_dir()


def test_a_restart_removes_the_earlier_session_s_parts(small_parts, testimonial, client):
    first = uploads.upload_start(
        testimonial_id=testimonial.pk, size=2 * PART, content_type="video/mp4"
    )
    put_part(client, first, 1, b"a" * PART)
    folder = uploads.upload_backend().folder(first)

    uploads.upload_start(testimonial_id=testimonial.pk, size=2 * PART, content_type="video/mp4")

    assert not folder.exists()
