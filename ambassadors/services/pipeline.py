"""The media work on a local file, touching no database: probe, validate, transcode, check.

`video_process_local` is what `testimonial_process` runs on a downloaded original; the
`process_video` command and the benchmarks call it on any file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

from django.conf import settings

from ambassadors import conf, keys
from ambassadors.media import probe as media_probe
from ambassadors.media.checks import Findings, flags_from_findings, parse_check_log
from ambassadors.media.renditions import (
    WEB_FOR_REVIEW,
    CheckSpec,
    ModerationOutputs,
    ReviewPlan,
    ReviewSpec,
    WebSpec,
    moderation_command,
    review_command,
    review_plan,
    web_command,
)
from ambassadors.media.signature import SignatureSpec, encode, hashes_from_raw
from ambassadors.media.validation import (
    Flag,
    MediaLimits,
    Verdict,
    reject_damaged,
    reject_empty,
    reject_not_a_video,
    reject_unprocessable,
    validate_probe,
)
from ambassadors.services.files import NO_SPACE_MESSAGES, WorkDirectoryFull
from onprovence.mediarunner import ToolRun, ToolTimeout, run_tool

# Raw gray samples the moderation pass writes for the perceptual signature (never uploaded).
SIGNATURE_SAMPLES = "signature.gray"
# Output of the moderation pass -> its object name under the testimonial's prefix.
MODERATION_FILES = {
    "web": keys.WEB,
    "poster_jpeg": keys.POSTER_JPEG,
    "poster_webp": keys.POSTER_WEBP,
    "preview": keys.PREVIEW,
}


# --- Settings as values -----------------------------------------------------------------------


def media_limits() -> MediaLimits:
    return MediaLimits(
        min_duration=conf.MIN_DURATION_SECONDS,
        max_duration=conf.MAX_DURATION_SECONDS,
        video_codecs=frozenset(conf.MEDIA_VIDEO_CODECS),
        audio_codecs=frozenset(conf.MEDIA_AUDIO_CODECS),
        min_side=conf.MEDIA_MIN_SIDE,
        max_side=conf.MEDIA_MAX_SIDE,
        max_pixels=conf.MEDIA_MAX_PIXELS,
        max_frame_rate=conf.MEDIA_MAX_FRAME_RATE,
        max_pixel_rate=conf.MEDIA_MAX_PIXEL_RATE,
    )


def web_spec() -> WebSpec:
    return WebSpec(
        long_side=conf.MEDIA_WEB_LONG_SIDE, preset=conf.MEDIA_X264_PRESET, crf=conf.MEDIA_WEB_CRF
    )


def review_first() -> bool:
    """Review first, encode once approved (issue 18); False: the public web rendition is made
    before review, as before (`AMBASSADORS_MEDIA_REVIEW_FIRST`, read at each run)."""
    return conf.media_review_first()


def review_spec() -> ReviewSpec:
    """`AMBASSADORS_MEDIA_REVIEW_MAX_BIT_RATE` (bits/s) and `_PRESET` override the defaults."""
    return ReviewSpec(**conf.media_review_overrides())


def check_spec() -> CheckSpec:
    return CheckSpec(short_seconds=conf.MEDIA_SHORT_FLAG_SECONDS)


def signature_spec() -> SignatureSpec:
    return SignatureSpec(threshold=conf.MEDIA_NEAR_DUPLICATE_MAX_DISTANCE)


@dataclass(frozen=True)
class PassSpecs:
    """What a pass on a local file is made with (`pass_specs()`: the settings' values)."""

    limits: MediaLimits
    web: WebSpec
    review: ReviewSpec
    checks: CheckSpec
    signature: SignatureSpec


def pass_specs() -> PassSpecs:
    """The specs of a pass, read from the settings at each run."""
    return PassSpecs(media_limits(), web_spec(), review_spec(), check_spec(), signature_spec())


def transcode_timeout(duration: float | None, *, per_second: float | None = None) -> float:
    """Wall-time budget of one ffmpeg run for a video of `duration` seconds."""
    per_second = conf.MEDIA_TIMEOUT_PER_VIDEO_SECOND if per_second is None else per_second
    return conf.MEDIA_TIMEOUT_BASE_SECONDS + per_second * (
        duration if duration is not None else conf.MAX_DURATION_SECONDS
    )


# --- The media work on a local file (no database) ---------------------------------------------


@dataclass
class LocalResult:
    """What the pipeline made of one local file."""

    verdict: Verdict
    demuxer: str | None = None
    facts: media_probe.ProbeFacts | None = None
    findings: Findings | None = None
    flags: list[Flag] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    signature: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)
    # Review first: what `web.mp4` holds (the source remuxed or a fast rendition); None when
    # the moderation pass made the public web rendition before review.
    review: ReviewPlan | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted

    def probe_record(self) -> dict[str, Any]:
        """The JSON stored in Testimonial.probe: facts, checks, verdict, timings."""
        record: dict[str, Any] = {"demuxer": self.demuxer, "timings": self.timings}
        if self.facts is not None:
            record.update(self.facts.as_dict())
        if self.findings is not None:
            record["checks"] = self.findings.as_dict()
        if self.verdict.reason is not None:
            record["verdict"] = self.verdict.reason.as_dict()
        if self.review is not None:
            record["review"] = self.review.as_dict()
            record["web"] = WEB_FOR_REVIEW
        return record

    def as_dict(self) -> dict[str, Any]:
        """The `process_video --json` report."""
        return {
            "accepted": self.accepted,
            "reason": self.verdict.reason.as_dict() if self.verdict.reason else None,
            "probe": self.facts.as_dict() if self.facts else None,
            "flags": [flag.as_dict() for flag in self.flags],
            "checks": self.findings.as_dict() if self.findings else None,
            "outputs": {name: str(path) for name, path in self.outputs.items()},
            "signature": self.signature,
            "timings": self.timings,
            "review": self.review.as_dict() if self.review else None,
        }


