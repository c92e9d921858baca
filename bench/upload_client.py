"""A resident uploading through the site as a browser does (static/js/uploader.js): the journey's
pages, then the part protocol, with the uploader's retries and parallel part senders.

Used by bench/upload_parallel.py (30 residents at once).
"""

import json
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

# What static/js/uploader.js does.
PART_CONCURRENCY = 3
SIGN_BATCH = 10
MAX_ATTEMPTS = 8
HTTP_TIMEOUT = 600


# --- A resident, as the browser's uploader --------------------------------------------------------


def site_session():
    """A browser's session with the site. The site's cookies are Secure; this client stands
    for a browser on HTTPS behind the TLS-terminating proxy, so it sends them over the loopback
    HTTP hop (requests would not send a Secure cookie to an http:// URL)."""
    import requests

    class Session(requests.Session):
        def request(self, *args, **kwargs):
            for cookie in self.cookies:
                cookie.secure = False
            return super().request(*args, **kwargs)

    return Session()


class Refused(Exception):
    def __init__(self, status: int, data: dict) -> None:
        super().__init__(f"{status}: {data}")
        self.status, self.data, self.code = status, data, data.get("code", "")


@dataclass
class Outcome:
    number: int
    testimonial: str = ""
    upload: str = ""
    part_size: int = 0
    part_count: int = 0
    journey_seconds: float = 0.0
    upload_started: float = 0.0
    upload_done: float = 0.0
    retries: int = 0
    sign_calls: int = 0
    done: bool = False
    error: str = ""
    events: list[str] = field(default_factory=list)
    # Seconds of each request by step: start, sign, preflight, put, complete.
    steps: dict[str, list[float]] = field(default_factory=dict)


def _find(pattern: str, response) -> str:
    found = re.search(pattern, response.text, re.S)
    if not found:
        details = {"code": "page", "url": response.url, "missing": pattern}
        raise Refused(response.status_code, details)
    return found.group(1)


