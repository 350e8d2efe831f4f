"""Representational similarity against chance: permutation p-values for CKA and an RSA number.

Pure functions on numpy arrays; every random draw comes from an explicit :class:`numpy.random.Generator`.

Three similarities between two sets of contrast vectors of the same ``n`` emotions, each the cosine between
two transformed ``[n, n]`` matrices built from the Gram matrices (:func:`similarity_features`):

- ``"linear"``: linear CKA (double-centred Gram matrices; :mod:`emotion_vectors.analysis.cka`). Biased
  upwards when ``n << d``: two independent random ``171 x 2560`` matrices score about 0.94.
- ``"debiased"``: debiased CKA (U-centred Gram matrices); about 0 for independent representations.
- ``"rsa"``: representational similarity analysis, the Spearman correlation between the upper triangles of the
  two ``[n, n]`` cosine-distance matrices (``1 - cos``): the Pearson r of the pairs' ranks, written as the
  cosine of the centred rank matrices (zero diagonal).

**Permutation test** (:func:`permutation_p_values`): under the null the emotions of one side carry no
information about the other, so the rows of one side are shuffled. Every transform above is
permutation-equivariant (shuffling rows ``X -> P X`` turns each transformed matrix ``M`` into ``P M P^T``), so
a null draw is a symmetric re-indexing of the transformed matrix of one side: no refit, no ``d_model``. The
statistic is the similarity itself, one-sided (greater than chance); ``p = (1 + #{null >= observed}) / (1 + P)``.
The same permutations are applied to every pair of a call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.stats import rankdata

from emotion_vectors.analysis import cka
from emotion_vectors.analysis.records import SimilarityNull
from emotion_vectors.analysis.stats import check_rng
from emotion_vectors.errors import AnalysisError

SimilarityKind = Literal["linear", "debiased", "rsa"]
SIMILARITY_KINDS: tuple[str, ...] = ("linear", "debiased", "rsa")
#: Null similarities within this of the observed one count as reaching it (the null products run in float32,
#: accurate to about 1e-6 of the similarity; counting near-ties as exceedances errs on the conservative side).
TIE_TOLERANCE = 1e-5


def similarity_features(grams: np.ndarray, kind: SimilarityKind) -> np.ndarray:
    """Transformed matrices ``[m, n, n]`` (float64) of ``[m, n, n]`` Gram matrices, whose cosines are the similarity."""
    if kind not in SIMILARITY_KINDS:
        raise AnalysisError(f"unknown similarity {kind!r}", fix=f"use one of {', '.join(SIMILARITY_KINDS)}")
    grams = np.asarray(grams, dtype=np.float64)
    if kind != "rsa":
        return cka._features(grams, kind == "debiased").reshape(grams.shape)
    if grams.ndim != 3 or grams.shape[1] != grams.shape[2] or grams.shape[1] < 3:
        raise AnalysisError(f"grams must have shape [m, n, n] with n >= 3, got {grams.shape}")
    n = grams.shape[1]
    norms = np.sqrt(np.clip(np.einsum("mii->mi", grams), 0.0, None))
    if np.any(norms == 0):
        raise AnalysisError("a contrast vector has zero norm; its cosine distances are undefined")
    distance = 1.0 - grams / norms[:, :, None] / norms[:, None, :]
    upper = np.triu_indices(n, k=1)
    ranks = rankdata(distance[:, upper[0], upper[1]], axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    out = np.zeros_like(distance)
    out[:, upper[0], upper[1]] = ranks
    out[:, upper[1], upper[0]] = ranks
    return out


def cosine_similarity(features_a: np.ndarray, features_b: np.ndarray, *, paired: bool) -> np.ndarray:
    """Cosines of ``[ma, n, n]`` and ``[mb, n, n]`` features: ``[m]`` (``paired``, ``ma == mb``) or ``[ma, mb]``."""
    fa, fb = _flat_pair(features_a, features_b, paired)
    na, nb = np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1)
    inner = np.einsum("ij,ij->i", fa, fb) if paired else fa @ fb.T
    scale = na * nb if paired else na[:, None] * nb[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, inner / np.where(scale > 0, scale, 1.0), np.nan)


def permutation_p_values(
    features_a: np.ndarray,
    features_b: np.ndarray,
    n_permutations: int,
    rng: np.random.Generator,
    *,
    paired: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Similarities and their permutation p-values (rows of side ``b`` shuffled; see the module docstring).

    The transformed matrices are symmetric, so only their upper triangles (diagonal included) are shuffled and
    multiplied, off-diagonal entries weighted twice.

    Args:
        features_a: ``[ma, n, n]`` transformed matrices of side a (:func:`similarity_features`).
        features_b: ``[mb, n, n]`` of side b, the same kind.
        n_permutations: Permutations (>= 1).
        rng: Random generator.
        paired: Compare ``a[i]`` with ``b[i]`` (``[m]`` results) instead of every ``a[i]`` with every ``b[j]``.

    Returns:
        ``(observed, p)``, both ``[m]`` or ``[ma, mb]``; NaN where a similarity is undefined.
    """
    check_rng(rng)
    if n_permutations < 1:
        raise AnalysisError(f"n_permutations must be >= 1, got {n_permutations}")
    observed = cosine_similarity(features_a, features_b, paired=paired)
    fa, fb = _flat_pair(features_a, features_b, paired)
    n = np.asarray(features_b).shape[-1]
    na, nb = np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1)
    scale = na * nb if paired else na[:, None] * nb[None, :]
    rows, cols = np.triu_indices(n)
    packed_index = np.zeros((n, n), dtype=np.int64)
    packed_index[rows, cols] = np.arange(rows.size)
    packed_index[cols, rows] = np.arange(rows.size)
    weight = np.where(rows == cols, 1.0, 2.0)
    # float32 products: the null only needs to be compared with the observed value, not stored
    pa = (fa.reshape(-1, n, n)[:, rows, cols] * weight).astype(np.float32)
    pb = fb.reshape(-1, n, n)[:, rows, cols].astype(np.float32)
    threshold = (observed - TIE_TOLERANCE) * scale
    exceed = np.zeros(observed.shape, dtype=np.int64)
    for _ in range(n_permutations):
        order = rng.permutation(n)
        shuffled = pb[:, packed_index[order[rows], order[cols]]]  # entry (r, s) of P M P^T is M[order[r], order[s]]
        inner = np.einsum("mk,mk->m", pa, shuffled) if paired else pa @ shuffled.T
        exceed += inner >= threshold
    p = (1.0 + exceed) / (1.0 + n_permutations)
    return observed, np.where(np.isfinite(observed), p, np.nan)


