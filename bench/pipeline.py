"""Benchmark of the media pipeline: today's design against review first (issue 18).

For a 720p WebM VP9/Opus in-page recording, a 720p H.264/AAC MP4 recording (30 s by default)
and a 60 s 1080×1920 phone clip (stored 1920×1080 + a -90° matrix, H.264 ~10 Mb/s), alternating
the two designs in the same run (`AMBASSADORS_MEDIA_REVIEW_FIRST` False, then True), it prints
the time from upload complete to `in_review` (the processing service, on PostgreSQL and an S3
endpoint on loopback) as a multiple of the clip's duration, the media CPU spent before review
(all a refused upload ever costs), for review first the CPU of the approval-time web
rendition, and when the early poster went up (`timings["poster"]`, from the download's start
to its upload). Targets (2 cores): ≤ 0.10× for recordings, ≤ 0.25× for the phone clip, refused
upload CPU ≤ 25 % of today's, poster visible to moderators ≤ 3 s.

    .venv/bin/python bench/pipeline.py [--repeat 2] [--recording-seconds 30] [--only NAME]
                                       [--strict]

Needs PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_URL to change); starts its own S3 server.
"""

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure() -> str:
    """Point Django at a bench database and an S3 endpoint on loopback (started here)."""
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_pipeline"
    )
    endpoint = f"http://127.0.0.1:{_free_port()}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "onprovence.settings",
            "DATABASE_URL": database_url,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "S3_PRIVATE_BUCKET": "bench-private",
            "S3_PUBLIC_BUCKET": "bench-public",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_S3_REGION_NAME": "eu-west-3",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    _create_database(database_url)
    return endpoint


def migrate_and_create_buckets():
    """After django.setup(): migrate the bench database, create both buckets; the S3 client."""
    from django.conf import settings
    from django.core.management import call_command

    from onprovence.storage import private_storage

    call_command("migrate", verbosity=0)
    client = private_storage().connection.meta.client
    for bucket in (settings.S3_PRIVATE_BUCKET, settings.S3_PUBLIC_BUCKET):
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
    return client


