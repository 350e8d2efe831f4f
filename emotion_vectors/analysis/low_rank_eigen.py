"""Top two eigenpairs of many symmetric matrices that share one matrix and differ by low-rank updates.

The replicates of a family of inversion worlds (:mod:`emotion_vectors.analysis.world_inversion`) share every replicate's noise
Gram matrix and differ only in a term of rank ``r`` (the truth and its cross terms with the noise):
``M = N + U C U^T``. With ``N = Q diag(d) Q^T`` solved once per replicate, the top eigenvalues of every member are
found exactly without a dense solve, from Haynsworth's inertia additivity applied to the bordered matrix
``[[diag(d) - lam, V], [V^T, -C^-1]]`` (``V = Q^T U``): for any ``lam`` that is not one of the ``d``,

    #{eigenvalues of M above lam} = #{d_i > lam} + n_-(F(lam)) - n_-(C^-1),
    F(lam) = C^-1 + V^T (diag(d) - lam)^-1 V        (an r x r matrix).

The count brackets each eigenvalue (Weyl's inequalities give the first bracket, counts just above the top ``d``
tell which gap between them holds it); once a bracket holds none of the ``d``, the eigenvalue of ``F`` that
changes sign across it is continuous and increasing in ``lam``, and safeguarded Newton steps on it replace the
halving. The eigenvector is ``(diag(d) - lam)^-1 V z`` with ``F(lam) z = 0``, in the basis ``Q``. Cost per member
and step: ``O(n r^2)`` instead of the ``O(n^3)`` of a dense solve; ``tests/test_low_rank_eigen.py`` holds it to
dense solves.
"""

from __future__ import annotations

import numpy as np

#: Bracket width, relative to the scale of the spectrum, at which an eigenvalue counts as found.
RELATIVE_TOL = 1e-13
#: Closest an evaluation point comes to one of the ``d``, relative to the scale of the spectrum: nearer, that
#: pole's term swamps ``F`` and rounding can flip the sign of its small eigenvalues, so the count goes wrong. An
#: eigenvalue that close to a pole is found to within twice this.
POLE_GAP = 1e-9
#: Iteration cap (every step that is not a shrinking Newton step halves the bracket).
MAX_ITERATIONS = 200


def top_updated(
    noise_values: np.ndarray, coordinates: np.ndarray, core: np.ndarray, ranks: tuple[int, ...] = (1, 2)
) -> tuple[np.ndarray, np.ndarray]:
    """The first or second eigenpair, or both, of ``diag(d_b) + V_wb C V_wb^T`` for every member ``w`` and
    replicate ``b``.

    Args:
        noise_values: ``[B, n]`` eigenvalues ``d`` of the shared matrices (any order).
        coordinates: ``[W, B, n, r]`` the update's factors ``V`` in the shared matrices' eigenbases.
        core: ``[r, r]`` symmetric invertible ``C``.
        ranks: Which eigenpairs, counted from the largest (1 or 2 each).

    Returns:
        ``(values [W, B, K], vectors [W, B, n, K])`` for the ``K`` ranks: eigenvalues and unit eigenvectors in
        the shared matrices' eigenbases (arbitrary sign).
    """
    if not ranks or any(k not in (1, 2) for k in ranks):
        raise ValueError(f"ranks must be 1, 2 or both, got {ranks}")
    d = np.asarray(noise_values, dtype=np.float64)
    v = np.asarray(coordinates, dtype=np.float64)
    n_members, n_replicates, n, rank = v.shape
    core = np.asarray(core, dtype=np.float64)
    inverse = np.linalg.inv(core)
    inverse = (inverse + inverse.T) / 2
    negative_core = int(np.sum(np.linalg.eigvalsh(inverse) < 0))
    flat = v.reshape(-1, n, rank)  # matrix q = w B + b; problem p = K q + i for the i-th of the K ranks
    pairs = np.repeat(np.arange(flat.shape[0]), len(ranks))
    wanted = np.tile(ranks, flat.shape[0])
    rows = pairs % n_replicates
    problem = _Problems(d[rows], flat, pairs, wanted, inverse, negative_core)
    ordered = np.sort(d, axis=1)[:, ::-1][rows]  # [P, n] descending
    update = _update_spectra(flat, core)[pairs]  # [P, r] nonzero eigenvalues of V C V^T, ascending
    update = np.sort(np.concatenate([update, np.zeros((update.shape[0], 1))], axis=1), axis=1)  # and one 0 (r < n)
    scale = np.max(np.abs(ordered), axis=1) + np.max(np.abs(update), axis=1)
    gap = POLE_GAP * scale
    low, high = _brackets(problem, ordered, update, gap, max(ranks))
    values = np.where(low > ordered[:, 0], high, (low + high) / 2)  # Newton from the top where no d is near
    _solve(problem, low, high, values, scale, gap)
    vectors = problem.eigenvectors(_away_from_poles(values, problem.d, gap))
    # an eigenvalue at a d whose noise eigenvector the update leaves alone has that eigenvector, which the
    # formula (built from the update) cannot give: keep it where it fits better
    nearest = np.argmin(np.abs(problem.d - values[:, None]), axis=1)
    own = np.eye(n)[nearest]
    worse = problem.residuals(values, vectors) > problem.residuals(values, own)
    vectors[worse] = own[worse]
    return values.reshape(n_members, n_replicates, len(ranks)), np.swapaxes(
        vectors.reshape(n_members, n_replicates, len(ranks), n), -1, -2
    )


