"""The generated test corpus: tiny videos and hostile files, made by ffmpeg at test time.

Each builder writes one file into a folder and returns its path; `build(name, folder)` builds
by name and caches. Nothing here is committed as a binary.
"""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
# Upright portrait frames: a red band on top of moving test content (rotation is checked on
# the red band).
PORTRAIT_SOURCE = (
    "color=red:size=180x100:rate=30:duration={d}[top];"
    "testsrc2=size=180x220:rate=30:duration={d}[bottom];[top][bottom]vstack"
)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


def _tone(duration: float, frequency: int = 440) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={duration}"]


def portrait_rotated(folder: Path) -> Path:
    """A phone's portrait clip: landscape-stored frames plus a -90° display matrix."""
    stored = folder / "portrait-stored.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", PORTRAIT_SOURCE.format(d=4), *_tone(4),
        "-vf", "transpose=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        "-shortest", str(stored),
    )  # fmt: skip
    path = folder / "portrait-rotated.mp4"
    ffmpeg("-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=-90", str(path))
    stored.unlink()
    return path


def landscape(folder: Path, *, duration: float = 4, name: str = "landscape.mp4") -> Path:
    path = folder / name
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={duration}",
        *_tone(duration), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        "-shortest", str(path),
    )  # fmt: skip
    return path


def hevc_mov(folder: Path) -> Path:
    path = folder / "hevc.mov"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=4", *_tone(4),
        "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
        "-tag:v", "hvc1", "-c:a", "aac", "-shortest", "-f", "mov", str(path),
    )  # fmt: skip
    return path


def mediarecorder_webm(folder: Path, *, codec: str = "libvpx", duration: float = 4) -> Path:
    """WebM as MediaRecorder writes it: VP8/VP9 + Opus, live (no duration in the header)."""
    name = f"mediarecorder-{'vp9' if 'vp9' in codec else 'vp8'}-{duration:g}s.webm"
    path = folder / name
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=30:duration={duration}",
        *_tone(duration), "-c:v", codec, "-deadline", "realtime", "-cpu-used", "8",
        "-b:v", "200k", "-c:a", "libopus", "-shortest", "-f", "webm", "-live", "1", str(path),
    )  # fmt: skip
    return path


def no_audio(folder: Path) -> Path:
    path = folder / "no-audio.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", str(path),
    )  # fmt: skip
    return path


def black_silent(folder: Path) -> Path:
    path = folder / "black-silent.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=black:size=192x108:rate=15:duration=4",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "4",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path


def audio_only(folder: Path) -> Path:
    """An M4A (AAC in an MP4 container) renamed .mp4."""
    path = folder / "audio-only.mp4"
    ffmpeg(*_tone(4), "-c:a", "aac", "-f", "mp4", str(path))
    return path


def still_image(folder: Path) -> Path:
    """A PNG photo renamed .mp4."""
    path = folder / "photo.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", "-f", "image2",
        "-c:v", "png", str(path),
    )  # fmt: skip
    return path


def still_image_in_mov(folder: Path) -> Path:
    """One JPEG frame in an MP4 container: a photo dressed as a video."""
    path = folder / "photo-in-mp4.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=1:duration=4",
        "-c:v", "mjpeg", "-f", "mp4", str(path),
    )  # fmt: skip
    return path


def text_file(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("Bonjour, voici mon témoignage en texte.\n" * 20)
    return path


def playlist(folder: Path, canary_url: str) -> Path:
    """An HLS playlist renamed .mp4 whose segments are /etc/passwd and a canary URL."""
    path = folder / "playlist.mp4"
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:10.0,\nfile:///etc/passwd\n"
        f"#EXTINF:10.0,\n{canary_url}/segment.ts\n#EXT-X-ENDLIST\n"
    )
    return path


def ffconcat(folder: Path, canary_url: str) -> Path:
    path = folder / "list.mp4"
    path.write_text(f"ffconcat version 1.0\nfile /etc/passwd\nfile {canary_url}/clip.mp4\n")
    return path


