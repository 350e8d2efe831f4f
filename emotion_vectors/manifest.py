"""An extraction's manifest and keys: what was extracted, from what, and the hashes that identify it.

:func:`build_manifest` describes one model x corpus extraction (model, layers, corpus, story order and labels,
tokenisation, truncated and short stories, library versions); :func:`content_key` hashes the fields of it that
change the stored numbers; :func:`plan_key` adds what changes how the work is cut into shards (whose files must
not be mixed across plans); :func:`timings` summarises the shards' throughput. No I/O, no model calls.
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import Any

import numpy as np
import torch

from emotion_vectors import __version__, store
from emotion_vectors.batching import PadMode, Tokenized, pad_token_id
from emotion_vectors.corpus.schema import Corpus
from emotion_vectors.models import ModelHandle

LAYER_CONVENTION = "layer L = output of block L (0-based) = hidden_states[L+1]; the last block's raw residual"


def build_manifest(
    handle: ModelHandle,
    corpus: Corpus,
    tokenized: Tokenized,
    short: np.ndarray,
    layers: tuple[int, ...],
    *,
    token_offset: int,
    max_length: int,
    pad_side: PadMode,
    policy: str,
) -> dict[str, Any]:
    """The manifest of extracting ``corpus`` through ``handle`` (``short``: row indices of short stories)."""
    ids = corpus.story_ids
    truncated = np.flatnonzero(tokenized.truncated)
    return {
        "model": handle.describe(),
        "layers": list(layers),
        "layer_convention": LAYER_CONVENTION,
        "layer_files": {str(layer): store.layer_file(layer) for layer in layers},
        "corpus": {
            "name": corpus.name,
            "fingerprint": corpus.fingerprint,
            "source": corpus.source,
            "revision": corpus.revision,
            "n_stories": len(ids),
        },
        "story_ids": ids,
        "emotions": corpus.emotions,
        "token_offset": token_offset,
        "max_length": max_length,
        "pad_side": pad_side,
        "tokenization": {
            "add_special_tokens": True,
            "pad_token_id": pad_token_id(handle.tokenizer),
            "offset_counted_from": "first real token (special tokens included)"
            if pad_side != "left-as-authors"
            else "column 0 of the left-padded batch (the original code's behaviour)",
            "real_tokens": int(tokenized.lengths.sum()),
        },
        "truncated": {
            "ids": [ids[i] for i in truncated],
            "original_lengths": tokenized.original_lengths[truncated].tolist(),
        },
        "short_stories": {
            "ids": [ids[i] for i in short],
            "counts": tokenized.lengths[short].tolist(),
            "policy": policy,
        },
        "library_versions": library_versions(),
    }


def content_key(manifest: dict[str, Any]) -> str:
    """Hash of the manifest fields that determine the stored numbers (model, device type, texts, story order, ...)."""
    model = manifest["model"]
    identity = {
        "schema_version": store.SCHEMA_VERSION,
        "model": {k: model[k] for k in ("id", "revision", "resolved_revision", "class", "dtype", "block_path")},
        "device_type": torch.device(model["device"]).type,
        "corpus_fingerprint": manifest["corpus"]["fingerprint"],
        "story_ids": manifest["story_ids"],
        **{k: manifest[k] for k in ("layers", "token_offset", "max_length", "pad_side")},
        "short_story_policy": manifest["short_stories"]["policy"],
    }
    return _hash(identity)


def plan_key(manifest: dict[str, Any]) -> str:
    """Hash of the content key, the shard plan (``batch_tokens``, ``shard_size``) and the library versions."""
    settings = {k: manifest[k] for k in ("batch_tokens", "shard_size")}
    return _hash({"content_key": manifest["content_key"], **settings, "libraries": manifest["library_versions"]})


def library_versions() -> dict[str, str]:
    """Versions of the libraries that determine the stored bytes."""
    import tokenizers
    import transformers

    return {
        "python": platform.python_version(),
        "emotion_vectors": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "numpy": np.__version__,
    }


def timings(stats: list[dict[str, Any]], resumed: int, wall_seconds: float) -> dict[str, Any]:
    """Throughput of the shards (``forward_seconds`` and ``tokens`` include resumed shards; ``wall_seconds`` is this run)."""
    seconds = float(sum(s["seconds"] for s in stats))
    tokens = int(sum(s["tokens"] for s in stats))
    padded = int(sum(s["padded_tokens"] for s in stats))
    return {
        "wall_seconds": round(wall_seconds, 3),
        "forward_seconds": round(seconds, 3),
        "tokens": tokens,
        "padded_tokens": padded,
        "tokens_per_second": round(tokens / seconds, 1) if seconds > 0 else None,
        "padding_fraction": round(1 - tokens / padded, 4) if padded else 0.0,
        "batches": int(sum(s["batches"] for s in stats)),
        "shards_resumed": resumed,
    }


def _hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
