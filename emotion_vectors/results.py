"""The analysis outputs: ``results.json``, ``per_layer.csv``, and the in-memory results they are written from.

``results.json`` (``schema_version`` 1; keys sorted, floats rounded to 10 significant digits, NaN written as
``null``, no timestamps; per-layer lists are aligned with ``layers``)::

    {
     "schema_version": 1,
     "analysis": {AnalysisConfig fields},
     "runs": [ {                                   # one per model x corpus
       "model", "model_name", "corpus", "n_blocks", "d_model", "corpus_fingerprint",
       "n_stories", "n_skipped_stories", "n_emotions", "emotions": [n_emotions],
       "rating_source", "n_rated", "pooling", "projection", "neutral_threshold",
       "layers": [block indices], "fractional_depth": [layer / n_blocks],
       "k_neutral": [per layer], "neutral_variance_explained": [per layer],   # 0 and 0.0 for projection "raw"
       "explained_variance_ratio": [[n_components] per layer],
       "pc1_valence_r", "pc1_valence_spearman", "pc2_arousal_r", "pc2_arousal_spearman": [per layer],
       "signs": {"pc1": [+1/-1 per layer], "pc2": [...]},   # flips applied by the rating sign rule
       "ci": {"method": "percentile"|"bca", "confidence", "n_resamples",
              "emotion": {"pc1_valence_r", "pc2_arousal_r", "pc1_valence_spearman", "pc2_arousal_spearman":
                          [[lo, hi] per layer]},             # [null, null] when the scheme is not run
              "story": {same keys}},
       "permutation": {"n_permutations", "pc1_valence_p", "pc1_valence_p_fwer", "pc1_valence_q_bh": [per layer]},
       "arousal_best_pc": {"exploratory": true, "pc": [1-based, among PC1-PC5], "r": [|r| per layer]},
       "peak": {"valence": {"layer", "r", "layer_ci": [lo, hi], "r_ci": [lo, hi]}, "arousal": {...},
                "ci_scheme": "story"|"emotion"|null},
       "direction": {"adjacent_cosine": [n_layers - 1], "loo_r": [per layer], "cosine_matrix": [[L x L]]},
       "cka": {"linear": [[L x L]], "debiased": [[L x L]]},
       "at_peak": {"layer", "pc1": [n_emotions], "pc2": [n_emotions], "valence": [n_emotions, null if unrated],
                   "arousal": [...], "cosine": [[n_emotions x n_emotions]]}
     } ],
     "cross_corpus": [ {"model", "corpora": [a, b], "layers", "linear", "debiased"} ],
     "cross_model":  [ {"corpus", "models": [a, b], "depth", "layers_a", "layers_b", "linear", "debiased"} ]
    }

Correlations use only the emotions the rating source covers; the PCA is always fitted on all emotions.
The peak CIs come from the story scheme when it is run, otherwise from the emotion scheme (``ci_scheme``).
``per_layer.csv`` has one row per run and layer with the per-layer numbers above (tidy form).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors.analysis import bootstrap, cka, direction, stats
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.errors import AnalysisError
from emotion_vectors.fileio import atomic_write_text

SCHEMA_VERSION = 1
RESULTS_DIR = "results"
RESULTS_FILE = "results.json"
PER_LAYER_FILE = "per_layer.csv"
SIGNIFICANT_DIGITS = 10


@dataclass(frozen=True)
class RunResult:
    """The analysis of one model x corpus run.

    Attributes:
        model: Model alias.
        corpus: Corpus name.
        n_blocks: Transformer blocks of the model.
        layers: Analysed block indices.
        emotions: Emotion order of every per-emotion array.
        record: The run's JSON-ready entry of ``results.json`` (see the module docstring).
        grams: ``[n_layers, n_emotions, n_emotions]`` Gram matrices of the contrast vectors (for CKA).
    """

    model: str
    corpus: str
    n_blocks: int
    layers: tuple[int, ...]
    emotions: tuple[str, ...]
    record: dict[str, Any]
    grams: np.ndarray


@dataclass(frozen=True)
class Results:
    """Everything the stage computes: per-run results and the cross-run CKA entries."""

    analysis: AnalysisConfig
    runs: tuple[RunResult, ...]
    cross_corpus: tuple[dict[str, Any], ...]
    cross_model: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready ``results.json`` content."""
        return {
            "schema_version": SCHEMA_VERSION,
            "analysis": _config_dict(self.analysis),
            "runs": [run.record for run in self.runs],
            "cross_corpus": list(self.cross_corpus),
            "cross_model": list(self.cross_model),
        }


def results_json(results: Results) -> str:
    """Deterministic ``results.json`` text (sorted keys, rounded floats, NaN as null, trailing newline)."""
    return json.dumps(_jsonable(results.to_dict()), sort_keys=True, indent=1, allow_nan=False) + "\n"


