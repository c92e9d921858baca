"""Read the automatic checks from ffmpeg's log and turn them into flags for moderators.

The moderation pass runs silencedetect, blackdetect, freezedetect and loudnorm (which prints
the input's loudness); this module parses what they log. Findings become flags, never
rejections: a moderator decides.
"""

import json
import re
from dataclasses import dataclass, field

from .renditions import CheckSpec
from .validation import Flag

Interval = tuple[float, float]

_NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
_SILENCE_START = re.compile(r"silence_start: " + _NUMBER)
_SILENCE_END = re.compile(r"silence_end: " + _NUMBER)
_BLACK = re.compile(r"black_start:\s*" + _NUMBER + r"\s+black_end:\s*" + _NUMBER)
_FREEZE_START = re.compile(r"freezedetect\.freeze_start: " + _NUMBER)
_FREEZE_END = re.compile(r"freezedetect\.freeze_end: " + _NUMBER)
_LOUDNORM = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


@dataclass(frozen=True)
class Findings:
    silences: list[Interval] = field(default_factory=list)
    blacks: list[Interval] = field(default_factory=list)
    freezes: list[Interval] = field(default_factory=list)
    loudness: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "silences": [list(i) for i in self.silences],
            "blacks": [list(i) for i in self.blacks],
            "freezes": [list(i) for i in self.freezes],
            "loudness": self.loudness,
        }


def _intervals(log: str, start: re.Pattern, end: re.Pattern, duration: float) -> list[Interval]:
    """Pair start/end events in log order; a start with no end runs to the end of the video."""
    events = sorted(
        [(m.start(), "start", float(m.group(1))) for m in start.finditer(log)]
        + [(m.start(), "end", float(m.group(1))) for m in end.finditer(log)]
    )
    intervals, opened = [], None
    for _, kind, time in events:
        if kind == "start":
            opened = max(0.0, time)
        elif opened is not None:
            intervals.append((round(opened, 3), round(min(time, duration), 3)))
            opened = None
    if opened is not None and opened < duration:
        intervals.append((round(opened, 3), round(duration, 3)))
    return intervals


def parse_loudnorm(log: str) -> dict[str, float]:
    """The measured input loudness from loudnorm's JSON report (print_format=json)."""
    reports = _LOUDNORM.findall(log)
    if not reports:
        return {}
    try:
        report = json.loads(reports[-1])
    except json.JSONDecodeError:
        return {}
    values = {}
    for key in ("input_i", "input_tp", "input_lra", "input_thresh", "output_i", "output_tp"):
        try:
            value = float(report[key])
        except (KeyError, TypeError, ValueError):
            continue
        # Digital silence measures -inf, which JSON cannot store: clamp to a floor.
        values[key] = round(min(max(value, -120.0), 60.0), 2)
    return values


def parse_check_log(log: str, duration: float) -> Findings:
    """Everything the check filters logged during the moderation pass."""
    blacks = [
        (round(float(a), 3), round(min(float(b), duration), 3)) for a, b in _BLACK.findall(log)
    ]
    return Findings(
        silences=_intervals(log, _SILENCE_START, _SILENCE_END, duration),
        blacks=blacks,
        freezes=_intervals(log, _FREEZE_START, _FREEZE_END, duration),
        loudness=parse_loudnorm(log),
    )


def covered(intervals: list[Interval]) -> float:
    """Total seconds covered by `intervals` (overlaps counted once)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _describe(intervals: list[Interval], duration: float) -> str:
    share = covered(intervals) / duration if duration else 0
    spans = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in intervals[:5])
    more = f" (+{len(intervals) - 5})" if len(intervals) > 5 else ""
    return f"{share:.0%} de la durée : {spans}{more}"


def flags_from_findings(
    findings: Findings, *, duration: float, has_audio: bool, spec: CheckSpec
) -> list[Flag]:
    """The flags a moderator sees for these findings."""
    flags = []
    if duration and duration < spec.short_seconds:
        flags.append(Flag("short", "Vidéo très courte", f"{duration:.1f} s"))
    if has_audio:
        loudness = findings.loudness.get("input_i")
        quiet = loudness is not None and loudness < spec.quiet_lufs
        if quiet or covered(findings.silences) >= spec.flag_share * duration:
            detail = _describe(findings.silences, duration) if findings.silences else ""
            if loudness is not None:
                detail = f"{detail} ; volume {loudness:.1f} LUFS".lstrip(" ;")
            flags.append(Flag("silence", "Silence ou quasi-silence", detail))
    if findings.blacks and covered(findings.blacks) >= spec.flag_share * duration:
        flags.append(Flag("black", "Image noire", _describe(findings.blacks, duration)))
    if findings.freezes and covered(findings.freezes) >= spec.flag_share * duration:
        flags.append(Flag("frozen", "Image figée", _describe(findings.freezes, duration)))
    return flags
