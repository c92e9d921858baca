"""Benchmark of the media pipeline on a 60 s 1080×1920 phone-like clip.

Prints the time from `uploaded` to `in_review` (the processing service, on PostgreSQL and an
S3 endpoint on loopback) and the overhead ratio: the pipeline's wall time divided by the wall
time of the same bare ffprobe + ffmpeg commands run from this process. Targets on a 2-core
machine: time to in_review ≤ 0.5 × the clip's duration; overhead ratio ≤ 1.10.

    .venv/bin/python bench/pipeline.py [--repeat 3] [--strict]

Needs PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_URL to change); starts its own S3 server.
"""

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
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


def run_pipeline(original_key: str) -> tuple[float, float, dict]:
    from ambassadors.models import Status, Testimonial
    from ambassadors.services.processing import testimonial_process

    testimonial = Testimonial.objects.create(status=Status.UPLOADED, original_key=original_key)
    started, cpu = time.monotonic(), children_cpu() + own_cpu()
    outcome = testimonial_process(testimonial_id=testimonial.pk)
    seconds = time.monotonic() - started
    cpu = children_cpu() + own_cpu() - cpu
    testimonial.refresh_from_db()
    assert outcome == "in_review", (outcome, testimonial.rejection_reason)
    return seconds, cpu, testimonial.probe["timings"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--clip", default=str(ROOT / "var" / "bench" / "phone-60s-1080x1920.mp4"))
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
        clip = make_clip(Path(options.clip))
        key = "bench/original"
        client.upload_file(str(clip), settings.S3_PRIVATE_BUCKET, key)
        size_mb = clip.stat().st_size / 1e6
        print(
            f"clip: {clip.name}, {CLIP_SECONDS} s, 1080x1920 (stored 1920x1080 + rotation -90), "
            f"H.264 High ~10 Mb/s + AAC, {size_mb:.0f} MB; {os.cpu_count()} cores; "
            f"x264 preset {conf.MEDIA_X264_PRESET}"
        )
        pipeline_times, bare_times, cpu_times, pipeline_cpus, own_overheads = [], [], [], [], []
        with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as folder:
            local = Path(folder) / "original"
            shutil.copyfile(clip, local)
            commands = bare_commands(local, Path(folder))
            for run in range(1, options.repeat + 1):
                bare, bare_cpu = run_bare(commands)
                pipeline, pipeline_cpu, timings = run_pipeline(key)
                bare_times.append(bare)
                pipeline_times.append(pipeline)
                cpu_times.append(bare_cpu)
                pipeline_cpus.append(pipeline_cpu)
                own_overheads.append(pipeline - timings["probe"] - timings["transcode"])
                steps = ", ".join(f"{name} {value:.2f}" for name, value in timings.items())
                print(
                    f"run {run}: pipeline {pipeline:.2f} s ({steps}; cpu "
                    f"{pipeline_cpu:.1f} s) | bare ffprobe+ffmpeg {bare:.2f} s (cpu "
                    f"{bare_cpu:.1f} s) | ratio {pipeline / bare:.3f} | load "
                    f"{os.getloadavg()[0]:.1f}"
                )
        to_review = statistics.median(pipeline_times)
        ratio = to_review / statistics.median(bare_times)
        share = to_review / CLIP_SECONDS
        print(
            f"time to in_review: {to_review:.2f} s = {share:.2f} x clip duration "
            f"(target <= 0.50) {'OK' if share <= 0.5 else 'MISSED'}"
        )
        print(
            f"overhead ratio: {ratio:.3f} (median pipeline / median bare; target <= 1.10) "
            f"{'OK' if ratio <= 1.10 else 'MISSED'}"
        )
        overhead = statistics.median(own_overheads)
        cpu_ratio = statistics.median(pipeline_cpus) / statistics.median(cpu_times)
        print(
            f"pipeline's own time (download, hash, uploads, database; outside ffprobe/ffmpeg): "
            f"{overhead:.2f} s per run; cpu ratio pipeline/bare {cpu_ratio:.3f} "
            "(insensitive to other processes' load)"
        )
        cores = os.cpu_count() or 1
        cpu = statistics.median(cpu_times)
        print(
            f"ffmpeg cpu time: {cpu:.1f} s per run; on {cores} idle cores the transcode "
            f"cannot take less than {cpu / cores:.1f} s = {cpu / cores / CLIP_SECONDS:.2f} x "
            "clip duration (the wall times above include other processes' load)"
        )
        print("bare commands:")
        for command in commands:
            print("  " + " ".join(command))
        missed = share > 0.5 or ratio > 1.10
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {cores} cores")
        return 1 if (missed and options.strict) else 0
    finally:
        stop(s3)


if __name__ == "__main__":
    sys.exit(main())
