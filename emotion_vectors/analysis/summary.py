"""Summarise a run's per-layer analyses into its typed record: intervals, peaks, window means.

Every statistic the results file, the report and the claims check quote is computed here, once:

- **Per-layer intervals** (:func:`layer_intervals`): :func:`~emotion_vectors.analysis.stats.confidence_interval`
  of each statistic under each bootstrap scheme that ran.
- **Peaks** (:func:`find_peak`): the layer with the largest r inside the model's reported layer window, with
  the interval of the maximum over the window's layers (:func:`~emotion_vectors.analysis.stats.peak_interval`)
  and the interval of r at the peak layer held fixed.
- **Window means** (:func:`window_mean`, :func:`window_contrast`): the mean r over a layer window with a
  conservative interval (the mean of the per-layer half-widths: never narrower than the interval of a mean of
  positively correlated estimates); a difference of two windows combines their half-widths in quadrature
  (:func:`difference_ci`).

Pure functions of arrays and records (no I/O); the analysis stage calls :func:`summarise_run` per run and
:func:`emotion_vectors.analysis.comparison.compare_runs` across runs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from emotion_vectors.analysis import cka, direction, stats
from emotion_vectors.analysis.bootstrap import STATISTICS
from emotion_vectors.analysis.confounds import LengthConfound
from emotion_vectors.analysis.geometry import LayerGeometry
from emotion_vectors.analysis.inverted_intervals import INVERTED_STATISTICS
from emotion_vectors.analysis.rating_axes import RatingAxes
from emotion_vectors.analysis.records import (
    CI_SCHEME_ORDER,
    NO_INTERVAL,
    PEAK_STATISTIC,
    AtPeak,
    Interval,
    IntervalSettings,
    LayerStats,
    Peak,
    RunInfo,
    RunSummary,
    WindowContrast,
    is_interval,
)
from emotion_vectors.analysis.similarity import optional_similarity_null
from emotion_vectors.errors import AnalysisError

#: Every bootstrap scheme, in the order the results file lists them.
SCHEMES: tuple[str, ...] = ("emotion", "story")
Window = tuple[int, int]
Replicates = Mapping[str, Mapping[str, np.ndarray]]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerAnalysis:
    """What the analysis functions return for one layer, before summarising (in memory only).

    Attributes:
        layer: Block index.
        geometry: PCA and rating correlations.
        gram: ``[n_emotions, n_emotions]`` Gram matrix of the contrast vectors.
        k_neutral: Neutral components projected out; ``neutral_variance``: their explained variance.
        direction: ``[d_model]`` unit valence direction.
        loo_r: Leave-one-emotion-out r of that direction.
        boot: ``{scheme: {statistic: [B]}}`` bootstrap replicates per scheme that ran.
        jack: ``{scheme: {statistic: [n]}}`` jackknife replicates (BCa only; empty otherwise).
        inverted: ``{scheme: {statistic: (low, high)}}`` test-inversion intervals of PC1-valence r and
            PC2-arousal r (``ci_method = "inverted"`` only; empty otherwise).
        axes: The rotation-free rating measures (best of the top 3 PCs, cross-validated directions).
        confound: Correlations with mean story length.
    """

    layer: int
    geometry: LayerGeometry
    gram: np.ndarray
    k_neutral: int
    neutral_variance: float
    direction: np.ndarray
    loo_r: float
    boot: Replicates
    jack: Replicates
    axes: RatingAxes
    confound: LengthConfound
    inverted: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ratings:
    """The rated emotions: ``index`` ``[n_rated]`` rows of the emotion order, ``valence``/``arousal`` ``[n_rated]``."""

    index: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray


@dataclass(frozen=True)
class WindowMean:
    """Mean of a per-layer statistic over the finite layers of ``window``, with a conservative interval."""

    mean: float
    ci: Interval | None
    n_layers: int
    window: Window


# ---------------------------------------------------------------------------------------------- one run


def summarise_run(
    info: RunInfo,
    outputs: Sequence[LayerAnalysis],
    ratings: Ratings,
    settings: IntervalSettings,
    permutation: stats.PermutationResult | None,
    peak_window: Window | None = None,
    *,
    cka_permutations: int = 0,
    rng: np.random.Generator | None = None,
) -> RunSummary:
    """The typed record of one run from its per-layer analyses (in increasing layer order).

    Args:
        info: Identity and sizes of the run.
        outputs: One :class:`LayerAnalysis` per analysed layer.
        ratings: The rated emotions.
        settings: Interval method, level, resamples and the schemes that ran (each output has their replicates).
        permutation: The PC1-valence permutation test over the layers, or ``None`` when none was run.
        peak_window: Inclusive block range the peaks are searched in (default: every analysed layer).
        cka_permutations: Row shuffles behind the layer x layer CKA and RSA p-values (0: none).
        rng: Random generator of those shuffles (needed when ``cka_permutations > 0``).
    """
    layers = [out.layer for out in outputs]
    if layers != sorted(set(layers)) or not layers:
        raise AnalysisError(f"{info.model}/{info.corpus}: layers must be increasing and unique, got {layers}")
    estimates = {name: np.array([getattr(out.geometry, name) for out in outputs]) for name in STATISTICS}
    intervals, fallbacks = layer_intervals(estimates, outputs, settings)
    settings = replace(settings, fallbacks=fallbacks)
    directions = np.stack([out.direction for out in outputs])
    cosine = direction.cosine_matrix(directions)
    per_layer = [
        _layer_stats(info, out, i, intervals, permutation, cosine[i - 1, i] if i > 0 else math.nan)
        for i, out in enumerate(outputs)
    ]
    window = peak_window or (layers[0], layers[-1])
    peaks = {which: find_peak(which, outputs, estimates, intervals, settings, window) for which in PEAK_STATISTIC}
    grams = np.stack([out.gram for out in outputs])
    summary = RunSummary(
        info=info,
        layers=tuple(per_layer),
        ci=settings,
        n_permutations=0 if permutation is None else permutation.n_permutations,
        peaks=peaks,
        late_minus_early_valence=None,
        direction_cosine=cosine,
        cka_linear=cka.cka_matrix(grams),
        cka_debiased=cka.cka_matrix(grams, True),
        cross_layer=optional_similarity_null(grams, grams, cka_permutations, rng, paired=False),
        at_peak=_at_peak(outputs[layers.index(peaks["valence"].layer)], ratings, info.n_emotions),
    )
    return replace(summary, late_minus_early_valence=late_minus_early(summary))


def layer_intervals(
    estimates: Mapping[str, np.ndarray], outputs: Sequence[LayerAnalysis], settings: IntervalSettings
) -> tuple[dict[str, dict[str, np.ndarray]], tuple[tuple[str, str, int], ...]]:
    """``({scheme: {statistic: [n_layers, 2]}}, fallbacks)``: per-layer intervals for every scheme (NaN where it
    did not run), the test inversion's for the statistics it covers under ``"inverted"`` and the bootstrap's
    otherwise; ``fallbacks`` names each ``(scheme, statistic, layer)`` where no world of the inversion held the
    sample, which keeps the recentred bootstrap's interval (and is logged)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    fallbacks: list[tuple[str, str, int]] = []
    method = stats.bootstrap_method(settings.method)
    for scheme in SCHEMES:
        out[scheme] = {}
        for name in STATISTICS:
            if scheme not in settings.schemes:
                out[scheme][name] = np.full((len(outputs), 2), np.nan)
                continue
            boot = np.stack([o.boot[scheme][name] for o in outputs], axis=1)  # [B, L]
            jack = np.stack([o.jack[scheme][name] for o in outputs], axis=1) if method == "bca" else None
            out[scheme][name] = stats.confidence_interval(estimates[name], boot, method, settings.confidence, jack)
            if settings.method == "inverted" and name in INVERTED_STATISTICS:
                inverted = np.array([o.inverted[scheme][name] for o in outputs], dtype=np.float64)
                held = np.all(np.isfinite(inverted), axis=1)
                for i in np.flatnonzero(~held):
                    fallbacks.append((scheme, name, int(outputs[i].layer)))
                    LOG.warning(
                        "%s, %s scheme, layer %d: no world of the test inversion holds the sample; the interval is "
                        "the recentred bootstrap's",
                        name,
                        scheme,
                        outputs[i].layer,
                    )
                out[scheme][name][held] = inverted[held]
    return out, tuple(fallbacks)


