"""Centred kernel alignment (CKA) between sets of contrast vectors.

Pure functions on numpy arrays; everything is computed from linear-kernel Gram matrices ``K = X X^T``
(``[n, n]``, ``n`` = emotions), so representations of different widths compare directly.

- **Linear CKA** (the paper): ``HSIC_b(K, L) / sqrt(HSIC_b(K, K) HSIC_b(L, L))`` with the biased estimator
  ``HSIC_b(K, L) = tr(K H L H) / (n - 1)^2``. It is inflated for ``n << d``: two independent random
  ``171 x 2560`` matrices score far above 0.
- **Debiased CKA**: the same ratio with the unbiased estimator of Song et al. (2012),
  ``HSIC_u(K, L) = [tr(K~ L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n(n-3))`` where ``K~`` is
  ``K`` with its diagonal set to zero. It is computed as an inner product of "U-centred" Gram matrices
  (Szekely & Rizzo 2014), which equals that formula and lets a whole layer x layer matrix be one matrix
  product. Debiased CKA can be slightly negative; it is NaN when a self-similarity ``HSIC_u(K, K)`` is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emotion_vectors.analysis.geometry import check_gram, double_centre, gram_matrix
from emotion_vectors.errors import AnalysisError


def hsic_biased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741 - K, L are the standard names
    """Biased HSIC ``tr(K H L H) / (n-1)^2`` of two ``[n, n]`` Gram matrices."""
    k, l = _pair(k, l)  # noqa: E741
    n = k.shape[0]
    return float(np.sum(double_centre(k) * double_centre(l)) / (n - 1) ** 2)


def hsic_unbiased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """Unbiased HSIC (Song et al. 2012) of two ``[n, n]`` Gram matrices (``n >= 4``)."""
    k, l = _pair(k, l)  # noqa: E741
    n = k.shape[0]
    return float(np.sum(_u_centre(k) * _u_centre(l)) / (n * (n - 3)))


def cka_from_grams(k: np.ndarray, l: np.ndarray, debiased: bool = False) -> float:  # noqa: E741
    """CKA of two ``[n, n]`` Gram matrices (linear CKA, or debiased CKA when ``debiased``)."""
    k, l = _pair(k, l)  # noqa: E741
    transform = _u_centre if debiased else double_centre
    return float(_cosine_rows(np.stack([transform(k).ravel(), transform(l).ravel()]))[0, 1])


def linear_cka(x: np.ndarray, y: np.ndarray, debiased: bool = False) -> float:
    """CKA between ``[n, d1]`` and ``[n, d2]`` representations of the same ``n`` items."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise AnalysisError(f"x and y must be [n, d] with the same n, got {x.shape} and {y.shape}")
    return cka_from_grams(gram_matrix(x), gram_matrix(y), debiased)


def cka_matrix(grams: np.ndarray, debiased: bool = False) -> np.ndarray:
    """Layer x layer CKA ``[n_layers, n_layers]`` from ``[n_layers, n, n]`` Gram matrices."""
    features = _features(grams, debiased)
    return _cosine_rows(features)


def paired_cka(grams_a: np.ndarray, grams_b: np.ndarray, debiased: bool = False) -> np.ndarray:
    """CKA of matching entries: ``[m]`` from two ``[m, n, n]`` stacks (e.g. the same layer, two corpora)."""
    grams_a, grams_b = np.asarray(grams_a), np.asarray(grams_b)
    if grams_a.shape != grams_b.shape:
        raise AnalysisError(f"the two Gram stacks must have equal shapes, got {grams_a.shape} and {grams_b.shape}")
    fa, fb = _features(grams_a, debiased), _features(grams_b, debiased)
    na, nb = np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((na > 0) & (nb > 0), np.sum(fa * fb, axis=1) / (na * nb), np.nan)


def match_depth(
    layers_a: Sequence[int], n_blocks_a: int, layers_b: Sequence[int], n_blocks_b: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair each layer of model A with the layer of model B at the nearest fractional depth.

    Fractional depth is ``layer / n_blocks``. Ties go to the shallower layer of B.

    Returns:
        ``(depth [m], layers_a [m], layers_b [m])`` with ``m = len(layers_a)``; ``depth`` is A's.
    """
    a = np.asarray(layers_a, dtype=np.int64)
    b = np.sort(np.asarray(layers_b, dtype=np.int64))
    if a.size == 0 or b.size == 0 or n_blocks_a < 1 or n_blocks_b < 1:
        raise AnalysisError("match_depth needs non-empty layer lists and positive block counts")
    # |a/na - b/nb| compared exactly as the integer |a*nb - b*na|; argmin takes the first (shallowest) tie.
    distance = np.abs(a[:, None] * n_blocks_b - b[None, :] * n_blocks_a)
    choice = np.argmin(distance, axis=1)
    return a / n_blocks_a, a, b[choice]


# ---------------------------------------------------------------------------------------------- internals


def _pair(k: np.ndarray, l: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: E741
    k = check_gram("k", k)
    l = check_gram("l", l, k.shape[0])  # noqa: E741
    if k.shape[0] < 4:
        raise AnalysisError(f"CKA needs at least 4 items, got {k.shape[0]}")
    return k, l


def _u_centre(gram: np.ndarray) -> np.ndarray:
    """U-centring of ``[..., n, n]``: zero diagonal; off-diagonal ``K_ij - r_i - c_j + t`` with
    ``r_i = sum_l K~_il / (n-2)``, ``c_j = sum_l K~_lj / (n-2)``, ``t = sum K~ / ((n-1)(n-2))``."""
    n = gram.shape[-1]
    eye = np.eye(n, dtype=bool)
    zeroed = np.where(eye, 0.0, gram)
    row = zeroed.sum(axis=-1, keepdims=True) / (n - 2)
    col = zeroed.sum(axis=-2, keepdims=True) / (n - 2)
    total = zeroed.sum(axis=(-2, -1), keepdims=True) / ((n - 1) * (n - 2))
    return np.where(eye, 0.0, zeroed - row - col + total)


def _features(grams: np.ndarray, debiased: bool) -> np.ndarray:
    grams = np.asarray(grams, dtype=np.float64)
    if grams.ndim != 3 or grams.shape[1] != grams.shape[2]:
        raise AnalysisError(f"grams must have shape [n_layers, n, n], got {grams.shape}")
    if grams.shape[1] < 4:
        raise AnalysisError(f"CKA needs at least 4 items, got {grams.shape[1]}")
    if not np.all(np.isfinite(grams)):
        raise AnalysisError("grams contain NaN or inf")
    transformed = _u_centre(grams) if debiased else double_centre(grams)
    return transformed.reshape(grams.shape[0], -1)


def _cosine_rows(features: np.ndarray) -> np.ndarray:
    """Cosine similarity ``[m, m]`` of ``[m, p]`` rows; NaN where a row is zero."""
    inner = features @ features.T
    self_similarity = np.diag(inner).copy()
    scale = np.sqrt(np.where(self_similarity > 0, self_similarity, np.nan))
    return inner / scale[:, None] / scale[None, :]


__all__ = [
    "cka_from_grams",
    "cka_matrix",
    "hsic_biased",
    "hsic_unbiased",
    "linear_cka",
    "match_depth",
    "paired_cka",
]