def truncated_mp4(folder: Path) -> Path:
    """A phone upload cut in the middle: the index (moov) at the end never arrived."""
    whole = landscape(folder, name="whole.mp4")
    data = whole.read_bytes()
    whole.unlink()
    path = folder / "truncated.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def zero_bytes(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def too_long(folder: Path) -> Path:
    """Over the 90 s maximum (tiny frames, low rate: cheap to make)."""
    path = folder / "too-long.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=5:duration=125",
        "-c:v", "libx264", "-preset", "ultrafast", str(path),
    )  # fmt: skip
    return path


def too_long_webm(folder: Path) -> Path:
    """Over the maximum with no duration in the header: only the packets tell."""
    path = folder / "too-long.webm"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=5:duration=125",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k",
        "-f", "webm", "-live", "1", str(path),
    )  # fmt: skip
    return path


def too_short(folder: Path) -> Path:
    return landscape(folder, duration=1.5, name="too-short.mp4")


def huge_declared(folder: Path) -> Path:
    """A Matroska file whose header declares a 30000×30000 picture (tiny real frames)."""
    small = folder / "small.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x288:rate=10:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", str(small),
    )  # fmt: skip
    data = bytearray(small.read_bytes())
    small.unlink()
    # EBML PixelWidth (0xB0) = 320 and PixelHeight (0xBA) = 288, each stored on two bytes.
    for element in (b"\xb0\x82\x01\x40", b"\xba\x82\x01\x20"):
        at = data.find(element)
        assert at > 0, "Matroska header layout changed"
        data[at + 2 : at + 4] = (30000).to_bytes(2, "big")
    path = folder / "huge-declared.mkv"
    path.write_bytes(bytes(data))
    return path


def _long_black(folder: Path, name: str, seconds: int) -> Path:
    """Tiny black frames at a low rate: minutes of video in a few KB, made in a blink."""
    path = folder / name
    ffmpeg(
        "-f", "lavfi", "-i", f"color=black:size=128x96:rate=5:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", str(path),
    )  # fmt: skip
    return path


def header_lies_mp4(folder: Path, *, claimed: int = 60, holds: int = 600) -> Path:
    """An MP4 holding `holds` s whose movie header (`mvhd`) claims `claimed` s: the format
    duration ffprobe reports is the patched one."""
    honest = _long_black(folder, "honest-long.mp4", holds)
    data = bytearray(honest.read_bytes())
    honest.unlink()
    at = data.find(b"mvhd")
    assert at > 0 and data[at + 4] == 0, "expected a version-0 mvhd box"
    # mvhd v0: version/flags, creation, modification, timescale, duration (4 bytes each).
    timescale = int.from_bytes(data[at + 16 : at + 20], "big")
    data[at + 20 : at + 24] = (claimed * timescale).to_bytes(4, "big")
    path = folder / "header-lies.mp4"
    path.write_bytes(bytes(data))
    return path


def header_lies_mkv(folder: Path, *, claimed: int = 60, holds: int = 600) -> Path:
    """A Matroska file holding `holds` s whose Segment Info `Duration` claims `claimed` s."""
    import struct

    honest = _long_black(folder, "honest-long.mkv", holds)
    data = bytearray(honest.read_bytes())
    honest.unlink()
    # Duration (0x4489), an 8-byte float in TimecodeScale units (ms by default).
    at = data.find(b"\x44\x89\x88")
    assert at > 0, "Matroska header layout changed"
    assert struct.unpack(">d", data[at + 3 : at + 11])[0] == holds * 1000.0
    data[at + 3 : at + 11] = struct.pack(">d", claimed * 1000.0)
    path = folder / "header-lies.mkv"
    path.write_bytes(bytes(data))
    return path


def high_rate_bomb(folder: Path, *, seconds: float = 1, rate: int = 240) -> Path:
    """Black 4096×2304 frames at 240 fps: a few KB that decode to 2.3 Gpx a second."""
    path = folder / f"bomb-4096x2304-{rate}fps.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", f"color=black:size=4096x2304:rate={rate}:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