def _create_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres", autocommit=True,
    )  # fmt: skip
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def make_clip(
    path: Path,
    *,
    seconds: float = CLIP_SECONDS,
    size: tuple[int, int] = (1920, 1080),
    bitrate_mbps: float = 10,
    tone_hz: int = 220,
) -> Path:
    """A phone's portrait clip: landscape-stored frames, a -90° display matrix, H.264 High.

    Defaults: 1920×1080 frames (1080×1920 on screen) at ~10 Mb/s. The picture is ffmpeg's moving
    test pattern with mild temporal noise (a phone's sensor noise after its own denoising), the
    sound a tone (`tone_hz` makes clips of equal length differ): cached after the first run.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = path.with_suffix(".stored.mp4")
    width, height = size
    rate = f"{bitrate_mbps:g}M"
    ffmpeg = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [*ffmpeg,
         "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30:duration={seconds},"
         "noise=alls=4:allf=t",
         "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds},volume=0.3",
         "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", rate,
         "-maxrate", f"{bitrate_mbps * 1.2:g}M", "-bufsize", f"{bitrate_mbps * 2:g}M",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-shortest",
         str(stored)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*ffmpeg, "-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=-90", str(path)],
        check=True,
    )
    stored.unlink()
    return path


def bare_commands(source: Path, workdir: Path) -> list[list[str]]:
    """The ffprobe + ffmpeg commands the pipeline runs, as a person would run them by hand.

    For a file the probe rejects, only the probe commands (the pipeline stops there too).
    """
    from django.conf import settings

    from ambassadors.media import probe as media_probe
    from ambassadors.media.renditions import moderation_command
    from ambassadors.services.pipeline import (
        check_spec,
        media_limits,
        moderation_outputs,
        probe_local,
        signature_spec,
        web_spec,
    )

    demuxer, facts, verdict, timings = probe_local(source, limits=media_limits())
    if demuxer is None:
        return []
    commands = [media_probe.probe_command(settings.FFPROBE_BINARY, str(source), demuxer)]
    if "packets" in timings:  # the packet scan (real length and frame count)
        commands.append(
            media_probe.packet_scan_command(settings.FFMPEG_BINARY, str(source), demuxer)
        )
    if not verdict.accepted:
        return commands
    outputs = moderation_outputs(workdir)
    commands.append(
        moderation_command(
            settings.FFMPEG_BINARY, str(source), demuxer, facts, outputs,
            spec=web_spec(), checks=check_spec(), max_duration=media_limits().max_duration,
            signature=signature_spec(),
        )
    )  # fmt: skip
    return commands


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children (ffmpeg)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    """CPU seconds used so far by this process (the pipeline's Python: S3, hashing, database)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_bare(commands: list[list[str]], *, check: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of the commands run one after the other (check=False: a probe of a
    damaged file may fail, as in the pipeline)."""
    started, cpu = time.monotonic(), children_cpu()
    for command in commands:
        subprocess.run(command, check=check, capture_output=True)
    return time.monotonic() - started, children_cpu() - cpu


# What each browser's MediaRecorder writes: codec -> (ffmpeg encoder options, container).
RECORDER_ENCODERS = {
    "vp9": (["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
             "-c:a", "libopus"], "webm"),
    "vp8": (["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
            "webm"),
    "h264": (["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt",
              "yuv420p", "-c:a", "aac"], "mp4"),
}  # fmt: skip


def recording_clip(
    path: Path,
    *,
    seconds: float,
    codec: str,
    tone_hz: int = 330,
    size: tuple[int, int] = (1280, 720),
    video_bitrate: str = "2500k",
    audio_bitrate: str | None = None,
) -> Path:
    """An in-page recording, as browsers record: WebM VP9 or VP8 + Opus, live (no duration in
    the header; Chromium, Firefox), or MP4 H.264 + AAC (`codec` "h264", Safari's MediaRecorder).
    `size` is the picture (1280×720 is the recorder's ideal; a phone held upright gives
    720×1280); the default bitrates are the browsers' own (~2.5 Mb/s video + 96 kb/s Opus or
    128 kb/s AAC). Cached after the first run."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder, container = RECORDER_ENCODERS[codec]
    audio_bitrate = audio_bitrate or ("128k" if container == "mp4" else "96k")
    live = ["-live", "1"] if container == "webm" else []
    width, height = size
    partial = path.with_suffix(".partial")  # an interrupted run leaves no half file in the cache
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30:duration={seconds},"
         "noise=alls=4:allf=t",
         "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds},volume=0.3",
         *encoder, "-b:v", video_bitrate, "-b:a", audio_bitrate, "-f", container, *live,
         "-shortest", str(partial)],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def run_pipeline(original_key: str, *, review_first: bool) -> tuple[float, float, dict]:
    """Process one upload to in_review with the given design; (wall, cpu, probe)."""
    from django.conf import settings

    from ambassadors.models import Status, Testimonial
    from ambassadors.services.processing import testimonial_process

    settings.AMBASSADORS_MEDIA_REVIEW_FIRST = review_first
    testimonial = Testimonial.objects.create(status=Status.UPLOADED, original_key=original_key)
    started, cpu = time.monotonic(), children_cpu() + own_cpu()
    outcome = testimonial_process(testimonial_id=testimonial.pk)
    seconds = time.monotonic() - started
    cpu = children_cpu() + own_cpu() - cpu
    testimonial.refresh_from_db()
    assert outcome == "in_review", (outcome, testimonial.rejection_reason)
    run_pipeline.last_id = testimonial.pk  # type: ignore[attr-defined]
    return seconds, cpu, testimonial.probe


def run_approval(testimonial_id) -> tuple[float, float]:
    """Approve a review-first testimonial and make its public web rendition; (wall, cpu)."""
    from django.utils import timezone

    from ambassadors.models import Status
    from ambassadors.services.processing import testimonial_render_web
    from ambassadors.services.status import testimonial_transition

    testimonial_transition(
        testimonial_id=testimonial_id, to=Status.APPROVED, actor_label="bench",
        expected_from=[Status.IN_REVIEW], changes={"publish_at": timezone.now()},
    )  # fmt: skip
    started, cpu = time.monotonic(), children_cpu() + own_cpu()
    assert testimonial_render_web(testimonial_id=testimonial_id) == "rendered"
    return time.monotonic() - started, children_cpu() + own_cpu() - cpu


