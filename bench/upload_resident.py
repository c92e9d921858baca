#!/usr/bin/env python3
"""A resident uploading through the site as a browser does (static/js/uploader.js): the journey's
pages, then the part protocol, with the uploader's retries and parallel part senders.

Run as a script, it is the resident's bitrate bench (issue 15): in Chromium on a phone viewport,
the page's own recorder films `--seconds` (90) from Chromium's fake camera (a generated
natural-looking 720x1280 scene, below), then, on an uplink throttled to 1 Mb/s (CDP
Network.emulateNetworkConditions), the time from "Envoyer cette vidéo" to the thank-you page is
measured: before (the recorder at the browser's default bitrate: the page's MediaRecorder made
to ignore the bitrates it is given) and after (the chosen bitrates, ambassadors/conf.py). Each
is printed with its baseline from the same run: the time the throttled uplink needs for the same
bytes (size / rate), so what the page adds is the ratio. The site runs under gunicorn (DEBUG off,
PostgreSQL, Redis, S3 = moto on loopback with the bucket's CORS rule, as deployed).

`--quality` also measures the SSIM (ffmpeg's ssim filter) between a generated source and the
published web rendition (ambassadors.services.pipeline.video_process_local, the real builder)
made from the source encoded as the browser's recorder does (libvpx VP9 and VP8, realtime,
constant bitrate, Opus) at the default and at the chosen bitrate.

Usage: .venv/bin/python bench/upload_resident.py [--seconds 90] [--uplink-kbps 1000]
       [--quality] [--quality-seconds 20]
Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL (as bench/redirect.py).
"""

import json
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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


# --- The bitrate bench (run as a script) ----------------------------------------------------------

# Chromium's MediaRecorder default for 720p, all tracks (issue 15: ~28 MB for 90 s).
DEFAULT_BITS_PER_SECOND = 2_500_000
ENVOYER = "Envoyer cette vidéo"
PHONE = {"width": 360, "height": 740}


def camera_source(work: Path, seconds: float = 5) -> Path:
    """The fake camera's film (Chromium loops it): the natural-looking source, as Y4M."""
    import subprocess

    path = work / "camera.y4m"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", NATURAL_SOURCE.format(seconds=seconds), "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
    )  # fmt: skip
    return path


# "Before": the page's recorder as it was, at the browser's default bitrate.
WITHOUT_BITRATES = """(() => {
  const Recorder = window.MediaRecorder;
  window.MediaRecorder = class extends Recorder {
    constructor(stream, options = {}) {
      const { videoBitsPerSecond, audioBitsPerSecond, ...rest } = options;
      super(stream, rest);
    }
  };
  window.MediaRecorder.isTypeSupported = (type) => Recorder.isTypeSupported(type);
})();"""


