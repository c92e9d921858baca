"""Benchmark of the media queue: N uploads completed at once, processed by a real Celery worker.

Each clip goes through the resident's path: consent (`testimonial_start`), the part-upload
protocol to an S3 endpoint on loopback (parts PUT to presigned URLs as a browser does), then all
completions in a burst (`testimonial_upload_complete`, which moves the testimonial to `uploaded`
and queues its processing on `media`). The production layout (docker-compose: a media worker
`-Q media --concurrency 2`, prefetch 1, and a worker for `default`) takes them; the script
waits until every one is `in_review` or `rejected` and checks the outcome, the audit trail and
the stored objects.

The corpus is made by ffmpeg at run time (cached under var/bench/media-queue/): phone camera
files (H.264 High/AAC MP4 stored landscape + a -90° rotation; 720×1280 on screen at ~5 Mb/s by
default to keep the run within ~10 minutes on 2 cores, `--camera 1080x1920` for a phone's default
at ~10 Mb/s) and in-page recordings (MediaRecorder-like VP8/Opus WebM at 720×1280, the recorder's
ideal size, no duration in the header), 10–30 s for the default 15 s, plus three files that must
be rejected (too short, audio only, truncated upload).

Baseline, measured in the same run before the queue: the same ffprobe/ffmpeg commands on the
same clips, run from this process with the worker's parallelism (bench/pipeline.py's commands).

    .venv/bin/python bench/media_queue.py [--videos 20] [--seconds 15] [--concurrency 2]
                                          [--camera 720x1280] [--bound SECONDS]

Exit 1 when a video is still not in_review/rejected after the bound, when a good clip is
rejected or a bad one is not, or when a testimonial's stored objects or audit trail are wrong.
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/onprovence_bench_queue),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/13; the bench empties that Redis db).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    load_average,
    percentile,
    tree_cpu,
    wait_for_worker,
    worker_environment,
)
from bench.media_corpus import CACHE, Clip, build_corpus, describe  # noqa: E402
from bench.pipeline import (  # noqa: E402
    bare_commands,
    children_cpu,
    configure,
    migrate_and_create_buckets,
    run_bare,
)

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onprovence_bench_queue"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
MODERATION_OBJECTS = {"original", "web.mp4", "poster.jpg", "poster.webp", "preview.webp"}


# --- Baseline: the bare commands with the worker's parallelism --------------------------------


def baseline(clips: list[Clip], jobs: int) -> tuple[float, float]:
    """Run each clip's bare commands (`jobs` clips at a time): (wall time, CPU seconds)."""
    from django.conf import settings

    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as folder:
        plans = []
        for index, clip in enumerate(clips):
            workdir = Path(folder) / str(index)
            workdir.mkdir()
            local = workdir / "original"
            shutil.copyfile(clip.path, local)
            plans.append((clip, bare_commands(local, workdir)))

        def run(plan) -> None:
            clip, commands = plan
            clip.bare_seconds, _ = run_bare(commands, check=clip.expect == "in_review")

        started, cpu = time.monotonic(), children_cpu()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(run, plans))
        return time.monotonic() - started, children_cpu() - cpu


# --- The resident's side: consent, part upload, completion ------------------------------------


def upload_parts(clip: Clip) -> None:
    """Consent, start the upload and PUT every part to its presigned URL (not completed yet)."""
    import requests

    from ambassadors import uploads
    from ambassadors.services import journey

    testimonial = journey.testimonial_start(
        first_name="Bench",
        email=f"{clip.name.split('-')[0]}@media-queue.bench.invalid",
        commune="Marseille",
        sector=None,
        consent_text=journey.consent_text_current(),
        choices={"release": True, "age_group": "adult", "parental_consent": False},
        language="fr",
    )
    clip.testimonial_id = str(testimonial.pk)
    data = clip.path.read_bytes()
    session = journey.testimonial_upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type=clip.content_type
    )
    urls = uploads.upload_sign_parts(
        session=session, numbers=list(range(1, session.part_count + 1))
    )
    for number, url in urls.items():
        start = (number - 1) * session.part_size
        part = data[start : start + session.expected_part_size(number)]
        response = requests.put(url, data=part, timeout=60)
        response.raise_for_status()
    clip.session = session


def complete_all(clips: list[Clip]) -> float:
    """Complete every upload in a burst (each completion queues its processing)."""
    from ambassadors.services import journey

    started = time.time()
    for clip in clips:
        journey.testimonial_upload_complete(
            testimonial_id=clip.testimonial_id, session=clip.session
        )
        clip.enqueued_at = time.time()
    return started


# --- The worker -------------------------------------------------------------------------------


