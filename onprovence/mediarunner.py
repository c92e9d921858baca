"""The one way this project runs ffmpeg, ffprobe and the other media tools (poppler).

Two apps read files people send: the testimonial pipeline (ambassadors) and the kit asset
analyser (employer_kit). Both go through here, so both get the same guards:

- **content sniffing**: the container is recognised from the file's first bytes, never from its
  name, and only ISO-BMFF (MP4/MOV/3GP) and Matroska/WebM go to ffmpeg at all;
- **a forced demuxer** (`-f` plus `-format_whitelist` of that one demuxer): a file never picks its
  own (`hls`, `concat`, `image2`...), so an `#EXTM3U` playlist naming `file:///...` is never
  followed;
- **`file`-only protocols** (`-protocol_whitelist file`), no MOV external references;
- **limits on the child**: wall time (killed with its process group), address space, CPU time,
  size of the files it writes, no core dumps, a clean environment, and death with its parent.

Nothing here touches the database or Django settings: callers pass their limits.
"""

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# The demuxers we allow, by the name ffmpeg's `-f` takes: ISO-BMFF (mp4/mov/3gp/m4a) and
# Matroska/WebM. Forcing the demuxer means a file never picks its own (hls, concat, image2...).
MOV = "mov"
MATROSKA = "matroska"
DEMUXER_FORMAT_NAMES = {MOV: "mov,mp4,m4a,3gp,3g2,mj2", MATROSKA: "matroska,webm"}

# First boxes an ISO-BMFF file can start with (ftyp normally; old QuickTime files may start
# with a free/wide/mdat/moov atom).
_MOV_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF")
HEAD_BYTES = 64
DEFAULT_FILE_BYTES = 2 * 1024**3


def sniff_container(head: bytes) -> str | None:
    """Return MOV or MATROSKA from a file's first bytes (at least 12), else None."""
    if head.startswith(_EBML_MAGIC):
        return MATROSKA
    if len(head) >= 8 and head[4:8] in _MOV_FIRST_BOXES:
        return MOV
    return None


def looks_like_image(head: bytes) -> bool:
    """True for the first bytes of a PNG, JPEG, GIF, BMP or WebP file."""
    if head.startswith(b"RIFF"):
        return head[8:12] == b"WEBP"
    return head.startswith(_IMAGE_MAGICS)


def looks_like_pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def read_head(path: Path) -> bytes:
    """The first bytes of a file, what the sniffers look at."""
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def input_options(demuxer: str) -> list[str]:
    """ffmpeg/ffprobe options placed before `-i`: one local file, one forced demuxer, no refs.

    `protocol_whitelist file` refuses every network protocol (and data:, concat:, subfile:)
    even if a demuxer asked to open another resource; `format_whitelist` refuses any nested
    demuxer; for MOV, external data references and absolute alias paths are disabled.
    """
    if demuxer not in DEMUXER_FORMAT_NAMES:
        raise ValueError(f"demuxer {demuxer!r} is not allowed")
    options = [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        demuxer,
        "-f",
        demuxer,
    ]
    if demuxer == MOV:
        options += ["-enable_drefs", "0", "-use_absolute_path", "0"]
    return options


class ToolTimeout(subprocess.SubprocessError):
    """A media tool ran past its time budget (killed)."""


@dataclass(frozen=True)
class ToolRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    # User + system CPU of the tool and its threads (children of this process that ended while
    # it ran: exact in a worker that runs one tool at a time, as Celery's prefork workers do).
    cpu_seconds: float = 0.0


_PR_SET_PDEATHSIG = 1


def _limit_child(memory_bytes: int, cpu_seconds: int, file_bytes: int):
    """preexec_fn: resource limits, and die with the worker instead of running orphaned."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return apply


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tool(
    args: list[str],
    *,
    timeout: float,
    memory_bytes: int,
    cwd: Path | None = None,
    file_bytes: int = DEFAULT_FILE_BYTES,
) -> ToolRun:
    """Run a media tool (argument list, never a shell) under time, memory, CPU and file-size
    limits; its CPU budget is the wall budget times the cores."""
    started, cpu = time.monotonic(), _children_cpu()
    cores = os.cpu_count() or 1
    process = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        start_new_session=True,
        preexec_fn=_limit_child(memory_bytes, int(timeout * cores) + 1, file_bytes),
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        _kill_group(process)
        raise ToolTimeout(f"{Path(args[0]).name} ran past {timeout:.0f} s") from error
    except BaseException:
        # A soft time limit or a worker shutdown: never leave ffmpeg running behind.
        _kill_group(process)
        raise
    return ToolRun(
        process.returncode,
        stdout.decode("utf-8", "replace"),
        stderr.decode("utf-8", "replace"),
        time.monotonic() - started,
        round(_children_cpu() - cpu, 3),
    )


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
