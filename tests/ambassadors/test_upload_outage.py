"""An S3 outage during the part protocol: the web answers its 503 fast, then the upload finishes.

The upload endpoints run inside a web request (a sync gunicorn worker is held meanwhile), so
their S3 calls use the fail-fast client of `onprovence.storage.web_s3_client`; workers keep
boto's defaults. Two kinds of outage, on the port the site reaches S3 through:

- refused: nothing listens (the proxy of test_upload_faults.py is down);
- blackhole: something accepts connections and never answers (a hung store or load balancer).

The bounds on time are generous (boto's defaults took 7–12 s refused and 60 s x 5 attempts in a
blackhole); precise figures: `bench/upload_outage.py`, docs/reliability/outage.md.
"""

import socket
import threading
import time
from urllib.parse import urlparse

import pytest

from onprovence.storage import private_storage, web_s3_client
from tests.ambassadors.test_upload_faults import (
    TcpProxy,
    assert_completed_once,
    post,
    s3_proxy,  # noqa: F401 (fixture)
    send_two_parts,
    storages_through,
)
from tests.faults import audit_trail

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

MESSAGES = {
    "fr": "Le stockage des vidéos ne répond pas pour le moment.",
    "en": "Video storage is not answering right now.",
}


class Blackhole:
    """A port that accepts connections (the kernel completes them) and never answers."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(128)

    def close(self) -> None:
        self.listener.close()  # connections still queued get a reset


def assert_unavailable_fast(client, name: str, body: dict, language: str, bound: float) -> None:
    started = time.monotonic()
    answer = post(client, name, body, language)
    elapsed = time.monotonic() - started
    assert answer.status_code == 503, answer.content
    assert answer["Retry-After"] == "5"
    assert answer.json()["code"] == "unavailable"
    assert answer.json()["error"].startswith(MESSAGES[language])
    assert elapsed < bound, f"{name} took {elapsed:.1f} s to answer its 503"


def assert_nothing_changed(testimonial, session) -> None:
    testimonial.refresh_from_db()
    assert testimonial.status == "created"
    assert audit_trail(testimonial.pk) == []
    client = private_storage().connection.meta.client
    listed = client.list_multipart_uploads(Bucket=private_storage().bucket_name, Prefix=session.key)
    assert [u["UploadId"] for u in listed.get("Uploads", [])] == [session.upload_id]


@pytest.mark.django_db
def test_start_and_complete_answer_fast_when_s3_refuses_connections_then_the_upload_finishes(
    s3_proxy,  # noqa: F811
    resident_client,
    testimonial,
    settings,
):
    token, session, data = send_two_parts(resident_client, testimonial, settings)

    s3_proxy.down()
    for language in ("fr", "en"):
        assert_unavailable_fast(resident_client, "upload-complete", {"upload": token}, language, 5)
        start = {"size": len(data), "type": "video/mp4"}
        assert_unavailable_fast(resident_client, "upload-start", start, language, 5)
    s3_proxy.up()

    assert_nothing_changed(testimonial, session)
    done = post(resident_client, "upload-complete", {"upload": token})
    assert_completed_once(done, testimonial, session, data)


@pytest.mark.django_db
def test_start_and_complete_answer_when_s3_accepts_but_never_answers_then_the_upload_finishes(
    s3_proxy,  # noqa: F811
    resident_client,
    testimonial,
    settings,
):
    token, session, data = send_two_parts(resident_client, testimonial, settings)

    s3_proxy.down()
    blackhole = Blackhole(s3_proxy.port)
    try:
        # boto's defaults would wait 60 s per attempt (a sync gunicorn worker is killed at 30 s).
        assert_unavailable_fast(resident_client, "upload-complete", {"upload": token}, "fr", 15)
        start = {"size": len(data), "type": "video/mp4"}
        assert_unavailable_fast(resident_client, "upload-start", start, "en", 15)
    finally:
        blackhole.close()
    s3_proxy.up()

    assert_nothing_changed(testimonial, session)
    done = post(resident_client, "upload-complete", {"upload": token})
    assert_completed_once(done, testimonial, session, data)


class SlowAssemblyProxy(TcpProxy):
    """A proxy whose store takes `delay` seconds to answer CompleteMultipartUpload."""

    delay = 0.0

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port)
        self._late: set[socket.socket] = set()
        self.completions = 0

    def _forward(self, source: socket.socket, target: socket.socket, data: bytes) -> None:
        request_line = data.split(b"\r\n", 1)[0]
        if request_line.startswith(b"POST ") and b"uploadId=" in request_line:
            self.completions += 1
            self._late.add(source)  # the answer to this client comes late
        if target in self._late:
            self._late.discard(target)
            time.sleep(self.delay)
        target.sendall(data)


@pytest.fixture
def slow_assembly(settings, s3_endpoint):
    proxy = SlowAssemblyProxy(urlparse(s3_endpoint).port)
    proxy.up()
    storages_through(settings, proxy)
    yield proxy
    proxy.down()


@pytest.mark.django_db
def test_a_completion_the_store_takes_longer_than_the_short_read_timeout_to_assemble_succeeds(
    slow_assembly, resident_client, testimonial, settings
):
    """Only the connection is short for CompleteMultipartUpload: a big video takes a while."""
    settings.S3_WEB_CLIENT = {**settings.S3_WEB_CLIENT, "read_timeout": 0.5}
    token, session, data = send_two_parts(resident_client, testimonial, settings)
    slow_assembly.delay = 1.5

    done = post(resident_client, "upload-complete", {"upload": token})

    assert slow_assembly.completions == 1  # answered late, not timed out and sent again
    assert_completed_once(done, testimonial, session, data)


def test_only_the_web_request_path_gets_the_fail_fast_client(settings):
    storage = private_storage()
    options = settings.S3_WEB_CLIENT

    web = web_s3_client(storage).meta.config
    assembling = web_s3_client(storage, assembling=True).meta.config
    worker = storage.connection.meta.client.meta.config

    assert (web.connect_timeout, web.read_timeout) == (
        options["connect_timeout"],
        options["read_timeout"],
    )
    assert web.retries == {"mode": "standard", "total_max_attempts": options["max_attempts"]}
    assert assembling.connect_timeout == options["connect_timeout"]
    assert assembling.read_timeout == options["complete_read_timeout"] >= 30
    # Celery workers keep boto's defaults: 60 s timeouts and boto's own retries.
    assert (worker.connect_timeout, worker.read_timeout) == (60, 60)
    assert not {"max_attempts", "total_max_attempts"} & set(worker.retries or {})
    # The web client signs like the storage's own (same credentials, endpoint, addressing).
    assert web.s3 == worker.s3 and web.signature_version == worker.signature_version
    assert web_s3_client(storage) is web_s3_client(storage)


def test_each_thread_gets_its_own_web_client():
    storage = private_storage()
    clients = []
    thread = threading.Thread(target=lambda: clients.append(web_s3_client(storage)))
    thread.start()
    thread.join()

    assert clients[0] is not web_s3_client(storage)
