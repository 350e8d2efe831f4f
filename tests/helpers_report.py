"""Synthetic results for the report and claims tests, built as the typed records and passed through the real
writer and reader (:func:`emotion_vectors.results.results_json`, :func:`~emotion_vectors.results.from_dict`), so
they hold exactly the fields the analysis stage writes.

``paper_results("pass")`` plants the paper's own per-layer curves (read off its plots) and peaks, so every claim
must come out supported; ``paper_results("fail")`` plants flat curves that contradict every claim.
``demo_results()`` is shaped like the demo profile (one encoder run on the demo corpus).
:func:`built_report` builds the demo report from a real analysis of synthetic activation stores.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from emotion_vectors.analysis.records import (
    CI_SCHEME_ORDER,
    PEAK_STATISTIC,
    AtPeak,
    CrossCKA,
    IntervalSettings,
    LayerStats,
    Peak,
    RunInfo,
    RunSummary,
)
from emotion_vectors.analysis.summary import SCHEMES, late_minus_early
from emotion_vectors.analyze import paper_window
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.ratings import emotions, load_ratings
from emotion_vectors.registry import MODELS
from emotion_vectors.resources import PAPER_CLAIMS, data_path
from emotion_vectors.results import Results, from_dict, results_json

PAPER = json.loads(data_path(PAPER_CLAIMS).read_text(encoding="utf-8"))
CURVES = PAPER["valence_r_by_layer_read_off_plots"]
ALIAS = {"apertus": "apertus-8b", "gemma": "gemma-4-e4b"}
ANALYSIS = AnalysisConfig(bootstrap_resamples=200, permutations=100)
NAN2 = (math.nan, math.nan)


def _decay(n: int, scale: float) -> np.ndarray:
    idx = np.arange(n)
    return np.exp(-np.abs(idx[:, None] - idx[None, :]) / scale).round(6)


def _band(v: float, half: float) -> tuple[float, float]:
    return (max(-1.0, v - half), min(1.0, v + half)) if math.isfinite(v) else NAN2


def _layer(i: int, layer: int, n_blocks: int, v: float, a: float, half: float, schemes: Sequence[str]) -> LayerStats:
    stats = {"pc1_valence_r": v, "pc1_valence_spearman": 0.97 * v, "pc2_arousal_r": a, "pc2_arousal_spearman": 0.95 * a}
    return LayerStats(
        layer=layer,
        fractional_depth=layer / n_blocks,
        k_neutral=3,
        neutral_variance_explained=0.52,
        explained_variance_ratio=tuple(0.3 * 0.7**k for k in range(10)),
        **stats,
        intervals={s: {k: _band(x, half) if s in schemes else NAN2 for k, x in stats.items()} for s in SCHEMES},
        pc1_valence_p=0.01 if v > 0.3 else 0.4,
        pc1_valence_p_fwer=0.02 if v > 0.3 else 0.9,
        pc1_valence_q_bh=0.015 if v > 0.3 else 0.6,
        arousal_best_pc=2,
        arousal_best_r=a,
        loo_valence_r=0.9 * v,
        direction_cosine_previous=0.9 - 0.3 * abs(math.sin(i - 1)) if i > 0 else math.nan,
        pc1_sign=1,
        pc2_sign=-1,
        valence_top3_pc=1,
        valence_top3_r=abs(v),
        arousal_top3_pc=2,
        arousal_top3_r=abs(a),
        loo_arousal_r=0.9 * a,
        pc1_length_r=0.0,
        pc2_length_r=0.0,
        pc1_valence_partial_r=0.98 * v,
        pc2_arousal_partial_r=0.95 * a,
    )


def planted_peak(run: RunSummary, which: str, half: float) -> Peak:
    """The peak of ``which`` in ``run``'s model window, with planted intervals: the layer +/- 1 and r +/- ``half``."""
    layers = run.block_indices
    window = paper_window(run.model, layers)
    values = run.column(PEAK_STATISTIC[which])
    inside = [i for i, layer in enumerate(layers) if window[0] <= layer <= window[1]]
    best = max(inside, key=lambda i: values[i])
    scheme = run.ci.primary
    r = float(values[best])
    return Peak(
        which=which,
        layer=layers[best],
        r=r,
        window=window,
        ci_scheme=scheme,
        layer_ci=(layers[max(0, best - 1)], layers[min(len(layers) - 1, best + 1)]) if scheme else None,
        r_ci_max=(r - half, min(1.0, r + half)) if scheme else NAN2,
        r_ci_at_layer=run.layers[best].intervals[scheme][PEAK_STATISTIC[which]] if scheme else NAN2,
    )


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
) -> RunSummary:
    """One run with the given per-layer PC1-valence and PC2-arousal r; everything else is consistent filler."""
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
    vectors = np.column_stack([np.nan_to_num(val), np.nan_to_num(aro), rng.normal(0, 0.6, (len(names), 6))])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    info = RunInfo(
        model=model,
        model_name=entry.display_name,
        corpus=corpus,
        n_blocks=entry.n_blocks,
        d_model=entry.d_model,
        corpus_fingerprint=f"{corpus}0123456789abcdef" * 2,
        n_stories=n_stories,
        n_skipped_stories=0,
        n_emotions=len(names),
        emotions=tuple(names),
        rating_source="nrc",
        n_rated=int(np.isfinite(val).sum()),
        pooling="token_weighted",
        projection="neutral",
        neutral_threshold=0.5,
    )
    ran = tuple(s for s in CI_SCHEME_ORDER if s in schemes)
    stats = tuple(
        _layer(i, layer, entry.n_blocks, float(v), float(a), ci_half, ran)
        for i, (layer, v, a) in enumerate(zip(layers, valence, arousal, strict=True))
    )
    at_peak = AtPeak(
        layer=layers[0],
        pc1=(np.nan_to_num(val) * 3 + rng.normal(0, 1.2, len(names))).round(5),
        pc2=(np.nan_to_num(aro) * 2 + rng.normal(0, 1.0, len(names))).round(5),
        valence=val,
        arousal=aro,
        cosine=(unit @ unit.T).round(4),
    )
    run = RunSummary(
        info=info,
        layers=stats,
        ci=IntervalSettings("percentile", 0.95, 200 if ran else 0, ran),
        n_permutations=100,
        peaks={},
        late_minus_early_valence=None,
        direction_cosine=_decay(n, 4.0),
        cka_linear=_decay(n, 8.0),
        cka_debiased=(_decay(n, 8.0) ** 2).round(6),
        at_peak=at_peak,
    )
    return replant(run, ci_half)


