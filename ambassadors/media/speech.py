"""The speech stage's pure parts (no ORM, no settings): the audio-extraction arguments, the
whisper.cpp model file check, and the drafts made from the model's timed segments.

- `audio_extract_command`: 16 kHz mono 16-bit WAV of the moderation rendition's first audio
  track, through the hardened runner's input options (`onprovence.mediarunner.input_options`).
- `model_file_check`: reads the headers of a whisper.cpp ggml file (the layout written by
  whisper.cpp's `models/convert-pt-to-ggml.py` and read by `whisper_model_load`) without
  loading it, so a missing, truncated or foreign file gets a clear message for staff before
  whisper.cpp sees it (whisper.cpp runs a file whose tensors are cut off as an "empty model
  for testing", and crashes on some other files).
- `captions_from_segments`, `transcript_from_segments`, `quotes_suggest`: the drafts.
"""

from __future__ import annotations

import itertools
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from onprovence.mediarunner import input_options

SAMPLE_RATE = 16000

# Caption rules (issue 19; the usual French TV/Web practice): two lines of 42 characters at
# most, 7 s at most a cue, cut at a sentence end or a pause.
LINE_CHARACTERS = 42
LINES_PER_CUE = 2
CUE_MAX_SECONDS = 7.0
CUE_MIN_SECONDS = 0.5
PAUSE_SECONDS = 0.6
# Suggested quotes: whole sentences a card can hold.
QUOTE_MIN_CHARACTERS = 40
QUOTE_MAX_CHARACTERS = 200
QUOTES = 3


def audio_extract_command(
    ffmpeg: str, source: str, demuxer: str, output: str, *, max_duration: float
) -> list[str]:
    """ffmpeg arguments: the first audio track of `source` as 16 kHz mono PCM WAV."""
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
        *input_options(demuxer), "-i", source,
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-t", f"{max_duration:.3f}",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
        "-f", "wav", output,
    ]  # fmt: skip


# --- The model file -----------------------------------------------------------------------------

GGML_MAGIC = 0x67676D6C  # "ggml", what convert-pt-to-ggml.py writes first
GGUF_MAGIC = b"GGUF"
# ggml tensor types a whisper.cpp model file may hold: id -> (bytes per block, values per block).
GGML_TYPES = {
    0: (4, 1),  # F32
    1: (2, 1),  # F16
    2: (18, 32),  # Q4_0
    3: (20, 32),  # Q4_1
    6: (22, 32),  # Q5_0
    7: (24, 32),  # Q5_1
    8: (34, 32),  # Q8_0
    30: (2, 1),  # BF16
}
_QNT_VERSION_FACTOR = 1000
MEL_FFT_BINS = 201


