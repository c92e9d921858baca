"""Transcribe one WAV file with whisper.cpp (pywhispercpp): the speech stage's child process.

Run as a script by `ambassadors.services.speech` through `onprovence.mediarunner.run_tool`
(time, memory, CPU and file-size limits, killed with its process group, dies with its
parent), so a model that crashes or runs away never takes the worker with it. It imports
nothing of the project (no Django): arguments in, JSON on stdout out.

    python speech_child.py MODEL WAV LANGUAGE THREADS

LANGUAGE is a whisper language code ("fr", "en"...) or "" to let the model detect it.
Prints {"language": "fr", "segments": [[start_ms, end_ms, "text"], ...]}.
Exit codes: 0 done, 2 bad arguments or unreadable WAV, 3 model refused by whisper.cpp.
"""

import json
import os
import sys
import wave

MODEL_REFUSED = 3
BAD_INPUT = 2


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return BAD_INPUT
    model_path, wav_path, language, threads = argv[1], argv[2], argv[3], int(argv[4])
    # A missing path would be taken for a model *name* to download: never let it through.
    if not os.path.isfile(model_path) or not os.path.isfile(wav_path):
        print(f"missing file: {model_path!r} or {wav_path!r}", file=sys.stderr)
        return BAD_INPUT

    import numpy as np

    with wave.open(wav_path, "rb") as handle:
        if handle.getframerate() != 16000 or handle.getnchannels() != 1:
            print("the WAV must be 16 kHz mono", file=sys.stderr)
            return BAD_INPUT
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    audio = samples.astype(np.float32) / 32768.0

    import _pywhispercpp as pw
    from pywhispercpp.model import Model

    try:
        model = Model(
            model_path,
            redirect_whispercpp_logs_to=False,
            n_threads=threads,
            print_progress=False,
            print_realtime=False,
            print_timestamps=False,
            no_context=True,
            language=language or "auto",
        )
    except Exception as error:  # pywhispercpp raises plain exceptions
        print(f"model refused: {error}", file=sys.stderr)
        return MODEL_REFUSED
    if model._ctx is None:
        print("model refused: whisper_init returned no context", file=sys.stderr)
        return MODEL_REFUSED
    segments = model.transcribe(audio) if audio.size else []
    detected = pw.whisper_lang_str(pw.whisper_full_lang_id(model._ctx)) if audio.size else ""
    json.dump(
        {
            "language": language or detected or "",
            "detected": not language,
            # whisper.cpp times are in hundredths of a second.
            "segments": [[seg.t0 * 10, seg.t1 * 10, seg.text] for seg in segments],
        },
        sys.stdout,
        ensure_ascii=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
