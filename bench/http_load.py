#!/usr/bin/env python3
"""Requests per second and p50/p95/p99 of /q/<code> and the campaign home under HTTP load.

One gunicorn server with the production settings (bench/settings.py: DEBUG off, PostgreSQL
with persistent connections, the Redis cache, whitenoise's manifest of collected static files;
the requests carry X-Forwarded-Proto: https as behind the TLS proxy) and 2 × cores + 1 sync
workers. wrk, N connections (50 by default), one run per endpoint after a warm-up:
  baseline  /bench/baseline/<code>  a bare Django view (a redirect that reads nothing)
  qr        /q/<code>               the tracked redirect of a live placement (302)
  home      /                       the campaign home showing the live campaign (200)
Every response's status is checked (wrk's Lua hook, bench/http_load.lua); any error (socket
connect/read/write, timeout, unexpected status) makes the script exit 1. After the /q/ run the
scans are flushed to FunnelCount and compared with the requests wrk completed. Last, the CPU
time of one request of each endpoint through Django's WSGI handler in this process: steadier
than req/s when other processes share the cores.

Data: the demo campaign (manage.py seed_demo). Static files are collected under
var/bench/http/ (ONPROVENCE_VAR_DIR), which also holds the demo's media.

Usage: .venv/bin/python bench/http_load.py [--seconds 15] [--connections 50] [--workers 5]
Needs wrk (scripts/install-system-packages.sh bench). Environment: BENCH_DATABASE_URL and
BENCH_REDIS_URL as in bench/redirect.py.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.redirect import (  # noqa: E402
    SETTLE_SECONDS,
    bench_environment,
    cpu_per_request,
    ensure_database,
    free_port,
    scans_counted,
    start_gunicorn,
    wait_for,
    wait_for_workers,
)

WRK_SCRIPT = Path(__file__).with_suffix(".lua")
# What the TLS-terminating proxy adds: the request is secure, so no redirect to https and
# the production security headers (HSTS) are sent as in production.
PROXY_HEADER = ("X-Forwarded-Proto", "https")
WARM_UP_SECONDS = 3


def environment() -> dict[str, str]:
    env = bench_environment()
    # Production's static storage (whitenoise's manifest) instead of redirect.py's plain one,
    # over files collected in a folder of this bench's own.
    env.pop("STATICFILES_BACKEND")
    env["ONPROVENCE_VAR_DIR"] = str(ROOT / "var" / "bench" / "http")
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,  # seed_demo prints the admin's fresh password
    )


def fetch(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=dict([PROXY_HEADER]))
    response = conn.getresponse()
    response.body = response.read().decode()
    conn.close()
    return response


def run_wrk(url: str, *, expected: int, seconds: int, connections: int, timeout: int) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", f"{timeout}s", "-H", ": ".join(PROXY_HEADER)]
    command += ["-s", str(WRK_SCRIPT), url, "--", str(expected)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("http_load "))
    result = json.loads(line.removeprefix("http_load "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # A 4xx/5xx is also an unexpected status: count it once.
    kinds = ("connect", "read", "write", "timeout", "unexpected_status")
    result["errors"] = sum(result[kind] for kind in kinds)
    result["error_detail"] = ", ".join(f"{kind} {result[kind]}" for kind in kinds if result[kind])
    return result


def scans_flushed(placement, *, at_least: int, deadline_seconds: float = 20.0) -> int:
    """Flush the scan counts until they reach `at_least` or stop growing by the deadline.

    Each gunicorn worker's background thread pushes its counts every PUSH_EVERY_SECONDS; on a
    loaded machine a thread may be late, so one fixed pause could flush before every push (a
    count lost here would be a push that never came, which the verdict still reports).
    """
    from campaigns.scans import PUSH_EVERY_SECONDS, scan_counts_flush

    deadline = time.monotonic() + deadline_seconds
    while True:
        time.sleep(PUSH_EVERY_SECONDS + 1)
        scan_counts_flush()
        counted = scans_counted(placement)
        if counted >= at_least or time.monotonic() > deadline:
            return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="timed run per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    # gunicorn's advice for sync workers: 2 × cores + 1 (a worker waiting on PostgreSQL or
    # Redis leaves the CPU to another).
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    # A response slower than this is an error (wrk's "timeout") and left out of the latency
    # percentiles; wrk's default, 2 s, would count a slow phone page as lost, and hide it.
    parser.add_argument("--timeout", type=int, default=10, help="seconds (default 10)")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: scripts/install-system-packages.sh bench", file=sys.stderr)
        return 2

    env = environment()
    os.environ.update(env)
    ensure_database(env)
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "seed_demo")

    import django

    django.setup()
    from django.utils.html import escape

    from campaigns import selectors
    from campaigns.models import FunnelCount, Placement
    from campaigns.scans import PUSH_EVERY_SECONDS, scan_counts_flush

    campaign = selectors.campaign_current()
    placement = Placement.objects.get(
        campaign__slug="marque-employeur-2026", place_name="Gare Saint-Charles, hall 1"
    )

    port = free_port()
    server = start_gunicorn(port=port, workers=options.workers, env=env)
    base = f"http://127.0.0.1:{port}"
    endpoints = {  # name: (path, expected status)
        "baseline": (f"/bench/baseline/{placement.code}", 302),
        "qr": (f"/q/{placement.code}", 302),
        "home": ("/", 200),
    }
    results: dict[str, dict] = {}
    load_before = os.getloadavg()
    try:
        wait_for(port)
        wait_for_workers(port, options.workers)
        # The real thing, once, before any load: the scan lands on the placement's page,
        # the home shows the live campaign with its figures and sectors.
        scan = fetch(port, endpoints["qr"][0])
        assert scan.status == 302, scan.status
        assert scan.headers["Location"] == f"/ambassadeurs/?p={placement.code}", scan.headers
        home = fetch(port, "/")
        assert home.status == 200, home.status
        for text in (
            escape(campaign.display_title),
            "La région en chiffres",
            "Source : ImageTerr 2024",
            'href="/secteurs/aeronautique/"',
        ):
            assert text in home.body, f"the home page lacks {text!r}"

        def load(name: str, seconds: int) -> dict:
            path, expected = endpoints[name]
            return run_wrk(
                base + path,
                expected=expected,
                seconds=seconds,
                connections=options.connections,
                timeout=options.timeout,
            )

        warm_up = {name: load(name, WARM_UP_SECONDS) for name in endpoints}
        time.sleep(SETTLE_SECONDS)
        for name in endpoints:
            if name == "qr":
                # Start from zero: every worker has pushed the warm-up's scans; flush, forget.
                time.sleep(PUSH_EVERY_SECONDS + 1)
                scan_counts_flush()
                FunnelCount.objects.filter(placement=placement).delete()
            results[name] = load(name, options.seconds)
            time.sleep(SETTLE_SECONDS)
            if name == "qr":
                counted = scans_flushed(placement, at_least=results[name]["requests"])
    finally:
        server.terminate()
        server.wait(20)
    load_after = os.getloadavg()

    print(
        f"bench/http_load.py — gunicorn {options.workers} sync workers on 127.0.0.1, "
        f"wrk 2 threads × {options.connections} connections, {options.seconds} s per endpoint "
        f"after {WARM_UP_SECONDS} s of warm-up, timeout {options.timeout} s, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        "load average (1/5/15 min): before "
        + " ".join(f"{value:.2f}" for value in load_before)
        + ", after "
        + " ".join(f"{value:.2f}" for value in load_after)
    )
    print(
        f"{'endpoint':<10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'vs baseline':>13}{'requests':>10}{'errors':>8}"
    )
    baseline_rps = results["baseline"]["rps"]
    for name, result in results.items():
        print(
            f"{name:<10}{result['rps']:>9.0f}{result['p50_us'] / 1000:>9.1f}"
            f"{result['p95_us'] / 1000:>9.1f}{result['p99_us'] / 1000:>9.1f}"
            f"{result['max_us'] / 1000:>9.1f}{result['rps'] / baseline_rps:>12.0%} "
            f"{result['requests']:>10}{result['errors']:>8}"
        )
    errors = 0
    for name, result in [*((f"{n} (warm-up)", r) for n, r in warm_up.items()), *results.items()]:
        errors += result["errors"]
        if result["errors"]:
            print(f"errors, {name}: {result['error_detail']}")
    qr = results["qr"]
    completed, sent = qr["requests"], qr["sent"]
    # wrk stops with up to one request per connection sent but unanswered: the server
    # still serves and counts those, so the count lies between the two.
    exact = completed <= counted <= sent
    print(
        f"scans: wrk completed {completed} /q/ requests and sent {sent} "
        f"({sent - completed} unanswered when it stopped); {counted} counted in FunnelCount "
        f"after the flush: {'OK' if exact else 'MISMATCH'}"
    )
    # Steadier than req/s when other processes share the cores (see bench/redirect.py).
    cpu = cpu_per_request({name: path for name, (path, _) in endpoints.items()}, n=100, rounds=7)
    print("CPU per request through Django's WSGI handler, in-process (best / median of 7×100):")
    for name, (best, median) in cpu.items():
        print(
            f"  {name:<9}{best / 1000:>6.2f} ms ({best / cpu['baseline'][0]:.0%})"
            f"{median / 1000:>7.2f} ms ({median / cpu['baseline'][1]:.0%})"
        )
    ok = errors == 0 and exact
    print(f"errors: {errors} (target 0): {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