class ModelFileError(Exception):
    """The model file cannot be used; `message` is for staff (French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ModelInfo:
    path: str
    size: int
    n_vocab: int
    n_audio_state: int
    n_audio_layer: int
    n_text_layer: int
    n_mels: int
    ftype: int
    tensors: int

    @property
    def multilingual(self) -> bool:
        return self.n_vocab >= 51865

    def describe(self) -> str:
        return (
            f"{Path(self.path).name} ({self.size / 1e6:.1f} Mo, {self.n_audio_layer} couches, "
            f"largeur {self.n_audio_state}, {'multilingue' if self.multilingual else 'anglais'})"
        )


def expected_tensors(n_audio_layer: int, n_text_layer: int) -> int:
    """How many tensors whisper_model_load creates (and wants every one of)."""
    return 7 + 15 * n_audio_layer + 4 + 24 * n_text_layer


def model_file_check(path: str) -> ModelInfo:
    """Walk a whisper.cpp ggml model file's headers; raise ModelFileError with a staff message."""
    name = path or "(vide)"
    if not path or not os.path.isfile(path):
        raise ModelFileError(
            f"Modèle de transcription introuvable : le fichier « {name} » n'existe pas "
            "(réglage SPEECH_MODEL_PATH)."
        )
    size = os.path.getsize(path)
    corrupt = (
        f"Modèle de transcription illisible : « {name} » est incomplet ou endommagé "
        "(téléchargez-le à nouveau, voir README « Speech drafts »)."
    )
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            if head == GGUF_MAGIC:
                raise ModelFileError(
                    f"Modèle de transcription incompatible : « {name} » est au format GGUF ; "
                    "whisper.cpp attend un fichier ggml (ggml-*.bin, voir README)."
                )
            if len(head) < 4 or struct.unpack("<I", head)[0] != GGML_MAGIC:
                raise ModelFileError(
                    f"Modèle de transcription incompatible : « {name} » n'est pas un modèle "
                    "whisper.cpp (ggml-*.bin, voir README « Speech drafts »)."
                )
            hparams = _ints(handle, 11, corrupt)
            n_vocab, _, n_audio_state, n_audio_head, n_audio_layer = hparams[:5]
            _, n_text_state, n_text_head, n_text_layer, n_mels, ftype = hparams[5:]
            if (
                n_text_state != n_audio_state
                or min(n_vocab, n_audio_state, n_audio_head, n_audio_layer, n_mels) <= 0
                or min(n_text_head, n_text_layer) <= 0
                or ftype % _QNT_VERSION_FACTOR not in (0, 1, 2, 3, 7, 8, 9)
            ):
                raise ModelFileError(
                    f"Modèle de transcription incompatible : les paramètres de « {name} » ne "
                    "sont pas ceux d'un modèle Whisper."
                )
            n_mel, n_fft = _ints(handle, 2, corrupt)
            if n_mel <= 0 or n_fft <= 0 or n_mel * n_fft > 10_000_000:
                raise ModelFileError(corrupt)
            handle.seek(n_mel * n_fft * 4, os.SEEK_CUR)
            (words,) = _ints(handle, 1, corrupt)
            if words < 0 or words > n_vocab:
                raise ModelFileError(corrupt)
            for _ in range(words):
                (length,) = _ints(handle, 1, corrupt)
                if length < 0 or length > 1024:
                    raise ModelFileError(corrupt)
                handle.seek(length, os.SEEK_CUR)
            tensors = 0
            while handle.tell() < size:
                n_dims, length, ttype = _ints(handle, 3, corrupt)
                if not 1 <= n_dims <= 4 or not 0 < length < 256:
                    raise ModelFileError(corrupt)
                if ttype not in GGML_TYPES:
                    raise ModelFileError(
                        f"Modèle de transcription incompatible : « {name} » contient un type "
                        f"de données ({ttype}) que cette version de whisper.cpp ne lit pas."
                    )
                elements = 1
                for dimension in _ints(handle, n_dims, corrupt):
                    elements *= dimension
                handle.seek(length, os.SEEK_CUR)
                block_bytes, block_values = GGML_TYPES[ttype]
                handle.seek(elements * block_bytes // block_values, os.SEEK_CUR)
                tensors += 1
            if handle.tell() != size:
                raise ModelFileError(corrupt)
    except OSError as error:
        raise ModelFileError(
            f"Modèle de transcription illisible : « {name} » ({error.strerror})."
        ) from error
    if tensors != expected_tensors(n_audio_layer, n_text_layer):
        raise ModelFileError(corrupt)
    return ModelInfo(
        path, size, n_vocab, n_audio_state, n_audio_layer, n_text_layer, n_mels, ftype, tensors
    )


def _ints(handle, count: int, message: str) -> tuple[int, ...]:
    data = handle.read(4 * count)
    if len(data) != 4 * count:
        raise ModelFileError(message)
    return struct.unpack(f"<{count}i", data)


# --- Drafts from the model's segments ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of speech the model timed (seconds) and its text."""

    start: float
    end: float
    text: str


_SPACE = re.compile(r"\s+")
# whisper.cpp marks what it hears but does not transcribe: [Musique], (rires), ♪...
_NON_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)|♪+|\*[^*]*\*")
_SENTENCE_END = re.compile(r"[.!?…]['\"»)]*$")
_SENTENCES = re.compile(r"[^.!?…]+(?:[.!?…]+['\"»)]*|$)")


def clean_text(text: str) -> str:
    """The text of a segment as a caption shows it: no markup, no non-speech marks, one space."""
    # U+FFFD: whisper.cpp cuts a character's UTF-8 bytes across tokens or segments at times.
    text = _NON_SPEECH.sub(" ", text).replace("\ufffd", "")
    # A caption is plain text: WebVTT would read "<" and "&" as markup, "-->" as a timing.
    text = text.replace("-->", "→").replace("<", "‹").replace(">", "›").replace("&", "et")
    return _SPACE.sub(" ", text).strip()


def segments_clip(segments: list[Segment], duration: float) -> list[Segment]:
    """Segments cleaned, ordered, inside [0, duration], each ending after it starts."""
    kept: list[Segment] = []
    last_end = 0.0
    for segment in sorted(segments, key=lambda item: item.start):
        text = clean_text(segment.text)
        start = max(segment.start, last_end, 0.0)
        end = min(segment.end, duration)
        if not text or start >= duration:
            continue
        if end - start < 0.1:
            end = min(start + max(0.1, CUE_MIN_SECONDS), duration)
            if end <= start:
                continue
        kept.append(Segment(round(start, 3), round(end, 3), text))
        last_end = end
    return kept


