"""Benchmark of the media queue: N uploads completed at once, processed by a real Celery worker,
under today's design and under review first in the same run (issue 18).

Each clip goes through the resident's path: consent (`testimonial_start`), the part-upload
protocol to an S3 endpoint on loopback (parts PUT to presigned URLs as a browser does), then all
completions in a burst (`testimonial_upload_complete`, which moves the testimonial to `uploaded`
and queues its processing on `media`). The production layout (docker-compose: a media worker
`-Q media --concurrency 2`, prefetch 1, and a worker for `default`) takes them; the script
waits until every one is `in_review` or `rejected` and checks the outcome, the audit trail and
the stored objects.

The same burst runs twice, each time with fresh testimonials and a media worker started for
its design (`AMBASSADORS_MEDIA_REVIEW_FIRST` in its environment, read by bench/media_settings.py):
first encode-first (today: the public web rendition before review), then review-first (the
upload remuxed or a fast small review file before review; the web rendition after approval,
not part of this burst). For each it prints the time from the burst to the last final status,
the time to `in_review` (mean, p50, p90), the media worker's CPU, then the ratios new/old.

The corpus (bench/media_corpus.py, cached under var/bench/media-queue/) mixes in-page recordings
as browsers make them (VP9 and VP8 WebM, Safari's H.264 MP4, 720p) and phone camera-roll files
(H.264 MP4 stored rotated, 1080×1920 and 720×1280 on screen), 10–30 s for the default 15 s,
plus three files that must be rejected (too short, audio only, truncated upload).

Baseline (unless --skip-bare), measured before the queue: today's ffprobe/ffmpeg commands on the
same clips, run from this process with the worker's parallelism (bench/pipeline.py's commands).

    .venv/bin/python bench/media_queue.py [--videos 20] [--seconds 15] [--concurrency 2]
                                          [--camera WxH[,WxH]] [--bound SECONDS] [--skip-bare]

Exit 1 when a video is still not in_review/rejected after the bound, when a good clip is
rejected or a bad one is not, or when a testimonial's stored objects or audit trail are wrong.
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/onprovence_bench_queue),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/13; the bench empties that Redis db).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    load_average,
    tree_cpu,
    wait_for_worker,
    worker_environment,
)
from bench.media_corpus import CACHE, Clip, build_corpus, describe, mix  # noqa: E402
from bench.media_queue_rounds import Round, Upload, compare, report  # noqa: E402
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
# The two designs, in the order they run: label -> AMBASSADORS_MEDIA_REVIEW_FIRST.
DESIGNS = {"encode-first": False, "review-first": True}


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


def upload_parts(upload: Upload, design: str) -> None:
    """Consent, start the upload and PUT every part to its presigned URL (not completed yet)."""
    import requests

    from ambassadors import uploads
    from ambassadors.services import journey

    clip = upload.clip
    testimonial = journey.testimonial_start(
        first_name="Bench",
        email=f"{design}-{clip.name.split('-')[0]}@media-queue.bench.invalid",
        commune="Marseille",
        sector=None,
        consent_text=journey.consent_text_current(),
        choices={"release": True, "age_group": "adult", "parental_consent": False},
        language="fr",
    )
    upload.testimonial_id = str(testimonial.pk)
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
    upload.session = session


def complete_all(uploads: list[Upload]) -> float:
    """Complete every upload in a burst (each completion queues its processing)."""
    from ambassadors.services import journey

    started = time.time()
    for upload in uploads:
        journey.testimonial_upload_complete(
            testimonial_id=upload.testimonial_id, session=upload.session
        )
        upload.enqueued_at = time.time()
    return started


# --- The worker -------------------------------------------------------------------------------


def finished(uploads: list[Upload]) -> bool:
    from ambassadors.models import Status, Testimonial

    ids = [upload.testimonial_id for upload in uploads]
    done = Testimonial.objects.filter(
        pk__in=ids, status__in=[Status.IN_REVIEW, Status.REJECTED]
    ).count()
    return done == len(ids)


def run_round(design: str, clips: list[Clip], *, concurrency: int, bound: float) -> Round:
    """Upload every clip afresh, start a media worker with the design, complete all at once and
    wait for the last verdict; the worker is stopped before the figures are collected."""
    import redis

    from onprovence.celery import app
    from tests.processes import start_worker, stop_tree

    this = Round(design, [Upload(clip) for clip in clips])
    for upload in this.uploads:
        upload_parts(upload, design)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.media_settings",
        AMBASSADORS_MEDIA_REVIEW_FIRST=str(DESIGNS[design]).lower(),
    )
    worker = start_worker(
        env=env,
        queues="media",
        concurrency=concurrency,
        hostname=f"bench-media-{design}",
        log_path=CACHE / f"worker-{design}.log",
    )
    try:
        wait_for_worker(app, count=2)  # this one and the `default` worker
        cpu_before = tree_cpu(worker.pid)
        this.started = complete_all(this.uploads)
        print(
            f"\n{design}: {len(clips)} completions queued in {time.time() - this.started:.2f} s; "
            f"worker -Q media -c {concurrency} (prefetch 1) + -Q default -c 1; waiting up to "
            f"{bound:.0f} s; load average {load_average()}"
        )
        deadline = time.monotonic() + bound
        broker = redis.Redis.from_url(REDIS_URL)
        while not finished(this.uploads) and time.monotonic() < deadline:
            if this.emails_done is None and not broker.llen("default"):
                this.emails_done = time.time() - this.started
            time.sleep(0.5)
        this.worker_cpu = tree_cpu(worker.pid) - cpu_before
    finally:
        stop_tree(worker, timeout=15)
    collect(this.uploads, review_first=DESIGNS[design])
    return this


# --- Checks and figures -----------------------------------------------------------------------


def collect(uploads: list[Upload], *, review_first: bool) -> None:
    """Final status, reason, event times and the checks of each testimonial."""
    from ambassadors import keys
    from ambassadors.models import Status, Testimonial
    from onprovence.storage import list_prefix, private_storage, public_storage

    for upload in uploads:
        clip = upload.clip
        testimonial = Testimonial.objects.get(pk=upload.testimonial_id)
        upload.status = testimonial.status
        verdict = (testimonial.probe or {}).get("verdict") or {}
        upload.reason = verdict.get("code", "")
        moves = list(testimonial.events.order_by("created_at", "pk"))
        for event in moves:
            upload.events.setdefault(event.to_status, event.created_at.timestamp())
        path = [event.to_status for event in moves]
        problems = upload.problems
        if upload.status not in (Status.IN_REVIEW, Status.REJECTED):
            problems.append(f"stuck in {upload.status}")
        elif clip.expect == "in_review" and upload.status != Status.IN_REVIEW:
            problems.append(f"good clip rejected: {upload.reason} {verdict.get('detail', '')}")
        elif clip.expect != "in_review" and (
            upload.status != Status.REJECTED or upload.reason != clip.expect
        ):
            problems.append(
                f"expected rejection {clip.expect}, got {upload.status} {upload.reason}"
            )
        if upload.status == Status.REJECTED and not testimonial.rejection_reason:
            problems.append("rejected without a reason for the resident")
        if path and path != ["uploaded", "processing", upload.status]:
            problems.append(f"audit trail {path}")
        if testimonial.processing_attempts != 1:
            problems.append(f"{testimonial.processing_attempts} processing attempts")
        prefix = keys.testimonial_prefix(testimonial.pk)
        stored = {key.rsplit("/", 1)[1] for key in list_prefix(private_storage(), prefix)}
        expected = MODERATION_OBJECTS if upload.status == Status.IN_REVIEW else {"original"}
        if stored != expected:
            problems.append(f"private objects {sorted(stored)} != {sorted(expected)}")
        if list_prefix(public_storage(), prefix):
            problems.append("public objects before approval")
        if upload.status == Status.IN_REVIEW and stored == expected:
            check_review_file(upload, testimonial, review_first=review_first)


def check_review_file(upload: Upload, testimonial, *, review_first: bool) -> None:
    """What `web.mp4` holds at review, by design: today the public web rendition (H.264, long
    side <= MEDIA_WEB_LONG_SIDE); review first the review file the probe chose (the upload
    remuxed: its own codec and size; or the fast rendition: H.264, long side <= 960), marked
    `probe["web"] = "review"` so the web rendition is made after approval. Either way upright
    as the upload is shown (moderators see what would be published)."""
    from ambassadors import conf, keys
    from ambassadors.media.renditions import ReviewSpec, web_rendition_pending
    from ambassadors.services.files import download_original
    from ambassadors.services.pipeline import media_limits, probe_local

    clip, probe, problems = upload.clip, testimonial.probe or {}, upload.problems
    if review_first:
        upload.review_file = (probe.get("review") or {}).get("mode", "")
        if not web_rendition_pending(probe):
            problems.append(f"review first but probe['web'] = {probe.get('web')!r}")
        if upload.review_file != clip.review_mode:
            problems.append(f"review file {upload.review_file!r}, expected {clip.review_mode!r}")
    else:
        upload.review_file = "web rendition"
        if "web" in probe or "review" in probe:
            problems.append(f"today's design but probe web/review {probe.get('review')}")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / keys.WEB
        download_original(keys.testimonial_key(testimonial.pk, keys.WEB), local)
        _, facts, _, _ = probe_local(local, limits=media_limits())
    if facts is None or facts.video is None:
        problems.append("web.mp4 has no readable video")
        return
    codec, size = facts.video.codec, facts.video.display_size
    source_size = tuple(int(side) for side in clip.size_label.split("x"))
    if (size[0] < size[1]) != (source_size[0] < source_size[1]):
        problems.append(f"web.mp4 is {size[0]}x{size[1]}, the upload {clip.size_label}")
    if upload.review_file == "source":
        expected_codec, long_side = clip.codecs.split("/")[0], max(source_size)
    elif upload.review_file == "rendition":
        expected_codec, long_side = "h264", ReviewSpec().long_side
    else:
        expected_codec, long_side = "h264", conf.MEDIA_WEB_LONG_SIDE
    if codec != expected_codec or max(size) > long_side:
        problems.append(
            f"web.mp4 ({upload.review_file}) {codec} {size[0]}x{size[1]}: expected "
            f"{expected_codec}, long side <= {long_side}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15, help="typical length of a clip")
    parser.add_argument(
        "--camera",
        default="",
        help="camera clips' on-screen sizes instead of 1080x1920 and 720x1280 (WxH[,WxH]; "
        "the first replaces 1080x1920): smaller for a quick run",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="worker processes (production: 2)"
    )
    parser.add_argument(
        "--bound",
        type=float,
        default=None,
        help="seconds to wait for each burst (default: max(300, 4 x the baseline's wall time), "
        "without the baseline max(300, 3 x the seconds of video))",
    )
    parser.add_argument(
        "--skip-bare", action="store_true", help="no baseline of bare ffmpeg commands (shorter)"
    )
    options = parser.parse_args()

    os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
    endpoint = configure()  # database (created if missing) and the S3 endpoint's address
    os.environ.update(REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL)
    os.environ.update(worker_environment())
    from tests.processes import start_s3_server, start_worker, stop, stop_tree

    s3 = start_s3_server(endpoint)
    default_worker = None
    try:
        import django

        django.setup()
        import redis

        from ambassadors.models import Testimonial

        migrate_and_create_buckets()
        # The bench's own database and Redis db: earlier runs' leftovers go.
        Testimonial.objects.filter(email__endswith="@media-queue.bench.invalid").delete()
        redis.Redis.from_url(REDIS_URL).flushdb()

        made = time.monotonic()
        cameras = tuple(
            tuple(int(side) for side in size.split("x"))
            for size in options.camera.split(",")
            if size
        )
        clips = build_corpus(options.videos, options.seconds, cameras)  # type: ignore[arg-type]
        describe(clips)
        print(
            f"corpus: {len(clips)} files ready in {time.monotonic() - made:.0f} s "
            f"(cached in {CACHE.relative_to(ROOT)}): {mix(clips)}; {os.cpu_count()} cores; "
            f"load average {load_average()}"
        )
        bare_wall = bare_cpu = None
        if not options.skip_bare:
            bare_wall, bare_cpu = baseline(clips, options.concurrency)
            print(
                f"baseline (today's commands, bare) done: {bare_wall:.1f} s; load average "
                f"{load_average()}"
            )
        video_seconds = sum(clip.duration or 0 for clip in clips)
        bound = options.bound or max(
            300.0, 4 * bare_wall if bare_wall is not None else 3 * video_seconds
        )
        # Emails and housekeeping have their own worker, as in docker-compose.yml.
        default_worker = start_worker(
            env=dict(os.environ),
            queues="default",
            concurrency=1,
            hostname="bench-default-queue",
            log_path=CACHE / "worker-default.log",
        )
        rounds = []
        for design in DESIGNS:
            this = run_round(design, clips, concurrency=options.concurrency, bound=bound)
            report(this, bare=bare_wall is not None and not DESIGNS[design])
            rounds.append(this)
        old, new = rounds
        if bare_wall is not None and bare_cpu is not None:
            print(
                f"\nbaseline, today's bare ffprobe+ffmpeg on the same {len(clips)} files, "
                f"{options.concurrency} at a time: {bare_wall:.1f} s, CPU {bare_cpu:.1f} s; "
                f"encode-first queue/bare: wall {old.wall / bare_wall:.3f}, CPU "
                f"{old.worker_cpu / bare_cpu:.3f}"
            )
        compare(old, new)
        problems = [
            (this.design, upload.clip.name, problem)
            for this in rounds
            for upload in this.uploads
            for problem in upload.problems
        ]
        for design, name, problem in problems:
            print(f"PROBLEM {design} {name}: {problem}")
        print(
            f"checks, both designs: final status, rejection reasons, audit trail (uploaded -> "
            f"processing -> final, 1 attempt), stored objects (in_review: "
            f"{len(MODERATION_OBJECTS)} private, web.mp4 the web rendition today or the review "
            f"file the probe chose; rejected: the original; none public): "
            f"{'OK' if not problems else 'FAILED'}"
        )
        print(f"load average at the end: {load_average()}")
        return 1 if problems else 0
    finally:
        if default_worker is not None:
            stop_tree(default_worker, timeout=15)
        stop(s3)


if __name__ == "__main__":
    sys.exit(main())
