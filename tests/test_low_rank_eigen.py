"""The low-rank eigen-solver of the inversion families (:mod:`emotion_vectors.analysis.low_rank_eigen`) against dense solves."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis import low_rank_eigen


def _solver():
    return low_rank_eigen


def _families(seed: int, n: int = 60, dims: int = 80, members: int = 12, replicates: int = 25, k: int = 2):
    """Shared Wishart noise (eigenvalue bulk up to about 3.1) and updates ``[A, K] [[L, I], [I, 0]] [A, K]^T``
    like the inversion's: a truth of ``k`` (1 or 2) unit directions at strengths from below the noise edge to far
    above it, and noise-truth cross terms ``K`` (a rank-``2 k`` update; the inversion's families vary in one
    column, rank 2)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((replicates, n, dims)) / np.sqrt(dims)
    values, vectors = np.linalg.eigh(noise @ np.swapaxes(noise, 1, 2))
    strengths = np.array([[s, s / 2][:k] for s in np.geomspace(0.2, 12.0, members)])  # [W, k]
    directions = np.linalg.qr(rng.standard_normal((n, k)))[0]
    truths = directions[None] * np.sqrt(strengths)[:, None, :]  # [W, n, k]
    cross = rng.standard_normal((replicates, n, k)) * 0.15
    update = np.concatenate(
        [
            np.broadcast_to(truths[:, None], (members, replicates, n, k)),
            np.broadcast_to(cross, (members, replicates, n, k)),
        ],
        axis=-1,
    )
    core = np.block([[np.eye(k), np.eye(k)], [np.eye(k), np.zeros((k, k))]])
    coordinates = np.swapaxes(vectors, 1, 2)[None] @ update
    return values, coordinates, core


def _dense(values: np.ndarray, coordinates: np.ndarray, core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    matrices = values[None, :, :, None] * np.eye(values.shape[1]) + coordinates @ core @ np.swapaxes(
        coordinates, -1, -2
    )
    eigenvalues, eigenvectors = np.linalg.eigh(matrices)
    return eigenvalues[..., ::-1][..., :2], eigenvectors[..., ::-1][..., :2]


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 2), (2, 2), (0, 1), (1, 1), (2, 1)])
def test_top_two_equal_a_dense_solve_from_below_the_noise_edge_to_far_above_it(seed: int, k: int) -> None:
    """Every member's first and second eigenpair equal numpy's dense ones: eigenvalues to 1e-9 of the largest
    (the solver resolves an eigenvalue within 2e-9 of a noise eigenvalue only to that), eigenvectors to 1e-9; for
    rank-4 updates and for rank-2 ones (whose secular step is solved in closed form)."""
    values, coordinates, core = _families(seed, k=k)
    expected_values, expected_vectors = _dense(values, coordinates, core)
    solved_values, solved_vectors = _solver().top_updated(values, coordinates, core)
    scale = expected_values[..., :1]
    np.testing.assert_allclose(solved_values / scale, expected_values / scale, rtol=0, atol=1e-9)
    # eigenvectors in the noise eigenbasis; sign is arbitrary
    cosine = np.abs(np.sum(solved_vectors * expected_vectors, axis=-2))
    np.testing.assert_allclose(cosine, 1.0, rtol=0, atol=1e-9)
    # the families reach into the bulk: some second eigenvalues (with one direction, all) lie below the top noise
    # eigenvalue, between two poles of the secular equation
    below = expected_values[..., 1] < values.max(axis=1)[None]
    assert 0 < below.mean() < 1 if k == 2 else below.all()


def test_one_rank_alone_equals_that_rank_of_both() -> None:
    solver = _solver()
    values, coordinates, core = _families(4, members=6)
    both_values, both_vectors = solver.top_updated(values, coordinates, core)
    for column, ranks in ((0, (1,)), (1, (2,))):
        alone_values, alone_vectors = solver.top_updated(values, coordinates, core, ranks)
        np.testing.assert_allclose(alone_values[..., 0], both_values[..., column], rtol=1e-12)
        cosine = np.abs(np.sum(alone_vectors[..., 0] * both_vectors[..., column], axis=-1))
        np.testing.assert_allclose(cosine, 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="ranks"):
        solver.top_updated(values, coordinates, core, (3,))


def test_a_rank_one_update_along_a_noise_eigenvector_shifts_only_that_eigenvalue() -> None:
    """Closed form: ``diag(d) + c e_j e_j^T`` has eigenvalue ``d_j + c`` with eigenvector ``e_j`` and keeps every
    other ``d``. With ``d = (1, 2, 3, 4)``: ``c = 2.5`` on ``e_1`` gives the top two 4.5 (along ``e_1``) and 4;
    ``c = 0.4`` on ``e_0`` leaves them at 4 and 3. An untouched ``d`` is an eigenvalue at a pole of the secular
    equation, found to within twice :data:`POLE_GAP` of the scale."""
    solver = _solver()
    d = np.array([[1.0, 2.0, 3.0, 4.0]])
    for position, c, top_two in ((1, 2.5, (4.5, 4.0)), (0, 0.4, (4.0, 3.0))):
        coordinates = np.zeros((1, 1, 4, 1))
        coordinates[0, 0, position, 0] = 1.0
        found, vectors = solver.top_updated(d, coordinates, np.array([[c]]))
        np.testing.assert_allclose(found[0, 0], top_two, rtol=1e-8)
        if position == 1:
            assert abs(vectors[0, 0, 1, 0]) == pytest.approx(1.0, abs=1e-9)
