"""The valence direction of each layer and its stability across layers.

Pure functions on numpy arrays.

**Valence direction** (:func:`valence_direction`): the minimum-norm least-squares ``w`` with
``C w + b = valence`` over the rated emotions (``C``: contrast vectors ``[n_rated, d_model]``), unit-normalised.
The free intercept ``b`` makes the fit independent of how the rows are centred; when every emotion is rated
(``nrc``) the contrast vectors are centred and the solution is exactly the paper's ``w = pinv(C) valence``.
It is computed in the ``[n_rated, n_rated]`` Gram domain: ``w = Cc^T pinv(Cc Cc^T) (v - mean v)`` with
``Cc`` the rated rows centred; eigenvalues below ``1e-10`` of the largest are treated as zero. ``w`` also
carries a part that fits the noise of the ratings around the axis: for a planted axis in isotropic noise its cosine
with the axis is about ``1 / sqrt(1 + n_rated / d_model)`` when the fit interpolates (``d_model >= n_rated``) and
``1 / sqrt(1 + d_model / n_rated)`` otherwise, whatever the noise level (a property of least squares).

**Leave-one-emotion-out check** (:func:`loo_valence_r`): each rated emotion's valence is predicted by the
direction (and intercept) fitted on the others, and the predictions are correlated with the ratings. Because
``d_model >= n_rated`` the in-sample fit interpolates (in-sample r = 1), so only the held-out r says whether the
direction generalises. The held-out predictions come in closed form from the bordered kernel system
``[[K, 1], [1^T, 0]] [alpha; b] = [v; 0]``: the held-out residual of emotion ``i`` is ``z_i / (A^-1)_ii``
(``A`` the bordered matrix, ``z = A^-1 [v; 0]``). With fewer dimensions than emotions the fit is ordinary least
squares and the held-out residual is ``e_i / (1 - h_ii)`` (hat matrix ``h``); a mixed case is refitted
emotion by emotion.
"""

from __future__ import annotations

import numpy as np

from emotion_vectors.analysis.geometry import check_gram, double_centre, pearson
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix

#: Relative eigenvalue cut-off of the pseudo-inverse in the Gram domain.
PINV_RTOL = 1e-10
#: Bordered systems with a condition number above this are refitted explicitly.
MAX_CONDITION = 1e12


def valence_direction(vectors: np.ndarray, valence: np.ndarray, rated_index: np.ndarray) -> np.ndarray:
    """Unit valence direction ``[d_model]`` of one layer.

    Args:
        vectors: ``[n_emotions, d_model]`` contrast vectors.
        valence: ``[n_rated]`` valence of the rated emotions.
        rated_index: ``[n_rated]`` their rows in ``vectors``.
    """
    vectors = check_matrix("vectors", vectors)
    valence, rated_index = _check_rated(valence, rated_index, vectors.shape[0])
    rows = vectors[rated_index].astype(np.float64)
    rows = rows - rows.mean(axis=0, keepdims=True)
    target = valence - valence.mean()
    alpha = np.linalg.pinv(rows @ rows.T, rtol=PINV_RTOL, hermitian=True) @ target
    direction = rows.T @ alpha
    norm = np.linalg.norm(direction)
    if norm == 0.0 or not np.isfinite(norm):
        raise AnalysisError("the valence direction is undefined (constant valence or identical contrast vectors)")
    return direction / norm


def cosine_matrix(directions: np.ndarray) -> np.ndarray:
    """Cosine similarity ``[n_layers, n_layers]`` of ``[n_layers, d_model]`` directions."""
    directions = check_matrix("directions", directions).astype(np.float64)
    norms = np.linalg.norm(directions, axis=1)
    if np.any(norms == 0):
        raise AnalysisError("a direction has zero norm")
    unit = directions / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


def adjacent_cosines(directions: np.ndarray) -> np.ndarray:
    """Cosine between consecutive rows: ``[n_layers - 1]`` from ``[n_layers, d_model]`` directions."""
    matrix = cosine_matrix(directions)
    return np.diagonal(matrix, offset=1).copy()


