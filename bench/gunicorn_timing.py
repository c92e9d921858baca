#!/usr/bin/env python3
"""Where a web request's time goes: a gunicorn config that logs each request's wall time, CPU
time (a sync worker serves one request at a time, so the process's CPU is the request's) and
every S3 call it made with its duration; run as a script, it summarises such a log.

Used for bench/upload_parallel.py (docs/perf/upload_parallel.md, issue 18):
  GUNICORN_CMD_ARGS="--config bench/gunicorn_timing.py" GUNICORN_TIMING_LOG=/tmp/requests.jsonl \
      .venv/bin/python bench/upload_parallel.py
  .venv/bin/python bench/gunicorn_timing.py /tmp/requests.jsonl [--timeline]
The summary covers the last 30 upload starts onward (the timed uploads, after the warm-up).
"""

import json
import os
import resource
import sys
import threading
import time
from collections import defaultdict
from statistics import median

LOG = os.environ.get("GUNICORN_TIMING_LOG", "/tmp/gunicorn-timing.jsonl")
_request = threading.local()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- gunicorn hooks ---------------------------------------------------------------------------


def post_fork(server, worker) -> None:
    import botocore.client

    make_api_call = botocore.client.BaseClient._make_api_call

    def timed(client, operation, params):
        started = time.monotonic()
        try:
            return make_api_call(client, operation, params)
        finally:
            calls = getattr(_request, "calls", None)
            if calls is not None:
                calls.append((operation, round(time.monotonic() - started, 4)))

    botocore.client.BaseClient._make_api_call = timed


def pre_request(worker, req) -> None:
    _request.calls, _request.at, _request.cpu = [], time.time(), _cpu()
    _request.started = time.monotonic()


def post_request(worker, req, environ, resp) -> None:
    line = {
        "pid": os.getpid(),
        "path": req.path,
        "start": _request.at,
        "wall": round(time.monotonic() - _request.started, 4),
        "cpu": round(_cpu() - _request.cpu, 4),
        "s3": _request.calls,
    }
    with open(LOG, "a") as log:
        log.write(json.dumps(line) + "\n")


# --- Summary ----------------------------------------------------------------------------------


def summarise(path: str, *, timeline: bool, residents: int = 30) -> None:
    with open(path) as log:
        rows = sorted((json.loads(line) for line in log), key=lambda row: row["start"])
    starts = [row for row in rows if row["path"].endswith("/envoi/debut/")]
    origin = starts[-residents]["start"]
    rows = [row for row in rows if row["start"] >= origin and "/envoi/" in row["path"]]
    steps = defaultdict(list)
    for row in rows:
        steps[row["path"].rstrip("/").rsplit("/", 1)[1]].append(row)
    for step, requests in steps.items():
        walls = [row["wall"] for row in requests]
        print(
            f"{step}: {len(requests)} requests, wall median {median(walls):.3f} / max "
            f"{max(walls):.3f} / sum {sum(walls):.2f} s (worker time), CPU sum "
            f"{sum(row['cpu'] for row in requests):.2f} s"
        )
        calls = defaultdict(list)
        for row in requests:
            for operation, seconds in row["s3"]:
                calls[operation].append(seconds)
        for operation, seconds in calls.items():
            print(
                f"    {operation}: {len(seconds)} calls, median {median(seconds):.3f} / max "
                f"{max(seconds):.3f} / sum {sum(seconds):.2f} s"
            )
    if timeline:
        for row in rows:
            calls = " ".join(f"{operation}:{seconds:.2f}" for operation, seconds in row["s3"])
            print(
                f"{row['start'] - origin:7.2f} {row['wall']:6.2f} worker {row['pid']:<7} "
                f"{row['path'].rstrip('/').rsplit('/', 1)[1]:<8} CPU {row['cpu']:.3f} {calls}"
            )


if __name__ == "__main__":
    summarise(sys.argv[1], timeline="--timeline" in sys.argv)
