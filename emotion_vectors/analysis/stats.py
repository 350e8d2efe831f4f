"""Uncertainty for the per-layer rating correlations: bootstrap intervals, a permutation test, multiplicity.

Pure functions on numpy arrays; every random draw comes from an explicit :class:`numpy.random.Generator`. The
bootstrap replicates themselves are drawn and refitted in :mod:`emotion_vectors.analysis.bootstrap`.

**Intervals** (:func:`confidence_interval`; ``benchmarks/interval_coverage.py`` measures their coverage and
``docs/intervals.md`` states what each scheme estimates):

- ``"recentred"`` (the bootstrap's method: every statistic's interval but the two the analysis's default
  ``"inverted"`` gives by test inversion): the basic bootstrap on Fisher's ``z = atanh(r)``, centred on the estimate:
  ``tanh(z_hat - (q_hi - m), z_hat - (q_lo - m))`` with ``q_lo, q_hi`` the ``(1-c)/2`` and ``(1+c)/2`` quantiles
  and ``m`` the median of the replicates' ``z``. Only the *spread* of the replicates is used, not their
  location: resampling stories adds sampling noise to every emotion mean, which attenuates r, so story-level
  replicates sit below the full-sample r (the noise is counted twice); centring removes that shift. The interval
  contains its estimate by construction. Its estimand is the r this analysis returns for the corpus's design
  (same emotions and stories per emotion for the story scheme, a fresh draw of emotions for the emotion
  scheme), attenuation included.
- ``"bias_corrected"``: the basic bootstrap on Fisher's z, ``tanh(2 z_hat - q_hi, 2 z_hat - q_lo)``: the shift
  of the replicates below the estimate is read as the estimate's own attenuation and added back once more
  (two-stage bias correction), so the interval aims at the noise-free r (infinitely many stories). It can
  exclude the estimate.
- ``"percentile"``: the ``(1-c)/2`` and ``(1+c)/2`` quantiles with linear interpolation; carries the
  replicates' attenuation straight into the interval.
- ``"bca"``: Efron's bias-corrected and accelerated interval: bias from the share of replicates below the
  estimate, counting ties as half, acceleration from the jackknife: leave-one-emotion-out for the emotion
  scheme, leave-one-story-out for the story scheme, matching :func:`scipy.stats.bootstrap`'s BCa. It stays
  inside the range of the replicates, so it cannot reach an estimate that every replicate falls below.

The peak r has two intervals (:func:`peak_interval`): that of the maximum over layers (replicates: each
replicate's max over layers, the same method as above) and, by the caller, that of r at the peak layer held
fixed (the layer's own interval).

**Permutation test** (:func:`permutation_test`): valence is permuted over the rated emotions; the statistic is
``|r(PC1, valence)|`` (the sign rule makes the observed r non-negative, so ``|r|`` is the matching null), the
same permutation is applied to every layer, per-layer p-values are ``(1 + #{T* >= T}) / (1 + P)``, the
family-wise p-values use the max over layers of ``T*`` (Westfall-Young single step), and Benjamini-Hochberg
q-values come from :func:`statsmodels.stats.multitest.multipletests`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri
from statsmodels.stats.multitest import multipletests

from emotion_vectors.errors import AnalysisError
from emotion_vectors.options import CIMethod, choices
from emotion_vectors.vectors import check_matrix

CI_METHODS: tuple[str, ...] = choices(CIMethod)
#: The methods that read an interval off bootstrap replicates (:func:`confidence_interval`); ``"inverted"`` is a
#: test inversion of PC1-valence r and PC2-arousal r per layer
#: (:mod:`~emotion_vectors.analysis.inverted_intervals`) and takes :func:`bootstrap_method`'s for the rest.
BOOTSTRAP_METHODS: tuple[str, ...] = tuple(m for m in CI_METHODS if m != "inverted")
#: Correlations are clipped to ``+-(1 - FISHER_EPS)`` before ``atanh`` (a replicate r of exactly 1 is finite).
FISHER_EPS = 1e-12
#: The multiple-testing method of the q-values (:func:`statsmodels.stats.multitest.multipletests`).
BH_METHOD = "fdr_bh"


@dataclass(frozen=True)
class PermutationResult:
    """Permutation test of ``|r(PC1, valence)|`` per layer.

    Attributes:
        observed: ``[n_layers]`` observed ``|r|``.
        p: ``[n_layers]`` per-layer p-values.
        p_fwer: ``[n_layers]`` family-wise p-values (max over layers).
        q_bh: ``[n_layers]`` Benjamini-Hochberg q-values of ``p``.
        n_permutations: Permutations drawn.
    """

    observed: np.ndarray
    p: np.ndarray
    p_fwer: np.ndarray
    q_bh: np.ndarray
    n_permutations: int


def percentile_interval(replicates: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Percentile interval ``[..., 2]`` from ``[B, ...]`` replicates (NaN replicates ignored)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    _check_confidence(confidence)
    alpha = (1.0 - confidence) / 2.0
    if replicates.shape[0] == 0:
        return np.full((*replicates.shape[1:], 2), np.nan)
    bounds = np.nanquantile(replicates, [alpha, 1.0 - alpha], axis=0)
    return np.moveaxis(bounds, 0, -1)


def bca_interval(
    estimate: np.ndarray | float,
    replicates: np.ndarray,
    jackknife: np.ndarray,
    confidence: float = 0.95,
) -> np.ndarray:
    """Bias-corrected and accelerated bootstrap interval.

    Args:
        estimate: ``[...]`` full-sample statistic.
        replicates: ``[B, ...]`` bootstrap replicates (NaN replicates ignored).
        jackknife: ``[J, ...]`` leave-one-out replicates (for the acceleration).
        confidence: Two-sided confidence level.

    Returns:
        ``[..., 2]``; NaN where the bias correction is infinite (every replicate on one side of the estimate).
    """
    _check_confidence(confidence)
    estimate = np.asarray(estimate, dtype=np.float64)
    replicates = np.asarray(replicates, dtype=np.float64)
    jackknife = np.asarray(jackknife, dtype=np.float64)
    if replicates.shape[1:] != estimate.shape or jackknife.shape[1:] != estimate.shape:
        raise AnalysisError(
            f"replicates [B, ...] and jackknife [J, ...] must end in the estimate's shape {estimate.shape}; "
            f"got {replicates.shape} and {jackknife.shape}"
        )
    valid = np.isfinite(replicates)
    n_valid = valid.sum(axis=0)
    below = np.sum(valid & (replicates < estimate), axis=0) + np.sum(valid & (replicates <= estimate), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = ndtri(below / (2.0 * n_valid))
        deviation = np.nanmean(jackknife, axis=0) - jackknife
        acceleration = np.nansum(deviation**3, axis=0) / (6.0 * np.nansum(deviation**2, axis=0) ** 1.5)
    alpha = (1.0 - confidence) / 2.0
    levels = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for z in (ndtri(alpha), ndtri(1.0 - alpha)):
            shifted = z0 + z
            levels.append(ndtr(z0 + shifted / (1.0 - acceleration * shifted)))
    out = np.full((*estimate.shape, 2), np.nan)
    for position in np.ndindex(estimate.shape):
        lo, hi = levels[0][position], levels[1][position]
        column = replicates[(slice(None), *position)]
        column = column[np.isfinite(column)]
        if column.size and np.isfinite(lo) and np.isfinite(hi):
            out[position] = np.quantile(column, [lo, hi])
    return out


def fisher_basic_interval(
    estimate: np.ndarray | float,
    replicates: np.ndarray,
    confidence: float = 0.95,
    *,
    recentre: bool = True,
) -> np.ndarray:
    """Basic bootstrap interval of a correlation on Fisher's z (see the module docstring).

    Args:
        estimate: ``[...]`` full-sample r.
        replicates: ``[B, ...]`` bootstrap replicates of r (NaN replicates ignored).
        confidence: Two-sided level.
        recentre: ``True``: centre the replicates' spread on the estimate (``"recentred"``); ``False``: reflect
            it about the estimate, which adds the replicates' shift back (``"bias_corrected"``).

    Returns:
        ``[..., 2]``; NaN where the estimate is NaN or no replicate is finite.
    """
    _check_confidence(confidence)
    estimate = np.asarray(estimate, dtype=np.float64)
    replicates = np.asarray(replicates, dtype=np.float64)
    if replicates.shape[1:] != estimate.shape:
        raise AnalysisError(
            f"replicates [B, ...] must end in the estimate's shape {estimate.shape}, got {replicates.shape}"
        )
    out = np.full((*estimate.shape, 2), np.nan)
    if replicates.shape[0] == 0:
        return out
    alpha = (1.0 - confidence) / 2.0
    z_hat = fisher_z(estimate)
    z = fisher_z(replicates)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, kept as NaN
        q_lo, median, q_hi = np.nanquantile(z, [alpha, 0.5, 1.0 - alpha], axis=0)
    centre = z_hat if recentre else 2.0 * z_hat - median
    out[..., 0] = np.tanh(centre - (q_hi - median))
    out[..., 1] = np.tanh(centre - (q_lo - median))
    return out


def fisher_z(r: np.ndarray | float) -> np.ndarray:
    """``atanh(r)`` with ``r`` clipped to ``+-(1 - FISHER_EPS)`` (NaN stays NaN)."""
    r = np.asarray(r, dtype=np.float64)
    return np.arctanh(np.clip(r, -1.0 + FISHER_EPS, 1.0 - FISHER_EPS))


def confidence_interval(
    estimate: np.ndarray,
    replicates: np.ndarray,
    method: CIMethod = "recentred",
    confidence: float = 0.95,
    jackknife: np.ndarray | None = None,
) -> np.ndarray:
    """Interval ``[..., 2]`` by bootstrap ``method`` (:data:`BOOTSTRAP_METHODS`); ``"bca"`` needs the ``[J, ...]``
    jackknife replicates."""
    if method not in BOOTSTRAP_METHODS:
        raise AnalysisError(
            f"{method!r} is not a bootstrap interval method", fix=f"use one of {', '.join(BOOTSTRAP_METHODS)}"
        )
    if method in ("recentred", "bias_corrected"):
        return fisher_basic_interval(estimate, replicates, confidence, recentre=method == "recentred")
    if method == "percentile":
        return percentile_interval(replicates, confidence)
    if jackknife is None:
        raise AnalysisError("a BCa interval needs jackknife replicates")
    return bca_interval(estimate, replicates, jackknife, confidence)


def bootstrap_method(method: str) -> str:
    """The bootstrap method behind analysis method ``method``: itself, or ``"recentred"`` for ``"inverted"`` (for
    the statistics the inversion does not cover: Spearman's rho, the maximum over layers)."""
    return "recentred" if method == "inverted" else method


def peak_interval(
    replicates: np.ndarray,
    layers: Sequence[int],
    confidence: float = 0.95,
    *,
    estimates: np.ndarray | None = None,
    method: CIMethod = "percentile",
    jackknife: np.ndarray | None = None,
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Intervals of the peak layer and of the maximum r over layers.

    Args:
        replicates: ``[B, n_layers]`` replicate r per layer (the same resample across layers).
        layers: ``n_layers`` block indices.
        confidence: Two-sided level.
        estimates: ``[n_layers]`` full-sample r per layer; the estimate of the maximum is their max. Needed by
            every method but ``"percentile"``.
        method: Interval method of the maximum (:func:`confidence_interval`).
        jackknife: ``[J, n_layers]`` jackknife replicates (``"bca"`` only).

    Returns:
        ``((layer_lo, layer_hi), (r_lo, r_hi))``: percentile quantiles of the replicates' argmax layer (as actual
        layer indices, ``inverted_cdf``) and the interval of the maximum r over layers (an interval of a
        maximum, not of r at the peak layer).
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    layers = np.asarray(layers)
    if replicates.ndim != 2 or replicates.shape[1] != layers.size:
        raise AnalysisError(f"replicates must have shape [B, {layers.size}], got {replicates.shape}")
    if method != "percentile" and estimates is None:
        raise AnalysisError(f"the {method!r} interval of the maximum needs the per-layer estimates")
    ok = np.all(np.isfinite(replicates), axis=1)
    if not np.any(ok):
        return (-1, -1), (float("nan"), float("nan"))
    kept = replicates[ok]
    _check_confidence(confidence)
    alpha = (1.0 - confidence) / 2.0
    peak_layers = layers[np.argmax(kept, axis=1)]
    layer_lo, layer_hi = np.quantile(peak_layers, [alpha, 1.0 - alpha], method="inverted_cdf")
    estimate = np.nan if estimates is None else np.nanmax(np.asarray(estimates, dtype=np.float64))
    jack_max = None if jackknife is None else np.nanmax(np.asarray(jackknife, dtype=np.float64), axis=1)[:, None]
    bounds = confidence_interval(np.array([estimate]), kept.max(axis=1)[:, None], method, confidence, jack_max)[0]
    return (int(layer_lo), int(layer_hi)), (float(bounds[0]), float(bounds[1]))


def permutation_test(
    scores: np.ndarray, target: np.ndarray, n_permutations: int, rng: np.random.Generator
) -> PermutationResult:
    """Permutation test of ``|r(scores_L, target)|`` for every layer ``L``, with FWER and BH adjustment.

    Args:
        scores: ``[n_layers, n_rated]`` PC1 scores of the rated emotions per layer.
        target: ``[n_rated]`` valence.
        n_permutations: Permutations (>= 1).
        rng: Random generator.
    """
    check_rng(rng)
    scores = check_matrix("scores", scores)
    target = np.asarray(target, dtype=np.float64)
    if target.shape != (scores.shape[1],):
        raise AnalysisError(f"target must have shape [{scores.shape[1]}], got {target.shape}")
    if n_permutations < 1:
        raise AnalysisError(f"n_permutations must be >= 1, got {n_permutations}")
    standard = _standardise(scores)
    observed = np.abs(standard @ _standardise(target[None, :])[0])
    exceed = np.zeros(scores.shape[0], dtype=np.int64)
    exceed_max = np.zeros(scores.shape[0], dtype=np.int64)
    for lo in range(0, n_permutations, 256):
        size = min(256, n_permutations - lo)
        permuted = np.stack([rng.permutation(target) for _ in range(size)])
        null = np.abs(_standardise(permuted) @ standard.T)  # [size, n_layers]
        exceed += np.sum(null >= observed - 1e-12, axis=0)
        exceed_max += np.sum(null.max(axis=1)[:, None] >= observed - 1e-12, axis=0)
    p = (1.0 + exceed) / (1.0 + n_permutations)
    p_fwer = (1.0 + exceed_max) / (1.0 + n_permutations)
    q = multipletests(p, method=BH_METHOD)[1]
    return PermutationResult(observed=observed, p=p, p_fwer=p_fwer, q_bh=q, n_permutations=int(n_permutations))


# ---------------------------------------------------------------------------------------------- internals


def check_rng(rng: object) -> None:
    """Raise :class:`AnalysisError` unless ``rng`` is a :class:`numpy.random.Generator`."""
    if not isinstance(rng, np.random.Generator):
        raise AnalysisError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise AnalysisError(f"confidence must be in (0, 1), got {confidence}")


def _standardise(rows: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit norm (so a dot product is a Pearson r); constant rows become 0."""
    centred = rows - rows.mean(axis=-1, keepdims=True)
    norm = np.linalg.norm(centred, axis=-1, keepdims=True)
    return np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 0)


__all__ = [
    "BOOTSTRAP_METHODS",
    "CI_METHODS",
    "PermutationResult",
    "bca_interval",
    "bootstrap_method",
    "check_rng",
    "confidence_interval",
    "fisher_basic_interval",
    "fisher_z",
    "peak_interval",
    "percentile_interval",
    "permutation_test",
]
