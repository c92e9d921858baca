#!/usr/bin/env python3
"""Residents uploading videos at once through the real part protocol, against plain boto3.

N residents (default 30), each its own HTTP client session as a browser behind the site's TLS
proxy (X-Forwarded-For / X-Forwarded-Proto, cookies, Origin and CSRF header as the page's
uploader sends them), go through the journey under gunicorn (bench/settings.py: DEBUG off, real
PostgreSQL + Redis): consent page -> consent POST -> record and send pages, then, all released
together, the upload of their own video, as static/js/uploader.js does it:
  envoi/debut/ -> envoi/parties/ (signed part URLs) -> 3 parts in parallel, each a CORS
  preflight + PUT to its presigned URL on the S3 endpoint (moto on loopback, started here) ->
  envoi/fin/ -> the status page; then envoi/etat/, which must say "done".
Videos are distinct ~20 MB H.264/AAC MP4 files made by ffmpeg in a temporary folder.

Baseline, in the same run, before and after: the same files uploaded by plain boto3
(upload_file, multipart with the same part size, 3 parts in parallel per file, one thread per
file) to the same S3 server. The RSS of the gunicorn master and workers is sampled every 50 ms
by a separate process: idle before, peak during, after (per process and summed).

Checks (exit 1 if one fails): every upload completed, every testimonial is `uploaded` with the
right original size, every object is in the bucket with that size, and one processing task per
testimonial was queued on the broker (BENCH_REDIS_URL, which no worker consumes here: the
bench measures uploads only; the messages are removed afterwards).

`--backend local` runs the embedded-default storage instead (FileSystemStorage in a temporary
folder): parts then go through the web process (`envoi/partie/<token>/`), which is where its
memory matters; its baseline is copying the same files into a folder on the same disk.

Usage: .venv/bin/python bench/upload_parallel.py [--residents 30] [--size-mb 20] [--workers 3]
       [--threads 1] [--backend s3|local]
Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL (as bench/redirect.py).
"""

import argparse
import base64
import json
import math
import multiprocessing
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.redirect import bench_environment, ensure_database, free_port, wait_for  # noqa: E402

MB = 1_000_000
MiB = 1024 * 1024
SAMPLE_SECONDS = 0.05
IDLE_SECONDS = 2.0
# What static/js/uploader.js does.
PART_CONCURRENCY = 3
SIGN_BATCH = 10
MAX_ATTEMPTS = 8
HTTP_TIMEOUT = 600
S3_VARIABLES = ("AWS_S3_ENDPOINT_URL", "S3_PRIVATE_BUCKET", "S3_PUBLIC_BUCKET", "CSP_MEDIA_ORIGIN")


# --- Videos -----------------------------------------------------------------------------------


def make_video(path: Path, *, size: int, seed: int) -> Path:
    """A distinct H.264/AAC MP4 of about `size` bytes: a moving pattern with seeded noise."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i",
         f"testsrc2=size=640x360:rate=30,noise=alls=8:allf=t+u:all_seed={seed}",
         "-f", "lavfi", "-i", f"sine=frequency={220 + seed % 500}:sample_rate=44100",
         "-t", "110", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart",
         # -fs stops the mux once the size is reached (then writes the index): ~1 % over.
         "-fs", str(int(size * 0.988)), str(path)],
        check=True,
    )  # fmt: skip
    return path


def video_duration(path: Path) -> float:
    """What the page's <video> element reports, the duration the uploader sends at start."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip())


# --- Memory of the web processes --------------------------------------------------------------


