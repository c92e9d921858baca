"""How long an upload call takes to give up when S3 is down: boto's defaults against the web client.

The part protocol's start and completion (`ambassadors.uploads.upload_start`/`upload_complete`)
run inside a web request, and the view answers 503 as soon as they raise StorageUnavailable:
the time measured here is the time a sync gunicorn worker is held, and the resident's phone
waits, before that 503 (the view only turns the exception into it). Three outages, on loopback:

- refused: a closed port (S3 process down): the connection is refused at once;
- no answer to connect: a port whose accept queue is full, so the kernel drops the SYNs, as
  for a host that is down or a firewall that drops packets;
- blackhole: a port that accepts connections and never answers (hung store or balancer).

Baseline in the same run: the same calls with `S3_WEB_CLIENT = {}`, i.e. the storage's own
client with boto's defaults (60 s timeouts, legacy retries: 5 attempts) — what the web used
before, and what Celery workers still use. A call still waiting after `--cap` seconds (default
35: past gunicorn's default 30 s worker timeout, after which the arbiter kills a sync worker
mid-request) is shown as "> cap". Each (outage, client) pair runs its calls one after the
other in one thread, as a sync worker would, with its client made beforehand.

    .venv/bin/python bench/upload_outage.py [--repeat 5] [--cap 35] [--baseline-cap 35]

No database, Redis or S3 server is needed: only the dead ports.
"""

import argparse
import contextlib
import os
import queue
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
work = Path(tempfile.mkdtemp(prefix="bench-outage-"))
os.environ["ONPROVENCE_VAR_DIR"] = str(work / "var")
for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AWS_S3_ENDPOINT_URL"):
    os.environ.pop(name, None)
