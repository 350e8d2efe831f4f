"""Synthetic results dicts in the ``results.json`` schema, with planted curves, for report and claims tests.

``paper_results("pass")`` plants the paper's own per-layer curves (read off its plots) and peaks, so every claim
must come out supported; ``paper_results("fail")`` plants flat curves that contradict every claim.
``demo_results()`` is shaped like the demo profile (one encoder run on the demo corpus).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from emotion_vectors.ratings import emotions, load_ratings
from emotion_vectors.registry import MODELS
from emotion_vectors.resources import PAPER_CLAIMS, data_path

PAPER = json.loads(data_path(PAPER_CLAIMS).read_text(encoding="utf-8"))
CURVES = PAPER["valence_r_by_layer_read_off_plots"]
ALIAS = {"apertus": "apertus-8b", "gemma": "gemma-4-e4b"}

ANALYSIS = {
    "neutral_variance": 0.5,
    "pca_components": 10,
    "rating_source": "nrc",
    "pooling": "token_weighted",
    "projection": "neutral",
    "bootstrap_resamples": 200,
    "bootstrap_schemes": ["emotion", "story"],
    "ci_method": "percentile",
    "confidence": 0.95,
    "permutations": 100,
    "seed": 0,
}


def _band(values: Sequence[float], half: float) -> list[list[float]]:
    return [[max(-1.0, v - half), min(1.0, v + half)] for v in values]


def _decay(n: int, scale: float) -> list[list[float]]:
    idx = np.arange(n)
    return np.exp(-np.abs(idx[:, None] - idx[None, :]) / scale).round(6).tolist()


def _peak(layers: list[int], values: Sequence[float], half: float) -> dict[str, Any]:
    i = int(np.argmax(values))
    r = float(values[i])
    return {
        "layer": layers[i],
        "r": r,
        "layer_ci": [layers[max(0, i - 1)], layers[min(len(layers) - 1, i + 1)]],
        "r_ci": [r - half, min(1.0, r + half)],
    }


def make_run(
    model: str,
    corpus: str,
    valence: Sequence[float],
    arousal: Sequence[float],
    *,
    layers: Sequence[int] | None = None,
    ci_half: float = 0.08,
    schemes: Sequence[str] = ("emotion", "story"),
    n_stories: int = 1539,
    seed: int = 0,
) -> dict[str, Any]:
    """One run dict with the given per-layer PC1-valence and PC2-arousal r; everything else is consistent filler."""
    entry = MODELS[model]
    layers = list(range(entry.n_blocks)) if layers is None else list(layers)
    n = len(layers)
    if len(valence) != n or len(arousal) != n:
        raise ValueError(f"{model}/{corpus}: curves must have {n} values")
    rng = np.random.default_rng(seed)
    names = list(emotions())
    ratings = load_ratings("nrc")
    val = np.array([dict(zip(ratings.emotions, ratings.valence, strict=True)).get(e, np.nan) for e in names])
    aro = np.array([dict(zip(ratings.emotions, ratings.arousal, strict=True)).get(e, np.nan) for e in names])
    peak = _peak(layers, valence, ci_half)
    vectors = np.column_stack([val, aro, rng.normal(0, 0.6, (len(names), 6))])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return {
        "model": model,
        "model_name": entry.display_name,
        "corpus": corpus,
        "n_blocks": entry.n_blocks,
        "d_model": entry.d_model,
        "corpus_fingerprint": f"{corpus}0123456789abcdef" * 2,
        "n_stories": n_stories,
        "n_emotions": len(names),
        "emotions": names,
        "rating_source": "nrc",
        "n_rated": int(np.isfinite(val).sum()),
        "layers": layers,
        "fractional_depth": [layer / entry.n_blocks for layer in layers],
        "k_neutral": [3] * n,
        "neutral_variance_explained": [0.52] * n,
        "explained_variance_ratio": [[0.3 * 0.7**k for k in range(10)] for _ in layers],
        "pc1_valence_r": list(map(float, valence)),
        "pc1_valence_spearman": [0.97 * v for v in valence],
        "pc2_arousal_r": list(map(float, arousal)),
        "pc2_arousal_spearman": [0.95 * a for a in arousal],
        "ci": {
            "method": "percentile",
            "confidence": 0.95,
            "n_resamples": 200,
            **{
                scheme: {"pc1_valence_r": _band(valence, ci_half), "pc2_arousal_r": _band(arousal, ci_half)}
                for scheme in schemes
            },
        },
        "permutation": {
            "n_permutations": 100,
            "pc1_valence_p": [0.01 if v > 0.3 else 0.4 for v in valence],
            "pc1_valence_p_fwer": [0.02 if v > 0.3 else 0.9 for v in valence],
            "pc1_valence_q_bh": [0.015 if v > 0.3 else 0.6 for v in valence],
        },
        "arousal_best_pc": {"exploratory": True, "pc": [2] * n, "r": list(map(float, arousal))},
        "peak": {"valence": peak, "arousal": _peak(layers, arousal, ci_half)},
        "direction": {
            "adjacent_cosine": [0.9 - 0.3 * abs(np.sin(i)) for i in range(n - 1)],
            "loo_r": [0.9 * v for v in valence],
            "cosine_matrix": _decay(n, 4.0),
        },
        "cka": {"linear": _decay(n, 8.0), "debiased": (np.array(_decay(n, 8.0)) ** 2).round(6).tolist()},
        "at_peak": {
            "layer": peak["layer"],
            "pc1": (np.nan_to_num(val) * 3 + rng.normal(0, 1.2, len(names))).round(5).tolist(),
            "pc2": (np.nan_to_num(aro) * 2 + rng.normal(0, 1.0, len(names))).round(5).tolist(),
            "valence": [None if not np.isfinite(v) else float(v) for v in val],
            "arousal": [None if not np.isfinite(a) else float(a) for a in aro],
            "cosine": (unit @ unit.T).round(4).tolist(),
        },
    }


def _results(runs: list[dict[str, Any]], cross_corpus: list, cross_model: list) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "analysis": dict(ANALYSIS),
        "runs": runs,
        "cross_corpus": cross_corpus,
        "cross_model": cross_model,
    }


def demo_results() -> dict[str, Any]:
    """Shaped like the demo profile: all-MiniLM-L6-v2 (6 blocks) on the demo corpus, no cross results."""
    run = make_run(
        "minilm",
        "demo",
        [0.21, 0.38, 0.52, 0.63, 0.58, 0.49],
        [0.12, 0.18, 0.27, 0.31, 0.24, 0.2],
        n_stories=342,
        ci_half=0.1,
    )
    return _results([run], [], [])


def _paper_valence(model: str, corpus: str) -> list[float]:
    curve = list(CURVES[f"{model}/{corpus}"])
    if model == "apertus":
        return [0.1, *curve]
    tail = {
        "apertus": [0.19, 0.15, 0.12, 0.1, 0.08, 0.11, 0.09, 0.05, 0.01],
        "gemma": [0.1, 0.15, 0.21, 0.04, 0.12, 0.18, 0.2, 0.1, 0.18],
    }[corpus]
    return [0.3, *curve, *tail, 0.1]


def _paper_arousal(model: str, corpus: str) -> list[float]:
    if model == "apertus":
        wave = [0.07 + 0.09 * abs(np.sin(layer)) for layer in range(32)]
        if corpus == "apertus":
            wave[1], wave[30], wave[31] = 0.21, 0.03, 0.12
            return wave
        out = [0.1, 0.21, 0.01, 0.02, 0.015, 0.02]
        out += [0.28 + 0.1 * (i % 3) / 2 for i in range(6, 21)]
        out += [0.2, 0.06, 0.38, 0.4, 0.42, 0.45, 0.44, 0.43, 0.41, 0.34, 0.09]
        return out
    if corpus == "apertus":
        out = [0.02 + 0.15 * abs(np.sin(layer)) for layer in range(42)]
        out[40], out[41] = 0.2, 0.1
        return out
    out = [0.2] * 42
    out[4], out[9], out[5], out[6], out[12] = 0.41, 0.40, 0.05, 0.1, 0.03
    out[20] = out[21] = 0.25
    for layer in range(24, 28):
        out[layer] = 0.3
    for layer in range(29, 40):
        out[layer] = 0.37 + 0.04 * (layer % 2)
    out[36], out[40], out[41] = 0.43, 0.33, 0.1
    return out


def paper_results(variant: str = "pass", ci_half: float = 0.08) -> dict[str, Any]:
    """Shaped like the paper profile: 2 models x 2 corpora plus cross-corpus and cross-model CKA.

    ``variant="pass"`` plants the paper's curves and peaks; ``"fail"`` plants flat valence curves and reversed
    arousal, contradicting every claim.
    """
    runs = []
    for model in ("apertus", "gemma"):
        for corpus in ("apertus", "gemma"):
            n = MODELS[ALIAS[model]].n_blocks
            if variant == "pass":
                valence, arousal = _paper_valence(model, corpus), _paper_arousal(model, corpus)
            elif variant == "fail":
                valence = [0.35 if model == "apertus" else 0.4] * n
                arousal = [0.05 if corpus == "gemma" else 0.45] * n
            else:
                raise ValueError(f"unknown variant {variant!r}")
            runs.append(make_run(ALIAS[model], corpus, valence, arousal, ci_half=ci_half, seed=len(runs)))
    cross_corpus = []
    for model in ("apertus", "gemma"):
        n = MODELS[ALIAS[model]].n_blocks
        cross_corpus.append(
            {
                "model": ALIAS[model],
                "corpora": ["apertus", "gemma"],
                "layers": list(range(n)),
                "linear": [0.6 + 0.3 * layer / n for layer in range(n)],
                "debiased": [0.4 + 0.3 * layer / n for layer in range(n)],
            }
        )
    cross_model = []
    for corpus in ("apertus", "gemma"):
        depth = [i / 20 for i in range(20)]
        cross_model.append(
            {
                "corpus": corpus,
                "models": [ALIAS["apertus"], ALIAS["gemma"]],
                "depth": depth,
                "layers_a": [round(d * 32) for d in depth],
                "layers_b": [round(d * 42) for d in depth],
                "linear": [0.5 + 0.2 * d for d in depth],
                "debiased": [0.3 + 0.2 * d for d in depth],
            }
        )
    return _results(runs, cross_corpus, cross_model)


def without_runs(results: dict[str, Any], *keys: tuple[str, str]) -> dict[str, Any]:
    """A deep copy of ``results`` without the runs ``(model alias, corpus)`` listed in ``keys``."""
    out = copy.deepcopy(results)
    out["runs"] = [r for r in out["runs"] if (r["model"], r["corpus"]) not in keys]
    return out


def run_of(results: dict[str, Any], model: str, corpus: str) -> dict[str, Any]:
    """The run ``(model alias, corpus)`` of ``results`` (the object itself, for in-place edits in tests)."""
    return next(r for r in results["runs"] if r["model"] == model and r["corpus"] == corpus)


PAPER_METADATA = {
    "profile": "paper",
    "models": [
        {"alias": "apertus-8b", "hub_id": "swiss-ai/Apertus-8B-Instruct-2509", "revision": "0123abcd"},
        {"alias": "gemma-4-e4b", "hub_id": "google/gemma-4-E4B-it", "revision": "4567ef01"},
    ],
    "corpora": [
        {"name": "apertus", "mean_tokens": 402.5, "min_tokens": 120, "max_tokens": 512, "n_leaks": 7, "n_short": 0},
        {"name": "gemma", "mean_tokens": 388.0, "min_tokens": 97, "max_tokens": 512, "n_leaks": 3, "n_short": 1},
    ],
    "packages": {"torch": "2.6.0", "transformers": "5.5.0", "numpy": "2.1.0"},
    "hardware": {"gpu": "NVIDIA H100 80GB", "cpu": "16 cores"},
    "wall_time_s": {"extract": 5400.0, "analyze": 95.5, "report": 12.0},
}
EXTRACTION = {"token_offset": 50, "max_length": 512, "pad_side": "right"}
_BUILT: dict[str, Any] = {}


def built_report(kind: str) -> tuple[dict[str, Any], Any]:
    """``(results, ReportOutputs)`` of the report built (once per test session) from a synthetic results file.

    ``kind`` is ``"demo"`` (demo-shaped, no run metadata) or ``"paper"`` (paper-shaped, passing claims, with
    run metadata). The files live in a temporary directory removed at exit.
    """
    if kind not in _BUILT:
        import atexit
        import shutil
        import tempfile
        from pathlib import Path

        from emotion_vectors.report.build import build_report
        from emotion_vectors.report.numbers import ReportContext

        out = Path(tempfile.mkdtemp(prefix=f"ev-report-{kind}-"))
        atexit.register(shutil.rmtree, out, True)
        if kind == "demo":
            results, context = demo_results(), ReportContext("demo", "Demo profile: synthetic", EXTRACTION, None)
        else:
            results = paper_results("pass")
            context = ReportContext("paper", "Paper profile: synthetic", EXTRACTION, PAPER_METADATA)
        _BUILT[kind] = (results, build_report(results, out, context))
    return _BUILT[kind]