def per_layer_rows(results: Results) -> list[dict[str, Any]]:
    """The tidy per-layer table: one dict per run and layer (the columns of ``per_layer.csv``)."""
    rows = []
    for run in results.runs:
        r = run.record
        for i, layer in enumerate(r["layers"]):
            row: dict[str, Any] = {
                "model": r["model"],
                "corpus": r["corpus"],
                "layer": layer,
                "fractional_depth": r["fractional_depth"][i],
                "k_neutral": r["k_neutral"][i],
                "neutral_variance_explained": r["neutral_variance_explained"][i],
                "evr_pc1": r["explained_variance_ratio"][i][0],
                "evr_pc2": r["explained_variance_ratio"][i][1],
            }
            for name in bootstrap.STATISTICS:
                row[name] = r[name][i]
            for scheme in ("emotion", "story"):
                for name in ("pc1_valence_r", "pc2_arousal_r"):
                    lo, hi = r["ci"][scheme][name][i]
                    row[f"{name}_{scheme}_lo"] = lo
                    row[f"{name}_{scheme}_hi"] = hi
            for name in ("pc1_valence_p", "pc1_valence_p_fwer", "pc1_valence_q_bh"):
                row[name] = r["permutation"][name][i]
            row["arousal_best_pc"] = r["arousal_best_pc"]["pc"][i]
            row["arousal_best_r"] = r["arousal_best_pc"]["r"][i]
            row["loo_valence_r"] = r["direction"]["loo_r"][i]
            row["direction_cosine_previous"] = r["direction"]["adjacent_cosine"][i - 1] if i > 0 else None
            rows.append(row)
    return rows


