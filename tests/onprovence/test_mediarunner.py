"""The project's one media runner: every tool the apps start goes through it."""

import ast
from pathlib import Path

import pytest

from onprovence import mediarunner

ROOT = Path(__file__).resolve().parents[2]
APPS = ("onprovence", "campaigns", "ambassadors", "employer_kit")
STARTERS = {"run", "Popen", "call", "check_call", "check_output", "system", "popen"}


def _process_starts(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"subprocess", "os"}
            and node.func.attr in STARTERS
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_app_module_starts_a_process_but_the_media_runner():
    """ffmpeg, ffprobe and poppler run with the runner's limits, in the pipeline and the kit."""
    starts = [
        where
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if path.name != "mediarunner.py" and "migrations" not in path.parts
        for where in _process_starts(path)
    ]

    assert starts == []


@pytest.mark.parametrize(
    ("head", "demuxer"),
    [
        (b"\x00\x00\x00\x20ftypisom", mediarunner.MOV),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", mediarunner.MATROSKA),
        (b"#EXTM3U\n#EXT-X-VERSION:3\n", None),
        (b"ffconcat version 1.0\n", None),
        (b"%PDF-1.7\n", None),
    ],
)
def test_only_mp4_and_matroska_are_handed_to_ffmpeg(head, demuxer):
    assert mediarunner.sniff_container(head) == demuxer


def test_a_demuxer_outside_the_allow_list_cannot_be_forced():
    with pytest.raises(ValueError, match="'hls' is not allowed"):
        mediarunner.input_options("hls")


def test_the_runner_reports_the_tool_s_cpu_time():
    run = mediarunner.run_tool(
        ["python3", "-c", "sum(range(3_000_000))"], timeout=20, memory_bytes=512 * 1024**2
    )

    assert run.returncode == 0
    assert 0 < run.cpu_seconds <= run.seconds * 4 + 0.5