def transcript_from_segments(segments: list[Segment]) -> str:
    """The plain transcript: one paragraph, a new one after a pause or a sentence end."""
    paragraphs: list[list[str]] = [[]]
    previous: Segment | None = None
    for segment in segments:
        if (
            previous is not None
            and segment.start - previous.end >= 2 * PAUSE_SECONDS
            and _SENTENCE_END.search(previous.text)
        ):
            paragraphs.append([])
        paragraphs[-1].append(segment.text)
        previous = segment
    return "\n\n".join(" ".join(words) for words in paragraphs if words)


def _wrap(words: list[str]) -> list[str] | None:
    """Up to LINES_PER_CUE lines of LINE_CHARACTERS at most, or None if the words don't fit."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= LINE_CHARACTERS:
            lines[-1] += " " + word
        elif len(word) <= LINE_CHARACTERS:
            lines.append(word)
        else:
            return None
        if len(lines) > LINES_PER_CUE:
            return None
    return lines


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]


def _split_long_word(word: str) -> list[str]:
    return [word[i : i + LINE_CHARACTERS] for i in range(0, len(word), LINE_CHARACTERS)]


def cues_from_segments(segments: list[Segment]) -> list[Cue]:
    """Cues of at most two lines of 42 characters and 7 s, cut at sentence ends and pauses.

    Within a segment, words get a share of its time by their length (whisper.cpp gives times
    per segment); a cue closes at a sentence end, before a pause, or when the next word would
    not fit its two lines or its 7 seconds.
    """
    timed: list[tuple[float, float, str, bool]] = []  # (start, end, word, cut after)
    for index, segment in enumerate(segments):
        words = [part for word in segment.text.split(" ") for part in _split_long_word(word)]
        weight = sum(len(word) + 1 for word in words) or 1
        span = segment.end - segment.start
        clock = segment.start
        following = segments[index + 1] if index + 1 < len(segments) else None
        pause_after = following is None or following.start - segment.end >= PAUSE_SECONDS
        for position, word in enumerate(words):
            end = clock + span * (len(word) + 1) / weight
            last = position == len(words) - 1
            cut = bool(_SENTENCE_END.search(word)) or (last and pause_after)
            timed.append((clock, end, word, cut))
            clock = end
    cues: list[Cue] = []
    current: list[tuple[float, float, str, bool]] = []

    def close() -> None:
        if current:
            lines = _wrap([word for _, _, word, _ in current])
            assert lines is not None
            cues.append(Cue(current[0][0], current[-1][1], lines))
            current.clear()

    for item in timed:
        _, end, word, cut = item
        if current:
            fits = _wrap([w for _, _, w, _ in current] + [word]) is not None
            if not fits or end - current[0][0] > CUE_MAX_SECONDS:
                close()
        current.append(item)
        if cut:
            close()
    close()
    for cue in cues:
        # A cue too long in time for its words (one word held over a long segment) is capped.
        cue.end = min(cue.end, cue.start + CUE_MAX_SECONDS)
        cue.end = max(cue.end, cue.start + 0.1)
    for earlier, later in itertools.pairwise(cues):
        if later.start > earlier.start:
            earlier.end = min(earlier.end, later.start)
    return cues


def _stamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def captions_from_segments(segments: list[Segment], *, note: str = "") -> str:
    """Draft WebVTT from clipped segments ("" when there is nothing to caption)."""
    cues = [cue for cue in cues_from_segments(segments) if round(cue.end, 3) > round(cue.start, 3)]
    if not cues:
        return ""
    blocks = ["WEBVTT"]
    if note:
        blocks.append("NOTE " + clean_text(note))
    for number, cue in enumerate(cues, start=1):
        timing = f"{_stamp(cue.start)} --> {_stamp(cue.end)}"
        blocks.append(f"{number}\n{timing}\n" + "\n".join(cue.lines))
    return "\n\n".join(blocks) + "\n"


def quotes_suggest(transcript: str, *, count: int = QUOTES) -> list[str]:
    """Up to `count` whole sentences of a quotable length, longest first, in no other order."""
    sentences = []
    for match in _SENTENCES.finditer(transcript.replace("\n", " ")):
        sentence = _SPACE.sub(" ", match.group(0)).strip()
        if (
            QUOTE_MIN_CHARACTERS <= len(sentence) <= QUOTE_MAX_CHARACTERS
            and _SENTENCE_END.search(sentence)
            and sentence not in sentences
        ):
            sentences.append(sentence)
    return sorted(sentences, key=len, reverse=True)[:count]
