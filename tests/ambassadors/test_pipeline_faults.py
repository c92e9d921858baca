"""Fault: the worker's temp folder (MEDIA_WORK_DIR) fills up while it processes a video.

The folder is a small tmpfs mounted for the test (the tests run as root, as CI does); ffmpeg
or the download then fails with ENOSPC. That is the machine's fault, not the video's: the
testimonial must not be rejected, nothing partial may reach the store, the folder is cleaned,
and the job is retried until there is room again.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from ambassadors.models import Status, Testimonial
from ambassadors.services.files import WorkDirectoryFull
from ambassadors.services.processing import testimonial_process
from tests import processes
from tests.ambassadors.media.corpus import ffmpeg
from tests.ambassadors.test_pipeline_chaos import RedisServer, status_of, uploaded, wait_for
from tests.faults import assert_no_damage, audit_trail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


class Tmpfs:
    """A tmpfs of a given size at `path`; resized in place, unmounted at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mount(self, size_bytes: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_bytes // 1024}k", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            pytest.fail(
                "this test mounts a small tmpfs as the worker's temp folder and must run as root "
                f"with mount allowed: `mount -t tmpfs` failed: {run.stderr.strip()}"
            )

    def resize(self, size_bytes: int) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,size={size_bytes // 1024}k", str(self.path)], check=True
        )

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)

    def entries(self) -> list[str]:
        return sorted(entry.name for entry in self.path.iterdir())


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "work")
    try:
        yield disk
    finally:
        disk.unmount()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Small original (~0.3 MB); its renditions need several times that."""
    path = tmp_path_factory.mktemp("faults") / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25:duration=4",
        "-f", "lavfi", "-i", "sine=frequency=330:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-c:a", "aac", "-shortest",
        str(path),
    )  # fmt: skip
    return path


def test_a_full_work_directory_is_retried_not_taken_for_a_bad_video(settings, small_disk, clip):
    testimonial = uploaded(clip)
    settings.MEDIA_WORK_DIR = small_disk.path

    # Not even room for the original: the download fails.
    small_disk.mount(clip.stat().st_size // 2)
    with pytest.raises(WorkDirectoryFull):
        testimonial_process(testimonial_id=testimonial.pk)
    # Room for the original, not for the renditions: ffmpeg fails with ENOSPC.
    small_disk.resize(clip.stat().st_size + 64 * 1024)
    with pytest.raises(WorkDirectoryFull, match="No space left on device"):
        testimonial_process(testimonial_id=testimonial.pk)

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PROCESSING
    assert testimonial.rejection_reason == ""
    assert testimonial.processing_attempts == 0  # the machine's failures do not count
    assert small_disk.entries() == []
    assert_no_damage({testimonial.pk: Status.PROCESSING})

    small_disk.resize(512 * 1024 * 1024)
    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"
    assert small_disk.entries() == []
    assert_no_damage({testimonial.pk: Status.IN_REVIEW})
    assert audit_trail(testimonial.pk) == [
        (Status.UPLOADED, Status.PROCESSING),
        (Status.PROCESSING, Status.IN_REVIEW),
    ]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_real_worker_on_a_full_disk_retries_and_finishes_when_room_is_made(
    tmp_path, small_disk, clip
):
    broker = RedisServer(tmp_path)
    broker.start()
    env = processes.worker_env(
        MEDIA_WORK_DIR=str(small_disk.path),
        CELERY_BROKER_URL=broker.url,
        CELERY_RESULT_BACKEND=broker.url,
    )
    log = tmp_path / "worker.log"
    small_disk.mount(clip.stat().st_size + 64 * 1024)
    worker = processes.start_worker(env=env, queues="media", hostname="full-disk", log_path=log)
    try:
        testimonial = uploaded(clip)
        app = Celery("faults-client", broker=broker.url, set_as_current=False)
        app.conf.task_routes = settings.CELERY_TASK_ROUTES
        with app.connection_for_write() as connection:
            app.send_task(
                "ambassadors.process_testimonial", args=[str(testimonial.pk)], connection=connection
            )

        wait_for(
            lambda: "WorkDirectoryFull" in log.read_text(errors="replace"),
            60,
            "the worker's ENOSPC failure",
        )
        assert status_of(testimonial) == Status.PROCESSING
        assert Testimonial.objects.get(pk=testimonial.pk).rejection_reason == ""
        # The retry's countdown is jittered from 0 s, so a second attempt may already hold a
        # folder; failed attempts leave none behind (the last check below proves it for all).
        assert len(small_disk.entries()) <= 1
        assert_no_damage({testimonial.pk: Status.PROCESSING})  # nothing partial stored

        small_disk.resize(512 * 1024 * 1024)
        wait_for(lambda: status_of(testimonial) == Status.IN_REVIEW, 60, "in_review after retry")
        text = log.read_text(errors="replace")
        assert "Retry in" in text
        assert small_disk.entries() == []  # no attempt, failed or not, left its folder
        assert_no_damage({testimonial.pk: Status.IN_REVIEW})
        assert audit_trail(testimonial.pk) == [
            (Status.UPLOADED, Status.PROCESSING),
            (Status.PROCESSING, Status.IN_REVIEW),
        ]
        assert Testimonial.objects.get(pk=testimonial.pk).processing_attempts == 1
    finally:
        processes.stop(worker)
        broker.stop()
