"""Sizes and times a run will need, from the config, the registry and throughput measured on real machines.

Pure arithmetic (no I/O): the preflight and the dry-run plan call these. Every figure is an estimate and says
what it rests on:

- **Weights**: parameters (registry) x bytes per parameter of the dtype. Downloads are the checkpoint as the Hub
  stores it (bfloat16 for both paper models, 2 bytes per parameter).
- **Largest batch**: the forward pass stops after the last requested block and keeps no logits, so the peak
  beyond the weights is a few live activations of the batch: ``batch_tokens x d_model x bytes x``
  :data:`ACTIVATION_FACTOR` (residual, normed copy, q/k/v/o and a gated MLP's three d_ff-wide tensors at
  d_ff about 3.5 d_model).
- **Activation store**: ``n_stories x n_layers x d_model`` float32 plus one int64 count per story.
- **Extraction time**: tokens / rate, where rate = achieved FLOP/s / (2 x 12 x n_blocks x d_model^2 FLOPs
  per token). The achieved FLOP/s are calibrated on this project's benchmarks (README, "Performance"):
  all-MiniLM-L6-v2 on 2 CPU cores, 5,060 tokens/s; a random-weight Apertus architecture (16 x 2048) on one
  H200, 20,600 tokens/s in float32 and about 94,000 tokens/s in bfloat16. Another CPU or GPU scales with its
  throughput.
- **Tokens** of a corpus not at hand: the published design (1,539 stories of 143.8 words on average, from
  ``data/published_corpora.json``) at :data:`TOKENS_PER_WORD`.
- **Analysis time**: the larger of two scalings, linear in resamples, layers and bootstrap schemes: the story
  bootstrap benchmark (2,000 resamples x 42 layers x 171 emotions x 2,560 dims in 50.7 s on 2 CPU cores, also
  linear in width), and the whole analysis stage of the corpus-cpu profile on local copies of the published size
  (2 runs x 6 layers x 2 schemes x 2,000 resamples, 1,000 permutations: 152 s wall at a 42 % share of a busy
  machine's CPU, about 64 CPU-seconds, 2.7 per run x layer x scheme), which carries the per-layer costs that do not grow with width.
- **Report, paper, claims**: the same corpus-cpu run (15 s, 5 s with latexmk, under 1 s; measured on 2 busy
  cores, so upper bounds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

DTYPE_BYTES: dict[str, int] = {"float32": 4, "bfloat16": 2, "float16": 2}
HUB_CHECKPOINT_BYTES = 2  # both paper models are stored in bfloat16 on the Hub
ACTIVATION_FACTOR = 16
TOKENS_PER_WORD = 1.3
GIB = 1024**3

# Achieved FLOP/s by (device, dtype class), calibrated on the measurements listed in the module docstring.
_FLOPS_PER_TOKEN_CALIBRATION = {
    ("cpu", "fp32"): (5_060, 6, 384),  # tokens/s, n_blocks, d_model: all-MiniLM-L6-v2, 2 CPU cores
    ("cuda", "fp32"): (20_600, 16, 2048),  # random-weight Apertus architecture, one H200, TF32 off
    ("cuda", "half"): (94_000, 16, 2048),  # the same in bfloat16
}
_BOOTSTRAP_SECONDS = 50.7  # 2,000 story resamples x 42 layers x 2,560 dims, 2 CPU cores
_BOOTSTRAP_SHAPE = (2000, 42, 2560)
_SECONDS_PER_RUN_LAYER_SCHEME = 2.7  # corpus-cpu analysis stage, 2,000 resamples (module docstring)
DOWNSTREAM_SECONDS: dict[str, float] = {"report": 15.0, "paper": 5.0, "claims": 1.0}


@dataclass(frozen=True)
class CorpusSize:
    """Stories and (estimated) tokens of a corpus; ``measured`` says whether the texts were at hand."""

    n_stories: int
    tokens: int
    measured: bool


def resolve_dtype(dtype: str, device: str) -> str:
    """``auto`` is bfloat16 on CUDA and float32 elsewhere (as :func:`models.resolve_dtype`)."""
    if dtype == "auto":
        return "bfloat16" if device == "cuda" else "float32"
    return dtype


def weights_bytes(n_params: int, dtype: str) -> int:
    """Bytes of ``n_params`` parameters held in ``dtype``."""
    return n_params * DTYPE_BYTES[dtype]


def batch_bytes(batch_tokens: int, d_model: int, dtype: str) -> int:
    """Peak activation bytes of one forward batch of ``batch_tokens`` padded tokens (see the module docstring)."""
    return batch_tokens * d_model * DTYPE_BYTES[dtype] * ACTIVATION_FACTOR


def batch_tokens_fitting(free_bytes: int, weights: int, d_model: int, dtype: str, headroom: float = 0.9) -> int:
    """The largest ``batch_tokens`` whose batch fits next to ``weights`` in ``headroom`` of ``free_bytes``."""
    spare = int(free_bytes * headroom) - weights
    return max(0, spare // (d_model * DTYPE_BYTES[dtype] * ACTIVATION_FACTOR))


def store_bytes(n_stories: int, n_layers: int, d_model: int) -> int:
    """Bytes of one activation store: float32 per-layer means plus int64 token counts."""
    return n_stories * n_layers * d_model * 4 + n_stories * 8


def tokens_of_texts(texts: tuple[str, ...] | list[str], max_length: int) -> int:
    """Estimated tokens of ``texts``: words x :data:`TOKENS_PER_WORD`, each story capped at ``max_length``."""
    return int(sum(min(len(t.split()) * TOKENS_PER_WORD, max_length) for t in texts))


@cache
def published_design() -> tuple[int, float]:
    """Stories per published corpus and their mean words, from ``data/published_corpora.json``."""
    from emotion_vectors.resources import PUBLISHED_CORPORA, data_path

    measured = json.loads(data_path(PUBLISHED_CORPORA).read_text(encoding="utf-8"))["measured_on_gemma_corpus"]
    return int(measured["stories"]), float(measured["words_per_story"]["mean"])


def published_corpus_size(max_length: int) -> CorpusSize:
    """The size of a published corpus as designed (not measured on this machine)."""
    n_stories, words = published_design()
    return CorpusSize(n_stories, int(n_stories * min(words * TOKENS_PER_WORD, max_length)), measured=False)


def tokens_per_second(n_blocks: int, d_model: int, device: str, dtype: str) -> float:
    """Estimated extraction throughput (real tokens per second) of a model of ``n_blocks`` x ``d_model``."""
    kind = "fp32" if dtype == "float32" else "half"
    base = ("cuda" if device == "cuda" else "cpu", kind if device == "cuda" else "fp32")
    rate, blocks, width = _FLOPS_PER_TOKEN_CALIBRATION[base]
    return rate * (blocks * width**2) / (n_blocks * d_model**2)


def extraction_seconds(tokens: int, n_blocks: int, d_model: int, device: str, dtype: str) -> float:
    """Estimated wall seconds to extract ``tokens`` tokens."""
    return tokens / tokens_per_second(n_blocks, d_model, device, dtype)


def analysis_seconds(resamples: int, n_layers: int, d_model: int, n_schemes: int) -> float:
    """Estimated wall seconds of the bootstraps of one model x corpus run on 2 CPU cores."""
    r0, l0, d0 = _BOOTSTRAP_SHAPE
    schemes = max(n_schemes, 1)
    wide = _BOOTSTRAP_SECONDS * (resamples / r0) * (n_layers / l0) * (d_model / d0) * schemes
    per_layer = _SECONDS_PER_RUN_LAYER_SCHEME * (resamples / r0) * n_layers * schemes
    return max(wide, per_layer)


def human_bytes(n: int | None) -> str:
    """``n`` bytes as ``"12.3 GB"`` (decimal units), or ``"unknown"``."""
    if n is None:
        return "unknown"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def human_seconds(s: float) -> str:
    """``s`` seconds as ``"45 s"``, ``"12 min"`` or ``"3.4 h"``."""
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"
