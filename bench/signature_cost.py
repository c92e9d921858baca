"""What the perceptual signature adds to the moderation pass: the same ffmpeg run with and
without its extra output, alternated, on a 20 s phone-like clip (the pipeline bench's clip,
shorter). Prints wall and CPU seconds of each run and the medians; the baseline is the run
without the signature output.

    .venv/bin/python bench/signature_cost.py --repeat 4
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onprovence.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from pipeline import children_cpu, make_clip

    from ambassadors.media.renditions import moderation_command
    from ambassadors.media.signature import hashes_from_raw
    from ambassadors.services.pipeline import (
        SIGNATURE_SAMPLES,
        check_spec,
        media_limits,
        moderation_outputs,
        probe_local,
        signature_spec,
        web_spec,
    )

    clip = make_clip(ROOT / "var" / "bench" / f"clip-{args.seconds:g}s.mp4", seconds=args.seconds)
    demuxer, facts, verdict, _ = probe_local(clip, limits=media_limits())
    assert verdict.accepted, verdict
    figures: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    hashing: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for _ in range(args.repeat):
            for with_signature in (False, True):
                outputs = moderation_outputs(workdir, signature=with_signature)
                command = moderation_command(
                    settings.FFMPEG_BINARY, str(clip), demuxer, facts, outputs,
                    spec=web_spec(), checks=check_spec(),
                    max_duration=media_limits().max_duration, signature=signature_spec(),
                )  # fmt: skip
                cpu, wall = children_cpu(), time.monotonic()
                subprocess.run(command, check=True, capture_output=True)
                wall, cpu = time.monotonic() - wall, children_cpu() - cpu
                figures[with_signature].append((wall, cpu))
                label = "with signature   " if with_signature else "without signature"
                print(f"{label}  wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
                if with_signature:
                    started = time.monotonic()
                    raw = (workdir / SIGNATURE_SAMPLES).read_bytes()
                    samples = len(hashes_from_raw(raw, signature_spec()))
                    hashing.append(time.monotonic() - started)
                    # Two samples a second: a run that wrote none measured nothing.
                    assert samples >= args.seconds, f"{samples} signature samples"
    print(f"load average {os.getloadavg()}")
    for key in (False, True):
        walls, cpus = zip(*figures[key], strict=True)
        label = "with signature   " if key else "without signature"
        print(
            f"{label}  median wall {statistics.median(walls):6.2f} s"
            f"  median cpu {statistics.median(cpus):6.2f} s"
        )
    base = statistics.median(cpu for _, cpu in figures[False])
    extra = statistics.median(cpu for _, cpu in figures[True])
    print(
        f"cpu ratio {extra / base:.3f}; {samples} samples, hashed in Python in {max(hashing):.3f} s"
    )


if __name__ == "__main__":
    main()
