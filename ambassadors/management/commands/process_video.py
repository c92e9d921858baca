"""`manage.py process_video PATH [--json]`: the media work on a local file, no database."""

import json
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ambassadors.services.pipeline import video_process_local


class Command(BaseCommand):
    help = (
        "Probe, validate, transcode and check a local video exactly as the workers do, "
        "without the database; print the verdict, reason, probe facts, flags, output files "
        "and timings."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("path", help="the video file to process")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--output-dir",
            help="where the renditions go (default: a new folder under MEDIA_WORK_DIR)",
        )

    def handle(self, *args, path: str, json: bool, output_dir: str | None, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{path}: no such file")
        if output_dir:
            workdir = Path(output_dir)
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            Path(settings.MEDIA_WORK_DIR).mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix="process-video-", dir=settings.MEDIA_WORK_DIR))
        started = time.monotonic()
        result = video_process_local(source, workdir)
        report = result.as_dict()
        report["timings"]["total"] = round(time.monotonic() - started, 3)
        if json:
            self.stdout.write(_dumps(report))
        else:
            self.stdout.write(_text(report))


def _dumps(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _text(report: dict) -> str:
    lines = [f"verdict: {'accepted' if report['accepted'] else 'rejected'}"]
    if report["reason"]:
        reason = report["reason"]
        lines += [
            f"reason ({reason['code']}): {reason['fr']}",
            f"        {reason['en']}",
            f"detail: {reason['detail']}",
        ]
    probe = report["probe"] or {}
    video = probe.get("video") or {}
    if video:
        lines.append(
            f"video: {video['codec']} {video['width']}x{video['height']} "
            f"rotation {video['rotation']} {video['frame_rate']} fps, "
            f"duration {probe.get('duration')} s"
        )
    audio = probe.get("audio")
    if audio:
        lines.append(f"audio: {audio['codec']} {audio['channels']} ch {audio['sample_rate']} Hz")
    for flag in report["flags"]:
        lines.append(f"flag {flag['code']}: {flag['label']} {flag['detail']}".rstrip())
    for name, path in report["outputs"].items():
        lines.append(f"output {name}: {path}")
    lines.append("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in report["timings"].items()))
    return "\n".join(lines)
