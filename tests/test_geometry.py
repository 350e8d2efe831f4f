"""PCA from the Gram matrix, the rating sign rule, correlations and the replicate eigen-solver."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from synthetic import planted_contrasts, ratings_for

from emotion_vectors.analysis.geometry import (
    RESIDUAL_TOL,
    align_sign,
    centre_gram,
    layer_geometry,
    pca_from_gram,
    pearson,
    rowwise_spearman,
    spearman,
    top_eigenpairs,
)
from emotion_vectors.errors import AnalysisError
from emotion_vectors.ratings import emotions


def test_gram_pca_matches_sklearn_pca_of_the_vectors() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 50)) * np.linspace(3, 0.2, 50) + 4.0
    ours = pca_from_gram(x @ x.T, 10)
    reference = PCA(n_components=10, svd_solver="full").fit(x)
    np.testing.assert_allclose(ours.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-9)
    scores = reference.transform(x)
    for k in range(10):
        assert abs(pearson(ours.scores[:, k], scores[:, k])) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(ours.scores.T @ ours.scores, np.diag(ours.eigenvalues), atol=1e-8)


def test_components_are_capped_at_n_minus_one() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 40))
    assert pca_from_gram(x @ x.T, 10).scores.shape == (5, 4)


def test_planted_valence_axis_comes_back_as_pc1_with_r_near_one() -> None:
    rng = np.random.default_rng(2)
    names = emotions()
    valence, arousal = ratings_for(names)
    x, _ = planted_contrasts(rng, valence, 300, strength=6.0, noise=0.3, arousal=arousal, arousal_strength=4.0)
    result = layer_geometry(x @ x.T, valence, arousal, np.arange(len(names)))
    assert result.pc1_valence_r > 0.98
    assert result.pc2_arousal_r > 0.9
    assert result.arousal_best_pc == 2
    assert result.pc1_valence_spearman == pytest.approx(spearmanr(result.scores[:, 0], valence)[0], abs=1e-12)


def test_sign_rule_makes_r_non_negative_and_records_the_flip() -> None:
    rng = np.random.default_rng(3)
    valence = rng.uniform(-1, 1, 60)
    arousal = rng.uniform(0, 1, 60)
    x, _ = planted_contrasts(rng, valence, 80, strength=4.0, noise=0.5)
    first = layer_geometry(x @ x.T, valence, arousal, np.arange(60))
    flipped = layer_geometry(x @ x.T, -valence, arousal, np.arange(60))
    assert first.pc1_valence_r == pytest.approx(flipped.pc1_valence_r) and first.pc1_valence_r > 0
    assert first.pc1_sign == -flipped.pc1_sign
    np.testing.assert_allclose(first.scores[:, 0], -flipped.scores[:, 0])
    assert align_sign(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == -1
    assert align_sign(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])) == 1


def test_rated_subset_changes_correlations_but_not_the_pca() -> None:
    rng = np.random.default_rng(4)
    valence = rng.uniform(-1, 1, 50)
    arousal = rng.uniform(0, 1, 50)
    x, _ = planted_contrasts(rng, valence, 70, strength=2.0, noise=1.0)
    gram = x @ x.T
    full = layer_geometry(gram, valence, arousal, np.arange(50))
    subset = np.arange(0, 50, 2)
    part = layer_geometry(gram, valence[subset], arousal[subset], subset)
    np.testing.assert_allclose(full.explained_variance_ratio, part.explained_variance_ratio)
    expected = abs(pearson(full.scores[subset, 0], valence[subset]))
    assert part.pc1_valence_r == pytest.approx(expected)


def test_best_arousal_pc_is_found_among_the_first_five() -> None:
    rng = np.random.default_rng(5)
    n, d = 80, 40
    axes = np.linalg.qr(rng.standard_normal((d, 4)))[0].T
    valence, arousal = rng.uniform(-1, 1, n), rng.uniform(0, 1, n)
    x = (
        6 * np.outer(valence - valence.mean(), axes[0])
        + 4 * np.outer(rng.standard_normal(n), axes[1])
        + 2 * np.outer((arousal - arousal.mean()) / arousal.std(), axes[2])
        + 0.05 * rng.standard_normal((n, d))
    )
    result = layer_geometry(x @ x.T, valence, arousal, np.arange(n))
    assert result.arousal_best_pc == 3
    assert result.arousal_best_r > 0.95
    assert result.pc2_arousal_r < 0.3


def test_spearman_matches_scipy_row_by_row() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(0, 5, size=(4, 25)).astype(float)  # ties
    y = rng.standard_normal(25)
    expected = [spearmanr(row, y)[0] for row in x]
    np.testing.assert_allclose(rowwise_spearman(x, y), expected, atol=1e-12)
    assert spearman(x[0], y) == pytest.approx(expected[0])


def test_inputs_are_not_modified_and_bad_shapes_are_refused() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 30))
    gram = x @ x.T
    valence, arousal = rng.standard_normal(20), rng.standard_normal(20)
    copies = [a.copy() for a in (gram, valence, arousal)]
    layer_geometry(gram, valence, arousal, np.arange(20))
    for before, after in zip(copies, (gram, valence, arousal), strict=True):
        np.testing.assert_array_equal(before, after)
    with pytest.raises(AnalysisError, match="square"):
        layer_geometry(gram[:, :5], valence, arousal, np.arange(20))
    with pytest.raises(AnalysisError, match="rated_index"):
        layer_geometry(gram, valence, arousal, np.arange(20) + 5)
    with pytest.raises(AnalysisError, match="n_rated"):
        layer_geometry(gram, valence[:10], arousal, np.arange(20))


def test_centre_gram_is_the_gram_of_centred_rows() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((9, 4)) + 3
    centred = x - x.mean(axis=0)
    np.testing.assert_allclose(centre_gram(x @ x.T), centred @ centred.T, atol=1e-12)


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
