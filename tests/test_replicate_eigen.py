"""The replicate eigen-solver: Krylov eigenpairs against dense solves, explicit and implicit replicate matrices."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis.geometry import centre_gram
from emotion_vectors.analysis.replicate_eigen import RESIDUAL_TOL, ResampledGrams, top_eigenpairs


@pytest.mark.parametrize("decay", [0.97, 0.9, 0.5])
@pytest.mark.parametrize(("centre", "dtype"), [(False, np.float64), (True, np.float64), (True, np.float32)])
def test_replicate_eigen_solver_agrees_with_dense_eigh(decay: float, centre: bool, dtype: type) -> None:
    """Krylov eigenpairs of perturbed matrices match a dense solve, from flat (0.97) to steep (0.5) spectra,
    with float64 and float32 products."""
    rng = np.random.default_rng(9)
    n, batch = 120, 40
    base = rng.standard_normal((n, 200)) * decay ** np.arange(200)
    grams = []
    for _ in range(batch):
        # an offset (uncentred Gram matrices) for float64; float32 products need nearly centred rows (see docs)
        x = base + 0.05 * rng.standard_normal(base.shape) + (3.0 if centre and dtype == np.float64 else 0.0)
        grams.append(x @ x.T if centre else centre_gram(x @ x.T))
    grams = np.stack(grams).astype(dtype)
    full = centre_gram(base @ base.T)
    start = np.linalg.eigh(full)[1][:, ::-1][:, :6]
    values, vectors, n_dense = top_eigenpairs(grams, 2, start, centre=centre)
    dense_values, dense_vectors = np.linalg.eigh(np.stack([centre_gram(g.astype(np.float64)) for g in grams]))
    overlap = np.abs(np.einsum("bnk,bnk->bk", vectors, dense_vectors[:, :, ::-1][:, :, :2]))
    # the accepted residual (tol of the top eigenvalue) bounds the angle by tol over the relative eigen-gap, and
    # a Ritz value's error by the squared residual over the gap
    gap = np.min(np.diff(-dense_values[:, ::-1][:, :3], axis=1) / dense_values[:, -1:], axis=1)
    value_rtol = 10 * RESIDUAL_TOL**2 / gap.min()
    np.testing.assert_allclose(
        values, dense_values[:, ::-1][:, :2], rtol=value_rtol if dtype == np.float64 else max(value_rtol, 1e-5)
    )
    assert np.all(np.sqrt(np.clip(1.0 - overlap**2, 0.0, None)) <= 2 * RESIDUAL_TOL / gap[:, None])
    assert 0 <= n_dense <= batch
    _, _, all_dense = top_eigenpairs(grams, 2, None, centre=centre)
    assert all_dense == batch


def test_replicate_eigen_solver_handles_rank_deficient_matrices() -> None:
    """Bootstrap resamples repeat rows: the Krylov space runs out early and the answer is still exact."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((100, 12)) * 0.9 ** np.arange(12)  # rank 12 < the Krylov dimension (20)
    full = centre_gram(x @ x.T)
    start = np.linalg.eigh(full)[1][:, ::-1][:, :4]
    picks = rng.integers(0, 100, size=(20, 100))
    grams = np.stack([(x @ x.T)[np.ix_(p, p)] for p in picks])
    values, vectors, n_dense = top_eigenpairs(grams, 2, start[picks], centre=True)
    assert n_dense == len(grams)  # every matrix exhausts its Krylov space and is solved densely
    dense_values = np.linalg.eigh(np.stack([centre_gram(g) for g in grams]))[0][:, ::-1][:, :2]
    np.testing.assert_allclose(values, dense_values, rtol=1e-8)
    assert np.all(np.isfinite(vectors))
    implicit_values, _, implicit_dense = top_eigenpairs(ResampledGrams(x @ x.T, picks), 2, start[picks], centre=True)
    assert implicit_dense == len(grams)
    np.testing.assert_allclose(implicit_values, dense_values, rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m", [30, 29])  # a bootstrap draw of all 30 rows; a jackknife set of 29
def test_resampled_grams_multiply_as_the_gathered_matrices(dtype: type, m: int) -> None:
    """``q @ G[idx][:, idx]`` without forming the matrix: rows drawn twice add up, rows not drawn drop out."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((30, 8))
    gram = (x @ x.T).astype(dtype)
    indices = rng.integers(0, 30, size=(7, m))
    indices[0] = 3  # one row drawn every time
    implicit = ResampledGrams(gram, indices)
    gathered = np.stack([gram[np.ix_(idx, idx)] for idx in indices])
    np.testing.assert_array_equal(implicit.dense(), gathered)
    for width in (3, 1):  # each block width keeps its own scatter index
        rows = rng.standard_normal((7, width, m))
        expected = rows @ gathered.astype(np.float64)
        np.testing.assert_allclose(
            implicit.left_product(rows),
            expected,
            rtol=0,
            atol=(1e-5 if dtype == np.float32 else 1e-12) * np.abs(expected).max(),
        )
    np.testing.assert_array_equal(implicit[np.array([2, 5])].dense(), gathered[[2, 5]])
    assert implicit.shape == (7, m, m) and implicit.dtype == dtype


def test_solver_gives_implicit_and_explicit_resamples_the_same_eigenpairs() -> None:
    """An emotion-bootstrap-like batch (rows drawn with replacement, a flat spectrum that needs restarts) gives
    the same eigenpairs whether its matrices are formed or implicit (the dense fallback: the test above)."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((150, 300)) * 0.97 ** np.arange(300)
    x -= x.mean(axis=0)
    gram = x @ x.T
    start = np.linalg.eigh(centre_gram(gram))[1][:, ::-1][:, :4]
    indices = rng.integers(0, 150, size=(60, 150))
    explicit = top_eigenpairs(gram[indices[:, :, None], indices[:, None, :]], 2, start[indices], centre=True)
    implicit = top_eigenpairs(ResampledGrams(gram, indices), 2, start[indices], centre=True)
    np.testing.assert_allclose(implicit[0], explicit[0], rtol=1e-10)
    np.testing.assert_allclose(np.abs(np.einsum("bnk,bnk->bk", implicit[1], explicit[1])), 1.0, atol=1e-10)
    assert implicit[2] == explicit[2] == 0