def probe_local(
    source: Path, *, limits: MediaLimits
) -> tuple[str | None, media_probe.ProbeFacts | None, Verdict, dict[str, float]]:
    """Sniff, ffprobe and validate a local file: (demuxer, facts, verdict, timings)."""
    timings: dict[str, float] = {}
    with open(source, "rb") as handle:
        head = handle.read(64)
    if not head:
        return None, None, reject_empty(), timings
    demuxer = media_probe.sniff_container(head)
    if demuxer is None:
        image = media_probe.looks_like_image(head)
        verdict = reject_not_a_video("unrecognised container signature", image=image)
        return None, None, verdict, timings
    run = run_tool(
        media_probe.probe_command(settings.FFPROBE_BINARY, str(source), demuxer),
        timeout=conf.MEDIA_PROBE_TIMEOUT_SECONDS,
        memory_bytes=conf.MEDIA_PROBE_MEMORY_BYTES,
    )
    timings["probe"] = round(run.seconds, 3)
    refused = media_probe.refused_sizes(run.stderr)
    if run.returncode != 0 and not refused:
        return demuxer, None, reject_damaged(last_line(run.stderr) or "ffprobe failed"), timings
    try:
        facts = media_probe.parse_probe(run.stdout if run.returncode == 0 else "", run.stderr)
    except media_probe.ProbeOutputError as error:
        if refused:
            facts = media_probe.ProbeFacts("", None, 0, 0, None, None, 0, 0, 0, refused)
        else:
            return demuxer, None, reject_damaged(str(error)), timings
    if facts.video is not None and not facts.refused_sizes:
        # The header's duration and frame rate are claims: count what the packets hold.
        try:
            scan = run_tool(
                media_probe.packet_scan_command(settings.FFMPEG_BINARY, str(source), demuxer),
                timeout=conf.MEDIA_PROBE_TIMEOUT_SECONDS,
                memory_bytes=conf.MEDIA_PROBE_MEMORY_BYTES,
            )
        except ToolTimeout as error:
            return demuxer, facts, reject_unprocessable(f"packet scan: {error}"), timings
        timings["packets"] = round(scan.seconds, 3)
        facts = media_probe.with_packet_scan(facts, media_probe.parse_packet_scan(scan.stdout))
    return demuxer, facts, validate_probe(facts, limits), timings


def moderation_outputs(workdir: Path, *, signature: bool = True) -> ModerationOutputs:
    """Where the moderation pass writes in `workdir` (the signature samples stay local)."""
    return ModerationOutputs(
        web=str(workdir / keys.WEB),
        poster_jpeg=str(workdir / keys.POSTER_JPEG),
        poster_webp=str(workdir / keys.POSTER_WEBP),
        preview=str(workdir / keys.PREVIEW),
        signature=str(workdir / SIGNATURE_SAMPLES) if signature else None,
    )


# Sees the validated facts before the transcode and may refuse them (the media budget).
Admission = Callable[[media_probe.ProbeFacts], Verdict | None] | None


def _probe_admitted(source: Path, *, limits: MediaLimits, admit: Admission) -> LocalResult:
    """Probe and validate `source`, then let `admit` refuse it (the media budget): the start
    of every pass. An accepted result has its demuxer and facts, with a duration."""
    demuxer, facts, verdict, timings = probe_local(source, limits=limits)
    result = LocalResult(verdict, demuxer=demuxer, facts=facts, timings=timings)
    if not verdict.accepted:
        return result
    # Only validate_probe accepts, and only a sniffed container whose probe gave a duration.
    assert demuxer is not None and facts is not None and facts.duration is not None
    refusal = admit(facts) if admit is not None else None
    if refusal is not None:
        result.verdict = refusal
    return result


def video_process_local(
    source: Path, workdir: Path, *, specs: PassSpecs | None = None, admit: Admission = None
) -> LocalResult:
    """Probe, validate, then make the moderation rendition, posters, preview, checks and the
    perceptual signature.

    `admit`, when given, sees the validated facts before the transcode and may return a
    rejection (the per-client budget of media seconds).
    """
    return _local_pass(source, workdir, specs or pass_specs(), admit, review_first=False)


