"""PCA from the Gram matrix, the rating sign rule and correlations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from synthetic import planted_contrasts, ratings_for

from emotion_vectors.analysis.geometry import (
    align_sign,
    centre_gram,
    layer_geometry,
    pca_from_gram,
    pearson,
    rowwise_spearman,
    spearman,
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
