"""Emotion vectors from per-story pooled activations: pooling, contrast and neutral projection.

Pure functions on numpy arrays (no I/O, no torch, no global state); inputs are never modified.

Dimension names used in the docstrings: ``n_stories`` (rows of an activation store), ``n_emotions`` (emotions
analysed, in the caller's order), ``n_neutral`` (neutral paragraphs), ``d_model`` (residual-stream width),
``k`` (neutral components projected out).

The pipeline, for one layer (all linear, so the order of its steps is a choice that changes nothing):

1. **Pooling** (:func:`pooling_weights`, :func:`emotion_means`). The paper's pooling is the token-weighted mean
   over all kept tokens of all the emotion's stories. A store holds, per story, the mean over its kept tokens
   and the number of kept tokens, so ``sum_i count_i * mean_i / sum_i count_i`` over the emotion's stories
   recovers that mean exactly. ``"story_mean"`` is the unweighted mean of the story means. Stories with
   ``count == 0`` (skipped by extraction) get weight zero under both rules.
2. **Contrast** (:func:`contrast`): each emotion mean minus the unweighted mean over the emotions.
3. **Neutral projection** (:func:`neutral_basis`, :func:`project_out`): the neutral-text vectors of the same
   layer are centred and their principal components computed; the smallest ``k`` whose cumulative explained
   variance reaches the threshold (:func:`n_components_for_variance`) are projected out of the contrast
   vectors. Projection is applied *after* centring; because it is linear it maps a zero-mean set of rows to a
   zero-mean set, so no re-centring is needed (re-centring would be a no-op; a test checks this), and
   projecting the raw means first and centring afterwards gives the same vectors.

``projection="raw"`` skips step 3 by name; ``projection="neutral"`` without neutral vectors is an error,
never a silent switch to the raw variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emotion_vectors.errors import AnalysisError
from emotion_vectors.options import Pooling, Projection, choices

POOLINGS: tuple[str, ...] = choices(Pooling)
PROJECTIONS: tuple[str, ...] = choices(Projection)

#: Cumulative explained variance within this distance below the threshold counts as reaching it, so that a
#: spectrum that reaches the threshold exactly is not pushed to one more component by rounding in the SVD.
VARIANCE_TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class NeutralBasis:
    """The neutral-text directions projected out at one layer.

    Attributes:
        components: ``[k, d_model]`` orthonormal rows, the top ``k`` principal directions of the centred
            neutral vectors.
        explained_variance_ratio: ``[n_available]`` share of the neutral variance along every principal
            direction (descending; sums to 1 unless the neutral vectors are all equal).
        threshold: The variance threshold that chose ``k``.
    """

    components: np.ndarray
    explained_variance_ratio: np.ndarray
    threshold: float

    @property
    def k(self) -> int:
        """Number of directions projected out."""
        return int(self.components.shape[0])

    @property
    def variance_explained(self) -> float:
        """Cumulative share of the neutral variance explained by the ``k`` removed directions."""
        return float(np.sum(self.explained_variance_ratio[: self.k]))


@dataclass(frozen=True)
class EmotionVectors:
    """Contrast vectors of one layer and how they were made.

    Attributes:
        vectors: ``[n_emotions, d_model]`` float64 contrast vectors (projected when ``projection == "neutral"``).
        centre: ``[d_model]`` float64 mean over emotions of the pooled means, the point the contrast subtracts
            (before any projection).
        emotions: The ``n_emotions`` emotion names, row order.
        pooling: The pooling rule used.
        projection: ``"neutral"`` or ``"raw"``.
        neutral: The basis projected out, or ``None`` for ``"raw"``.
    """

    vectors: np.ndarray
    centre: np.ndarray
    emotions: tuple[str, ...]
    pooling: str
    projection: str
    neutral: NeutralBasis | None

    @property
    def k_neutral(self) -> int:
        """Directions projected out (0 for the raw variant)."""
        return 0 if self.neutral is None else self.neutral.k

    @property
    def neutral_variance_explained(self) -> float:
        """Neutral variance explained by the removed directions (0.0 for the raw variant)."""
        return 0.0 if self.neutral is None else self.neutral.variance_explained


def check_matrix(name: str, array: np.ndarray, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    """Return ``array`` as a finite 2-D float array, checking its shape; raise :class:`AnalysisError` if not."""
    array = np.asarray(array)
    if array.ndim != 2:
        raise AnalysisError(f"{name} must be 2-D, got shape {array.shape}")
    if rows is not None and array.shape[0] != rows:
        raise AnalysisError(f"{name} must have {rows} rows, got shape {array.shape}")
    if cols is not None and array.shape[1] != cols:
        raise AnalysisError(f"{name} must have {cols} columns, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or not np.all(np.isfinite(array)):
        raise AnalysisError(f"{name} must hold finite numbers", fix="check the activation store for NaN/inf rows")
    return array


def pooling_weights(
    counts: np.ndarray,
    story_emotions: Sequence[str | None],
    emotions: Sequence[str],
    pooling: Pooling = "token_weighted",
) -> np.ndarray:
    """Weights that turn per-story means into per-emotion means: ``means = weights @ story_means``.

    Args:
        counts: ``[n_stories]`` kept-token counts (int, >= 0; 0 marks a skipped story).
        story_emotions: ``n_stories`` emotion labels aligned with ``counts``; ``None`` rows (neutral texts)
            are not allowed in an emotion store.
        emotions: The ``n_emotions`` emotions to pool, in output row order.
        pooling: ``"token_weighted"`` (weight ``count_i / sum count``, the paper) or ``"story_mean"``
            (weight ``1 / n_kept`` for each kept story).

    Returns:
        ``[n_emotions, n_stories]`` float64; each row sums to 1 and is zero outside the emotion's kept stories.
    """
    if pooling not in POOLINGS:
        raise AnalysisError(f"unknown pooling {pooling!r}", fix=f"use one of {', '.join(POOLINGS)}")
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.shape[0] != len(story_emotions):
        raise AnalysisError(f"counts must have shape [n_stories] = ({len(story_emotions)},), got {counts.shape}")
    if not np.issubdtype(counts.dtype, np.integer) or np.any(counts < 0):
        raise AnalysisError("counts must be non-negative integers (kept tokens per story)")
    position = {emotion: i for i, emotion in enumerate(emotions)}
    if len(position) != len(emotions):
        raise AnalysisError("emotions must be unique")
    unlabelled = [i for i, e in enumerate(story_emotions) if e is None]
    if unlabelled:
        raise AnalysisError(
            f"{len(unlabelled)} stories have no emotion label (first row {unlabelled[0]})",
            fix="pass an emotion-story store, not the neutral store",
        )
    unknown = sorted({e for e in story_emotions if e not in position})
    if unknown:
        raise AnalysisError(f"stories carry emotions outside the analysed list: {unknown[:5]}")
    rows = np.array([position[e] for e in story_emotions], dtype=np.int64)
    kept = counts > 0
    raw = counts.astype(np.float64) if pooling == "token_weighted" else kept.astype(np.float64)
    weights = np.zeros((len(emotions), counts.shape[0]), dtype=np.float64)
    weights[rows, np.arange(counts.shape[0])] = raw
    totals = weights.sum(axis=1)
    empty = [emotions[i] for i in np.flatnonzero(totals == 0)]
    if empty:
        raise AnalysisError(
            f"{len(empty)} emotions have no kept story: {empty[:5]}",
            fix="re-extract with a smaller token offset, or drop these emotions from the corpus",
        )
    return weights / totals[:, None]


def emotion_means(
    story_means: np.ndarray,
    counts: np.ndarray,
    story_emotions: Sequence[str | None],
    emotions: Sequence[str],
    pooling: Pooling = "token_weighted",
) -> np.ndarray:
    """Per-emotion mean activations.

    Args:
        story_means: ``[n_stories, d_model]`` per-story mean over kept tokens (any float dtype). Rows of
            skipped stories (``count == 0``) are ignored, so they may hold NaN (as the activation store writes).
        counts, story_emotions, emotions, pooling: As for :func:`pooling_weights`.

    Returns:
        ``[n_emotions, d_model]`` float64.
    """
    weights = pooling_weights(counts, story_emotions, emotions, pooling)
    story_means = np.asarray(story_means)
    if story_means.ndim != 2 or story_means.shape[0] != len(story_emotions):
        raise AnalysisError(
            f"story_means must have shape [n_stories = {len(story_emotions)}, d_model], got {story_means.shape}"
        )
    kept = np.flatnonzero(np.asarray(counts) > 0)
    rows = check_matrix("story_means (kept stories)", story_means[kept])
    return weights[:, kept] @ rows.astype(np.float64, copy=False)


def contrast(means: np.ndarray) -> np.ndarray:
    """Contrast vectors: ``[n_emotions, d_model]`` means minus their unweighted mean over emotions."""
    means = check_matrix("means", means).astype(np.float64, copy=False)
    return means - means.mean(axis=0, keepdims=True)


def n_components_for_variance(explained_variance_ratio: np.ndarray, threshold: float) -> int:
    """The neutral cut-off rule: the smallest ``k`` with cumulative explained variance ``>= threshold``.

    Ties count as reaching the threshold (within :data:`VARIANCE_TIE_TOLERANCE`): a spectrum whose first
    component explains exactly 50 % gives ``k = 1`` at ``threshold = 0.5``. (scikit-learn's float
    ``n_components`` uses ``>``, which differs only on such an exact tie.)

    Args:
        explained_variance_ratio: ``[n_components]`` shares in descending order.
        threshold: In ``(0, 1)``.

    Returns:
        ``k`` in ``1..n_components``.
    """
    ratio = np.asarray(explained_variance_ratio, dtype=np.float64)
    if ratio.ndim != 1 or ratio.size == 0:
        raise AnalysisError(f"explained_variance_ratio must be a non-empty 1-D array, got shape {ratio.shape}")
    if not 0.0 < threshold < 1.0:
        raise AnalysisError(f"variance threshold must be in (0, 1), got {threshold}")
    cumulative = np.cumsum(ratio)
    reached = np.flatnonzero(cumulative >= threshold - VARIANCE_TIE_TOLERANCE)
    if reached.size == 0:
        raise AnalysisError(f"the neutral components explain only {cumulative[-1]:.3f} of the variance (< {threshold})")
    return int(reached[0]) + 1


def neutral_basis(neutral_vectors: np.ndarray, threshold: float = 0.5) -> NeutralBasis:
    """Top principal directions of the centred neutral vectors reaching ``threshold`` of their variance.

    Args:
        neutral_vectors: ``[n_neutral, d_model]`` per-paragraph pooled means of the neutral texts (>= 2 rows).
        threshold: Share of neutral variance the removed directions must reach (the paper: 0.5).

    Returns:
        The :class:`NeutralBasis`; ``k`` is chosen by :func:`n_components_for_variance`.
    """
    neutral = check_matrix("neutral_vectors", neutral_vectors).astype(np.float64)
    if neutral.shape[0] < 2:
        raise AnalysisError(f"need at least 2 neutral vectors, got {neutral.shape[0]}")
    centred = neutral - neutral.mean(axis=0, keepdims=True)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    total = variance.sum()
    if total <= 0.0:
        raise AnalysisError("the neutral vectors are all identical; there is no neutral variance to project out")
    rank = int(np.sum(variance > total * 1e-12))
    ratio = variance[:rank] / total
    k = n_components_for_variance(ratio, threshold)
    components = _flip_rows(vt[:k])
    return NeutralBasis(components=components, explained_variance_ratio=ratio, threshold=float(threshold))


def project_out(vectors: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Remove the span of orthonormal ``components`` from every row.

    Args:
        vectors: ``[n, d_model]``.
        components: ``[k, d_model]`` orthonormal rows (``k`` may be 0).

    Returns:
        ``[n, d_model]`` float64, ``vectors - (vectors @ components.T) @ components``.
    """
    vectors = check_matrix("vectors", vectors).astype(np.float64, copy=False)
    components = np.asarray(components, dtype=np.float64)
    if components.ndim != 2 or components.shape[1] != vectors.shape[1]:
        raise AnalysisError(f"components must have shape [k, {vectors.shape[1]}], got {components.shape}")
    if components.shape[0] == 0:
        return vectors.copy()
    return vectors - (vectors @ components.T) @ components