os.environ.update(
    DJANGO_SETTINGS_MODULE="onprovence.settings",
    S3_PRIVATE_BUCKET="bench-outage",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",  # replaced per outage below
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import override_settings  # noqa: E402

from ambassadors import uploads  # noqa: E402


class Refused:
    """A loopback port nothing listens on."""

    name = "refused"

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def close(self) -> None:
        pass


class ConnectUnanswered:
    """A listener whose accept queue is full: the kernel drops every new SYN."""

    name = "no answer to connect"

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(2):  # fills the queue (backlog 0 holds one); the second times out
            filler = socket.socket()
            filler.settimeout(0.5)
            with contextlib.suppress(OSError):
                filler.connect(("127.0.0.1", self.port))
            self.fillers.append(filler)

    def close(self) -> None:
        for sock in [self.listener, *self.fillers]:
            sock.close()


class Blackhole:
    """A listener that never accepts: connections complete in the kernel, nothing answers."""

    name = "blackhole"

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.port = self.listener.getsockname()[1]

    def close(self) -> None:
        self.listener.close()  # queued connections get a reset: stuck calls end


def storages_at(port: int) -> dict:
    storages = {name: dict(value) for name, value in settings.STORAGES.items()}
    for name in ("default", "public"):
        storages[name]["OPTIONS"] = {
            **storages[name]["OPTIONS"],
            "endpoint_url": f"http://127.0.0.1:{port}",
        }
    return storages


SIZE = 12 * 1024 * 1024


def call_start() -> None:
    uploads.upload_start(testimonial_id=uuid.uuid4(), size=SIZE, content_type="video/mp4")


def call_complete() -> None:
    testimonial_id = str(uuid.uuid4())
    session = uploads.UploadSession(
        testimonial_id=testimonial_id,
        upload_id="bench-upload",
        key=f"testimonials/{testimonial_id}/original",
        size=SIZE,
        part_size=8 * 1024 * 1024,
        content_type="video/mp4",
    )
    uploads.upload_complete(session=session)


CALLS = {"start": call_start, "complete": call_complete}


class Caller:
    """One thread that runs calls one after the other, like a sync worker; the caller waits
    at most `cap` seconds for each."""

    def __init__(self) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            function = self.requests.get()
            started = time.perf_counter()
            try:
                function()
                outcome = "answered"  # cannot happen: nothing listens
            except uploads.StorageUnavailable:
                outcome = "unavailable"
            except Exception as error:  # reported as a failed check
                outcome = f"{type(error).__name__}: {error}"
            self.results.put((time.perf_counter() - started, outcome))

    def run(self, function, cap: float) -> tuple[float | None, str]:
        self.requests.put(function)
        try:
            return self.results.get(timeout=cap)
        except queue.Empty:
            return None, "still waiting"


def measure(outage, web: bool, repeat: int, cap: float) -> dict[str, list]:
    """{call: [seconds or None (over the cap), ...]}, and the unexpected outcomes."""
    figures: dict[str, list] = {name: [] for name in CALLS}
    wrong: list[str] = []
    options = settings.S3_WEB_CLIENT if web else {}
    with override_settings(STORAGES=storages_at(outage.port), S3_WEB_CLIENT=options):
        caller = Caller()
        # The worker thread makes its clients first (a running worker already has them).
        caller.run(uploads.upload_backend, cap)
        cache.set(uploads.BUCKET_CONFIGURED_CACHE_KEY, 1, 3600)  # the usual, configured case
        for name, function in CALLS.items():
            for _ in range(repeat):
                seconds, outcome = caller.run(function, cap)
                figures[name].append(seconds)
                if seconds is None:
                    caller = Caller()  # that thread is stuck: the next calls get another
                    break  # the others would wait as long
                if outcome != "unavailable":
                    wrong.append(f"{outage.name} {name}: {outcome}")
    return figures, wrong


def describe(values: list, cap: float) -> str:
    done = [value for value in values if value is not None]
    if len(done) < len(values):
        return f"> {cap:.0f} s (still waiting)"
    if len(done) == 1:
        return f"{done[0]:.2f} s"
    return f"median {statistics.median(done):.2f} s, max {max(done):.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="calls of each kind per outage")
    parser.add_argument("--cap", type=float, default=35.0, help="seconds to wait for one call")
    parser.add_argument(
        "--baseline-cap", type=float, default=None, help="the same for the baseline (--cap)"
    )
    options = parser.parse_args()
    baseline_cap = options.baseline_cap or options.cap

    web = settings.S3_WEB_CLIENT
    print(
        "bench/upload_outage.py — time for an upload call to give up (503) with S3 down, "
        f"{options.repeat} calls each"
    )
    print(
        f"web client (after): connect {web['connect_timeout']} s, read {web['read_timeout']} s "
        f"(complete: {web['complete_read_timeout']} s), {web['max_attempts']} attempts, "
        "standard retries"
    )
    print("baseline (before): the storage's own client, boto's defaults (what workers use)")
    print(f"{'outage':<22}{'call':<10}{'baseline (boto defaults)':<34}web client")
    wrong: list[str] = []
    fastest_refused = []
    for kind in (Refused, ConnectUnanswered, Blackhole):
        outage = kind()
        try:
            before, wrong_before = measure(outage, False, options.repeat, baseline_cap)
            after, wrong_after = measure(outage, True, options.repeat, options.cap)
        finally:
            outage.close()
        wrong += wrong_before + wrong_after
        for name in CALLS:
            print(
                f"{outage.name:<22}{name:<10}{describe(before[name], baseline_cap):<34}"
                f"{describe(after[name], options.cap)}"
            )
            if kind is Refused:
                fastest_refused += after[name]
        if any(None in values for values in after.values()):
            wrong.append(f"{outage.name}: the web client still waiting after {options.cap} s")
    refused_max = max((value for value in fastest_refused if value is not None), default=0)
    print(f"web client, refused: every call gave up within {refused_max:.2f} s (target < 2 s)")
    if wrong:
        print("checks: FAILED\n  " + "\n  ".join(wrong))
        return 1
    print("checks: every call raised StorageUnavailable (the view's 503): OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
