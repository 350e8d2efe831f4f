"""The typed results of the analysis: one frozen record per layer, per run and per cross-run comparison.

Built once by :mod:`emotion_vectors.analysis.summary` from the analysis functions; written to and read from
``results.json`` / ``per_layer.csv`` by :mod:`emotion_vectors.results`; read (never recomputed) by the report
and the claims check. Every array field states its shape; an interval is a ``(lo, hi)`` pair of floats, NaN
where it was not computed.

**Adding a per-layer number** is one change: add a field to :class:`LayerStats` and set it in
:func:`emotion_vectors.analysis.summary.layer_stats`. A scalar field becomes a per-layer list of the same name in
each run of ``results.json`` and a column of ``per_layer.csv`` (appended, in field order), and is parsed back
by :func:`emotion_vectors.results.load_results`; nothing else needs to know about it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

Interval = tuple[float, float]
Which = Literal["valence", "arousal"]
#: Bootstrap schemes, in order of preference for the intervals the text quotes (story resampling first).
CI_SCHEME_ORDER: tuple[str, ...] = ("story", "emotion")
#: The per-layer statistic behind each peak.
PEAK_STATISTIC: dict[str, str] = {"valence": "pc1_valence_r", "arousal": "pc2_arousal_r"}
NO_INTERVAL: Interval = (math.nan, math.nan)


def is_interval(bounds: Interval | None) -> bool:
    """True when ``bounds`` is a pair of finite floats."""
    return bounds is not None and all(math.isfinite(v) for v in bounds)


@dataclass(frozen=True)
class LayerStats:
    """Every per-layer number of one run (one block).

    Attributes:
        layer: Block index (0-based; the residual stream after block ``layer``).
        fractional_depth: ``layer / n_blocks``.
        k_neutral: Neutral principal components projected out (0 for projection ``raw``).
        neutral_variance_explained: Variance of the neutral texts those components explain (0.0 for ``raw``).
        explained_variance_ratio: ``[n_components]`` PCA variance shares of the contrast vectors.
        pc1_valence_r, pc1_valence_spearman: PC1 scores vs valence (rated emotions).
        pc2_arousal_r, pc2_arousal_spearman: PC2 scores vs arousal (rated emotions).
        intervals: ``{scheme: {statistic: (lo, hi)}}`` intervals of the four statistics, for both
            schemes (``"emotion"``, ``"story"``); NaN pairs for a scheme that was not run.
        pc1_valence_p, pc1_valence_p_fwer, pc1_valence_q_bh: Permutation p-value of ``|r(PC1, valence)|``, its
            family-wise (max over layers) version and its Benjamini-Hochberg q-value (NaN without permutations).
        arousal_best_pc: 1-based PC (among PC1-PC5) with the largest ``|r|`` with arousal (exploratory).
        arousal_best_r: That ``|r|``.
        loo_valence_r: r between leave-one-emotion-out predicted valence of the valence direction and the ratings.
        direction_cosine_previous: Cosine between this layer's valence direction and the previous analysed
            layer's (NaN for the first layer).
        pc1_sign, pc2_sign: ``+1``/``-1``: the flip the rating sign rule applied to PC1 and PC2.
        valence_top3_pc, valence_top3_r: The PC among PC1-PC3 with the largest ``|r|`` with valence, and that
            ``|r|`` (:func:`~emotion_vectors.analysis.rating_axes.best_component`; 0 and NaN when undefined).
        arousal_top3_pc, arousal_top3_r: The same for arousal.
        loo_arousal_r: r between leave-one-emotion-out predicted arousal of a fitted arousal direction and the
            ratings (the arousal counterpart of ``loo_valence_r``).
        pc1_length_r, pc2_length_r: r of the PC1 / PC2 scores with each emotion's mean story length in kept
            tokens, over all emotions (:mod:`emotion_vectors.analysis.confounds`).
        pc1_valence_partial_r, pc2_arousal_partial_r: Partial r of PC1 with valence and of PC2 with arousal
            controlling for mean story length (rated emotions).
    """

    layer: int
    fractional_depth: float
    k_neutral: int
    neutral_variance_explained: float
    explained_variance_ratio: tuple[float, ...]
    pc1_valence_r: float
    pc1_valence_spearman: float
    pc2_arousal_r: float
    pc2_arousal_spearman: float
    intervals: Mapping[str, Mapping[str, Interval]]
    pc1_valence_p: float
    pc1_valence_p_fwer: float
    pc1_valence_q_bh: float
    arousal_best_pc: int
    arousal_best_r: float
    loo_valence_r: float
    direction_cosine_previous: float
    pc1_sign: int
    pc2_sign: int
    valence_top3_pc: int
    valence_top3_r: float
    arousal_top3_pc: int
    arousal_top3_r: float
    loo_arousal_r: float
    pc1_length_r: float
    pc2_length_r: float
    pc1_valence_partial_r: float
    pc2_arousal_partial_r: float


@dataclass(frozen=True)
class IntervalSettings:
    """How the per-layer intervals were formed.

    Attributes:
        method: ``"recentred"``, ``"inverted"``, ``"bias_corrected"``, ``"percentile"`` or ``"bca"``
            (:func:`~emotion_vectors.analysis.stats.confidence_interval`;
            :mod:`~emotion_vectors.analysis.inverted_intervals` for ``"inverted"``).
        confidence: Two-sided level.
        n_resamples: Bootstrap resamples per scheme (0 when no scheme ran).
        schemes: The schemes that ran, in :data:`CI_SCHEME_ORDER`.
        fallbacks: ``(scheme, statistic, layer)`` of every interval ``"inverted"`` could not form (no world of
            the test inversion held the sample), which is the recentred bootstrap's instead.
    """

    method: str
    confidence: float
    n_resamples: int
    schemes: tuple[str, ...]
    fallbacks: tuple[tuple[str, str, int], ...] = ()

    @property
    def primary(self) -> str | None:
        """The scheme whose intervals the text quotes: the first of :data:`CI_SCHEME_ORDER` that ran."""
        return next((s for s in CI_SCHEME_ORDER if s in self.schemes), None)


@dataclass(frozen=True)
class Peak:
    """The layer where a rating correlation peaks, with both of its intervals.

    Attributes:
        which: ``"valence"`` (PC1-valence r) or ``"arousal"`` (PC2-arousal r).
        layer: Block index of the largest r inside ``window``.
        r: That r.
        window: Inclusive ``(first, last)`` block range searched (the model's reported range, else all layers).
        ci_scheme: Bootstrap scheme of the intervals (``None`` when no scheme ran).
        layer_ci: Percentile interval of the replicates' argmax layer (``None`` when undefined).
        r_ci_max: Interval of the *maximum over the window's layers* (replicates: each replicate's maximum, the
            run's interval method): what the maximum itself would be on a replication, not r at ``layer``.
        r_ci_at_layer: Interval of r at ``layer`` held fixed (that layer's per-layer interval).
    """

    which: str
    layer: int
    r: float
    window: tuple[int, int]
    ci_scheme: str | None
    layer_ci: tuple[int, int] | None
    r_ci_max: Interval
    r_ci_at_layer: Interval


@dataclass(frozen=True)
class WindowContrast:
    """Mean r over a late layer window minus the mean over an early one, with a conservative interval.

    Attributes:
        statistic: The per-layer statistic (``pc1_valence_r``).
        early_layers, late_layers: Inclusive ``(first, last)`` block ranges.
        value: Late mean minus early mean.
        ci: Interval of the difference (window half-widths combined in quadrature); ``None`` without intervals.
    """

    statistic: str
    early_layers: tuple[int, int]
    late_layers: tuple[int, int]
    value: float
    ci: Interval | None


@dataclass(frozen=True)
class AtPeak:
    """The emotion space at the valence peak.

    Attributes:
        layer: The valence peak's block index.
        pc1, pc2: ``[n_emotions]`` sign-aligned PC scores.
        valence, arousal: ``[n_emotions]`` ratings, NaN for unrated emotions.
        cosine: ``[n_emotions, n_emotions]`` cosine similarity of the contrast vectors.
    """

    layer: int
    pc1: np.ndarray
    pc2: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    cosine: np.ndarray


@dataclass(frozen=True)
class SimilarityNull:
    """Permutation p-values of CKA and the RSA number with its p-value, for pairs of layers
    (:mod:`emotion_vectors.analysis.similarity`). Arrays are ``[n_layers, n_layers]`` (within a run) or
    ``[n_pairs]`` (across runs), aligned with the CKA values they accompany.

    Attributes:
        n_permutations: Row shuffles of one side per pair (seeded).
        linear_p, debiased_p: One-sided permutation p-values of linear and debiased CKA.
        rsa: Spearman r between the two ``[n_emotions, n_emotions]`` cosine-distance matrices.
        rsa_p: Its permutation p-value (the same shuffles).
    """

    n_permutations: int
    linear_p: np.ndarray
    debiased_p: np.ndarray
    rsa: np.ndarray
    rsa_p: np.ndarray


@dataclass(frozen=True)
class RunInfo:
    """What a run is: model, corpus, sizes and the analysis choices that define it."""

    model: str
    model_name: str
    corpus: str
    n_blocks: int
    d_model: int
    corpus_fingerprint: str | None
    n_stories: int
    n_skipped_stories: int
    n_emotions: int
    emotions: tuple[str, ...]
    rating_source: str
    n_rated: int
    pooling: str
    projection: str
    neutral_threshold: float | None


@dataclass(frozen=True)
class RunSummary:
    """Everything computed for one model x corpus run.

    Attributes:
        info: Identity and sizes.
        layers: One :class:`LayerStats` per analysed layer, in increasing block order.
        ci: How the per-layer intervals were formed.
        n_permutations: Permutations behind the p-values (0: none).
        peaks: ``{"valence": Peak, "arousal": Peak}``.
        late_minus_early_valence: Valence r over the later half of the layers minus the earlier half (``None``
            with fewer than two layers).
        direction_cosine: ``[n_layers, n_layers]`` cosine between the layers' valence directions.
        cka_linear, cka_debiased: ``[n_layers, n_layers]`` CKA between the layers' emotion geometries.
        at_peak: The emotion space at the valence peak.
        cross_layer: Chance levels of the layer x layer similarities (``None`` when no permutations were run).
    """

    info: RunInfo
    layers: tuple[LayerStats, ...]
    ci: IntervalSettings
    n_permutations: int
    peaks: Mapping[str, Peak]
    late_minus_early_valence: WindowContrast | None
    direction_cosine: np.ndarray
    cka_linear: np.ndarray
    cka_debiased: np.ndarray
    at_peak: AtPeak
    cross_layer: SimilarityNull | None = None

    @property
    def model(self) -> str:
        return self.info.model

    @property
    def corpus(self) -> str:
        return self.info.corpus

    @property
    def label(self) -> str:
        """``"<model display name> / <corpus> stories"``."""
        return f"{self.info.model_name} / {self.info.corpus} stories"

    @property
    def block_indices(self) -> tuple[int, ...]:
        """The analysed block indices."""
        return tuple(stats.layer for stats in self.layers)

    def column(self, name: str) -> np.ndarray:
        """``[n_layers]`` values of the :class:`LayerStats` field ``name`` (float64)."""
        return np.array([getattr(stats, name) for stats in self.layers], dtype=np.float64)

    def bounds(self, statistic: str, scheme: str) -> np.ndarray:
        """``[n_layers, 2]`` per-layer intervals of ``statistic`` under ``scheme`` (NaN when it did not run)."""
        return np.array([stats.intervals[scheme][statistic] for stats in self.layers], dtype=np.float64)

    def stats_at(self, layer: int) -> LayerStats:
        """The :class:`LayerStats` of block ``layer`` (an error when it was not analysed)."""
        for stats in self.layers:
            if stats.layer == layer:
                return stats
        raise KeyError(f"layer {layer} was not analysed in {self.model}/{self.corpus}")


@dataclass(frozen=True)
class CrossCKA:
    """CKA between two runs, pair of layers by pair of layers.

    Attributes:
        kind: ``"corpus"`` (one model on two corpora) or ``"model"`` (two models on one corpus).
        shared: The model alias (kind ``corpus``) or the corpus name (kind ``model``) both runs share.
        pair: The two corpora (kind ``corpus``) or the two model aliases (kind ``model``).
        depth: ``[n_pairs]`` fractional depth of each pair (for kind ``model``, the matched depth).
        layers_a, layers_b: ``[n_pairs]`` block indices of each pair in the first and second run.
        linear, debiased: ``[n_pairs]`` CKA values.
        null: Their permutation p-values and the RSA numbers (``None`` when no permutations were run).
    """

    kind: Literal["corpus", "model"]
    shared: str
    pair: tuple[str, str]
    depth: np.ndarray
    layers_a: np.ndarray
    layers_b: np.ndarray
    linear: np.ndarray
    debiased: np.ndarray
    null: SimilarityNull | None = None


__all__ = [
    "CI_SCHEME_ORDER",
    "NO_INTERVAL",
    "PEAK_STATISTIC",
    "AtPeak",
    "CrossCKA",
    "Interval",
    "IntervalSettings",
    "LayerStats",
    "Peak",
    "RunInfo",
    "RunSummary",
    "SimilarityNull",
    "WindowContrast",
    "is_interval",
]