def finished(clips: list[Clip]) -> bool:
    from ambassadors.models import Status, Testimonial

    ids = [clip.testimonial_id for clip in clips]
    done = Testimonial.objects.filter(
        pk__in=ids, status__in=[Status.IN_REVIEW, Status.REJECTED]
    ).count()
    return done == len(ids)


# --- Checks and figures -----------------------------------------------------------------------


def collect(clips: list[Clip]) -> None:
    """Final status, reason, event times and the checks of each testimonial."""
    from ambassadors import keys
    from ambassadors.models import Status, Testimonial
    from onprovence.storage import list_prefix, private_storage, public_storage

    for clip in clips:
        testimonial = Testimonial.objects.get(pk=clip.testimonial_id)
        clip.status = testimonial.status
        verdict = (testimonial.probe or {}).get("verdict") or {}
        clip.reason = verdict.get("code", "")
        moves = list(testimonial.events.order_by("created_at", "pk"))
        for event in moves:
            clip.events.setdefault(event.to_status, event.created_at.timestamp())
        path = [event.to_status for event in moves]
        problems = clip.problems
        if clip.status not in (Status.IN_REVIEW, Status.REJECTED):
            problems.append(f"stuck in {clip.status}")
        elif clip.expect == "in_review" and clip.status != Status.IN_REVIEW:
            problems.append(f"good clip rejected: {clip.reason} {verdict.get('detail', '')}")
        elif clip.expect != "in_review" and (
            clip.status != Status.REJECTED or clip.reason != clip.expect
        ):
            problems.append(f"expected rejection {clip.expect}, got {clip.status} {clip.reason}")
        if clip.status == Status.REJECTED and not testimonial.rejection_reason:
            problems.append("rejected without a reason for the resident")
        if path and path != ["uploaded", "processing", clip.status]:
            problems.append(f"audit trail {path}")
        if testimonial.processing_attempts != 1:
            problems.append(f"{testimonial.processing_attempts} processing attempts")
        prefix = keys.testimonial_prefix(testimonial.pk)
        stored = {key.rsplit("/", 1)[1] for key in list_prefix(private_storage(), prefix)}
        expected = MODERATION_OBJECTS if clip.status == Status.IN_REVIEW else {"original"}
        if stored != expected:
            problems.append(f"private objects {sorted(stored)} != {sorted(expected)}")
        if list_prefix(public_storage(), prefix):
            problems.append("public objects before approval")


