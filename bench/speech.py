"""Benchmark of the speech stage with a real model: transcription time as a multiple of the clip.

For the deployer, on the worker machine, with the ggml model they downloaded (README, "Speech
drafts"). It runs what the `speech` worker runs, without the database or the stores: the model
file check, the audio extraction by the hardened ffmpeg runner (the baseline, timed in the same
run), then whisper.cpp in its child process under the same limits, and prints both times as a
multiple of the clip's duration (real-time factor: 0.5 means a 60 s video takes 30 s), the
child's CPU time, and the draft made of it (cues, transcript, quotes) so a person can judge the
words.

    .venv/bin/python bench/speech.py --model var/models/ggml-base.bin [--clip video.mp4]
                                     [--language fr] [--threads 2] [--seconds 30] [--show]

Without --clip, a clip is made with ffmpeg: spoken French by espeak-ng when it is installed
(`apt-get install espeak-ng`), otherwise a synthetic tone (then only the speed means anything).
The clip must be an MP4/MOV or Matroska/WebM file with a sound track.
Exit 1 when the model is refused, the extraction fails or the transcription fails.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ambassadors.media import speech as media_speech  # noqa: E402
from onprovence.mediarunner import read_head, run_tool, sniff_container  # noqa: E402

SENTENCES = (
    "Bonjour, je m'appelle Léa et je travaille à Marignane depuis trois ans. "
    "Je suis venue en Provence pour un poste d'ingénieure, et je suis restée pour la qualité "
    "de vie. Le soir, je vais à la plage avec mes collègues. "
    "Si vous hésitez encore, venez visiter : vous ne le regretterez pas."
)


def make_clip(folder: Path, seconds: float) -> tuple[Path, str]:
    clip = folder / "clip.mp4"
    espeak = shutil.which("espeak-ng")
    if espeak:
        voice = folder / "voice.wav"
        subprocess.run(
            [espeak, "-v", "fr", "-s", "150", "-w", str(voice), SENTENCES], check=True
        )  # fmt: skip
        audio = ["-i", str(voice)]
        kind = "espeak-ng French speech"
    else:
        audio = ["-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}"]
        kind = "synthetic tone (espeak-ng not installed: speed only)"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"color=c=gray:size=320x240:rate=25:duration={seconds}",
         *audio, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
         str(clip)],
        check=True,
    )  # fmt: skip
    return clip, kind


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="whisper.cpp ggml model file")
    parser.add_argument("--clip", help="a video with sound (made with ffmpeg when not given)")
    parser.add_argument("--language", default="fr", help='whisper code, "" to detect')
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a made clip")
    parser.add_argument("--memory-gb", type=float, default=6.0, help="the child's address space")
    parser.add_argument("--show", action="store_true", help="print the WebVTT draft")
    args = parser.parse_args()

    try:
        model = media_speech.model_file_check(args.model)
    except media_speech.ModelFileError as error:
        print(f"model refused: {error.message}")
        return 1
    print(f"model: {model.describe()}")

    with tempfile.TemporaryDirectory(prefix="bench-speech-") as folder_name:
        folder = Path(folder_name)
        if args.clip:
            clip, kind = Path(args.clip), "given clip"
        else:
            clip, kind = make_clip(folder, args.seconds)
        demuxer = sniff_container(read_head(clip))
        if demuxer is None:
            print("the clip is neither MP4/MOV nor Matroska/WebM")
            return 1
        audio = folder / "speech.wav"
        command = media_speech.audio_extract_command(
            "ffmpeg", str(clip), demuxer, str(audio), max_duration=3600
        )
        extraction = run_tool(command, timeout=600, memory_bytes=2 * 1024**3)
        if extraction.returncode != 0:
            print(f"extraction failed: {extraction.stderr[-500:]}")
            return 1
        with wave.open(str(audio), "rb") as handle:
            duration = handle.getnframes() / handle.getframerate()
        child = ROOT / "ambassadors" / "media" / "speech_child.py"
        started = time.monotonic()
        run = run_tool(
            [sys.executable, "-I", str(child), model.path, str(audio), args.language,
             str(args.threads)],
            timeout=60 + 10 * duration,
            memory_bytes=int(args.memory_gb * 1024**3),
            cwd=folder,
        )  # fmt: skip
        seconds = time.monotonic() - started
    if run.returncode != 0:
        print(f"transcription failed (exit {run.returncode}): {run.stderr[-1500:]}")
        return 1
    output = json.loads(run.stdout)
    segments = media_speech.segments_clip(
        [media_speech.Segment(a / 1000, b / 1000, text) for a, b, text in output["segments"]],
        duration,
    )
    captions = media_speech.captions_from_segments(segments)
    transcript = media_speech.transcript_from_segments(segments)
    cores = os.cpu_count()
    print(f"clip: {kind}, {duration:.1f} s of sound, {cores} cores, {args.threads} threads")
    print(
        f"audio extraction (baseline): {extraction.seconds:.2f} s = "
        f"{extraction.seconds / duration:.3f} x the clip"
    )
    print(
        f"transcription: {seconds:.2f} s = {seconds / duration:.3f} x the clip "
        f"(CPU {run.cpu_seconds:.1f} s; model load included)"
    )
    detected = " (detected)" if output.get("detected") else ""
    print(f"language: {output.get('language')}{detected}")
    print(f"cues: {captions.count(' --> ')}, transcript: {len(transcript)} characters")
    print(f"transcript: {transcript[:600]}")
    for quote in media_speech.quotes_suggest(transcript):
        print(f"suggested quote: {quote}")
    if args.show:
        print(captions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