def replant(run: RunSummary, ci_half: float = 0.08) -> RunSummary:
    """``run`` with its peaks, the at-peak layer and the late-minus-early contrast recomputed from its layers."""
    peaks = {which: planted_peak(run, which, ci_half) for which in PEAK_STATISTIC}
    at_peak = dataclasses.replace(run.at_peak, layer=peaks["valence"].layer)
    run = dataclasses.replace(run, peaks=peaks, at_peak=at_peak)
    return dataclasses.replace(run, late_minus_early_valence=late_minus_early(run))


def with_layers(run: RunSummary, ci_half: float | None = None, **columns: Sequence[Any]) -> RunSummary:
    """``run`` with the per-layer fields in ``columns`` replaced (and, with ``ci_half``, every interval of the
    replaced r statistics re-planted at +/- ``ci_half``); peaks are *not* recomputed."""
    layers = []
    for i, stats in enumerate(run.layers):
        changes = {name: values[i] for name, values in columns.items()}
        if ci_half is not None:
            intervals = {
                s: {
                    k: (_band(float(changes.get(k, getattr(stats, k))), ci_half) if s in run.ci.schemes else NAN2)
                    for k in b
                }
                for s, b in stats.intervals.items()
            }
            changes["intervals"] = intervals
        layers.append(dataclasses.replace(stats, **changes))
    return dataclasses.replace(run, layers=tuple(layers))


def with_peak(run: RunSummary, which: str, **changes: Any) -> RunSummary:
    """``run`` with fields of one peak replaced."""
    return dataclasses.replace(run, peaks={**run.peaks, which: dataclasses.replace(run.peaks[which], **changes)})


def round_trip(results: Results) -> Results:
    """``results`` written by the real writer and read back by the real reader."""
    return from_dict(json.loads(results_json(results)))


def _results(runs: list[RunSummary], cross_corpus=(), cross_model=()) -> Results:
    return round_trip(Results(ANALYSIS, tuple(runs), tuple(cross_corpus), tuple(cross_model)))


def edit_run(results: Results, model: str, corpus: str, edit: Callable[[RunSummary], RunSummary]) -> Results:
    """``results`` with the run ``(model, corpus)`` replaced by ``edit(run)``, written and read back."""
    runs = tuple(edit(r) if (r.model, r.corpus) == (model, corpus) else r for r in results.runs)
    return round_trip(dataclasses.replace(results, runs=runs))


