#!/usr/bin/env python3
"""Residents uploading videos at once through the real part protocol, against plain boto3.

N residents (default 30), each its own HTTP client session as a browser behind the site's TLS
proxy (X-Forwarded-For / X-Forwarded-Proto, cookies, Origin and CSRF header as the page's
uploader sends them), go through the journey under gunicorn (bench/settings.py: DEBUG off, real
PostgreSQL + Redis): consent page -> consent POST -> record and send pages, then, all released
together, the upload of their own video, as static/js/upload.js does it:
  envoi/debut/ (which answers with the first parts' signed URLs; envoi/parties/ signs any
  other, or all of them for a server that does not) -> 3 parts in parallel, each a CORS
  preflight + PUT to its presigned URL on the S3 endpoint (moto on loopback, started here) ->
  envoi/fin/ -> the status page. Once every upload has ended (outside the timed window: the
  uploader itself never asks it after fin), each resident asks envoi/etat/, which must say "done".
Videos are distinct ~20 MB H.264/AAC MP4 files made by ffmpeg in a temporary folder.

Baseline, in the same run, before and after: the same files uploaded by plain boto3
(upload_file, multipart with the same part size, 3 parts in parallel per file, one thread per
file) to the same S3 server. The RSS of the gunicorn master and workers is sampled every 50 ms
by a separate process: idle before, peak during, after (per process and summed). The CPU
seconds of the web processes, the S3 server and this process (the clients), and how busy the
machine was, are printed for each timed window (the machine is shared: compare within a run).

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
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    IDLE_SECONDS,
    CpuMeter,
    RssSampler,
    boto3_round,
    copy_round,
    export_environment,
    load_average,
    print_rss,
    rss_summary,
    start_upload_store,
    video_duration,
)
from bench.redirect import bench_environment, ensure_database, free_port, wait_for  # noqa: E402
from bench.upload_client import PART_CONCURRENCY, Resident, run_residents  # noqa: E402

MB = 1_000_000
MiB = 1024 * 1024
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
    export_environment(env, S3_VARIABLES)
    processes: list[subprocess.Popen] = []
    from tests.processes import stop

    try:
        ensure_database(env)  # creates and migrates
        if endpoint:
            processes.append(start_upload_store(endpoint, env, ROOT))

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

            # Where the CPU of each timed window goes: the web processes, the S3 server, the
            # clients (this process's threads), and how busy the two cores were.
            meters: dict[str, list[CpuMeter]] = {"baseline": [], "protocol": []}
            tracked = {"web": server.pid} | ({"S3 server": processes[0].pid} if endpoint else {})

            def baseline() -> float:
                with CpuMeter(tracked) as meter:
                    if endpoint:
                        seconds = boto3_round(
                            endpoint,
                            env["S3_PRIVATE_BUCKET"],
                            files,
                            part_size,
                            concurrency=PART_CONCURRENCY,
                        )
                    else:
                        seconds = copy_round(work / "copies", files)
                meters["baseline"].append(meter)
                return seconds

            baselines = [baseline()]
            residents = [
                Resident(base, i, path, duration, run_id, local=not endpoint)
                for i, (path, duration) in enumerate(zip(files, durations, strict=True))
            ]
            time.sleep(1)
            meters["protocol"].append(CpuMeter(tracked))
            start, end = run_residents(residents, window=meters["protocol"][0])
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
        for name, window in meters.items():
            print(f"  CPU during the {name}: " + " / ".join(m.describe() for m in window))
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
        print(f"load average at the end: {load_average()}")
        return 0 if not problems else 1
    finally:
        for process in reversed(processes):
            stop(process, timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
