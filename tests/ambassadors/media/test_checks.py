"""Unit tests of the check-log parser and the flags it raises."""

from ambassadors.media.checks import Findings, covered, flags_from_findings, parse_check_log
from ambassadors.media.renditions import CheckSpec

LOG = """
[silencedetect @ 0x55] silence_start: 0
[freezedetect @ 0x56] lavfi.freezedetect.freeze_start: 1.5
[freezedetect @ 0x56] lavfi.freezedetect.freeze_duration: 2.5
[freezedetect @ 0x56] lavfi.freezedetect.freeze_end: 4
[silencedetect @ 0x55] silence_end: 2.5 | silence_duration: 2.5
[blackdetect @ 0x57] black_start:0 black_end:1.2 black_duration:1.2
[silencedetect @ 0x55] silence_start: 7.25
[freezedetect @ 0x56] lavfi.freezedetect.freeze_start: 8
[Parsed_loudnorm_16 @ 0x58]
{
\t"input_i" : "-31.20",
\t"input_tp" : "-9.80",
\t"input_lra" : "4.10",
\t"input_thresh" : "-41.50",
\t"output_i" : "-16.10",
\t"output_tp" : "-1.50",
\t"normalization_type" : "dynamic",
\t"target_offset" : "0.10"
}
"""


def test_the_check_filters_log_is_read_into_intervals_and_loudness():
    findings = parse_check_log(LOG, duration=10.0)

    assert findings.silences == [(0.0, 2.5), (7.25, 10.0)]
    assert findings.freezes == [(1.5, 4.0), (8.0, 10.0)]
    assert findings.blacks == [(0.0, 1.2)]
    assert findings.loudness == {
        "input_i": -31.2, "input_tp": -9.8, "input_lra": 4.1, "input_thresh": -41.5,
        "output_i": -16.1, "output_tp": -1.5,
    }  # fmt: skip


def test_digital_silence_is_stored_as_a_floor_not_minus_infinity():
    log = '{\n"input_i" : "-inf",\n"input_tp" : "-inf",\n"output_i" : "-70.00"\n}'
    assert parse_check_log(log, 4.0).loudness == {
        "input_i": -120.0,
        "input_tp": -120.0,
        "output_i": -70.0,
    }


def test_covered_counts_overlaps_once():
    assert covered([(0, 2), (1, 3), (5, 6)]) == 4
    assert covered([]) == 0


def test_findings_over_half_the_duration_become_flags_shorter_ones_do_not():
    spec = CheckSpec(short_seconds=5)
    findings = Findings(
        silences=[(0.0, 6.0)], blacks=[(0.0, 1.0)], freezes=[(2.0, 8.0)],
        loudness={"input_i": -30.0},
    )  # fmt: skip

    flags = flags_from_findings(findings, duration=10.0, has_audio=True, spec=spec)

    assert [(f.code, f.label) for f in flags] == [
        ("silence", "Silence ou quasi-silence"),
        ("frozen", "Image figée"),
    ]
    assert flags[0].detail == "60% de la durée : 0.0–6.0 s ; volume -30.0 LUFS"
    assert flags[1].detail == "60% de la durée : 2.0–8.0 s"


def test_a_whisper_is_flagged_even_without_detected_silences_and_short_videos_too():
    findings = Findings(loudness={"input_i": -52.0})

    flags = flags_from_findings(findings, duration=4.0, has_audio=True, spec=CheckSpec())

    assert [f.code for f in flags] == ["short", "silence"]
    assert flags[1].detail == "volume -52.0 LUFS"


def test_no_silence_flag_when_there_is_no_audio_stream():
    findings = Findings(silences=[(0.0, 30.0)])
    assert flags_from_findings(findings, duration=30.0, has_audio=False, spec=CheckSpec()) == []
