"""Valence/arousal geometry of one layer: PCA of the contrast vectors and its correlation with human ratings.

Pure functions on numpy arrays. Everything works from the ``[n_emotions, n_emotions]`` Gram matrix of the
contrast vectors (``G = C @ C.T``), so no function here ever touches a ``d_model x d_model`` matrix: the PCA
scores are ``U * sqrt(eigenvalues)`` of the double-centred Gram matrix, which equals the PCA of the rows of
``C``.

Rules, each in one function:

- **Centring** (:func:`pca_from_gram`): the Gram matrix is double-centred, i.e. PCA centres the rows as usual
  (the contrast vectors are already centred, so this only matters for resampled sets).
- **Deterministic component signs** (:func:`_deterministic_signs`): before any rating is consulted, each
  component is signed so that its largest-magnitude score is positive (scikit-learn's ``svd_flip`` idea).
- **Rating sign rule** (:func:`align_sign`): PC1 is flipped so that its Pearson r with valence is ``>= 0`` and
  PC2 so that its r with arousal is ``>= 0``, as in the paper. Spearman r is reported with the same sign (so it
  can be negative). The flips are recorded (``pc1_sign``, ``pc2_sign``).
- **Rated subset**: the PCA is fitted on all emotions; correlations use only the emotions the rating source
  covers (``rated_index``), so changing the rating source never changes the components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from emotion_vectors.errors import AnalysisError

#: How many leading PCs are candidates for the exploratory "best arousal PC".
AROUSAL_CANDIDATES = 5


@dataclass(frozen=True)
class PCAResult:
    """PCA of ``n`` vectors computed from their Gram matrix.

    Attributes:
        scores: ``[n, n_components]`` component scores (deterministic signs, see module docstring).
        eigenvalues: ``[n_components]`` eigenvalues of the centred Gram matrix, descending; equal to the
            squared norms of the score columns (``scores.T @ scores = diag(eigenvalues)``).
        explained_variance_ratio: ``[n_components]`` share of the total variance per component.
    """

    scores: np.ndarray
    eigenvalues: np.ndarray
    explained_variance_ratio: np.ndarray


@dataclass(frozen=True)
class LayerGeometry:
    """The rating geometry of one layer.

    Attributes:
        explained_variance_ratio: ``[n_components]``.
        scores: ``[n_emotions, n_components]`` PC scores with PC1/PC2 signs aligned to valence/arousal.
        pc1_valence_r, pc1_valence_spearman: PC1 scores vs valence over the rated emotions.
        pc2_arousal_r, pc2_arousal_spearman: PC2 scores vs arousal over the rated emotions.
        pc1_sign, pc2_sign: ``+1``/``-1``, the flip applied by the rating sign rule.
        arousal_best_pc: 1-based index of the PC among the first :data:`AROUSAL_CANDIDATES` whose scores have
            the largest absolute Pearson r with arousal (exploratory).
        arousal_best_r: That absolute r.
    """

    explained_variance_ratio: np.ndarray
    scores: np.ndarray
    pc1_valence_r: float
    pc1_valence_spearman: float
    pc2_arousal_r: float
    pc2_arousal_spearman: float
    pc1_sign: int
    pc2_sign: int
    arousal_best_pc: int
    arousal_best_r: float


def check_gram(name: str, gram: np.ndarray, n: int | None = None) -> np.ndarray:
    """Return ``gram`` as a finite square float64 array ``[n, n]``; raise :class:`AnalysisError` if not."""
    gram = np.asarray(gram)
    if gram.ndim != 2 or gram.shape[0] != gram.shape[1]:
        raise AnalysisError(f"{name} must be a square [n, n] matrix, got shape {gram.shape}")
    if n is not None and gram.shape[0] != n:
        raise AnalysisError(f"{name} must have shape [{n}, {n}], got {gram.shape}")
    if not np.all(np.isfinite(gram)):
        raise AnalysisError(f"{name} contains NaN or inf")
    return gram.astype(np.float64, copy=False)


def gram_matrix(vectors: np.ndarray) -> np.ndarray:
    """Linear-kernel Gram matrix ``[n, n]`` of ``[n, d]`` vectors (float64)."""
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise AnalysisError(f"vectors must be 2-D [n, d], got shape {vectors.shape}")
    vectors = vectors.astype(np.float64, copy=False)
    return vectors @ vectors.T


def centre_gram(gram: np.ndarray) -> np.ndarray:
    """Double-centred Gram matrix ``H G H`` (``H = I - 11^T/n``): the Gram matrix of the centred rows."""
    return double_centre(check_gram("gram", gram))


def double_centre(grams: np.ndarray) -> np.ndarray:
    """``H G H`` (``H = I - 11^T/n``) of every symmetric ``[n, n]`` matrix in a ``[..., n, n]`` stack, unchecked:
    the one double-centring of the package (PCA, CKA and the valence direction all use it)."""
    row = grams.mean(axis=-1, keepdims=True)
    return grams - row - np.swapaxes(row, -1, -2) + grams.mean(axis=(-2, -1), keepdims=True)


def pca_from_gram(gram: np.ndarray, n_components: int) -> PCAResult:
    """PCA of the rows behind a Gram matrix.

    Args:
        gram: ``[n, n]`` Gram matrix of the vectors (centred or not; it is double-centred here).
        n_components: Components wanted; at most ``n - 1`` are returned (the rank of ``n`` centred points).

    Returns:
        :class:`PCAResult` with ``min(n_components, n - 1)`` components.
    """
    centred = centre_gram(gram)
    n = centred.shape[0]
    if n < 3:
        raise AnalysisError(f"PCA needs at least 3 vectors, got {n}")
    if n_components < 1:
        raise AnalysisError(f"n_components must be >= 1, got {n_components}")
    values, vectors = np.linalg.eigh((centred + centred.T) / 2.0)
    values = np.clip(values[::-1], 0.0, None)
    vectors = vectors[:, ::-1]
    total = values.sum()
    if total <= 0.0:
        raise AnalysisError("the vectors are all identical; PCA is undefined")
    m = min(n_components, n - 1)
    scores = _deterministic_signs(vectors[:, :m] * np.sqrt(values[:m]))
    return PCAResult(scores=scores, eigenvalues=values[:m].copy(), explained_variance_ratio=values[:m] / total)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two ``[n]`` vectors (NaN when either is constant)."""
    return float(rowwise_pearson(np.asarray(x, dtype=np.float64)[None, :], np.asarray(y, dtype=np.float64))[0])


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rho of two ``[n]`` vectors (average ranks for ties)."""
    return pearson(rankdata(x), rankdata(y))


def rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row of ``x`` ``[B, n]`` with ``y`` (``[n]`` or ``[B, n]``); NaN for constant rows."""
    x = np.asarray(x, dtype=np.float64)
    y = np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape)
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    denominator = np.sqrt(np.sum(xc * xc, axis=-1) * np.sum(yc * yc, axis=-1))
    numerator = np.sum(xc * yc, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
    return np.clip(r, -1.0, 1.0)


def rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho of each row of ``x`` ``[B, n]`` with ``y`` (``[n]`` or ``[B, n]``), average ranks for ties."""
    x = np.asarray(x, dtype=np.float64)
    y = np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape)
    return rowwise_pearson(rankdata(x, axis=-1), rankdata(y, axis=-1))


def align_sign(scores: np.ndarray, target: np.ndarray) -> int:
    """The rating sign rule: ``+1`` if Pearson r(scores, target) >= 0 (or undefined), else ``-1``.

    Args:
        scores: ``[n_rated]`` component scores of the rated emotions.
        target: ``[n_rated]`` ratings.
    """
    scores = np.asarray(scores, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if scores.shape != target.shape or scores.ndim != 1:
        raise AnalysisError(f"scores and target must be 1-D of equal length, got {scores.shape}, {target.shape}")
    r = pearson(scores, target)
    return -1 if np.isfinite(r) and r < 0 else 1


def check_ratings(valence: np.ndarray, arousal: np.ndarray, rated_index: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Validate ``[n_rated]`` valence/arousal and their ``[n_rated]`` row positions among ``n`` emotions."""
    valence = np.asarray(valence, dtype=np.float64)
    arousal = np.asarray(arousal, dtype=np.float64)
    rated_index = np.asarray(rated_index)
    if valence.ndim != 1 or valence.shape != arousal.shape or rated_index.shape != valence.shape:
        raise AnalysisError(
            "valence, arousal and rated_index must all have shape [n_rated], got "
            f"{valence.shape}, {arousal.shape}, {rated_index.shape}"
        )
    if valence.size < 3:
        raise AnalysisError(f"need at least 3 rated emotions, got {valence.size}")
    if not np.issubdtype(rated_index.dtype, np.integer) or np.any(rated_index < 0) or np.any(rated_index >= n):
        raise AnalysisError(f"rated_index must hold row positions in [0, {n})")
    if np.unique(rated_index).size != rated_index.size:
        raise AnalysisError("rated_index must not repeat an emotion")
    if not (np.all(np.isfinite(valence)) and np.all(np.isfinite(arousal))):
        raise AnalysisError("ratings contain NaN or inf")
    return valence, arousal, rated_index.astype(np.int64)


def layer_geometry(
    gram: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    rated_index: np.ndarray,
    n_components: int = 10,
) -> LayerGeometry:
    """PCA of one layer's contrast vectors and the correlations of PC1/PC2 with valence/arousal.

    Args:
        gram: ``[n_emotions, n_emotions]`` Gram matrix of the contrast vectors.
        valence: ``[n_rated]`` valence of the rated emotions.
        arousal: ``[n_rated]`` arousal of the rated emotions.
        rated_index: ``[n_rated]`` row positions of the rated emotions in ``gram``.
        n_components: PCA components to keep (>= 2).

    Returns:
        :class:`LayerGeometry`.
    """
    gram = check_gram("gram", gram)
    valence, arousal, rated_index = check_ratings(valence, arousal, rated_index, gram.shape[0])
    if n_components < 2:
        raise AnalysisError(f"n_components must be >= 2, got {n_components}")
    pca = pca_from_gram(gram, max(n_components, AROUSAL_CANDIDATES))
    scores = pca.scores.copy()
    pc1_sign = align_sign(scores[rated_index, 0], valence)
    pc2_sign = align_sign(scores[rated_index, 1], arousal)
    scores[:, 0] *= pc1_sign
    scores[:, 1] *= pc2_sign
    n_candidates = min(AROUSAL_CANDIDATES, scores.shape[1])
    arousal_r = rowwise_pearson(scores[rated_index, :n_candidates].T, arousal)
    best = int(np.nanargmax(np.abs(arousal_r))) if np.any(np.isfinite(arousal_r)) else 0
    keep = min(n_components, scores.shape[1])
    return LayerGeometry(
        explained_variance_ratio=pca.explained_variance_ratio[:keep],
        scores=scores[:, :keep],
        pc1_valence_r=pearson(scores[rated_index, 0], valence),
        pc1_valence_spearman=spearman(scores[rated_index, 0], valence),
        pc2_arousal_r=pearson(scores[rated_index, 1], arousal),
        pc2_arousal_spearman=spearman(scores[rated_index, 1], arousal),
        pc1_sign=pc1_sign,
        pc2_sign=pc2_sign,
        arousal_best_pc=best + 1,
        arousal_best_r=float(abs(arousal_r[best])),
    )


def _deterministic_signs(scores: np.ndarray) -> np.ndarray:
    """Flip each column of ``[n, m]`` scores so that its largest-magnitude entry is positive."""
    pivots = np.argmax(np.abs(scores), axis=0)
    signs = np.sign(scores[pivots, np.arange(scores.shape[1])])
    signs[signs == 0] = 1.0
    return scores * signs


__all__ = [
    "AROUSAL_CANDIDATES",
    "LayerGeometry",
    "PCAResult",
    "align_sign",
    "centre_gram",
    "check_gram",
    "check_ratings",
    "gram_matrix",
    "layer_geometry",
    "pca_from_gram",
    "pearson",
    "rowwise_pearson",
    "rowwise_spearman",
    "spearman",
]