def loo_predictions(gram: np.ndarray, valence: np.ndarray, rated_index: np.ndarray) -> np.ndarray:
    """Leave-one-emotion-out predicted valence ``[n_rated]`` of the minimum-norm direction with intercept.

    Args:
        gram: ``[n_emotions, n_emotions]`` Gram matrix of the contrast vectors.
        valence: ``[n_rated]`` ratings; ``rated_index``: ``[n_rated]`` their rows.
    """
    gram = check_gram("gram", gram)
    valence, rated_index = _check_rated(valence, rated_index, gram.shape[0])
    k = gram[np.ix_(rated_index, rated_index)]
    m = k.shape[0]
    if m < 3:
        raise AnalysisError(f"leave-one-out needs at least 3 rated emotions, got {m}")
    centred = double_centre(k)
    values, vectors = np.linalg.eigh((centred + centred.T) / 2.0)
    keep = values > PINV_RTOL * max(values.max(), 0.0)
    hat = vectors[:, keep] @ vectors[:, keep].T + 1.0 / m
    leverage = np.diag(hat)
    if leverage.max() < 1.0 - 1e-8:
        # Fewer dimensions than emotions: ordinary least squares, held-out residual e_i / (1 - h_ii).
        return valence - (valence - hat @ valence) / (1.0 - leverage)
    scale = np.trace(k) / m if np.trace(k) > 0 else 1.0
    bordered = np.zeros((m + 1, m + 1))
    bordered[:m, :m] = k / scale
    bordered[:m, m] = 1.0
    bordered[m, :m] = 1.0
    if np.linalg.cond(bordered) < MAX_CONDITION:
        inverse = np.linalg.inv(bordered)
        z = inverse[:, :m] @ valence
        residual = z[:m] / np.diag(inverse)[:m]
        return valence - residual
    return _loo_explicit(k, valence)


def loo_valence_r(gram: np.ndarray, valence: np.ndarray, rated_index: np.ndarray) -> float:
    """Pearson r between leave-one-emotion-out predicted valence and the ratings (see module docstring)."""
    valence = np.asarray(valence, dtype=np.float64)
    return pearson(loo_predictions(gram, valence, rated_index), valence)


def _loo_explicit(k: np.ndarray, valence: np.ndarray) -> np.ndarray:
    """Refit on all but one emotion at a time, from the ``[m, m]`` Gram matrix ``k`` of the rated rows."""
    m = k.shape[0]
    predictions = np.empty(m)
    for i in range(m):
        train = np.delete(np.arange(m), i)
        block = k[np.ix_(train, train)]
        cross = k[i, train]
        row_mean = block.mean(axis=1)
        centred = double_centre(block)
        cross_centred = cross - cross.mean() - row_mean + block.mean()
        target = valence[train] - valence[train].mean()
        alpha = np.linalg.pinv(centred, rtol=PINV_RTOL, hermitian=True) @ target
        predictions[i] = valence[train].mean() + cross_centred @ alpha
    return predictions


def _check_rated(valence: np.ndarray, rated_index: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    valence = np.asarray(valence, dtype=np.float64)
    rated_index = np.asarray(rated_index)
    if valence.ndim != 1 or rated_index.shape != valence.shape:
        raise AnalysisError(f"valence and rated_index must both be [n_rated], got {valence.shape}, {rated_index.shape}")
    if valence.size < 3 or not np.all(np.isfinite(valence)):
        raise AnalysisError("need at least 3 finite valence ratings")
    if not np.issubdtype(rated_index.dtype, np.integer) or np.any(rated_index < 0) or np.any(rated_index >= n):
        raise AnalysisError(f"rated_index must hold row positions in [0, {n})")
    return valence, rated_index.astype(np.int64)


__all__ = [
    "adjacent_cosines",
    "cosine_matrix",
    "loo_predictions",
    "loo_valence_r",
    "valence_direction",
]