def find_peak(
    which: str,
    outputs: Sequence[LayerAnalysis],
    estimates: Mapping[str, np.ndarray],
    intervals: Mapping[str, Mapping[str, np.ndarray]],
    settings: IntervalSettings,
    window: Window,
) -> Peak:
    """The peak of ``PEAK_STATISTIC[which]`` over the layers inside ``window``, with both of its intervals."""
    name = PEAK_STATISTIC[which]
    layers = np.array([out.layer for out in outputs])
    inside = np.flatnonzero((layers >= window[0]) & (layers <= window[1]))
    if inside.size == 0:
        raise AnalysisError(f"no analysed layer lies in the peak window {window[0]}-{window[1]}")
    values = estimates[name][inside]
    best = int(inside[np.nanargmax(values)]) if np.any(np.isfinite(values)) else int(inside[0])
    scheme = settings.primary
    layer_ci, r_ci_max, r_ci_at_layer = None, NO_INTERVAL, NO_INTERVAL
    if scheme is not None:
        boot = np.stack([outputs[i].boot[scheme][name] for i in inside], axis=1)
        jack = None
        method = stats.bootstrap_method(settings.method)
        if method == "bca":
            jack = np.stack([outputs[i].jack[scheme][name] for i in inside], axis=1)
        found_layers, r_ci_max = stats.peak_interval(
            boot, layers[inside], settings.confidence, estimates=values, method=method, jackknife=jack
        )
        layer_ci = found_layers if found_layers[0] >= 0 else None
        r_ci_at_layer = (float(intervals[scheme][name][best, 0]), float(intervals[scheme][name][best, 1]))
    return Peak(
        which=which,
        layer=int(layers[best]),
        r=float(estimates[name][best]),
        window=(int(window[0]), int(window[1])),
        ci_scheme=scheme,
        layer_ci=layer_ci,
        r_ci_max=(float(r_ci_max[0]), float(r_ci_max[1])),
        r_ci_at_layer=r_ci_at_layer,
    )


