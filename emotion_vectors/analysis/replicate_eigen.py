"""Leading eigenpairs of many bootstrap replicate matrices at once: a block-Krylov Rayleigh-Ritz solver
(:func:`top_eigenpairs`), warm-started from the full-sample components and vectorised over the replicates, with a
dense fallback.

A replicate's matrix may be given explicitly (``[B, n, n]``) or, for replicates that resample the rows of one Gram
matrix (the emotion bootstrap), implicitly as :class:`ResampledGrams`: the solver only ever multiplies thin blocks
by the matrices, and those products are then one product with the shared matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from emotion_vectors.analysis.geometry import double_centre
from emotion_vectors.errors import AnalysisError

#: Krylov blocks after the start block in the first attempt of :func:`top_eigenpairs`.
KRYLOV_DEPTH = 3
#: Residual, relative to the largest Ritz value, at which :func:`top_eigenpairs` accepts an eigenpair.
RESIDUAL_TOL = 1e-4
#: Restarts of :func:`top_eigenpairs` (each from the previous Ritz vectors) before a matrix is solved densely.
MAX_RESTARTS = 4
#: Matrices up to this size are always solved densely (a dense solve is then cheaper than the Krylov step).
DENSE_MAX_SIZE = 64
_TINY = np.finfo(np.float64).tiny


def top_eigenpairs(
    grams: np.ndarray | ResampledGrams,
    k: int = 2,
    start: np.ndarray | None = None,
    *,
    centre: bool = False,
    depth: int = KRYLOV_DEPTH,
    tol: float = RESIDUAL_TOL,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Leading ``k`` eigenpairs of a stack of symmetric matrices, for many bootstrap replicates at once.

    A block Krylov (block Lanczos with full re-orthogonalisation) Rayleigh-Ritz step started from ``start``
    (e.g. the full-sample eigenvectors), vectorised over the stack. A Ritz pair ``(theta, v)`` is accepted when
    its residual ``|G v - theta v| <= tol * theta_1``: ``v`` is then an exact eigenvector of a symmetric matrix
    within ``sqrt(2) * tol * theta_1`` (spectral norm) of ``G``. With the default ``tol`` that is three orders of
    magnitude below the perturbation a bootstrap resample causes, and it moves a correlation of the vector with
    a rating by less than ``tol`` divided by the relative eigen-gap (typically by ``tol / (gap sqrt(n))``): at
    most 6e-4 for PC2 of a flat spectrum (PC2 and PC3 explaining 2.3 % and 1.8 %), against a Monte-Carlo error
    of about 4e-3 in the endpoints of an interval from 2,000 replicates. Matrices where a pair fails the test (flat
    spectra converge slowly) are restarted from their Ritz vectors, up to :data:`MAX_RESTARTS` times, and then
    solved with a dense :func:`numpy.linalg.eigh`.

    Args:
        grams: ``[B, n, n]`` symmetric matrices, or :class:`ResampledGrams`. The Krylov products run in float32
            when the matrices are float32, everything else in float64. Float32 rounding is relative to the largest
            entry, so pass float32 only for Gram matrices of (nearly) centred rows, where it stays well below
            ``tol`` of the top eigenvalue (the story bootstrap shifts its story vectors by the full-sample centre
            for this; the emotion bootstrap's contrast vectors are centred over the emotions).
        k: Eigenpairs wanted (largest eigenvalues first).
        start: ``[n, p]`` or ``[B, n, p]`` starting block (``p >= k``); ``None`` (or a small ``n``, see
            :data:`DENSE_MAX_SIZE`) uses dense ``eigh`` throughout.
        centre: Solve for the double-centred matrices ``H G H`` (``H = I - 11^T/n``) without forming them:
            the Krylov vectors are kept centred, so ``H G H q = H (G q)``.
        depth: Krylov blocks after the start block.
        tol: Accepted residual relative to the largest Ritz value.

    Returns:
        ``(values [B, k], vectors [B, n, k], n_dense)``; ``n_dense`` counts matrices solved densely. The sign
        of each vector is arbitrary (callers align it).
    """
    if not isinstance(grams, ResampledGrams):
        grams = np.asarray(grams)
        if grams.dtype != np.float32:
            grams = grams.astype(np.float64, copy=False)
        if grams.ndim != 3 or grams.shape[1] != grams.shape[2]:
            raise AnalysisError(f"grams must have shape [B, n, n], got {grams.shape}")
    n_batch, n, _ = grams.shape
    if not 1 <= k < n:
        raise AnalysisError(f"k must be in [1, {n - 1}], got {k}")
    if start is None or n <= DENSE_MAX_SIZE or 2 * start.shape[-1] * (depth + 1) >= n:
        values, vectors = _dense_top(_dense(grams), k, centre)
        return values, vectors, n_batch
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 2:
        start = np.broadcast_to(start, (n_batch, *start.shape))
    if start.shape[:2] != (n_batch, n) or start.shape[2] < k:
        raise AnalysisError(f"start must have shape [n, p] or [B, n, p] with n={n}, p>={k}; got {start.shape}")
    if centre:
        start = start - start.mean(axis=1, keepdims=True)
    return _restarted_krylov(grams, start, k, depth, tol, centre)


