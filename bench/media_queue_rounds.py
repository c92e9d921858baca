"""The media queue bench's rounds and how they are printed (bench/media_queue.py runs them)."""

import statistics
from dataclasses import dataclass, field

from bench.common import percentile
from bench.media_corpus import Clip


@dataclass
class Upload:
    """One clip sent in one round: its testimonial and what became of it."""

    clip: Clip
    testimonial_id: str = ""
    session: object = None
    enqueued_at: float = 0.0
    events: dict[str, float] = field(default_factory=dict)
    status: str = ""
    reason: str = ""
    review_file: str = ""  # what web.mp4 held at review: "web rendition", "source", "rendition"
    problems: list[str] = field(default_factory=list)


@dataclass
class Round:
    """One burst under one design, and its figures."""

    design: str
    uploads: list[Upload]
    started: float = 0.0
    worker_cpu: float = 0.0
    emails_done: float | None = None

    @property
    def reviewed(self) -> list[Upload]:
        return [u for u in self.uploads if u.status == "in_review"]

    @property
    def wall(self) -> float:
        """From the first completion to the last final status."""
        finals = [u.events[u.status] for u in self.uploads if u.status in ("in_review", "rejected")]
        return max(finals) - self.started if finals else float("nan")

    @property
    def to_review(self) -> list[float]:
        return [u.events["in_review"] - u.enqueued_at for u in self.reviewed]


def report(this: Round, *, bare: bool) -> None:
    """The per-video table and the round's figures (`bare`: with the baseline's time per video,
    today's commands)."""
    print(
        f"{'video':<38}{'length':>7} {'codecs':<12}{'size':>10} {'final':<10}{'reason':<11}"
        f"{'review file':<14}{'to final':>9}{'queued':>8}{'working':>8}"
        f"{'bare' if bare else '':>7}"
    )
    for upload in this.uploads:
        clip = upload.clip
        final = upload.events.get(upload.status)
        processing = upload.events.get("processing")
        to_final = f"{final - upload.enqueued_at:.1f}" if final else "-"
        queued = f"{processing - upload.events['uploaded']:.1f}" if processing else "-"
        working = f"{final - processing:.1f}" if final and processing else "-"
        length = f"{clip.duration:.1f}" if clip.duration else "-"
        print(
            f"{clip.name:<38}{length:>7} {clip.codecs:<12}{clip.size_label:>10} "
            f"{upload.status:<10}{upload.reason or '':<11}{upload.review_file:<14}"
            f"{to_final:>9}{queued:>8}{working:>8}"
            f"{f'{clip.bare_seconds:.1f}' if bare else '':>7}"
        )
    reviewed, wall, to_review = this.reviewed, this.wall, this.to_review
    working = [u.events["in_review"] - u.events["processing"] for u in reviewed]
    video_seconds = sum(u.clip.duration or 0 for u in reviewed)
    print(
        f"{this.design}: {len(this.uploads)} uploads ({len(reviewed)} in_review, "
        f"{len(this.uploads) - len(reviewed)} rejected): wall time {wall:.1f} s from the first "
        f"completion to the last final status; {len(this.uploads) / wall * 60:.1f} videos/minute"
    )
    if to_review:
        print(
            f"{this.design}: time from enqueue to in_review: mean "
            f"{statistics.mean(to_review):.1f} s, p50 {statistics.median(to_review):.1f} s, p90 "
            f"{percentile(to_review, 0.9):.1f} s, max {max(to_review):.1f} s; in the worker "
            f"(processing -> in_review): mean {statistics.mean(working):.1f} s"
        )
    print(
        f"{this.design}: video seconds processed / wall time: {video_seconds:.0f} s / "
        f"{wall:.1f} s = {video_seconds / wall:.2f} x real time; media worker CPU "
        f"{this.worker_cpu:.1f} s"
    )
    if this.emails_done is not None:
        print(
            f"{this.design}: confirmation emails (queue `default`, its own worker): the last left "
            f"the queue {this.emails_done:.1f} s after the first completion"
        )


def compare(old: Round, new: Round) -> None:
    """One table: each figure under both designs and the ratio new/old."""

    def figures(this: Round) -> dict[str, float]:
        to_review = this.to_review or [float("nan")]
        return {
            "burst -> last in_review/rejected (s)": this.wall,
            "time to in_review, mean (s)": statistics.mean(to_review),
            "time to in_review, p50 (s)": statistics.median(to_review),
            "time to in_review, p90 (s)": percentile(to_review, 0.9),
            "time to in_review, max (s)": max(to_review),
            "media worker CPU (s)": this.worker_cpu,
        }

    before, after = figures(old), figures(new)
    print(f"\n| figure | {old.design} (today) | {new.design} | ratio new/old |")
    print("| --- | --- | --- | --- |")
    for name, value in before.items():
        print(f"| {name} | {value:.1f} | {after[name]:.1f} | {after[name] / value:.3f} |")
