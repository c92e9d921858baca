"""What the worst file the validation accepts costs a media worker, against a phone clip.

The worst accepted file sits at every limit at once: the largest frame (4096×2304, the
`AMBASSADORS_MEDIA_MAX_SIDE`/`MAX_PIXELS` limits), the highest frame rate the pixel-rate limit
leaves at that size (`AMBASSADORS_MEDIA_MAX_PIXEL_RATE` / pixels, 105 fps by default), black
(the cheapest such file to send: a few MB). The baseline is a typical phone clip of the same
duration (1080×1920 at 30 fps, H.264 ~10 Mb/s, the pipeline bench's clip). Both go through
`video_process_local` (probe, packet scan, validation, the one moderation pass); the figures
are the ffmpeg children's CPU seconds, which the neighbours' load does not change. It also
shows that the security review's file (4096×2304 at 240 fps) is refused before any transcode.

    .venv/bin/python bench/worst_accepted.py [--seconds 30]   (3 s at least: the minimum length)
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onprovence.settings")


def black_clip(path: Path, *, size: tuple[int, int], rate: int, seconds: float) -> Path:
    """Black frames of `size` at `rate` fps, H.264: the cheapest file at that pixel rate."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    source = f"color=black:size={size[0]}x{size[1]}:rate={rate}:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def measure(label: str, path: Path) -> float:
    """Run the pipeline's media work on `path`; print and return the transcode's CPU seconds."""
    from ambassadors.services.pipeline import video_process_local

    with tempfile.TemporaryDirectory() as folder:
        result = video_process_local(path, Path(folder))
    assert result.accepted, (label, result.verdict.reason)
    timings = result.timings
    video = result.facts.video
    print(
        f"{label}: {video.width}x{video.height} @ {video.frame_rate:g} fps, "
        f"{result.facts.duration:g} s, {path.stat().st_size / 1e6:.1f} MB | probe + packet scan "
        f"{timings['probe'] + timings['packets']:.2f} s | transcode wall "
        f"{timings['transcode']:.2f} s, cpu {timings['transcode_cpu']:.2f} s",
        flush=True,
    )
    return timings["transcode_cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from pipeline import make_clip

    from ambassadors.services.pipeline import media_limits, video_process_local

    limits = media_limits()
    size = (limits.max_side, limits.max_pixels // limits.max_side)
    rate = min(int(limits.max_frame_rate), math.floor(limits.max_pixel_rate / (size[0] * size[1])))
    print(
        f"limits: long side {limits.max_side} px, {limits.max_pixels / 1e6:.2f} Mpx, "
        f"{limits.max_frame_rate:g} fps, {limits.max_pixel_rate / 1e6:.0f} Mpx/s, "
        f"{limits.max_duration:g} s; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}"
    )
    folder = ROOT / "var" / "bench"
    seconds = args.seconds
    worst = black_clip(
        folder / f"worst-{size[0]}x{size[1]}-{rate}fps-{seconds:g}s.mp4",
        size=size,
        rate=rate,
        seconds=seconds,
    )
    baseline = make_clip(folder / f"clip-{seconds:g}s.mp4", seconds=seconds)

    worst_cpu = measure("worst accepted", worst)
    baseline_cpu = measure("baseline phone clip", baseline)
    at_limit = worst_cpu / seconds * limits.max_duration
    print(
        f"cpu ratio worst/baseline: {worst_cpu / baseline_cpu:.2f} "
        f"({worst_cpu / seconds:.2f} vs {baseline_cpu / seconds:.2f} cpu s per video second; "
        f"at the {limits.max_duration:g} s limit about {at_limit:.0f} cpu s)"
    )

    bomb = black_clip(
        folder / "bomb-4096x2304-240fps-1s.mp4", size=(4096, 2304), rate=240, seconds=1
    )
    with tempfile.TemporaryDirectory() as work:
        refused = video_process_local(bomb, Path(work))
    reason = refused.verdict.reason
    assert reason is not None and "transcode" not in refused.timings, refused.timings
    print(f"refused before any transcode: 4096x2304 @ 240 fps -> {reason.code} ({reason.detail})")


if __name__ == "__main__":
    main()