def _status_kb(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def web_pids(master: int) -> list[int]:
    """The gunicorn master and its workers (its children)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == master:
            children.append(int(entry))
    return [master, *sorted(children)]


def _sample(master: int, stop, output) -> None:
    samples = []
    while not stop.is_set():
        now = time.monotonic()
        rss = {pid: _status_kb(pid, "VmRSS") for pid in web_pids(master)}
        samples.append((now, {pid: kb for pid, kb in rss.items() if kb is not None}))
        time.sleep(SAMPLE_SECONDS)
    output.send(samples)
    output.close()


class RssSampler:
    """Samples the RSS of gunicorn's processes from a separate process (no GIL contention)."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.stop = multiprocessing.Event()
        self.receiver, sender = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(target=_sample, args=(master, self.stop, sender))
        self.samples: list[tuple[float, dict[int, int]]] = []

    def __enter__(self) -> "RssSampler":
        self.process.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.samples = self.receiver.recv()
        self.process.join()

    def window(self, start: float, end: float) -> list[dict[int, int]]:
        return [rss for when, rss in self.samples if start <= when <= end]


def rss_summary(samples: list[dict[int, int]], how) -> tuple[dict[int, float], float]:
    """Per process and summed RSS (MB) over samples: `how` is max or median."""
    if not samples:
        return {}, 0.0
    pids = sorted({pid for sample in samples for pid in sample})
    per_pid = {pid: how([s[pid] for s in samples if pid in s]) / 1024 for pid in pids}
    total = how([sum(sample.values()) for sample in samples]) / 1024
    return per_pid, total


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
        self.part_urls: dict[int, str] = {}
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
        # What a reloaded send page asks: the server must say the upload is done.
        state = self.api("state", {"upload": self.state["upload"]})
        if not state.get("done"):
            raise Refused(200, {"code": "state-not-done", "state": state})
        self.outcome.done = True


def run_residents(residents: list[Resident]) -> tuple[float, float]:
    """Journeys in parallel, then every upload released at once; (start, end) of the uploads."""
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
    start = time.monotonic()
    for thread in threads:
        thread.join()
    return start, max(ends, default=start)


# --- Baselines --------------------------------------------------------------------------------


def boto3_round(endpoint: str, bucket: str, files: list[Path], part_size: int) -> float:
    """Upload every file at once with plain boto3 (one thread per file); return the wall time."""
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ["AWS_S3_REGION_NAME"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=Config(max_pool_connections=len(files) * PART_CONCURRENCY + 10),
    )
    transfer = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=PART_CONCURRENCY,
        use_threads=True,
    )
    barrier = threading.Barrier(len(files) + 1)

    def upload(index: int, path: Path) -> None:
        barrier.wait()
        client.upload_file(str(path), bucket, f"bench-baseline/{index}", Config=transfer)

    with ThreadPoolExecutor(len(files)) as pool:
        futures = [pool.submit(upload, i, path) for i, path in enumerate(files)]
        barrier.wait()
        started = time.monotonic()
        for future in futures:
            future.result()
        seconds = time.monotonic() - started
    for index, path in enumerate(files):
        size = client.head_object(Bucket=bucket, Key=f"bench-baseline/{index}")["ContentLength"]
        assert size == path.stat().st_size, (index, size)
        client.delete_object(Bucket=bucket, Key=f"bench-baseline/{index}")
    return seconds


def copy_round(folder: Path, files: list[Path]) -> float:
    """Copy every file at once into a folder on the same disk; return the wall time."""
    folder.mkdir(parents=True, exist_ok=True)
    barrier = threading.Barrier(len(files) + 1)

    def copy(index: int, path: Path) -> None:
        barrier.wait()
        target = folder / str(index)
        shutil.copyfile(path, target)
        with open(target, "rb+") as out:
            os.fsync(out.fileno())

    with ThreadPoolExecutor(len(files)) as pool:
        futures = [pool.submit(copy, i, path) for i, path in enumerate(files)]
        barrier.wait()
        started = time.monotonic()
        for future in futures:
            future.result()
        seconds = time.monotonic() - started
    shutil.rmtree(folder)
    return seconds


# --- Checks -----------------------------------------------------------------------------------