def _layer_stats(
    info: RunInfo,
    out: LayerAnalysis,
    i: int,
    intervals: Mapping[str, Mapping[str, np.ndarray]],
    permutation: stats.PermutationResult | None,
    cosine_previous: float,
) -> LayerStats:
    geo = out.geometry
    p = (math.nan,) * 3 if permutation is None else (permutation.p[i], permutation.p_fwer[i], permutation.q_bh[i])
    return LayerStats(
        layer=int(out.layer),
        fractional_depth=out.layer / info.n_blocks,
        k_neutral=int(out.k_neutral),
        neutral_variance_explained=float(out.neutral_variance),
        explained_variance_ratio=tuple(float(v) for v in geo.explained_variance_ratio),
        pc1_valence_r=float(geo.pc1_valence_r),
        pc1_valence_spearman=float(geo.pc1_valence_spearman),
        pc2_arousal_r=float(geo.pc2_arousal_r),
        pc2_arousal_spearman=float(geo.pc2_arousal_spearman),
        intervals={
            scheme: {name: (float(b[name][i, 0]), float(b[name][i, 1])) for name in STATISTICS}
            for scheme, b in intervals.items()
        },
        pc1_valence_p=float(p[0]),
        pc1_valence_p_fwer=float(p[1]),
        pc1_valence_q_bh=float(p[2]),
        arousal_best_pc=int(geo.arousal_best_pc),
        arousal_best_r=float(geo.arousal_best_r),
        loo_valence_r=float(out.loo_r),
        direction_cosine_previous=float(cosine_previous),
        pc1_sign=int(geo.pc1_sign),
        pc2_sign=int(geo.pc2_sign),
        valence_top3_pc=int(out.axes.valence_top3_pc),
        valence_top3_r=float(out.axes.valence_top3_r),
        arousal_top3_pc=int(out.axes.arousal_top3_pc),
        arousal_top3_r=float(out.axes.arousal_top3_r),
        loo_arousal_r=float(out.axes.loo_arousal_r),
        pc1_length_r=float(out.confound.pc1_length_r),
        pc2_length_r=float(out.confound.pc2_length_r),
        pc1_valence_partial_r=float(out.confound.pc1_valence_partial_r),
        pc2_arousal_partial_r=float(out.confound.pc2_arousal_partial_r),
    )