class Resident:
    def __init__(
        self, base: str, number: int, video: Path, duration: float, run_id: str, *, local: bool
    ) -> None:
        self.base, self.number, self.video, self.duration = base, number, video, duration
        self.local = local
        self.origin = "https://" + base.split("://", 1)[1]
        self.size = video.stat().st_size
        # Each resident is its own client IP as the proxy reports it (rate limits are per IP).
        self.ip = f"10.{int(run_id[:2], 16)}.{number // 250}.{number % 250 + 1}"
        self.site = self._site_session()
        self.csrf = ""
        self.send_page = ""
        self.outcome = Outcome(number)
        self.lock = threading.Lock()
        self.started = threading.local()

    def _site_session(self):
        session = site_session()
        session.headers.update(
            {
                "User-Agent": f"bench-resident/{self.number}",
                "X-Forwarded-For": self.ip,
                "X-Forwarded-Proto": "https",
            }
        )
        return session

    def url(self, path: str) -> str:
        return self.base + path

    # The pages before the upload.
    def journey(self) -> None:
        started = time.monotonic()
        page = self.site.get(self.url("/ambassadeurs/vous/"), timeout=HTTP_TIMEOUT)
        page.raise_for_status()
        assert not page.cookies, "the consent page must set no cookie"
        token = _find(r'name="journey" value="([^"]+)"', page)
        answer = self.site.post(
            self.url("/ambassadeurs/vous/"),
            data={
                "first_name": f"Résidente {self.number}",
                "last_name": "Banc",
                "email": f"resident{self.number}@example.org",
                "commune": "Marseille",
                "sector": "aeronautique",
                "job_title": "Technicienne",
                "age_group": "adult",
                "release": "on",
                "journey": token,
            },
            headers={"Origin": self.origin, "Referer": self.origin + "/ambassadeurs/vous/"},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        if answer.status_code != 302:
            raise Refused(answer.status_code, {"code": "consent", "body": answer.text[:300]})
        self.site.get(self.url(answer.headers["Location"]), timeout=HTTP_TIMEOUT)
        self.send_page = self.url("/ambassadeurs/envoi/")
        send = self.site.get(self.send_page, timeout=HTTP_TIMEOUT)
        send.raise_for_status()
        self.csrf = _find(r'name="csrfmiddlewaretoken" value="([^"]+)"', send)
        config = json.loads(_find(r'id="journey-config"[^>]*>(.*?)</script>', send))
        self.urls = config["urls"]
        self.outcome.testimonial = config["testimonial"]
        self.outcome.journey_seconds = time.monotonic() - started

    # uploader.js: api() and apiRetrying().
    def api(self, name: str, body: dict) -> dict:
        for attempt in range(MAX_ATTEMPTS + 1):
            sent = time.monotonic()
            try:
                response = self.site.post(
                    self.url(self.urls[name]),
                    data=json.dumps(body),
                    headers={
                        "Content-Type": "application/json",
                        "X-CSRFToken": self.csrf,
                        "Origin": self.origin,
                        "Referer": self.send_page.replace(self.base, self.origin),
                    },
                    timeout=HTTP_TIMEOUT,
                )
                status = response.status_code
                try:
                    data = response.json()
                except ValueError:
                    data = {}
            except OSError as error:
                status, data = 0, {"code": "network", "error": str(error)}
            self.timed(name, sent)
            if 200 <= status < 300:
                return data
            if not (status == 0 or status >= 500) or attempt >= MAX_ATTEMPTS:
                raise Refused(status, data)
            self._pause(attempt, f"{name} {status}")
        raise AssertionError("unreachable")

    def timed(self, step: str, since: float) -> None:
        with self.lock:
            self.outcome.steps.setdefault(step, []).append(time.monotonic() - since)

    def _pause(self, attempt: int, why: str) -> None:
        with self.lock:
            self.outcome.retries += 1
            self.outcome.events.append(why)
        time.sleep(min(30, 2**attempt) * (0.75 + secrets.randbelow(1000) / 2000))

    def part_bytes(self, part: int) -> int:
        if part < self.state["partCount"]:
            return self.state["partSize"]
        return self.size - self.state["partSize"] * (self.state["partCount"] - 1)

    def sign_missing(self, part: int) -> None:
        """uploader.js's signMissing: senders needing a URL while a batch is being signed
        wait for that request instead of asking for the same parts again."""
        while True:
            with self.lock:
                if part in self.part_urls:
                    return
                pending = self.signing
                if pending is None:
                    wanted = [
                        n
                        for n in range(part, self.state["partCount"] + 1)
                        if n not in self.sent and n not in self.part_urls
                    ][:SIGN_BATCH]
                    self.signing = threading.Event()
                    self.outcome.sign_calls += 1
                    break
            self.awaiting()
            pending.wait()
        self.awaiting()
        try:
            data = self.api("sign", {"upload": self.state["upload"], "parts": wanted})
            with self.lock:
                self.part_urls.update({int(n): url for n, url in data["urls"].items()})
        finally:
            with self.lock:
                self.signing.set()
                self.signing = None

    def put(self, http, url: str, blob: bytes) -> int:
        """A cross-origin XHR PUT of a Blob: CORS preflight, then the PUT (no Content-Type)."""
        if url.startswith("/"):  # local backend: this site, same origin, no preflight
            sent = time.monotonic()
            status = http.put(
                self.url(url), data=blob, headers={"Origin": self.origin}, timeout=HTTP_TIMEOUT
            ).status_code
            self.timed("put", sent)
            return status
        sent = time.monotonic()
        preflight = http.options(
            url,
            headers={"Origin": self.origin, "Access-Control-Request-Method": "PUT"},
            timeout=HTTP_TIMEOUT,
        )
        self.timed("preflight", sent)
        allowed = preflight.headers.get("Access-Control-Allow-Methods", "")
        if (
            preflight.status_code != 200
            or preflight.headers.get("Access-Control-Allow-Origin") != self.origin
            or "PUT" not in allowed
        ):
            return 0  # the browser reports a network error
        sent = time.monotonic()
        response = http.put(url, data=blob, headers={"Origin": self.origin}, timeout=HTTP_TIMEOUT)
        self.timed("put", sent)
        if response.headers.get("Access-Control-Allow-Origin") != self.origin:
            return 0
        return response.status_code

    def send_part(self, http, part: int) -> None:
        start = (part - 1) * self.state["partSize"]
        with open(self.video, "rb") as video:
            video.seek(start)
            blob = video.read(self.part_bytes(part))
        for attempt in range(MAX_ATTEMPTS + 1):
            with self.lock:
                signed = part in self.part_urls
            if not signed:
                self.sign_missing(part)
            try:
                self.awaiting()
                status = self.put(http, self.part_urls[part], blob)
            except OSError:
                status = 0
            if 200 <= status < 300:
                with self.lock:
                    self.sent.add(part)
                return
            if status == 403:
                with self.lock:
                    self.part_urls.pop(part, None)
            if attempt >= MAX_ATTEMPTS:
                raise Refused(status, {"code": "part", "part": part})
            self._pause(attempt, f"part {part} {status}")

    def send_all(self) -> None:
        import requests

        queue = [n for n in range(1, self.state["partCount"] + 1) if n not in self.sent]

        def worker(started: threading.Event) -> None:
            # JavaScript runs each sender until its first await before starting the next one:
            # the first sender asks for the URLs, the others wait for its answer.
            self.started.event = started
            try:
                http = requests.Session()  # a browser keeps its connections open
                if self.local:  # parts go to this site: its cookies, through its proxy
                    http = site_session()
                    http.cookies.update(self.site.cookies)
                    http.headers.update(self.site.headers)
                while True:
                    with self.lock:
                        if not queue:
                            return
                        part = queue.pop(0)
                    self.send_part(http, part)
            finally:
                self.awaiting()

        count = min(PART_CONCURRENCY, len(queue))
        with ThreadPoolExecutor(count) as pool:
            futures = []
            for _ in range(count):
                started = threading.Event()
                futures.append(pool.submit(worker, started))
                started.wait()
            for future in futures:
                future.result()

    def awaiting(self) -> None:
        """This sender reached its first await: the next one may start."""
        event = getattr(self.started, "event", None)
        if event is not None:
            event.set()
            self.started.event = None

    def upload(self) -> None:
        self.outcome.upload_started = time.monotonic()
        started = self.api(
            "start", {"size": self.size, "type": "video/mp4", "duration": self.duration}
        )
        self.state = {
            "upload": started["upload"],
            "partSize": started["partSize"],
            "partCount": started["partCount"],
        }
        self.outcome.upload = started["upload"]
        self.outcome.part_size, self.outcome.part_count = started["partSize"], started["partCount"]
        self.sent: set[int] = set()
        # The start signs the first parts (uploader.js keeps them).
        self.part_urls: dict[int, str] = {int(n): url for n, url in started.get("urls", {}).items()}
        self.signing: threading.Event | None = None
        for _round in range(3):
            self.send_all()
            try:
                result = self.api("complete", {"upload": self.state["upload"]})
                break
            except Refused as error:
                if error.code not in ("missing", "size") or not error.data.get("parts"):
                    raise
                self.sent.difference_update(error.data["parts"])
        else:
            raise Refused(409, {"code": "rounds"})
        self.outcome.upload_done = time.monotonic()
        status = self.site.get(self.url(result["redirect"]), timeout=HTTP_TIMEOUT)
        status.raise_for_status()

    def check_state(self) -> None:
        """What a reloaded send page asks: the server must say the upload is done. A check,
        made once every upload has ended: the uploader itself goes to the status page."""
        if self.outcome.error:
            return
        try:
            state = self.api("state", {"upload": self.state["upload"]})
            if not state.get("done"):
                raise Refused(200, {"code": "state-not-done", "state": state})
        except Refused as error:
            self.outcome.error = f"state: {error!r}"
            return
        self.outcome.done = True


def run_residents(
    residents: list[Resident], *, window: AbstractContextManager | None = None
) -> tuple[float, float]:
    """Journeys in parallel, then every upload released at once, then each resident's
    `check_state`; (start, end) of the uploads.

    `window` (a CPU meter) is entered when the uploads are released and left when they end."""
    barrier = threading.Barrier(len(residents) + 1)
    ends: list[float] = []

    def run(resident: Resident) -> None:
        try:
            resident.journey()
        except Exception as error:  # reported: the run fails
            resident.outcome.error = f"journey: {error!r}"
        barrier.wait()
        if resident.outcome.error:
            return
        try:
            resident.upload()
        except Exception as error:
            resident.outcome.error = f"upload: {error!r}"
        ends.append(time.monotonic())

    threads = [threading.Thread(target=run, args=(r,)) for r in residents]
    for thread in threads:
        thread.start()
    barrier.wait()
    with window or nullcontext():
        start = time.monotonic()
        for thread in threads:
            thread.join()
    for resident in residents:
        resident.check_state()
    return start, max(ends, default=start)