def video_review_local(
    source: Path, workdir: Path, *, specs: PassSpecs | None = None, admit: Admission = None
) -> LocalResult:
    """Review first: probe and validate as `video_process_local`, then, in one pass, the
    review file (`outputs["web"]`: the source remuxed when the review player can play it, else
    a fast small rendition; `renditions.review_plan`), posters, preview, every check on the
    whole duration and the signature. The public web rendition is left for after approval
    (`web_render_local`)."""
    return _local_pass(source, workdir, specs or pass_specs(), admit, review_first=True)


def _local_pass(
    source: Path, workdir: Path, specs: PassSpecs, admit: Admission, *, review_first: bool
) -> LocalResult:
    """Probe, validate and admit `source`, then run the review pass (`review_first`) or the
    moderation pass on it."""
    result = _probe_admitted(source, limits=specs.limits, admit=admit)
    if not result.verdict.accepted:
        return result
    demuxer, facts = cast(str, result.demuxer), cast(media_probe.ProbeFacts, result.facts)
    outputs = moderation_outputs(workdir)
    build: Callable[..., list[str]] = moderation_command
    if review_first:
        result.review = review_plan(facts, demuxer, specs.review)
        build = partial(review_command, plan=result.review, review=specs.review)
    command = build(
        settings.FFMPEG_BINARY,
        str(source),
        demuxer,
        facts,
        outputs,
        spec=specs.web,
        checks=specs.checks,
        max_duration=specs.limits.max_duration,
        signature=specs.signature,
    )
    return _run_pass(result, command, outputs, specs)


def _run_pass(
    result: LocalResult, command: list[str], outputs: ModerationOutputs, specs: PassSpecs
) -> LocalResult:
    """Run a moderation or review pass; read its outputs, checks, flags and signature."""
    facts, verdict, timings = result.facts, result.verdict, result.timings
    assert facts is not None and facts.duration is not None
    result.commands.append(command)
    run = run_tool(
        command,
        timeout=transcode_timeout(facts.duration),
        memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
        file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
    )
    timings["transcode"] = round(run.seconds, 3)
    timings["transcode_cpu"] = run.cpu_seconds
    made = {name: Path(path) for name, path in vars(outputs).items() if name in MODERATION_FILES}
    missing = [str(path) for path in made.values() if not _non_empty(path)]
    _raise_when_disk_full(run)
    if run.returncode != 0 or missing:
        detail = f"ffmpeg exit {run.returncode}: {last_line(run.stderr)}"
        result.verdict = reject_damaged(detail if run.returncode else f"no output {missing}")
        return result
    result.findings = parse_check_log(run.stderr, facts.duration)
    result.flags = verdict.flags + flags_from_findings(
        result.findings,
        duration=facts.duration,
        has_audio=facts.audio is not None,
        spec=specs.checks,
    )
    result.outputs = made
    # A flag helper, not an output moderators need: no samples only means no comparison.
    assert outputs.signature is not None  # both passes sample the signature
    samples = Path(outputs.signature)
    if samples.exists():
        result.signature = encode(hashes_from_raw(samples.read_bytes(), specs.signature))
    return result


def web_render_local(
    source: Path, workdir: Path, *, limits: MediaLimits | None = None, spec: WebSpec | None = None
) -> tuple[Path, dict[str, float]]:
    """The public web rendition of an approved upload (review first): `workdir/web.mp4` and its
    timings. Raises RuntimeError when the source no longer probes or ffmpeg fails."""
    limits = limits or media_limits()
    spec = spec or web_spec()
    demuxer, facts, verdict, timings = probe_local(source, limits=limits)
    if not verdict.accepted:
        raise RuntimeError(f"web rendition: the original no longer passes ({verdict.reason})")
    assert demuxer is not None and facts is not None and facts.duration is not None
    output = workdir / keys.WEB
    run = run_tool(
        web_command(
            settings.FFMPEG_BINARY,
            str(source),
            demuxer,
            facts,
            str(output),
            spec=spec,
            max_duration=limits.max_duration,
        ),
        timeout=transcode_timeout(facts.duration),
        memory_bytes=conf.MEDIA_FFMPEG_MEMORY_BYTES,
        file_bytes=conf.MEDIA_OUTPUT_MAX_BYTES,
    )
    timings["web"] = round(run.seconds, 3)
    timings["web_cpu"] = run.cpu_seconds
    _raise_when_disk_full(run)
    if run.returncode != 0 or not _non_empty(output):
        raise RuntimeError(
            f"web rendition failed: ffmpeg exit {run.returncode}: {last_line(run.stderr)}"
        )
    return output, timings


def _raise_when_disk_full(run: ToolRun) -> None:
    """A failed ffmpeg run that says the work folder is full is the folder's fault, not the
    upload's: WorkDirectoryFull (retried), never a refusal."""
    full = [line for line in run.stderr.splitlines() if any(m in line for m in NO_SPACE_MESSAGES)]
    if run.returncode != 0 and full:
        raise WorkDirectoryFull(f"ffmpeg: {full[0].strip()[:300]}")


def _non_empty(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
