"""A tiny whisper.cpp model made by the tests (random weights; never committed, never fetched).

The file has the layout whisper.cpp's own converter writes (`models/convert-pt-to-ggml.py`:
magic, eleven hyper-parameters, mel filters, vocabulary, then each tensor as n_dims, name
length, type, dimensions innermost first, name, data) and that `whisper_model_load` of the
whisper.cpp bundled in pywhispercpp 1.5.1 (libwhisper 1.8.5) reads: every tensor it creates,
with its name and shape; 2-D and 3-D weights in F16 (its convolution needs F16 kernels), biases,
norms and positional embeddings in F32, as the converter's default. Dimensions are tiny (width
64, one layer) but the context sizes are Whisper's (1500 audio frames, 448 text tokens), and
the vocabulary is multilingual-sized (51865) so language choice and detection run for real.
Its "words" are syllables: what it transcribes is meaningless and never asserted.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

__all__ = ["speech_model"]

N_VOCAB = 51865  # multilingual (whisper.cpp: n_vocab >= 51865)
N_TOKENS_WRITTEN = 50257  # as the converter writes; whisper.cpp adds the special tokens
N_AUDIO_CTX = 1500
N_TEXT_CTX = 448
N_MELS = 80
N_FFT_BINS = 201
F32, F16 = 0, 1
_F32_2D = {
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
}
_SYLLABLES = ["la", "le", "mo", "ri", "ta", "so", "nu", "pe", "vi", "ca", "do", "ne"]


def _vocabulary() -> list[bytes]:
    # The 256 single bytes first, like the byte-level BPE vocabularies (whisper.cpp looks up
    # " " to suppress a blank start), then syllable words, some ending a sentence.
    tokens = [bytes([value]) for value in range(256)]
    for index in range(N_TOKENS_WRITTEN - 256):
        a = _SYLLABLES[index % 12]
        b = _SYLLABLES[(index // 12) % 12]
        c = _SYLLABLES[(index // 144) % 12] if index >= 144 else ""
        space = " " if index % 3 else ""
        end = "." if index % 17 == 0 else ""
        tokens.append(f"{space}{a}{b}{c}{end}".encode())
    return tokens


def _mel_filters() -> np.ndarray:
    filters = np.zeros((N_MELS, N_FFT_BINS), dtype=np.float32)
    for mel in range(N_MELS):
        centre = 1 + mel * (N_FFT_BINS - 2) / N_MELS
        bins = np.arange(N_FFT_BINS)
        filters[mel] = np.maximum(0.0, 1 - np.abs(bins - centre) / 2)
    return filters


def tensor_specs(n_state: int, n_layer: int) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, ggml dimensions innermost first, init) of every tensor whisper_model_load wants."""
    s = n_state
    specs: list[tuple[str, tuple[int, ...], str]] = [
        ("encoder.positional_embedding", (s, N_AUDIO_CTX), "w"),
        ("encoder.conv1.weight", (3, N_MELS, s), "w"),
        ("encoder.conv1.bias", (1, s), "zero"),
        ("encoder.conv2.weight", (3, s, s), "w"),
        ("encoder.conv2.bias", (1, s), "zero"),
        ("encoder.ln_post.weight", (s,), "one"),
        ("encoder.ln_post.bias", (s,), "zero"),
    ]

    def block(prefix: str, attentions: list[str]) -> None:
        specs.extend(
            [
                (prefix + "mlp_ln.weight", (s,), "one"),
                (prefix + "mlp_ln.bias", (s,), "zero"),
                (prefix + "mlp.0.weight", (s, 4 * s), "w"),
                (prefix + "mlp.0.bias", (4 * s,), "zero"),
                (prefix + "mlp.2.weight", (4 * s, s), "w"),
                (prefix + "mlp.2.bias", (s,), "zero"),
            ]
        )
        for attention in attentions:
            p = prefix + attention
            specs.extend(
                [
                    (p + "_ln.weight", (s,), "one"),
                    (p + "_ln.bias", (s,), "zero"),
                    (p + ".query.weight", (s, s), "w"),
                    (p + ".query.bias", (s,), "zero"),
                    (p + ".key.weight", (s, s), "w"),
                    (p + ".value.weight", (s, s), "w"),
                    (p + ".value.bias", (s,), "zero"),
                    (p + ".out.weight", (s, s), "w"),
                    (p + ".out.bias", (s,), "zero"),
                ]
            )

    for layer in range(n_layer):
        block(f"encoder.blocks.{layer}.", ["attn"])
    specs.extend(
        [
            ("decoder.positional_embedding", (s, N_TEXT_CTX), "w"),
            ("decoder.token_embedding.weight", (s, N_VOCAB), "w"),
            ("decoder.ln.weight", (s,), "one"),
            ("decoder.ln.bias", (s,), "zero"),
        ]
    )
    for layer in range(n_layer):
        block(f"decoder.blocks.{layer}.", ["attn", "cross_attn"])
    return specs


def write_model(path: Path, *, n_state: int = 64, n_head: int = 2, n_layer: int = 1, seed: int = 0):
    """Write a random whisper.cpp ggml model file at `path` (about 8 MB with the defaults)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as out:
        out.write(struct.pack("<I", 0x67676D6C))  # "ggml"
        hparams = (N_VOCAB, N_AUDIO_CTX, n_state, n_head, n_layer)
        hparams += (N_TEXT_CTX, n_state, n_head, n_layer, N_MELS, F16)
        out.write(struct.pack("<11i", *hparams))
        out.write(struct.pack("<2i", N_MELS, N_FFT_BINS))
        out.write(_mel_filters().tobytes())
        tokens = _vocabulary()
        out.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            out.write(struct.pack("<i", len(token)))
            out.write(token)
        for name, dims, init in tensor_specs(n_state, n_layer):
            count = int(np.prod(dims))
            if init == "one":
                data = np.ones(count, np.float32)
            elif init == "zero":
                data = np.zeros(count, np.float32)
            else:
                data = (rng.standard_normal(count) * 0.02).astype(np.float32)
            f16 = len(dims) >= 2 and name not in _F32_2D
            encoded = name.encode()
            out.write(struct.pack("<3i", len(dims), len(encoded), F16 if f16 else F32))
            out.write(struct.pack(f"<{len(dims)}i", *dims))
            out.write(encoded)
            out.write((data.astype(np.float16) if f16 else data).tobytes())
    return path


def write_truncated(source: Path, path: Path, keep: int = 100_000) -> Path:
    """A model cut short, as an interrupted download leaves it."""
    path.write_bytes(source.read_bytes()[:keep])
    return path


@pytest.fixture(scope="session")
def speech_model(tmp_path_factory) -> Path:
    """Path of a generated tiny whisper.cpp model (made once per test session)."""
    return write_model(tmp_path_factory.mktemp("speech-model") / "ggml-tiny-random.bin")
