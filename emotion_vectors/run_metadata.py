"""``results/run_metadata.json``: what was run, on what, with which software, and how long each stage took.

Every model and every model x corpus run is described from its own activation store's manifest, and every
corpus from the corpus stage's summary; a missing store or summary is an error, never another run's facts.
Token statistics depend on the tokenizer, so they belong to a model x corpus run (``runs``); a corpus entry
carries them too only when the experiment has a single model (the key names the report reads are documented
in :mod:`emotion_vectors.report.build`).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors import __version__
from emotion_vectors.errors import StoreError
from emotion_vectors.stages import RunContext, write_json

PACKAGES = ("torch", "transformers", "datasets", "numpy", "scipy", "emotion_vectors")
_MODEL_FIELDS = ("hub_id", "revision", "resolved_revision", "commit", "dtype", "device", "layers")
_TOKEN_FIELDS = ("mean_tokens", "min_tokens", "max_tokens", "n_short")


def build_metadata(ctx: RunContext, stage_seconds: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    """The ``run_metadata.json`` content of this run; ``stage_seconds`` are the recorded wall times by stage,
    ``paper`` the paper stage's outcome."""
    from emotion_vectors.store import NEUTRAL_CORPUS

    config = ctx.config
    runs = [_run_entry(ctx.output_dir, m.alias, c.name) for m in config.models for c in config.corpora]
    return {
        "profile": config.profile,
        "description": config.description,
        "extraction": {
            "token_offset": config.extraction.token_offset,
            "max_length": config.extraction.max_length,
            "pad_side": config.extraction.pad_side,
        },
        "models": [
            _model_entry(m.alias, m.revision, [r for r in runs if r["model"] == m.alias]) for m in config.models
        ],
        "corpora": [_corpus_entry(ctx, c.name, [r for r in runs if r["corpus"] == c.name]) for c in config.corpora],
        "runs": runs,
        "neutral": {"source": config.neutral.source, "n_texts": len(ctx.corpus(NEUTRAL_CORPUS))},
        "packages": package_versions(),
        "hardware": hardware(),
        "wall_time_s": stage_seconds,
        "paper": paper,
    }


def write_metadata(ctx: RunContext, stage_seconds: dict[str, Any], paper: dict[str, Any]) -> Path:
    """Write :func:`build_metadata` to ``<output_dir>/results/run_metadata.json``; returns its path."""
    from emotion_vectors.report.build import METADATA_FILE, RESULTS_DIR

    path = ctx.output_dir / RESULTS_DIR / METADATA_FILE
    write_json(path, build_metadata(ctx, stage_seconds, paper))
    return path


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that determine the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:
            versions[name] = __version__ if name == "emotion_vectors" else "not installed"
    return versions


def hardware() -> dict[str, Any]:
    """Platform, CPU count and CUDA device (or ``none``)."""
    try:
        import torch

        cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:  # noqa: BLE001 - a broken CUDA setup is reported, not raised
        cuda = "none"
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cuda": cuda,
    }


# ---------------------------------------------------------------------------------------------- internals


def _run_entry(output_dir: Path, alias: str, corpus: str) -> dict[str, Any]:
    """One model x corpus run, described from its own store (kept-token statistics are after token_offset)."""
    from emotion_vectors.store import COUNTS_FILE, read_manifest, store_dir

    path = store_dir(output_dir, alias, corpus)
    manifest = read_manifest(path)
    model = manifest["model"]
    counts = np.load(path / COUNTS_FILE)
    kept = counts[counts > 0]
    return {
        "model": alias,
        "corpus": corpus,
        "hub_id": model.get("id"),
        "revision": model.get("revision"),
        "resolved_revision": model.get("resolved_revision"),
        "commit": model.get("resolved_revision"),
        "dtype": model.get("dtype"),
        "device": model.get("device"),
        "layers": manifest["layers"],
        "mean_tokens": round(float(kept.mean()), 2) if kept.size else None,
        "min_tokens": int(kept.min()) if kept.size else None,
        "max_tokens": int(kept.max()) if kept.size else None,
        "n_short": len(manifest["short_stories"]["ids"]),
        "n_truncated": len(manifest["truncated"]["ids"]),
    }


def _model_entry(alias: str, revision: str | None, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A model as its stores describe it; stores of one model that disagree are an error."""
    entry: dict[str, Any] = {"alias": alias}
    for name in _MODEL_FIELDS:
        values = {repr(r[name]) for r in runs}
        if len(values) > 1:
            raise StoreError(
                f"the stores of model {alias!r} disagree on {name}: {sorted(values)}",
                fix=f"re-extract them with one setting: emotion-vectors run --config <config> --force extract.{alias}",
            )
        entry[name] = runs[0][name]
    entry["revision"] = revision or entry["revision"]
    return entry


def _corpus_entry(ctx: RunContext, name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A corpus from the corpus stage's summary, plus its token statistics when a single model read it."""
    from emotion_vectors.pipeline import corpus_summary

    entry = dict(corpus_summary(ctx)[name])
    if len(runs) == 1:
        entry.update({key: runs[0][key] for key in _TOKEN_FIELDS})
    return entry
