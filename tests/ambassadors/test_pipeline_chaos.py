"""Chaos: real workers die or lose their broker; no testimonial is lost or processed twice.

The tests run their own redis-server on a free loopback port (the machine's Redis is shared),
and workers with tests/ambassadors/chaos_settings.py (short visibility timeout and sweep period).
"""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings

from ambassadors import keys
from ambassadors.models import Status, Testimonial, TestimonialEvent
from onprovence.storage import list_prefix, private_storage
from tests import processes
from tests.ambassadors.media.corpus import ffmpeg
from tests.waiting import stays_false, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throw-away redis-server with no persistence: a restart loses every queued message."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.wait_for_port("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def broker(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chaos(tmp_path, broker):
    """Start workers/beat on the private broker; everything started is stopped at the end."""
    started: list[subprocess.Popen] = []
    env = processes.worker_env(
        DJANGO_SETTINGS_MODULE="tests.ambassadors.chaos_settings",
        REDIS_URL=broker.url,
        CELERY_BROKER_URL=broker.url,
        CELERY_RESULT_BACKEND=broker.url,
        CHAOS_BEAT_SCHEDULE=str(tmp_path / "beat-schedule"),
    )

    class Chaos:
        def worker(self, name: str, queues: str = "media") -> subprocess.Popen:
            process = processes.start_worker(
                env=env, queues=queues, hostname=name, log_path=tmp_path / f"{name}.log"
            )
            started.append(process)
            return process

        def beat(self) -> subprocess.Popen:
            log = open(tmp_path / "beat.log", "ab")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "onprovence", "beat", "--loglevel", "INFO",
                 "-s", str(tmp_path / "beat-schedule")],
                cwd=processes.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started.append(process)
            return process

        def log(self, name: str) -> str:
            return (tmp_path / f"{name}.log").read_text(errors="replace")

        def send(self, testimonial_id) -> None:
            app = Celery("chaos-client", broker=broker.url, set_as_current=False)
            app.conf.task_routes = settings.CELERY_TASK_ROUTES
            with app.connection_for_write() as connection:
                app.send_task(
                    "ambassadors.process_testimonial",
                    args=[str(testimonial_id)],
                    connection=connection,
                )

    yield Chaos()
    for process in started:
        for pid in processes.descendants(process.pid):
            with _gone():
                os.kill(pid, signal.SIGKILL)
        processes.stop(process)


class _gone:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is ProcessLookupError


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def uploaded(path: Path) -> Testimonial:
    testimonial = Testimonial.objects.create(status=Status.UPLOADED)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().connection.meta.client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    return testimonial


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    return wait_until(predicate, timeout, what, interval=interval)


def status_of(testimonial: Testimonial) -> str:
    return Testimonial.objects.values_list("status", flat=True).get(pk=testimonial.pk)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Long enough that the transcode is caught running (a few seconds on two busy cores)."""
    path = tmp_path_factory.mktemp("chaos") / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=8",
        "-f", "lavfi", "-i", "sine=frequency=330:duration=8",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path


def test_a_worker_killed_mid_transcode_is_replaced_and_the_job_is_done_exactly_once(chaos, clip):
    testimonial = uploaded(clip)
    first = chaos.worker("first")
    chaos.send(testimonial.pk)

    def transcoding() -> list[int]:
        return [
            pid
            for pid in processes.descendants(first.pid)
            if "ffmpeg" in cmdline(pid) and keys.WEB in cmdline(pid)
        ]

    wait_for(transcoding, 60, "the first worker's ffmpeg", interval=0.02)
    for pid in [first.pid, *processes.descendants(first.pid)]:
        with _gone():
            os.kill(pid, signal.SIGKILL)
    first.wait(10)
    assert status_of(testimonial) == Status.PROCESSING
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))

    chaos.worker("second")
    wait_for(lambda: status_of(testimonial) == Status.IN_REVIEW, 90, "in_review")

    # A second delivery would start the job again: a new event, or an attempt more. Watched for
    # longer than a visibility timeout (chaos_settings), it would show by the deadline.
    def redelivered() -> bool:
        events = TestimonialEvent.objects.filter(testimonial=testimonial).count()
        attempts = Testimonial.objects.values_list("processing_attempts", flat=True).get(
            pk=testimonial.pk
        )
        return events > 2 or attempts > 2

    stays_false(redelivered, 7, "a second delivery of the processing task", interval=0.5)

    events = list(
        TestimonialEvent.objects.filter(testimonial=testimonial).values_list(
            "from_status", "to_status"
        )
    )
    assert events == [(Status.UPLOADED, Status.PROCESSING), (Status.PROCESSING, Status.IN_REVIEW)]
    testimonial.refresh_from_db()
    assert testimonial.processing_attempts == 2
    assert list_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk)) == sorted(
        keys.testimonial_key(testimonial.pk, name)
        for name in (keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP, keys.PREVIEW)
    )
    # The second worker made the renditions once; any redelivery found the work done.
    log = chaos.log("second")
    assert log.count("'in_review'") == 1
    assert "'in_review'" not in chaos.log("first")


def test_redis_restarted_with_tasks_queued_loses_nothing_thanks_to_the_sweeper(chaos, broker, clip):
    testimonials = [uploaded(clip) for _ in range(3)]
    for testimonial in testimonials:
        chaos.send(testimonial.pk)
    queue = redis.Redis.from_url(broker.url)
    assert queue.llen("media") == 3

    broker.restart()
    assert redis.Redis.from_url(broker.url).llen("media") == 0

    # Production workers take both queues; the sweeper runs on `default`.
    chaos.worker("survivor", queues="default,media")
    chaos.beat()
    wait_for(
        lambda: all(status_of(t) == Status.IN_REVIEW for t in testimonials),
        150,
        "every testimonial in review",
        interval=0.5,
    )
    for testimonial in testimonials:
        to_review = TestimonialEvent.objects.filter(
            testimonial=testimonial, to_status=Status.IN_REVIEW
        ).count()
        assert to_review == 1
    assert "ambassadors.requeue_stuck_testimonials" in chaos.log("survivor")