def similarity_null(
    grams_a: np.ndarray, grams_b: np.ndarray, n_permutations: int, rng: np.random.Generator, *, paired: bool
) -> SimilarityNull:
    """Permutation p-values of linear and debiased CKA, and RSA with its p-value, between two Gram stacks.

    Args:
        grams_a, grams_b: ``[ma, n, n]`` and ``[mb, n, n]`` Gram matrices of the same ``n`` emotions.
        n_permutations: Row shuffles (>= 1); the three similarities see the same shuffles.
        rng: Random generator (one draw seeds the shuffles).
        paired: ``a[i]`` against ``b[i]`` (``[m]`` arrays) instead of every pair (``[ma, mb]``).
    """
    check_rng(rng)
    seed = int(rng.integers(2**63 - 1))
    out = {}
    for kind in SIMILARITY_KINDS:
        features_a = similarity_features(grams_a, kind)
        features_b = features_a if grams_b is grams_a else similarity_features(grams_b, kind)
        out[kind] = permutation_p_values(
            features_a, features_b, n_permutations, np.random.default_rng(seed), paired=paired
        )
    return SimilarityNull(
        n_permutations=int(n_permutations),
        linear_p=out["linear"][1],
        debiased_p=out["debiased"][1],
        rsa=out["rsa"][0],
        rsa_p=out["rsa"][1],
    )


def _flat_pair(features_a: np.ndarray, features_b: np.ndarray, paired: bool) -> tuple[np.ndarray, np.ndarray]:
    fa, fb = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if fa.ndim != 3 or fb.ndim != 3 or fa.shape[1:] != fb.shape[1:] or fa.shape[1] != fa.shape[2]:
        raise AnalysisError(f"features must be [m, n, n] stacks of equal n, got {fa.shape} and {fb.shape}")
    if paired and fa.shape[0] != fb.shape[0]:
        raise AnalysisError(f"paired comparison needs equal stack sizes, got {fa.shape[0]} and {fb.shape[0]}")
    return fa.reshape(fa.shape[0], -1), fb.reshape(fb.shape[0], -1)


def optional_similarity_null(
    grams_a: np.ndarray,
    grams_b: np.ndarray,
    n_permutations: int,
    rng: np.random.Generator | None,
    *,
    paired: bool = True,
) -> SimilarityNull | None:
    """:func:`similarity_null` when permutations were asked for, else ``None``."""
    if n_permutations <= 0:
        return None
    if rng is None:
        raise AnalysisError("CKA permutations need a random generator")
    return similarity_null(grams_a, grams_b, n_permutations, rng, paired=paired)


__all__ = [
    "SIMILARITY_KINDS",
    "SimilarityKind",
    "cosine_similarity",
    "optional_similarity_null",
    "permutation_p_values",
    "similarity_features",
    "similarity_null",
]