# A talking head in front of a stand: the same backdrop and body for every "person", a head
# (an ellipse) of their own colour, size and movement, and sensor noise. Two people filmed at
# the same stand differ only there: the hard case for a near-duplicate check.
TALKING_HEAD_SOURCE = (
    "color=c=0x7a6a58:s=320x240:r=30:d={d},"
    "drawbox=x=20:y=20:w=90:h=70:c=0xc8d8e8:t=fill,drawbox=x=220:y=120:w=80:h=10:c=0x403020:t=fill,"
    "drawbox=x=230:y=60:w=50:h=60:c=0x305070:t=fill[bg];"
    "color=c=0x203050:s=140x100:r=30:d={d}[body];"
    "color=c={colour}:s={w}x{h}:r=30:d={d},format=yuva420p,"
    "geq=lum='p(X,Y)':cb='p(X,Y)':cr='p(X,Y)':"
    "a='if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1),255,0)'[head];"
    "[bg][body]overlay=x=90+10*sin(t):y=160[seated];"
    "[seated][head]overlay=x='{x}':y='{y}',noise=alls=12:allf=t,format=yuv420p"
)
PEOPLE = {
    "a": {"colour": "0xe0b090", "w": 70, "h": 90, "x": "130+25*sin(2*PI*t/3)",
          "y": "70+6*sin(2*PI*t*1.3)"},
    "b": {"colour": "0xb08060", "w": 80, "h": 100, "x": "100+15*sin(2*PI*t/2+1)",
          "y": "60+10*sin(2*PI*t*0.7)"},
}  # fmt: skip


def talking_head(
    folder: Path,
    *,
    person: str = "a",
    container: str = "mp4",
    scale: str | None = None,
    bitrate: str | None = None,
    start: float = 0.0,
    duration: float = 6,
) -> Path:
    """One person's clip, encoded as a phone (MP4, H.264) or the page's recorder (WebM, VP8,
    no duration) would, optionally scaled, at another bitrate, or starting `start` s later."""
    name = f"head-{person}-{container}-{scale or 'full'}-{bitrate or 'q'}-{start:g}.{container}"
    path = folder / name
    source = TALKING_HEAD_SOURCE.format(d=duration + start, **PEOPLE[person])
    video = ["-vf", f"scale={scale}"] if scale else []
    if container == "webm":
        codec = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"]
        codec += ["-b:v", bitrate or "300k", "-c:a", "libopus", "-f", "webm", "-live", "1"]
    else:
        codec = ["-c:v", "libx264", "-preset", "ultrafast"]
        codec += ["-b:v", bitrate] if bitrate else ["-crf", "20"]
        codec += ["-c:a", "aac"]
    ffmpeg(
        "-ss", f"{start:g}", "-f", "lavfi", "-i", source,
        "-ss", f"{start:g}", *_tone(duration + start, 220),
        *video, *codec, "-shortest", str(path),
    )  # fmt: skip
    return path


def pattern(folder: Path, source: str, *, duration: float = 6) -> Path:
    """An ffmpeg test source ("testsrc", "smptebars", "mandelbrot", "color=c=red"...)."""
    path = folder / f"pattern-{source.replace('=', '-')}.mp4"
    options = ":" if "=" in source else "="
    ffmpeg(
        "-f", "lavfi", "-i", f"{source}{options}s=320x180:r=25,trim=duration={duration}",
        *_tone(duration, 330), "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "portrait_rotated": portrait_rotated,
    "landscape": landscape,
    "hevc_mov": hevc_mov,
    "webm_vp8": mediarecorder_webm,
    "webm_vp9": lambda folder: mediarecorder_webm(folder, codec="libvpx-vp9"),
    "no_audio": no_audio,
    "black_silent": black_silent,
    "audio_only": audio_only,
    "still_image": still_image,
    "still_image_in_mov": still_image_in_mov,
    "text_file": text_file,
    "truncated_mp4": truncated_mp4,
    "zero_bytes": zero_bytes,
    "too_long": too_long,
    "too_long_webm": too_long_webm,
    "too_short": too_short,
    "huge_declared": huge_declared,
    "header_lies_mp4": header_lies_mp4,
    "header_lies_mkv": header_lies_mkv,
    "high_rate_bomb": high_rate_bomb,
}


class Corpus:
    """Build corpus files on first use, once per test session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._built: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._built:
            self._built[name] = BUILDERS[name](self.folder)
        return self._built[name]