def send_time(browser, base: str, *, seconds: float, default: bool, uplink_bytes: int):
    """Record `seconds` in the page, then (testimonial id, seconds from the click on "Envoyer
    cette vidéo" to the thank-you page) on the throttled uplink."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR", device_scale_factor=1
    )
    context.grant_permissions(["camera", "microphone"])
    if default:
        context.add_init_script(WITHOUT_BITRATES)
    page = context.new_page()
    try:
        page.goto(f"{base}/ambassadeurs/vous/")
        page.get_by_label("Prénom (affiché avec la vidéo)").fill("Banc")
        page.get_by_label("Adresse e-mail").fill(f"banc-{secrets.token_hex(4)}@example.org")
        page.get_by_label("Commune où vous vivez").fill("Marseille")
        page.get_by_label("Votre secteur").select_option("aeronautique")
        page.get_by_label("18 ans ou plus").check()
        page.get_by_label("J'ai lu l'autorisation de diffusion ci-dessus et je l'accepte.").check()
        page.get_by_role("button", name="Continuer vers la vidéo").click()
        page.wait_for_url("**/ambassadeurs/video/")
        page.get_by_role("button", name="Activer la caméra").click()
        page.wait_for_function("() => document.getElementById('preview').readyState >= 2")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_selector("#timer:not([hidden])", timeout=10_000)
        page.wait_for_timeout(seconds * 1000)
        stop = page.locator("#record-stop")
        if stop.is_visible():  # else the recorder stopped at the limit by itself
            stop.click()
        page.wait_for_selector("#review:not([hidden])", timeout=30_000)
        testimonial = page.evaluate(
            "JSON.parse(document.getElementById('journey-config').textContent).testimonial"
        )
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 40, "downloadThroughput": -1,
             "uploadThroughput": uplink_bytes},
        )  # fmt: skip
        started = time.monotonic()
        page.get_by_role("button", name=ENVOYER).click()
        page.wait_for_url("**/ambassadeurs/suivi/**", timeout=3_600_000)
        return testimonial, time.monotonic() - started
    finally:
        context.close()


def ssim(reference: Path, other: Path, seconds: float) -> float:
    """Mean SSIM (all planes) of `other` against `reference`, frames paired at 30 fps."""
    import subprocess

    graph = (
        f"[0:v]trim=duration={seconds},setpts=PTS-STARTPTS,fps=30[a];"
        f"[1:v]trim=duration={seconds},setpts=PTS-STARTPTS,fps=30[b];[a][b]ssim"
    )
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(reference), "-i", str(other),
         "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"All:([0-9.]+)", run.stderr)[1])


# A phone held upright, the resident in front of foliage: a textured, slightly blurred
# background, a head and shoulders that move, the hand's shake, the sensor's noise.
NATURAL_SOURCE = (
    "nullsrc=s=45x80:r=30,geq=lum='70+110*random(1)':cb='112+18*random(2)':"
    "cr='124+22*random(3)',loop=loop=-1:size=1,scale=800x1400:flags=bicubic,format=yuv420p[c];"
    "nullsrc=s=400x700:r=30,geq=lum='random(1)*255':cb=128:cr=128,loop=loop=-1:size=1,"
    "scale=800x1400:flags=bicubic,format=yuv420p[f];"
    "[c][f]blend=all_mode=overlay:all_opacity=0.25,"
    "crop=720:1280:x='40+18*sin(t*1.7)+6*sin(t*5.3)':y='60+14*sin(t*1.3)+5*sin(t*4.1)'[scene];"
    "color=c=0x203050:s=360x420:r=30,format=yuva420p,geq=lum='p(X,Y)-20*Y/H':cb='p(X,Y)':"
    "cr='p(X,Y)':a='if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H)/(H*0.9),2),1),255,0)'[body];"
    "color=c=0xd0a080:s=230x300:r=30,format=yuva420p,geq=lum='p(X,Y)+25*cos(PI*(X-W/2)/W)-15':"
    "cb='p(X,Y)':cr='p(X,Y)':a='if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1),255,0)'"
    "[head];[scene][body]overlay=x='180+8*sin(2*PI*t/4)':y=860[seated];"
    "[seated][head]overlay=x='245+25*sin(2*PI*t/3)':y='560+8*sin(2*PI*t*1.3)',"
    "noise=alls=2:allf=t,format=yuv420p,trim=duration={seconds}"
)


def browser_recording(source: Path, out: Path, *, codec: str, video_bps: int, audio_bps: int,
                      seconds: float) -> Path:  # fmt: skip
    """The source as a browser's MediaRecorder writes it: live WebM, realtime libvpx at a
    constant bitrate, Opus."""
    import subprocess

    encoder = ["-c:v", "libvpx-vp9", "-row-mt", "1"] if codec == "vp9" else ["-c:v", "libvpx"]
    rate = f"{video_bps // 1000}k"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-t", str(seconds), "-i", str(source),
         "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}",
         *encoder, "-deadline", "realtime", "-cpu-used", "8",
         "-b:v", rate, "-minrate", rate, "-maxrate", rate,
         "-c:a", "libopus", "-b:a", f"{audio_bps // 1000}k", "-shortest",
         "-f", "webm", "-live", "1", str(out)],
        check=True,
    )  # fmt: skip
    return out


def quality(work: Path, seconds: float) -> None:
    """SSIM of the published rendition made from a recording at each bitrate."""
    import subprocess

    import django

    django.setup()
    from ambassadors import conf
    from ambassadors.services.pipeline import video_process_local

    source = work / "source.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", NATURAL_SOURCE.format(seconds=seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p",
         str(source)],
        check=True,
    )  # fmt: skip
    chosen = (conf.RECORDING_VIDEO_BITS_PER_SECOND, conf.RECORDING_AUDIO_BITS_PER_SECOND)
    print(
        f"quality: {seconds:g} s source, 720x1280 30 fps (generated: foliage, a person, hand "
        f"shake, sensor noise; x264 CRF 10), recorded as live WebM by libvpx realtime CBR + Opus"
    )
    for codec in ("vp9", "vp8"):
        figures = {}
        for label, (video_bps, audio_bps) in (
            ("default", (DEFAULT_BITS_PER_SECOND - 128_000, 128_000)),
            ("chosen", chosen),
        ):
            recording = browser_recording(
                source, work / f"{codec}-{label}.webm", codec=codec, video_bps=video_bps,
                audio_bps=audio_bps, seconds=seconds,
            )  # fmt: skip
            folder = work / f"{codec}-{label}"
            folder.mkdir()
            result = video_process_local(recording, folder)
            if not result.accepted:
                raise SystemExit(f"{recording.name} refused: {result.verdict.reason}")
            size = recording.stat().st_size
            figures[label] = ssim(source, result.outputs["web"], seconds)
            print(
                f"  {codec} {label:7} {video_bps / 1e6:.2f}+{audio_bps / 1e3:.0f}k b/s: "
                f"{size / 1e6:.2f} MB for {seconds:g} s = {size * 90 / seconds / 1e6:.1f} MB "
                f"for 90 s; SSIM source/recording {ssim(source, recording, seconds):.4f}, "
                f"source/published rendition {figures[label]:.4f}"
            )
        print(
            f"  {codec}: published rendition SSIM, chosen - default = "
            f"{figures['chosen'] - figures['default']:+.4f}"
        )


def main() -> int:
    import argparse
    import os
    import subprocess
    import sys
    import tempfile

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90, help="length of the recording")
    parser.add_argument("--uplink-kbps", type=int, default=1000, help="throttled uplink, kb/s")
    parser.add_argument("--quality", action="store_true", help="also measure the SSIM")
    parser.add_argument("--quality-seconds", type=float, default=20)
    options = parser.parse_args()

    from bench.redirect import ensure_database, free_port, wait_for
    from bench.upload_parallel import S3_VARIABLES, configure
    from tests.browser import launch_chromium
    from tests.processes import start_s3_server, stop

    work = Path(tempfile.mkdtemp(prefix="bench-upload-resident-"))
    port = free_port()
    env, endpoint = configure(argparse.Namespace(backend="s3"), work, port)
    # The page's origin: the bucket's CORS rule and the links are made for it.
    env.update(SITE_URL=f"http://localhost:{port}", TRUSTED_PROXY_COUNT="0")
    os.environ.update(env)
    for name in S3_VARIABLES:
        if name not in env:
            os.environ.pop(name, None)
    processes: list[subprocess.Popen] = []
    try:
        ensure_database(env)
        processes.append(start_s3_server(endpoint))
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-3")
        for bucket in (env["S3_PRIVATE_BUCKET"], env["S3_PUBLIC_BUCKET"]):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
            )
        subprocess.run(
            [sys.executable, "manage.py", "configure_upload_bucket"],
            cwd=root, env=env, check=True, capture_output=True,
        )  # fmt: skip
        # What the Dockerfile does: whitenoise serves the collected files (the page's scripts).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=root, env=env, check=True,
        )  # fmt: skip
        import django

        django.setup()
        from ambassadors import conf
        from ambassadors.models import Testimonial

        camera = camera_source(work)
        print(
            f"bench/upload_resident.py — a {options.seconds:g} s recording sent from Chromium "
            f"(phone viewport) on a {options.uplink_kbps} kb/s uplink, {os.cpu_count()} CPUs, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        print(
            f"recorded by the page's own recorder from Chromium's fake camera filming a "
            f"generated 720x1280 scene (looped 5 s); bitrates: the browser's default; chosen "
            f"{conf.RECORDING_VIDEO_BITS_PER_SECOND / 1e6:.2f} Mb/s video + "
            f"{conf.RECORDING_AUDIO_BITS_PER_SECOND / 1e3:.0f} kb/s audio"
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
            cwd=root, env=env,
        )  # fmt: skip
        processes.append(server)
        wait_for(port)
        base = f"http://localhost:{port}"
        uplink_bytes = options.uplink_kbps * 1000 // 8
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(
                playwright,
                [
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}",
                ],
            )
            sends = []
            try:
                for label, default in (
                    ("before (browser default)", True),
                    ("after (chosen bitrate)", False),
                ):
                    testimonial, seconds = send_time(
                        browser, base, seconds=options.seconds, default=default,
                        uplink_bytes=uplink_bytes,
                    )  # fmt: skip
                    sends.append((label, testimonial, seconds))
            finally:
                browser.close()
        for label, testimonial, seconds in sends:  # out of Playwright's event loop: the ORM
            size = Testimonial.objects.get(pk=testimonial).original_size
            floor = size / uplink_bytes
            print(
                f"{label}: {size / 1e6:.1f} MB recorded in {options.seconds:g} s "
                f"({size * 8 / options.seconds / 1e6:.2f} Mb/s), Envoyer -> thank-you page "
                f"{seconds:.1f} s; baseline (the uplink alone: size / "
                f"{options.uplink_kbps} kb/s) {floor:.1f} s = {seconds / floor:.2f}x"
            )
        if options.quality:
            quality(work, options.quality_seconds)
    finally:
        for process in reversed(processes):
            stop(process)
        import shutil

        shutil.rmtree(work, ignore_errors=True)  # the camera's film and the renditions: ~1 GB
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
