"""Fault: the S3 endpoint goes away while a resident uploads, then comes back.

moto keeps its state in memory, so it is never killed: a TCP proxy on a free loopback port
stands in front of it, and the site (live server and test client alike) and the browser reach
S3 through the proxy. "Down" closes the proxy's listener and resets every open connection
(connections are refused meanwhile); "back" listens again on the same port.
"""

import contextlib
import copy
import hashlib
import select
import socket
import struct
import threading
from collections import Counter
from urllib.parse import urlparse

import pytest
import requests
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from ambassadors import keys, uploads
from ambassadors.models import Status, Testimonial
from onprovence.storage import private_storage
from tests.ambassadors.media.corpus import ffmpeg
from tests.ambassadors.test_journey_browser import phone, pick_on_a_slow_uplink
from tests.faults import assert_no_damage, audit_trail
from tests.waiting import stays_false

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


class TcpProxy:
    """Forward 127.0.0.1:<port> to an upstream port; can go down and come back on the port."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._running = False
        self._thread: threading.Thread | None = None
        self.accepted = 0

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener, self._running = listener, True
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening and reset every connection open through the proxy."""
        self._running = False
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                # Linger 0: close() sends RST, as a crashed endpoint would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            ready, _, _ = select.select([listener], [], [], 0.1)
            if not ready or not self._running:
                continue
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                continue
            upstream.settimeout(None)
            self.accepted += 1
            with self._lock:
                self._sockets |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._forward(source, target, data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                for sock in (source, target):
                    if sock in self._sockets:
                        self._sockets.discard(sock)
                        sock.close()

    def _forward(self, source: socket.socket, target: socket.socket, data: bytes) -> None:
        """Pass `data` read from `source` on to `target` (subclasses delay or count it)."""
        target.sendall(data)


def storages_through(settings, proxy: TcpProxy) -> None:
    """Point both S3 storages of the site (and so the presigned URLs) at `proxy`."""
    storages = copy.deepcopy(settings.STORAGES)
    for name in ("default", "public"):
        storages[name]["OPTIONS"]["endpoint_url"] = proxy.url
    settings.STORAGES = storages


@pytest.fixture
def s3_proxy(settings, s3_endpoint):
    """Point the site's S3 storage (and so the presigned URLs) at a proxy to the endpoint."""
    proxy = TcpProxy(urlparse(s3_endpoint).port)
    proxy.up()
    storages_through(settings, proxy)
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("connect-src", "media-src", "img-src"):
        policy["DIRECTIVES"][directive].append(proxy.url)
    settings.CONTENT_SECURITY_POLICY = policy
    yield proxy
    proxy.down()


def post(client, name: str, body: dict, language: str = "fr"):
    with translation.override(language):
        url = reverse(f"ambassadors:{name}")
    return client.post(url, body, content_type="application/json")


def send_two_parts(client, testimonial, settings) -> tuple[str, uploads.UploadSession, bytes]:
    """Start an upload of two S3 parts and PUT both to their presigned URLs."""
    settings.AMBASSADORS_UPLOAD_PART_SIZE = uploads.S3_MIN_PART_SIZE
    data = bytes(range(256)) * (uploads.S3_MIN_PART_SIZE // 256) + b"tail" * 1000
    started = post(client, "upload-start", {"size": len(data), "type": "video/mp4"})
    assert started.status_code == 200, started.content
    token = started.json()["upload"]
    session = uploads.session_from_token(token, testimonial_id=testimonial.pk)
    assert session.part_count == 2
    urls = post(client, "upload-sign", {"upload": token, "parts": [1, 2]}).json()["urls"]
    for number, url in urls.items():
        start = (int(number) - 1) * session.part_size
        body = data[start : start + session.expected_part_size(int(number))]
        assert requests.put(url, data=body, timeout=30).status_code == 200
    return token, session, data


def assert_completed_once(answer, testimonial, session, data: bytes) -> None:
    assert answer.status_code == 200, answer.content
    assert answer.json()["done"] is True
    with private_storage().open(session.key, "rb") as handle:
        assert handle.read() == data
    assert_no_damage({testimonial.pk: Status.UPLOADED})
    assert audit_trail(testimonial.pk) == [(Status.CREATED, Status.UPLOADED)]


def test_completion_while_s3_is_down_is_a_clear_retryable_error_that_changes_nothing(
    s3_proxy, resident_client, testimonial, settings
):
    token, session, data = send_two_parts(resident_client, testimonial, settings)
    assert uploads.upload_backend().part_url(session, 1).startswith(s3_proxy.url)

    s3_proxy.down()
    # Each call waits for boto's own retries (~6 s) before answering.
    for name, language, message in (
        ("upload-complete", "fr", "Le stockage des vidéos ne répond pas pour le moment."),
        ("upload-complete", "en", "Video storage is not answering right now."),
        ("upload-state", "fr", "Le stockage des vidéos ne répond pas pour le moment."),
    ):
        answer = post(resident_client, name, {"upload": token}, language)
        assert answer.status_code == 503, answer.content
        assert answer["Retry-After"] == "5"
        assert answer.json()["code"] == "unavailable"
        assert answer.json()["error"].startswith(message)
    answer = post(resident_client, "upload-start", {"size": len(data), "type": "video/mp4"})
    assert (answer.status_code, answer.json()["code"]) == (503, "unavailable")
    testimonial.refresh_from_db()
    assert testimonial.status == Status.CREATED
    assert audit_trail(testimonial.pk) == []

    s3_proxy.up()
    done = post(resident_client, "upload-complete", {"upload": token})
    assert_completed_once(done, testimonial, session, data)


def test_a_first_upload_start_during_an_outage_configures_the_bucket_once_s3_is_back(
    s3_proxy, resident_client, testimonial, s3_client
):
    """The bucket's CORS rule is applied on the next start, not an hour after the outage."""
    cache.delete(uploads.BUCKET_CONFIGURED_CACHE_KEY)
    s3_proxy.down()
    answer = post(resident_client, "upload-start", {"size": 1000, "type": "video/mp4"})
    assert (answer.status_code, answer.json()["code"]) == (503, "unavailable")
    assert cache.get(uploads.BUCKET_CONFIGURED_CACHE_KEY) is None

    s3_proxy.up()
    s3_client.delete_bucket_cors(Bucket=private_storage().bucket_name)
    answer = post(resident_client, "upload-start", {"size": 1000, "type": "video/mp4"})

    assert answer.status_code == 200, answer.content
    rules = s3_client.get_bucket_cors(Bucket=private_storage().bucket_name)["CORSRules"]
    assert rules[0]["AllowedMethods"] == ["PUT"]


def test_a_completion_whose_answer_was_lost_is_completed_once_when_retried(
    resident_client, testimonial, settings
):
    """The store assembled the video but the site never heard back: the retry must not restart."""
    token, session, data = send_two_parts(resident_client, testimonial, settings)
    # What the store did before the connection dropped: the multipart upload is assembled.
    uploads.upload_backend().complete(session)
    testimonial.refresh_from_db()
    assert testimonial.status == Status.CREATED

    done = post(resident_client, "upload-complete", {"upload": token})

    assert_completed_once(done, testimonial, session, data)


def test_a_retried_completion_with_a_different_original_is_still_refused(
    resident_client, testimonial, settings
):
    """Only the whole video of the announced size counts as already assembled."""
    settings.AMBASSADORS_UPLOAD_PART_SIZE = uploads.S3_MIN_PART_SIZE
    token = post(resident_client, "upload-start", {"size": 1000, "type": "video/mp4"}).json()[
        "upload"
    ]
    session = uploads.session_from_token(token, testimonial_id=testimonial.pk)
    uploads.upload_abort(session=session)
    private_storage().save(session.key, ContentFile(b"x" * 999))

    refused = post(resident_client, "upload-complete", {"upload": token})

    assert refused.status_code == 409, refused.content
    testimonial.refresh_from_db()
    assert testimonial.status == Status.CREATED
    assert audit_trail(testimonial.pk) == []


@pytest.fixture(scope="module")
def big_video(tmp_path_factory):
    """A real 4-second video of three S3 parts (5 MiB at least each): lossless noise."""
    path = tmp_path_factory.mktemp("s3-down") / "longue.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "nullsrc=s=480x360:r=15,geq=random(1)*255:128:128",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
        "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    assert path.stat().st_size > 2 * uploads.S3_MIN_PART_SIZE, path.stat().st_size
    return path


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_the_phone_upload_survives_s3_going_down_midway_and_finishes_once_it_is_back(
    browser, live_server, s3_proxy, settings, big_video, screenshot
):
    settings.SITE_URL = live_server.url  # the bucket's CORS rule names the site
    settings.AMBASSADORS_UPLOAD_PART_SIZE = uploads.S3_MIN_PART_SIZE
    expected = hashlib.sha256(big_video.read_bytes()).hexdigest()
    context, page = phone(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    puts: Counter[str] = Counter()

    def put_answered(response) -> None:
        if response.request.method == "PUT":
            puts["stored" if response.status == 200 else f"answered {response.status}"] += 1

    def put_failed(request) -> None:
        if request.method == "PUT":
            puts["cut"] += 1

    page.on("response", put_answered)
    page.on("requestfailed", put_failed)
    # A mobile uplink (2 MB/s) so the outage lands in the middle of the parts.
    pick_on_a_slow_uplink(context, page, live_server, big_video, latency=20, upload=2_000_000)
    page.get_by_role("button", name="Envoyer cette vidéo").click()
    page.wait_for_url("**/ambassadeurs/envoi/")
    page.wait_for_function(
        "() => document.getElementById('upload-progress').value >= 20", timeout=60000
    )

    s3_proxy.down()
    page.wait_for_selector("text=La connexion est instable : nouvel essai…", timeout=15000)
    # While S3 is down the upload cannot finish: watch for 4 s for what finishing would show
    # (the bar full, the testimonial past `created`) and assert it never does.
    stays_false(
        lambda: (
            page.locator("#upload-progress").evaluate("bar => bar.value") >= 100
            or Testimonial.objects.exclude(status=Status.CREATED).exists()
        ),
        4,
        "the upload finishing while S3 is down",
        interval=0.25,
    )
    stalled = page.locator("#upload-progress").evaluate("bar => bar.value")
    assert stalled < 100
    testimonial = Testimonial.objects.get()
    assert testimonial.status == Status.CREATED
    screenshot(page, "fault-s3-down-upload")
    s3_proxy.up()

    page.wait_for_url("**/ambassadeurs/suivi/*/?envoye=1", timeout=90000)
    page.wait_for_selector("h1")
    assert not errors
    # The outage cut part uploads; each part was then stored once.
    assert puts["cut"] >= 1, puts
    assert puts["stored"] == -(-big_video.stat().st_size // uploads.S3_MIN_PART_SIZE), puts
    testimonial.refresh_from_db()
    assert testimonial.status == Status.UPLOADED
    assert testimonial.original_size == big_video.stat().st_size
    client = private_storage().connection.meta.client
    body = client.get_object(Bucket=private_storage().bucket_name, Key=testimonial.original_key)
    assert hashlib.sha256(body["Body"].read()).hexdigest() == expected
    assert_no_damage({testimonial.pk: Status.UPLOADED})
    assert audit_trail(testimonial.pk) == [(Status.CREATED, Status.UPLOADED)]
    assert keys.testimonial_key(testimonial.pk, keys.ORIGINAL) == testimonial.original_key
    context.close()