def _at_peak(out: LayerAnalysis, ratings: Ratings, n_emotions: int) -> AtPeak:
    norms = np.sqrt(np.clip(np.diag(out.gram), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = out.gram / norms[:, None] / norms[None, :]
    valence, arousal = np.full(n_emotions, np.nan), np.full(n_emotions, np.nan)
    valence[ratings.index], arousal[ratings.index] = ratings.valence, ratings.arousal
    scores = out.geometry.scores
    return AtPeak(out.layer, scores[:, 0].copy(), scores[:, 1].copy(), valence, arousal, cosine)


def late_minus_early(run: RunSummary) -> WindowContrast | None:
    """Mean PC1-valence r over the later half of ``run``'s layers minus the earlier half (the earlier half takes
    the middle layer of an odd count); ``None`` with fewer than two layers."""
    layers = list(run.block_indices)
    if len(layers) < 2:
        return None
    half = (len(layers) - 1) // 2
    early, late = (layers[0], layers[half]), (layers[half + 1], layers[-1])
    return window_contrast(run, "pc1_valence_r", late, early)


# ---------------------------------------------------------------------------------------------- windows


def window_mean(
    layers: Sequence[int], values: np.ndarray, bounds: np.ndarray | None, window: Window, label: str = "run"
) -> WindowMean:
    """Mean of ``values`` (``[n_layers]``, aligned with ``layers``) over the finite layers inside ``window``.

    The interval is the mean minus/plus the mean lower/upper half-width of the per-layer ``bounds``
    (``[n_layers, 2]``); ``None`` when ``bounds`` is ``None`` or any layer's interval is missing.
    """
    idx = [i for i, layer in enumerate(layers) if window[0] <= layer <= window[1]]
    if not idx:
        raise AnalysisError(f"{label}: no layer in {window[0]}-{window[1]}")
    idx = [i for i in idx if math.isfinite(float(values[i]))]
    if not idx:
        raise AnalysisError(f"{label}: no finite value in layers {window[0]}-{window[1]}")
    picked = [float(values[i]) for i in idx]
    mean = sum(picked) / len(picked)
    ci = None
    if bounds is not None and all(is_interval(tuple(bounds[i])) for i in idx):
        low = sum(picked[k] - float(bounds[i][0]) for k, i in enumerate(idx)) / len(idx)
        high = sum(float(bounds[i][1]) - picked[k] for k, i in enumerate(idx)) / len(idx)
        ci = (mean - low, mean + high)
    return WindowMean(mean, ci, len(idx), (int(window[0]), int(window[1])))


def run_window_mean(
    run: RunSummary, statistic: str, window: Window, schemes: Sequence[str] = CI_SCHEME_ORDER
) -> WindowMean:
    """:func:`window_mean` of ``statistic`` in ``run``, with the intervals of the first of ``schemes`` that ran."""
    scheme = next((s for s in schemes if s in run.ci.schemes), None)
    bounds = None if scheme is None else run.bounds(statistic, scheme)
    label = f"run {run.model}/{run.corpus}"
    return window_mean(run.block_indices, run.column(statistic), bounds, window, label)


def window_contrast(
    run: RunSummary, statistic: str, high: Window, low: Window, schemes: Sequence[str] = CI_SCHEME_ORDER
) -> WindowContrast:
    """Mean ``statistic`` over ``high`` minus the mean over ``low``, with :func:`difference_ci`."""
    a = run_window_mean(run, statistic, high, schemes)
    b = run_window_mean(run, statistic, low, schemes)
    return WindowContrast(statistic, low, high, a.mean - b.mean, difference_ci(a.mean, a.ci, b.mean, b.ci))


def difference_ci(a: float, a_ci: Interval | None, b: float, b_ci: Interval | None) -> Interval | None:
    """Interval of ``a - b`` from the intervals of ``a`` and ``b``, half-widths combined in quadrature."""
    if not (is_interval(a_ci) and is_interval(b_ci)):
        return None
    low = math.hypot(a - a_ci[0], b_ci[1] - b)
    high = math.hypot(a_ci[1] - a, b - b_ci[0])
    return (a - b - low, a - b + high)


__all__ = [
    "SCHEMES",
    "LayerAnalysis",
    "Ratings",
    "WindowMean",
    "difference_ci",
    "find_peak",
    "late_minus_early",
    "layer_intervals",
    "run_window_mean",
    "summarise_run",
    "window_contrast",
    "window_mean",
]