# Targets of issue 18: time to in_review as a share of the clip's duration.
TARGETS = {"recording-webm-720p": 0.10, "recording-mp4-720p": 0.10, "phone-1080x1920": 0.25}
REFUSED_CPU_TARGET = 0.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--clip", default=str(ROOT / "var" / "bench" / "phone-60s-1080x1920.mp4"))
    parser.add_argument("--recording-seconds", type=float, default=30)
    parser.add_argument("--only", help="one clip name (e.g. phone-1080x1920)")
    options = parser.parse_args()

    endpoint = configure()
    from tests.processes import start_s3_server, stop

    s3 = start_s3_server(endpoint)
    try:
        import django

        django.setup()
        from django.conf import settings

        from ambassadors import conf

        client = migrate_and_create_buckets()
        seconds = options.recording_seconds
        cache = ROOT / "var" / "bench"
        clips = {
            "recording-webm-720p": (
                recording_clip(cache / f"recording-{seconds:g}s-720p.webm", seconds=seconds,
                               codec="vp9"),
                seconds,
            ),
            "recording-mp4-720p": (
                recording_clip(cache / f"recording-{seconds:g}s-720p.mp4", seconds=seconds,
                               codec="h264"),
                seconds,
            ),
            "phone-1080x1920": (make_clip(Path(options.clip)), CLIP_SECONDS),
        }  # fmt: skip
        if options.only:
            clips = {options.only: clips[options.only]}
        cores = os.cpu_count() or 1
        print(
            f"{cores} cores; x264 preset {conf.MEDIA_X264_PRESET}; load "
            f"{os.getloadavg()[0]:.1f}; encode-first = today's design (web rendition before "
            "review), review-first = issue 18 (review file, web rendition after approval)"
        )
        missed = False
        rows = []
        for name, (clip, duration) in clips.items():
            key = f"bench/{name}"
            client.upload_file(str(clip), settings.S3_PRIVATE_BUCKET, key)
            print(f"\n{name}: {clip.name}, {duration:g} s, {clip.stat().st_size / 1e6:.1f} MB")
            found: dict[str, list] = {"old": [], "new": [], "approval": []}
            for run in range(1, options.repeat + 1):
                for design in ("old", "new"):
                    wall, cpu, probe = run_pipeline(key, review_first=design == "new")
                    found[design].append((wall, cpu))
                    review = probe.get("review", {})
                    poster = probe.get("timings", {}).get("poster")
                    print(
                        f"  run {run} {'review-first' if design == 'new' else 'encode-first'}: "
                        f"in_review after {wall:.2f} s = {wall / duration:.3f} x duration, "
                        f"early poster up after {f'{poster:.2f} s' if poster else 'none'}, cpu "
                        f"{cpu:.1f} s; review file: {review.get('mode', 'web rendition')}"
                        f"{' ' + str(review.get('reasons')) if review.get('reasons') else ''}; "
                        f"load {os.getloadavg()[0]:.1f}"
                    )
                    if design == "new":
                        approval = run_approval(run_pipeline.last_id)  # type: ignore[attr-defined]
                        found["approval"].append(approval)
                        print(
                            f"  run {run} approval (public web rendition): {approval[0]:.2f} s, "
                            f"cpu {approval[1]:.1f} s"
                        )
            old_wall = statistics.median(w for w, _ in found["old"])
            new_wall = statistics.median(w for w, _ in found["new"])
            old_cpu = statistics.median(c for _, c in found["old"])
            new_cpu = statistics.median(c for _, c in found["new"])
            approval_cpu = statistics.median(c for _, c in found["approval"])
            share, target = new_wall / duration, TARGETS[name]
            refused = new_cpu / old_cpu
            missed |= share > target or refused > REFUSED_CPU_TARGET
            rows.append(
                f"| {name} | {old_wall / duration:.3f}x ({old_wall:.1f} s) | "
                f"{share:.3f}x ({new_wall:.1f} s); on {cores} idle cores >= "
                f"{new_cpu / cores / duration:.3f}x | <= {target:.2f} "
                f"{'OK' if share <= target else 'MISSED'} | {old_cpu:.1f} s | {new_cpu:.1f} s = "
                f"{refused:.0%} ({'OK' if refused <= REFUSED_CPU_TARGET else 'MISSED'}) | "
                f"{new_cpu + approval_cpu:.1f} s |"
            )
        print(
            "\n| clip | to in_review, encode-first | to in_review, review-first | target | "
            "cpu of a refused upload, encode-first | review-first (share) | "
            "cpu of a published one, review-first (review + web) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        print("\n".join(rows))
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {cores} cores")
        return 1 if (missed and options.strict) else 0
    finally:
        stop(s3)


if __name__ == "__main__":
    sys.exit(main())