class _Problems:
    """The secular problems of every wanted eigenvalue (problem ``p``: matrix ``pairs[p]``, eigenvalue
    ``wanted[p]``)."""

    def __init__(
        self, d: np.ndarray, flat: np.ndarray, pairs: np.ndarray, wanted: np.ndarray, inverse: np.ndarray, negative: int
    ) -> None:
        self.d, self.flat, self.pairs, self.wanted = d, flat, pairs, wanted
        self.inverse, self.negative = inverse, negative

    def count_above(self, points: np.ndarray, which: np.ndarray) -> np.ndarray:
        """``[len(which)]`` the number of eigenvalues above ``points`` of the problems ``which``."""
        return self.root_function(points, which)[2]

    def root_function(self, points: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`_secular_root_function` of the problems ``which`` at ``points``."""
        return _secular_root_function(
            points, self.d[which], self.flat[self.pairs[which]], self.inverse, self.negative, self.wanted[which]
        )

    def residuals(self, values: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """``[P]`` ``|(diag(d) + V C V^T) x - lam x|`` of unit vectors ``x`` ``[P, n]`` at ``values``."""
        v = self.flat[self.pairs]
        projected = np.linalg.solve(self.inverse, (np.swapaxes(v, 1, 2) @ vectors[:, :, None]))  # C V^T x
        applied = self.d * vectors + (v @ projected)[:, :, 0]
        return np.linalg.norm(applied - values[:, None] * vectors, axis=1)

    def eigenvectors(self, values: np.ndarray) -> np.ndarray:
        """:func:`_eigenvectors` of every problem at ``values``."""
        return _eigenvectors(values, self.d, self.flat[self.pairs], self.inverse)


def _brackets(
    problem: _Problems, ordered: np.ndarray, update: np.ndarray, gap: np.ndarray, top_rank: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` ``[P]``: a bracket of each wanted eigenvalue, from Weyl's inequalities narrowed by counts just
    above the top ``d`` (``ordered`` ``[P, n]``, descending) until it holds none of them where it can."""
    wanted, negative_core, n = problem.wanted, problem.negative, ordered.shape[1]
    # Weyl: lambda_1 <= d_1 + mu_1, lambda_2 <= min(d_1 + mu_2, d_2 + mu_1) (mu descending), and
    # lambda_k >= d_(k + n_-(C)), as the update has n_-(C) negative terms
    high = (
        np.where(
            wanted == 1,
            ordered[:, 0] + update[:, -1],
            np.minimum(ordered[:, 0] + update[:, -2], ordered[:, 1] + update[:, -1]),
        )
        + gap
    )
    low = ordered[np.arange(wanted.size), np.minimum(wanted - 1 + negative_core, n - 1)] - gap
    # the eigenvalue lies above every d or between two neighbours among the top k + n_-(C): count just above
    # each of them to find where (a bracket with no d inside lets Newton's method take over)
    unresolved = np.arange(low.size)
    for j in range(min(top_rank + negative_core, n)):
        probe = ordered[unresolved, j] + gap[unresolved]
        found = problem.count_above(probe, unresolved) >= wanted[unresolved]
        low[unresolved[found]] = probe[found]
        high[unresolved[~found]] = np.minimum(high[unresolved[~found]], probe[~found])
        unresolved = unresolved[~found]
        if unresolved.size == 0:
            break
    return low, high


def _solve(
    problem: _Problems, low: np.ndarray, high: np.ndarray, values: np.ndarray, scale: np.ndarray, gap: np.ndarray
) -> None:
    """Safeguarded Newton on the brackets ``[low, high]`` from ``values``, in place (``values`` ends at the roots).

    A Newton step is taken when the bracket holds no ``d``, the step stays inside it and it is at most half the
    step before last (rtsafe's guard); otherwise the bracket is halved. The count at every evaluated point moves
    one end of the bracket, so the iteration never leaves it."""
    steps = np.full((2, low.size), np.inf)  # sizes of the last two steps
    active = np.arange(low.size)
    for _ in range(MAX_ITERATIONS):
        d = problem.d[active]
        point = _away_from_poles(values[active], d, gap[active])
        phi, slope, above = problem.root_function(point, active)
        raise_low = above >= problem.wanted[active]
        low[active] = np.where(raise_low, point, low[active])
        high[active] = np.where(raise_low, high[active], point)
        lo, hi, tol = low[active], high[active], RELATIVE_TOL * scale[active]
        step = phi / np.where(slope > 0, slope, np.inf)
        newton = point - step
        pole_free = np.sum(d > lo[:, None], axis=1) == np.sum(d > hi[:, None], axis=1)
        # a Newton step that leaves the bracket by less than the tolerance has converged onto its end
        inside = pole_free & np.isfinite(phi) & (slope > 0) & (newton >= lo - tol) & (newton <= hi + tol)
        converged = inside & (np.abs(step) <= tol)
        shrinking = np.abs(step) <= 0.5 * steps[1, active]
        steps[1, active], steps[0, active] = steps[0, active], np.where(inside, np.abs(step), hi - lo)
        values[active] = np.where(inside & (shrinking | converged), np.clip(newton, lo, hi), (lo + hi) / 2)
        done = converged | (hi - lo <= np.where(pole_free, tol, 2.5 * gap[active]))
        active = active[~done]
        if active.size == 0:
            return


def _away_from_poles(points: np.ndarray, d: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``points`` ``[P]`` moved, where they lie within ``gap`` of one of their ``d`` ``[P, n]``, to that
    distance on the same side."""
    offset = points[:, None] - d
    nearest = np.argmin(np.abs(offset), axis=1)
    closest = np.take_along_axis(offset, nearest[:, None], axis=1)[:, 0]
    pole = points - closest
    return np.where(np.abs(closest) < gap, pole + np.where(closest >= 0, gap, -gap), points)


def _secular_root_function(
    points: np.ndarray, d: np.ndarray, v: np.ndarray, inverse: np.ndarray, negative_core: int, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At ``points`` ``[P]``: ``(phi, slope, above)``, with ``above`` the number of eigenvalues of
    ``diag(d) + V C V^T`` above each point and ``phi`` the eigenvalue of ``F`` whose sign changes at the
    ``wanted``-th eigenvalue when no ``d`` lies in between (NaN where no eigenvalue of ``F`` has that role),
    ``slope`` its derivative ``z^T V^T (diag(d) - lam)^-2 V z`` (``z`` its unit eigenvector)."""
    spectra, vectors = np.linalg.eigh(_secular_matrix(points, d, v, inverse))
    poles = np.sum(d > points[:, None], axis=1)
    above = poles + np.sum(spectra < 0, axis=1) - negative_core
    index = wanted - 1 - poles + negative_core
    valid = (index >= 0) & (index < spectra.shape[1])
    index = np.clip(index, 0, spectra.shape[1] - 1)
    phi = np.where(valid, np.take_along_axis(spectra, index[:, None], axis=1)[:, 0], np.nan)
    z = np.take_along_axis(vectors, index[:, None, None], axis=2)[:, :, 0]
    slope = np.sum(((v @ z[:, :, None])[:, :, 0] / (d - points[:, None])) ** 2, axis=1)
    return phi, slope, above


def _update_spectra(v: np.ndarray, core: np.ndarray) -> np.ndarray:
    """``[Q, r]`` eigenvalues of ``V C V^T`` (its nonzero part) for ``v`` ``[Q, n, r]``, ascending."""
    g_values, g_vectors = np.linalg.eigh(np.swapaxes(v, 1, 2) @ v)
    root = (g_vectors * np.sqrt(np.maximum(g_values, 0.0))[:, None, :]) @ np.swapaxes(g_vectors, 1, 2)
    return np.linalg.eigvalsh(root @ core @ root)


def _secular_matrix(points: np.ndarray, d: np.ndarray, v: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """``[P, r, r]`` ``F(lam) = C^-1 + V^T (diag(d) - lam)^-1 V`` of ``P`` problems at ``points`` ``[P]``
    (``d`` ``[P, n]``, ``v`` ``[P, n, r]``)."""
    weights = 1.0 / (d - points[:, None])
    return inverse + np.swapaxes(v * weights[:, :, None], 1, 2) @ v


def _eigenvectors(values: np.ndarray, d: np.ndarray, v: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """``[P, n]`` unit eigenvectors at the found ``values`` ``[P]``: ``(diag(d) - lam)^-1 V z`` with ``z`` the null
    vector of ``F(lam)`` (its eigenvector of smallest magnitude)."""
    f_values, f_vectors = np.linalg.eigh(_secular_matrix(values, d, v, inverse))
    nearest = np.argmin(np.abs(f_values), axis=1)
    z = np.take_along_axis(f_vectors, nearest[:, None, None], axis=2)[:, :, 0]  # [P, r]
    x = (v @ z[:, :, None])[:, :, 0] / (d - values[:, None])
    return x / np.linalg.norm(x, axis=1, keepdims=True)