def report(
    clips: list[Clip],
    *,
    started: float,
    bare_wall: float,
    bare_cpu: float,
    queue_cpu: float,
    emails_done: float | None,
    jobs: int,
) -> float:
    header = (
        f"{'video':<28}{'length':>7} {'codecs':<12}{'size':>10} {'final':<10}{'reason':<11}"
        f"{'to final':>9}{'queued':>8}{'working':>8}{'bare':>7}"
    )
    print(header)
    for clip in clips:
        final = clip.events.get(clip.status)
        processing = clip.events.get("processing")
        to_final = f"{final - clip.enqueued_at:.1f}" if final else "-"
        queued = f"{processing - clip.events['uploaded']:.1f}" if processing else "-"
        working = f"{final - processing:.1f}" if final and processing else "-"
        length = f"{clip.duration:.1f}" if clip.duration else "-"
        print(
            f"{clip.name:<28}{length:>7} {clip.codecs:<12}{clip.size_label:>10} "
            f"{clip.status:<10}{clip.reason or '':<11}{to_final:>9}{queued:>8}{working:>8}"
            f"{clip.bare_seconds:>7.1f}"
        )
    finals = [c.events[c.status] for c in clips if c.status in ("in_review", "rejected")]
    wall = max(finals) - started if finals else float("nan")
    reviewed = [c for c in clips if c.status == "in_review"]
    to_review = [c.events["in_review"] - c.enqueued_at for c in reviewed]
    working = [c.events["in_review"] - c.events["processing"] for c in reviewed]
    video_seconds = sum(c.duration or 0 for c in reviewed)
    rejected = len(clips) - len(reviewed)
    print(
        f"{len(clips)} uploads ({len(reviewed)} in_review, {rejected} rejected): wall time "
        f"{wall:.1f} s from the first completion to the last final status; "
        f"{len(clips) / wall * 60:.1f} videos/minute"
    )
    if to_review:
        print(
            f"time from enqueue to in_review: mean {statistics.mean(to_review):.1f} s, "
            f"p50 {statistics.median(to_review):.1f} s, p90 {percentile(to_review, 0.9):.1f} s, "
            f"max {max(to_review):.1f} s; in the worker (processing -> in_review): "
            f"mean {statistics.mean(working):.1f} s"
        )
    print(
        f"video seconds processed / wall time: {video_seconds:.0f} s / {wall:.1f} s = "
        f"{video_seconds / wall:.2f} x real time"
    )
    ratio = wall / bare_wall
    print(
        f"baseline, bare ffprobe+ffmpeg on the same {len(clips)} files, {jobs} at a time: "
        f"{bare_wall:.1f} s; overhead ratio queue/bare {ratio:.3f}"
    )
    print(
        f"CPU seconds: worker tree {queue_cpu:.1f} vs bare {bare_cpu:.1f} (ratio "
        f"{queue_cpu / bare_cpu:.3f}; insensitive to the other processes' load)"
    )
    if emails_done is not None:
        print(
            f"confirmation emails (queue `default`, its own worker): the last left the queue "
            f"{emails_done:.1f} s after the first completion"
        )
    bare_sum = sum(c.bare_seconds for c in reviewed)
    if bare_sum:
        print(
            f"per video, accepted ones: worker time {sum(working):.1f} s vs bare {bare_sum:.1f} s "
            f"(ratio {sum(working) / bare_sum:.3f})"
        )
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15, help="typical length of a clip")
    parser.add_argument(
        "--camera",
        default="720x1280",
        help="on-screen size of the camera clips (1080x1920 is a phone's default; slower)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="worker processes (production: 2)"
    )
    parser.add_argument(
        "--bound",
        type=float,
        default=None,
        help="seconds to wait for the queue (default: max(300, 4 x the baseline's wall time))",
    )
    options = parser.parse_args()

    os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
    endpoint = configure()  # database (created if missing) and the S3 endpoint's address
    os.environ.update(REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL)
    os.environ.update(worker_environment())
    from tests.processes import start_s3_server, start_worker, stop, stop_tree

    s3 = start_s3_server(endpoint)
    worker = default_worker = None
    try:
        import django

        django.setup()
        import redis

        from ambassadors.models import Testimonial
        from onprovence.celery import app

        migrate_and_create_buckets()
        # The bench's own database and Redis db: earlier runs' leftovers go.
        Testimonial.objects.filter(email__endswith="@media-queue.bench.invalid").delete()
        redis.Redis.from_url(REDIS_URL).flushdb()

        made = time.monotonic()
        camera = tuple(int(side) for side in options.camera.split("x"))
        clips = build_corpus(options.videos, options.seconds, camera)
        describe(clips)
        print(
            f"corpus: {len(clips)} files ready in {time.monotonic() - made:.0f} s "
            f"(cached in {CACHE.relative_to(ROOT)}); {os.cpu_count()} cores; load average "
            f"{load_average()}"
        )
        bare_wall, bare_cpu = baseline(clips, options.concurrency)
        print(f"baseline done: {bare_wall:.1f} s; load average {load_average()}")
        for clip in clips:
            upload_parts(clip)
        worker = start_worker(
            env=dict(os.environ),
            queues="media",
            concurrency=options.concurrency,
            hostname="bench-media-queue",
            log_path=CACHE / "worker.log",
        )
        # Emails and housekeeping have their own worker, as in docker-compose.yml.
        default_worker = start_worker(
            env=dict(os.environ),
            queues="default",
            concurrency=1,
            hostname="bench-default-queue",
            log_path=CACHE / "worker-default.log",
        )
        wait_for_worker(app, count=2)
        cpu_before = tree_cpu(worker.pid)
        bound = options.bound or max(300.0, 4 * bare_wall)
        started = complete_all(clips)
        print(
            f"{len(clips)} completions queued in {time.time() - started:.2f} s; worker "
            f"-Q media -c {options.concurrency} (prefetch 1) + -Q default -c 1; "
            f"waiting up to {bound:.0f} s"
        )
        deadline = time.monotonic() + bound
        broker = redis.Redis.from_url(REDIS_URL)
        emails_done = None
        while not finished(clips) and time.monotonic() < deadline:
            if emails_done is None and not broker.llen("default"):
                emails_done = time.time() - started
            time.sleep(0.5)
        queue_cpu = tree_cpu(worker.pid) - cpu_before
        collect(clips)
        report(
            clips,
            started=started,
            bare_wall=bare_wall,
            bare_cpu=bare_cpu,
            queue_cpu=queue_cpu,
            emails_done=emails_done,
            jobs=options.concurrency,
        )
        problems = [(clip.name, problem) for clip in clips for problem in clip.problems]
        for name, problem in problems:
            print(f"PROBLEM {name}: {problem}")
        print(
            f"checks: final status, rejection reasons, audit trail (uploaded -> processing -> "
            f"final, 1 attempt), stored objects (in_review: {len(MODERATION_OBJECTS)} private, "
            f"rejected: the original; none public): {'OK' if not problems else 'FAILED'}"
        )
        print(f"load average at the end: {load_average()}")
        return 1 if problems else 0
    finally:
        for process in (worker, default_worker):
            if process is not None:
                stop_tree(process, timeout=15)
        stop(s3)


if __name__ == "__main__":
    sys.exit(main())