def queued_process_tasks(broker_url: str, ids: set[str], *, remove: bool) -> int:
    """Count (and remove) the processing tasks queued on the Redis broker for these ids."""
    import redis

    connection = redis.Redis.from_url(broker_url)
    found = 0
    for raw in connection.lrange("media", 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        if message["headers"]["task"] == "ambassadors.process_testimonial" and args[0] in ids:
            found += 1
            if remove:
                connection.lrem("media", 1, raw)
    for raw in connection.lrange("default", 0, -1):  # the confirmation emails
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        if remove and args and args[0] in ids:
            connection.lrem("default", 1, raw)
    return found


def check_stored(residents: list[Resident]) -> list[str]:
    """What is wrong with the testimonials and stored originals, if anything."""
    from ambassadors.models import Status, Testimonial
    from onprovence.storage import private_storage

    problems = []
    storage = private_storage()
    by_id = {
        str(t.pk): t
        for t in Testimonial.objects.filter(pk__in=[r.outcome.testimonial for r in residents])
    }
    for resident in residents:
        testimonial = by_id.get(resident.outcome.testimonial)
        if testimonial is None:
            problems.append(f"resident {resident.number}: no testimonial")
            continue
        if testimonial.status != Status.UPLOADED or testimonial.original_size != resident.size:
            problems.append(
                f"resident {resident.number}: status {testimonial.status}, "
                f"size {testimonial.original_size} (sent {resident.size})"
            )
            continue
        stored = storage.size(testimonial.original_key)
        if stored != resident.size:
            problems.append(f"resident {resident.number}: stored {stored} bytes")
    return problems


# --- Main -------------------------------------------------------------------------------------


def configure(options, work: Path, port: int) -> tuple[dict[str, str], str | None]:
    env = bench_environment()
    env.update(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{port}",
        TRUSTED_PROXY_COUNT="1",
        ONPROVENCE_VAR_DIR=str(work / "var"),
        LOG_LEVEL="WARNING",
    )
    endpoint = None
    for name in S3_VARIABLES:
        env.pop(name, None)
    if options.backend == "s3":
        endpoint = f"http://127.0.0.1:{free_port()}"
        env.update(
            AWS_S3_ENDPOINT_URL=endpoint,
            S3_PRIVATE_BUCKET="bench-uploads-private",
            S3_PUBLIC_BUCKET="bench-uploads-public",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench-secret",
            AWS_S3_REGION_NAME="eu-west-3",
            CSP_MEDIA_ORIGIN=endpoint,
        )
    return env, endpoint


def print_rss(label: str, sampler: RssSampler, windows: dict[str, tuple[float, float]]) -> None:
    idle = sampler.window(*windows["idle before"])
    during = sampler.window(*windows["during"])
    after = sampler.window(*windows["idle after"])
    pids = sorted({pid for sample in idle + during + after for pid in sample})
    idle_pid, idle_total = rss_summary(idle, statistics.median)
    peak_pid, peak_total = rss_summary(during, max)
    after_pid, after_total = rss_summary(after, statistics.median)
    every = (windows["during"][1] - windows["during"][0]) / max(1, len(during) - 1)
    print(
        f"{label} RSS (MB; {len(during)} samples during the uploads, one every "
        f"{every * 1000:.0f} ms; idle = median over {IDLE_SECONDS:.0f} s):"
    )
    print(f"  {'process':<16}{'idle before':>12}{'peak during':>13}{'idle after':>12}{'VmHWM':>9}")
    for index, pid in enumerate(pids):
        name = "master" if pid == sampler.master else f"worker {index}"
        hwm = (_status_kb(pid, "VmHWM") or 0) / 1024
        print(
            f"  {name + f' ({pid})':<16}{idle_pid.get(pid, 0):>12.1f}{peak_pid.get(pid, 0):>13.1f}"
            f"{after_pid.get(pid, 0):>12.1f}{hwm:>9.1f}"
        )
    print(f"  {'sum':<16}{idle_total:>12.1f}{peak_total:>13.1f}{after_total:>12.1f}")
    growth = max((peak_pid.get(pid, 0) - idle_pid.get(pid, 0) for pid in pids), default=0)
    print(
        f"  peak - idle: sum {peak_total - idle_total:+.1f} MB, largest per process "
        f"{growth:+.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=30)
    parser.add_argument("--size-mb", type=float, default=20, help="size of each video, MB (10^6)")
    # What the Dockerfile and docker-compose.yml run: 3 sync workers.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (> 1: gunicorn's gthread)"
    )
    parser.add_argument("--backend", choices=("s3", "local"), default="s3")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-upload-parallel-"))
    port = free_port()
    env, endpoint = configure(options, work, port)
    os.environ.update(env)
    for name in S3_VARIABLES:
        if name not in env:
            os.environ.pop(name, None)
    processes: list[subprocess.Popen] = []
    from tests.processes import start_s3_server, stop

    try:
        ensure_database(env)  # creates and migrates
        if endpoint:
            processes.append(start_s3_server(endpoint))
            import boto3

            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-3")
            for bucket in (env["S3_PRIVATE_BUCKET"], env["S3_PUBLIC_BUCKET"]):
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
                )
            # As docker-compose.yml does at deployment: CORS for the browsers' PUTs.
            subprocess.run(
                [sys.executable, "manage.py", "configure_upload_bucket"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )

        import django

        django.setup()
        from ambassadors import conf

        size = int(options.size_mb * MB)
        videos = work / "videos"
        videos.mkdir()
        made = time.monotonic()
        run_id = secrets.token_hex(4)
        seeds = [int(run_id, 16) % 100000 + i for i in range(options.residents)]
        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            files = list(
                pool.map(
                    lambda i: make_video(videos / f"resident-{i}.mp4", size=size, seed=seeds[i]),
                    range(options.residents),
                )
            )
            warm_files = list(
                pool.map(
                    lambda i: make_video(videos / f"warm-{i}.mp4", size=5 * MB, seed=i),
                    range(2 * options.workers),
                )
            )
        durations = [video_duration(path) for path in files]
        sizes = [path.stat().st_size for path in files]
        total = sum(sizes)
        print(
            f"bench/upload_parallel.py — {options.residents} residents, backend {options.backend}, "
            f"gunicorn {options.workers} "
            f"{'sync workers' if options.threads == 1 else f'gthread workers × {options.threads}'}"
            f", {os.cpu_count()} CPUs, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        print(
            f"videos: {len(files)} distinct H.264/AAC MP4 made by ffmpeg in "
            f"{time.monotonic() - made:.0f} s, {min(sizes) / MB:.2f}–{max(sizes) / MB:.2f} MB "
            f"(total {total / MB:.1f} MB), {min(durations):.1f}–{max(durations):.1f} s"
        )

        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers),
             "--threads", str(options.threads), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        processes.append(server)
        wait_for(port)
        base = f"http://127.0.0.1:{port}"
        with RssSampler(server.pid) as sampler:
            time.sleep(IDLE_SECONDS)
            boot = (time.monotonic() - IDLE_SECONDS, time.monotonic())
            # Warm-up: every worker imports the views and opens its clients before the
            # baseline idle figure is taken (small videos, a journey each, in parallel).
            warm = [
                Resident(base, 1000 + i, path, video_duration(path), run_id, local=not endpoint)
                for i, path in enumerate(warm_files)
            ]
            run_residents(warm)
            for outcome in (r.outcome for r in warm if r.outcome.error):
                print(f"warm-up resident {outcome.number}: {outcome.error}", file=sys.stderr)
            time.sleep(IDLE_SECONDS)
            idle = (time.monotonic() - IDLE_SECONDS, time.monotonic())

            part_size = max(
                conf.upload_part_size(), 5 * MiB, math.ceil(size / conf.upload_max_parts())
            )
            baseline_name = "boto3" if endpoint else "file copies"

            def baseline() -> float:
                if endpoint:
                    return boto3_round(endpoint, env["S3_PRIVATE_BUCKET"], files, part_size)
                return copy_round(work / "copies", files)

            baselines = [baseline()]
            residents = [
                Resident(base, i, path, duration, run_id, local=not endpoint)
                for i, (path, duration) in enumerate(zip(files, durations, strict=True))
            ]
            time.sleep(1)
            start, end = run_residents(residents)
            time.sleep(IDLE_SECONDS)
            after = (time.monotonic() - IDLE_SECONDS, time.monotonic())
            baselines.append(baseline())
            print_windows = {"idle before": idle, "during": (start, end), "idle after": after}
        boot_total = rss_summary(sampler.window(*boot), statistics.median)[1]
        print(f"web RSS at boot, before any request: {boot_total:.1f} MB summed")
        print_rss("web", sampler, print_windows)

        outcomes = [r.outcome for r in residents]
        warm_outcomes = [r.outcome for r in warm]
        done = [o for o in outcomes if o.done]
        wall = max(end - start, 1e-9)
        baseline_wall = statistics.mean(baselines)
        times = sorted(o.upload_done - o.upload_started for o in done) or [0.0]
        print(
            f"protocol uploads: {len(done)}/{len(outcomes)} complete in {wall:.2f} s wall = "
            f"{total / MB / wall:.1f} MB/s aggregate; per resident (start -> fin) "
            f"min {times[0]:.2f} / median {statistics.median(times):.2f} / max {times[-1]:.2f} s"
        )
        print(
            f"  parts: {outcomes[0].part_count} of {outcomes[0].part_size / MiB:.0f} MiB per "
            f"video, {PART_CONCURRENCY} in parallel per resident; sign calls "
            f"{sum(o.sign_calls for o in outcomes)}; retries {sum(o.retries for o in outcomes)}; "
            f"journey before the upload (4 requests) median "
            f"{statistics.median(o.journey_seconds for o in outcomes):.2f} s"
        )
        steps = {}
        for outcome in outcomes:
            for step, seconds in outcome.steps.items():
                steps.setdefault(step, []).extend(seconds)
        print(
            "  request times, median / max s: "
            + "; ".join(
                f"{step} {statistics.median(v):.2f} / {max(v):.2f} (x{len(v)})"
                for step, v in steps.items()
            )
        )
        print(
            f"baseline, {baseline_name} of the same files at once: "
            + " / ".join(f"{s:.2f} s = {total / MB / s:.1f} MB/s" for s in baselines)
            + " (before / after the protocol run)"
        )
        print(
            f"protocol / baseline throughput: {baseline_wall / wall:.0%} "
            f"(mean baseline wall {baseline_wall:.2f} s)"
        )
        problems = [f"resident {o.number}: {o.error}" for o in outcomes + warm_outcomes if o.error]
        problems += [f"resident {o.number}: retried {o.events}" for o in outcomes if o.events]
        if not problems:
            problems += check_stored(residents)
        ids = {o.testimonial for o in outcomes} | {r.outcome.testimonial for r in warm}
        queued = queued_process_tasks(env["CELERY_BROKER_URL"], ids, remove=True)
        expected = len(residents) + len(warm)
        if queued != expected:
            problems.append(f"{queued} processing tasks queued, {expected} expected")
        print(
            f"checks: {len(done)} testimonials `uploaded` with the right size, originals stored "
            f"with the right size, {queued} processing tasks queued (none consumed)"
            if not problems
            else "FAILED:\n  " + "\n  ".join(problems)
        )
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0 if not problems else 1
    finally:
        for process in reversed(processes):
            stop(process, timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