def emotion_vectors(
    story_means: np.ndarray,
    counts: np.ndarray,
    story_emotions: Sequence[str | None],
    emotions: Sequence[str],
    *,
    pooling: Pooling = "token_weighted",
    projection: Projection = "neutral",
    neutral_vectors: np.ndarray | None = None,
    neutral_variance: float = 0.5,
) -> EmotionVectors:
    """Contrast vectors of one layer: pool, subtract the mean over emotions, project neutral directions out.

    Args:
        story_means: ``[n_stories, d_model]`` per-story means of the emotion store at this layer.
        counts: ``[n_stories]`` kept-token counts.
        story_emotions: ``n_stories`` emotion labels.
        emotions: ``n_emotions`` emotions, output row order.
        pooling: ``"token_weighted"`` (the paper) or ``"story_mean"``.
        projection: ``"neutral"`` (the paper) or ``"raw"``.
        neutral_vectors: ``[n_neutral, d_model]`` neutral means at the same layer; required for ``"neutral"``,
            refused for ``"raw"`` (so that a run is never labelled with the wrong variant).
        neutral_variance: Variance threshold of the neutral cut-off.

    Returns:
        The :class:`EmotionVectors` with ``[n_emotions, d_model]`` float64 vectors.
    """
    if projection not in PROJECTIONS:
        raise AnalysisError(f"unknown projection {projection!r}", fix=f"use one of {', '.join(PROJECTIONS)}")
    if projection == "neutral" and neutral_vectors is None:
        raise AnalysisError(
            "projection 'neutral' needs the neutral vectors of this layer, and none were given",
            fix="extract the neutral store first, or set analysis.projection = 'raw' to analyse unprojected vectors",
        )
    if projection == "raw" and neutral_vectors is not None:
        raise AnalysisError("projection 'raw' was asked for, but neutral vectors were given; pass one or the other")
    means = emotion_means(story_means, counts, story_emotions, emotions, pooling)
    centre = means.mean(axis=0)
    centred = contrast(means)
    basis = None
    if projection == "neutral":
        neutral = check_matrix("neutral_vectors", neutral_vectors, cols=centred.shape[1])
        basis = neutral_basis(neutral, neutral_variance)
        centred = project_out(centred, basis.components)
    return EmotionVectors(
        vectors=centred, centre=centre, emotions=tuple(emotions), pooling=pooling, projection=projection, neutral=basis
    )


def _flip_rows(rows: np.ndarray) -> np.ndarray:
    """Deterministic signs for principal directions: the largest-magnitude entry of each row is positive."""
    rows = np.array(rows, dtype=np.float64)
    if rows.size == 0:
        return rows
    pivots = np.argmax(np.abs(rows), axis=1)
    signs = np.sign(rows[np.arange(rows.shape[0]), pivots])
    signs[signs == 0] = 1.0
    return rows * signs[:, None]


__all__ = [
    "EmotionVectors",
    "NeutralBasis",
    "POOLINGS",
    "PROJECTIONS",
    "VARIANCE_TIE_TOLERANCE",
    "contrast",
    "emotion_means",
    "emotion_vectors",
    "n_components_for_variance",
    "neutral_basis",
    "pooling_weights",
    "project_out",
]