def write_results(results: Results, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``per_layer.csv`` into ``out_dir`` (atomically); returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / RESULTS_FILE
    csv_path = out_dir / PER_LAYER_FILE
    atomic_write_text(json_path, results_json(results))
    rows = _jsonable(per_layer_rows(results))
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    atomic_write_text(csv_path, buffer.getvalue())
    return json_path, csv_path


def _config_dict(config: AnalysisConfig) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays converted, floats rounded, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return None
        return float(f"{number:.{SIGNIFICANT_DIGITS}g}") + 0.0
    return value


def run_record(
    identity: dict[str, Any],
    config: AnalysisConfig,
    layers: Sequence[int],
    emotions: list[str],
    counts: np.ndarray,
    rated_index: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    outputs: list[dict[str, Any]],
    schemes: tuple[str, ...],
) -> dict[str, Any]:
    """The ``results.json`` entry of one run from its per-layer outputs (in ``layers`` order).

    Each output holds the layer's ``geometry`` (:class:`~emotion_vectors.analysis.geometry.LayerGeometry`),
    ``gram``, ``k_neutral``, ``neutral_variance``, ``direction``, ``loo_r`` and, per bootstrap scheme,
    ``boot[scheme][statistic]`` (``[B]``) and, for BCa, ``jack[scheme][statistic]``.
    """
    geos = [out["geometry"] for out in outputs]
    estimates = {name: np.array([getattr(g, name) for g in geos]) for name in bootstrap.STATISTICS}
    ci: dict[str, Any] = {
        "method": config.ci_method,
        "confidence": config.confidence,
        "n_resamples": config.bootstrap_resamples if schemes else 0,
    }
    boot_by_scheme: dict[str, dict[str, np.ndarray]] = {}
    for scheme in ("emotion", "story"):
        intervals = {}
        for name in bootstrap.STATISTICS:
            if scheme not in schemes:
                intervals[name] = [[None, None] for _ in layers]
                continue
            boot = np.stack([out["boot"][scheme][name] for out in outputs], axis=1)  # [B, L]
            boot_by_scheme.setdefault(scheme, {})[name] = boot
            jack = None
            if config.ci_method == "bca":
                jack = np.stack([out["jack"][scheme][name] for out in outputs], axis=1)
            bounds = stats.confidence_interval(estimates[name], boot, config.ci_method, config.confidence, jack)
            intervals[name] = bounds.tolist()
        ci[scheme] = intervals
    peak_scheme = "story" if "story" in schemes else ("emotion" if "emotion" in schemes else None)
    peak: dict[str, Any] = {"ci_scheme": peak_scheme}
    for label, name in (("valence", "pc1_valence_r"), ("arousal", "pc2_arousal_r")):
        values = estimates[name]
        best = int(np.nanargmax(values)) if np.any(np.isfinite(values)) else 0
        entry = {"layer": int(layers[best]), "r": float(values[best]), "layer_ci": [None, None], "r_ci": [None, None]}
        if peak_scheme is not None:
            layer_ci, r_ci = stats.peak_interval(boot_by_scheme[peak_scheme][name], layers, config.confidence)
            entry["layer_ci"] = list(layer_ci) if layer_ci[0] >= 0 else [None, None]
            entry["r_ci"] = list(r_ci)
        peak[label] = entry
    directions = np.stack([out["direction"] for out in outputs])
    peak_index = list(layers).index(peak["valence"]["layer"])
    peak_gram = outputs[peak_index]["gram"]
    norms = np.sqrt(np.clip(np.diag(peak_gram), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = peak_gram / norms[:, None] / norms[None, :]
    full_valence: list[float | None] = [None] * len(emotions)
    full_arousal: list[float | None] = [None] * len(emotions)
    for i, v, a in zip(rated_index.tolist(), valence.tolist(), arousal.tolist(), strict=True):
        full_valence[i], full_arousal[i] = v, a
    peak_scores = geos[peak_index].scores
    n_blocks = identity["n_blocks"]
    return {
        "model": identity["model"],
        "model_name": identity["model_name"],
        "corpus": identity["corpus"],
        "n_blocks": n_blocks,
        "d_model": identity["d_model"],
        "corpus_fingerprint": identity["corpus_fingerprint"],
        "n_stories": int(counts.shape[0]),
        "n_skipped_stories": int(np.sum(counts == 0)),
        "n_emotions": len(emotions),
        "emotions": list(emotions),
        "rating_source": config.rating_source,
        "n_rated": int(rated_index.size),
        "pooling": config.pooling,
        "projection": config.projection,
        "neutral_threshold": config.neutral_variance if config.projection == "neutral" else None,
        "layers": [int(layer) for layer in layers],
        "fractional_depth": [layer / n_blocks for layer in layers],
        "k_neutral": [int(out["k_neutral"]) for out in outputs],
        "neutral_variance_explained": [float(out["neutral_variance"]) for out in outputs],
        "explained_variance_ratio": [g.explained_variance_ratio.tolist() for g in geos],
        **{name: estimates[name].tolist() for name in bootstrap.STATISTICS},
        "signs": {"pc1": [g.pc1_sign for g in geos], "pc2": [g.pc2_sign for g in geos]},
        "ci": ci,
        "arousal_best_pc": {
            "exploratory": True,
            "pc": [g.arousal_best_pc for g in geos],
            "r": [g.arousal_best_r for g in geos],
        },
        "peak": peak,
        "direction": {
            "adjacent_cosine": direction.adjacent_cosines(directions).tolist(),
            "loo_r": [float(out["loo_r"]) for out in outputs],
            "cosine_matrix": direction.cosine_matrix(directions).tolist(),
        },
        "at_peak": {
            "layer": peak["valence"]["layer"],
            "pc1": peak_scores[:, 0].tolist(),
            "pc2": peak_scores[:, 1].tolist(),
            "valence": full_valence,
            "arousal": full_arousal,
            "cosine": cosine.tolist(),
        },
    }


def cross_corpus_entries(results: list[RunResult]) -> list[dict[str, Any]]:
    """Per-layer CKA between every two corpora of the same model (layers both analysed)."""
    entries = []
    models = list(dict.fromkeys(run.model for run in results))
    for model in models:
        runs = [run for run in results if run.model == model]
        for a, b in combinations(runs, 2):
            _same_emotions(a, b)
            common = [layer for layer in a.layers if layer in b.layers]
            if not common:
                continue
            entries.append(
                {"model": model, "corpora": [a.corpus, b.corpus], "layers": common, **_paired_cka(a, b, common, common)}
            )
    return entries


def cross_model_entries(results: list[RunResult]) -> list[dict[str, Any]]:
    """CKA between every two models on the same corpus, at matched fractional depth."""
    entries = []
    corpora = list(dict.fromkeys(run.corpus for run in results))
    for corpus in corpora:
        runs = [run for run in results if run.corpus == corpus]
        for a, b in combinations(runs, 2):
            _same_emotions(a, b)
            depth, layers_a, layers_b = cka.match_depth(a.layers, a.n_blocks, b.layers, b.n_blocks)
            entries.append(
                {
                    "corpus": corpus,
                    "models": [a.model, b.model],
                    "depth": depth.tolist(),
                    "layers_a": layers_a.tolist(),
                    "layers_b": layers_b.tolist(),
                    **_paired_cka(a, b, layers_a, layers_b),
                }
            )
    return entries


def _paired_cka(a: RunResult, b: RunResult, layers_a: Sequence[int], layers_b: Sequence[int]) -> dict[str, list[float]]:
    """Linear and debiased CKA between layer ``layers_a[i]`` of ``a`` and ``layers_b[i]`` of ``b``, per ``i``."""
    ga = a.grams[[a.layers.index(int(layer)) for layer in layers_a]]
    gb = b.grams[[b.layers.index(int(layer)) for layer in layers_b]]
    return {"linear": cka.paired_cka(ga, gb).tolist(), "debiased": cka.paired_cka(ga, gb, True).tolist()}


def _same_emotions(a: RunResult, b: RunResult) -> None:
    if a.emotions != b.emotions:
        raise AnalysisError(
            f"runs {a.model}/{a.corpus} and {b.model}/{b.corpus} cover different emotions; CKA needs the same items"
        )


__all__ = [
    "PER_LAYER_FILE",
    "RESULTS_DIR",
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "Results",
    "RunResult",
    "cross_corpus_entries",
    "cross_model_entries",
    "per_layer_rows",
    "results_json",
    "run_record",
    "write_results",
]