def demo_results() -> Results:
    """Shaped like the demo profile: all-MiniLM-L6-v2 (6 blocks) on the demo corpus, no cross results."""
    run = make_run(
        "minilm",
        "demo",
        [0.21, 0.38, 0.52, 0.63, 0.58, 0.49],
        [0.12, 0.18, 0.27, 0.31, 0.24, 0.2],
        n_stories=342,
        ci_half=0.1,
    )
    return _results([run])


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


def paper_results(variant: str = "pass", ci_half: float = 0.08) -> Results:
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
        layers = np.arange(n)
        cross_corpus.append(
            CrossCKA(
                "corpus",
                ALIAS[model],
                ("apertus", "gemma"),
                layers / n,
                layers,
                layers,
                0.6 + 0.3 * layers / n,
                0.4 + 0.3 * layers / n,
            )  # fmt: skip
        )
    cross_model = []
    for corpus in ("apertus", "gemma"):
        depth = np.arange(20) / 20
        cross_model.append(
            CrossCKA(
                "model",
                corpus,
                (ALIAS["apertus"], ALIAS["gemma"]),
                depth,
                np.round(depth * 32).astype(int),
                np.round(depth * 42).astype(int),
                0.5 + 0.2 * depth,
                0.3 + 0.2 * depth,
            )  # fmt: skip
        )
    return _results(runs, cross_corpus, cross_model)


def without_runs(results: Results, *keys: tuple[str, str]) -> Results:
    """``results`` without the runs ``(model alias, corpus)`` listed in ``keys``."""
    return dataclasses.replace(results, runs=tuple(r for r in results.runs if (r.model, r.corpus) not in keys))


def run_of(results: Results, model: str, corpus: str) -> RunSummary:
    """The run ``(model alias, corpus)`` of ``results``."""
    return next(r for r in results.runs if r.model == model and r.corpus == corpus)


EXTRACTION = {"token_offset": 50, "max_length": 512, "pad_side": "right"}
PAPER_METADATA = {
    "profile": "paper",
    "description": "Paper profile: synthetic",
    "extraction": EXTRACTION,
    "models": [
        {
            "alias": "apertus-8b",
            "hub_id": "swiss-ai/Apertus-8B-Instruct-2509",
            "revision": "main",
            "commit": "0123abcd",
        },
        {"alias": "gemma-4-e4b", "hub_id": "google/gemma-4-E4B-it", "revision": "main", "commit": "4567ef01"},
    ],
    "corpora": [
        {
            "name": "apertus",
            "generator": None,
            "n_leaks": 7,
            "mean_tokens": 402.5,
            "min_tokens": 120,
            "max_tokens": 512,
            "n_short": 0,
        },
        {
            "name": "gemma",
            "generator": None,
            "n_leaks": 3,
            "mean_tokens": 388.0,
            "min_tokens": 97,
            "max_tokens": 512,
            "n_short": 1,
        },
    ],  # fmt: skip
    "packages": {"torch": "2.6.0", "transformers": "5.5.0", "numpy": "2.1.0"},
    "hardware": {"gpu": "NVIDIA H100 80GB", "cpu": "16 cores"},
    "wall_time_s": {"extract": 5400.0, "analyze": 95.5, "report": 12.0},
}
_BUILT: dict[str, Any] = {}


def built_report(kind: str) -> tuple[Results, Any]:
    """``(results, ReportOutputs)`` of the report built (once per test session) from a results file.

    ``kind`` is ``"demo"`` (a real analysis of synthetic demo-shaped stores, written by the analysis stage and
    read back, no run metadata) or ``"paper"`` (paper-shaped, passing claims, with run metadata). The files live
    in a temporary directory removed at exit.
    """
    if kind not in _BUILT:
        import atexit
        import shutil
        import tempfile
        from pathlib import Path

        from synthetic import make_synthetic_runs

        from emotion_vectors.report.build import build_report
        from emotion_vectors.report.numbers import ReportContext
        from emotion_vectors.results import load_results, write_results

        out = Path(tempfile.mkdtemp(prefix=f"ev-report-{kind}-"))
        atexit.register(shutil.rmtree, out, True)
        if kind == "demo":
            analysed = make_synthetic_runs((("minilm", 6),), ("demo",), n_emotions=171, stories_per_emotion=2, d=24)
            json_path, _ = write_results(analysed, out / "results")
            results = load_results(json_path)
            context = ReportContext("demo", "Demo profile: synthetic", EXTRACTION, None)
        else:
            results = paper_results("pass")
            context = ReportContext("paper", "Paper profile: synthetic", EXTRACTION, PAPER_METADATA)
        _BUILT[kind] = (results, build_report(results, out, context))
    return _BUILT[kind]