def _restarted_krylov(
    grams: np.ndarray | ResampledGrams, start: np.ndarray, k: int, depth: int, tol: float, centre: bool
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`top_eigenpairs` from a checked ``[B, n, p]`` start block: Krylov steps restarted from the Ritz
    vectors of the matrices not yet converged, then dense ``eigh`` for any left over."""
    n_batch, n, _ = grams.shape
    values = np.empty((n_batch, k))
    vectors = np.empty((n_batch, n, k))
    pending = np.arange(n_batch)
    rows = np.ascontiguousarray(start.transpose(0, 2, 1))
    for _ in range(MAX_RESTARTS + 1):
        subset = grams if pending.size == n_batch else grams[pending]
        theta, ritz, converged = _krylov_step(subset, rows, k, depth, tol, centre)
        done = pending[converged]
        values[done], vectors[done] = theta[converged], ritz[converged, :k].transpose(0, 2, 1)
        pending, rows = pending[~converged], ritz[~converged]
        if not pending.size:
            break
    n_dense = pending.size
    if n_dense:
        values[pending], vectors[pending] = _dense_top(_dense(grams[pending]), k, centre)
    return values, vectors, int(n_dense)


def _krylov_step(
    grams: np.ndarray | ResampledGrams, start: np.ndarray, k: int, depth: int, tol: float, centre: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block-Krylov Rayleigh-Ritz step on ``[B, n, n]`` symmetric matrices from ``[B, p, n]`` start rows.

    Vectors are kept as rows (``q @ G`` is ``(G q)^T`` for symmetric ``G``, and the row-major product is the
    faster one for thin blocks).

    Returns:
        ``(theta [B, k], ritz vectors as rows [B, p, n], converged [B])``.
    """
    n_batch, p, n = start.shape
    q = np.empty((n_batch, p * (depth + 1), n))
    gq = np.empty_like(q)
    q[:, :p], ok = _orthonormal_rows(start, None)
    for step in range(depth + 1):
        block = slice(step * p, (step + 1) * p)
        product = _left_product(grams, q[:, block])
        if centre:
            product -= product.mean(axis=2, keepdims=True)
        gq[:, block] = product
        if step < depth:
            q[:, (step + 1) * p : (step + 2) * p], alive = _orthonormal_rows(product, q[:, : (step + 1) * p])
            ok &= alive
    projected = q @ gq.transpose(0, 2, 1)
    theta, y = np.linalg.eigh((projected + projected.transpose(0, 2, 1)) / 2.0)
    theta = theta[:, ::-1][:, :p]
    y = np.ascontiguousarray(y[:, :, ::-1][:, :, :p].transpose(0, 2, 1))
    ritz = y @ q
    residual = np.linalg.norm(y[:, :k] @ gq - ritz[:, :k] * theta[:, :k, None], axis=2)
    scale = np.abs(theta[:, :1])
    converged = np.all(residual <= tol * scale, axis=1) & (scale[:, 0] > 0) & ok
    return theta[:, :k], ritz, converged


def _dense_top(grams: np.ndarray, k: int, centre: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` eigenpairs of each matrix of ``[B, n, n]`` by a dense solve.

    LAPACK's ``syevx`` (bisection and inverse iteration for the wanted pairs only) is about three times as
    fast as a full batched ``eigh`` for two pairs of a 171 x 171 matrix.
    """
    grams = grams.astype(np.float64, copy=False)
    if centre:
        grams = double_centre(grams)
    n = grams.shape[-1]
    values = np.empty((grams.shape[0], k))
    vectors = np.empty((grams.shape[0], n, k))
    for b, gram in enumerate(grams):
        w, v = scipy.linalg.eigh(gram, subset_by_index=(n - k, n - 1), driver="evx", check_finite=False)
        values[b], vectors[b] = w[::-1], v[:, ::-1]
    return values, vectors


def _orthonormal_rows(rows: np.ndarray, previous: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormalise the rows of ``[B, p, n]`` against the orthonormal rows ``previous`` ``[B, r, n]`` and
    each other.

    Two passes of: project out ``previous``, then whiten. The first pass whitens through the eigen-decomposition
    of the ``[p, p]`` Gram matrix of the rows, which also detects a rank-deficient block; the second, which only
    restores orthogonality lost to rounding (its Gram matrix is close to the identity), by the inverse Cholesky
    factor, at a tenth of the cost.

    Returns:
        ``(rows [B, p, n], ok [B])``: ``ok`` is False for a matrix whose block became (numerically) rank
        deficient, i.e. the Krylov space is exhausted; :func:`top_eigenpairs` then restarts or solves it densely.
    """
    x = np.asarray(rows, dtype=np.float64)
    scale = np.linalg.norm(x, axis=2).max(axis=1)
    if previous is not None:
        x = x - (x @ previous.transpose(0, 2, 1)) @ previous
    values, vectors = np.linalg.eigh(x @ x.transpose(0, 2, 1))
    ok = values[:, 0] > (1e-10 * np.maximum(scale, _TINY)) ** 2
    # the floor keeps a deficient block finite; such a matrix is not accepted anyway (ok is False)
    floor = 1e-24 * values[:, -1:] + _TINY
    x = (vectors / np.sqrt(np.maximum(values, floor))[:, None, :]).transpose(0, 2, 1) @ x
    if previous is not None:
        x = x - (x @ previous.transpose(0, 2, 1)) @ previous
    gram = x @ x.transpose(0, 2, 1)
    # a small ridge keeps the factorisation defined for the (rejected) deficient blocks
    gram += 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(x.shape[1]) + _TINY * np.eye(x.shape[1])
    return np.linalg.inv(np.linalg.cholesky(gram)) @ x, ok


class ResampledGrams:
    """The Gram matrices ``G[idx_b][:, idx_b]`` of replicates that draw rows of one ``[n, n]`` Gram matrix ``G``
    (``indices`` ``[B, m]``), never formed: ``q @ G_b`` scatters the rows of ``q`` onto the rows of ``G`` they
    were drawn from (a row drawn twice adds up), multiplies the whole batch by ``G`` at once and gathers the drawn
    columns. That reads ``G`` once per product instead of ``B`` gathered ``[m, m]`` matrices. Products run in the
    dtype of ``gram``."""

    def __init__(self, gram: np.ndarray, indices: np.ndarray) -> None:
        self.gram = gram
        self.indices = indices
        self._targets: dict[int, np.ndarray] = {}

    @property
    def dtype(self) -> np.dtype:
        return self.gram.dtype

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.indices.shape[0], self.indices.shape[1], self.indices.shape[1])

    def __getitem__(self, replicates: np.ndarray) -> ResampledGrams:
        return ResampledGrams(self.gram, self.indices[replicates])

    def left_product(self, rows: np.ndarray) -> np.ndarray:
        """``[B, p, m]`` float64: ``rows[b] @ G_b`` for ``rows`` ``[B, p, m]``."""
        n_batch, p, m = rows.shape
        n = self.gram.shape[0]
        if p not in self._targets:  # entry (b, j, i) of rows <-> entry (b * p + j, indices[b, i]) of [B * p, n]
            self._targets[p] = (np.arange(n_batch * p)[:, None] * n + np.repeat(self.indices, p, axis=0)).ravel()
        targets = self._targets[p]
        scattered = np.bincount(targets, weights=rows.ravel(), minlength=n_batch * p * n)
        product = scattered.reshape(n_batch * p, n).astype(self.gram.dtype) @ self.gram
        return product.ravel()[targets].reshape(n_batch, p, m).astype(np.float64, copy=False)

    def dense(self) -> np.ndarray:
        """``[B, m, m]`` the matrices themselves."""
        return self.gram[self.indices[:, :, None], self.indices[:, None, :]]


def _left_product(grams: np.ndarray | ResampledGrams, rows: np.ndarray) -> np.ndarray:
    """``rows[b] @ grams[b]`` in float64, the products in the matrices' dtype."""
    if isinstance(grams, ResampledGrams):
        return grams.left_product(rows)
    return (rows.astype(grams.dtype, copy=False) @ grams).astype(np.float64, copy=False)


def _dense(grams: np.ndarray | ResampledGrams) -> np.ndarray:
    return grams.dense() if isinstance(grams, ResampledGrams) else grams


__all__ = ["DENSE_MAX_SIZE", "KRYLOV_DEPTH", "MAX_RESTARTS", "RESIDUAL_TOL", "ResampledGrams", "top_eigenpairs"]
