"""CKA and RSA against chance: permutation p-values, debiased CKA near zero, the RSA definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest, spearmanr

from emotion_vectors.analysis import cka
from emotion_vectors.analysis.similarity import (
    SIMILARITY_KINDS,
    cosine_similarity,
    permutation_p_values,
    similarity_features,
)


def _grams(x: np.ndarray) -> np.ndarray:
    return np.einsum("mnd,mkd->mnk", x, x)


def test_rsa_is_the_spearman_correlation_of_the_cosine_distance_matrices() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 25, 8))
    x[1] = x[0] @ rng.standard_normal((8, 8)) + 0.5 * rng.standard_normal((25, 8))
    grams = _grams(x)
    features = similarity_features(grams, "rsa")
    upper = np.triu_indices(25, k=1)

    def distances(v: np.ndarray) -> np.ndarray:
        unit = v / np.linalg.norm(v, axis=1, keepdims=True)
        return (1.0 - unit @ unit.T)[upper]

    expected = spearmanr(distances(x[0]), distances(x[1])).statistic
    assert cosine_similarity(features[:1], features[1:], paired=True)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_features_reproduce_cka(debiased: bool) -> None:
    rng = np.random.default_rng(1)
    grams = _grams(rng.standard_normal((3, 20, 30)))
    features = similarity_features(grams, "debiased" if debiased else "linear")
    np.testing.assert_allclose(
        cosine_similarity(features, features, paired=False), cka.cka_matrix(grams, debiased), atol=1e-12
    )


@pytest.mark.parametrize("kind", SIMILARITY_KINDS)
def test_shuffling_rows_is_a_symmetric_reindexing_of_the_features(kind: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 15, 6))
    order = rng.permutation(15)
    direct = similarity_features(_grams(x[:, order]), kind)[0]
    reindexed = similarity_features(_grams(x), kind)[0][np.ix_(order, order)]
    np.testing.assert_allclose(direct, reindexed, atol=1e-12)


def test_independent_representations_give_uniform_p_values_and_debiased_cka_near_zero() -> None:
    rng = np.random.default_rng(3)
    n, d, pairs = 30, 300, 150
    grams_a = _grams(rng.standard_normal((pairs, n, d)))
    grams_b = _grams(rng.standard_normal((pairs, n, d)))
    values = {}
    for kind in SIMILARITY_KINDS:
        observed, p = permutation_p_values(
            similarity_features(grams_a, kind), similarity_features(grams_b, kind), 200, rng, paired=True
        )
        values[kind] = observed
        assert kstest(p, "uniform").pvalue > 0.01, kind
        assert 0.03 < np.mean(p <= 0.1) < 0.2, kind
    assert np.mean(values["linear"]) > 0.8  # biased CKA of n << d random matrices is far from 0
    assert abs(np.mean(values["debiased"])) < 0.01
    assert abs(np.mean(values["rsa"])) < 0.02


def test_related_representations_reach_the_smallest_p_value_and_calls_are_seeded() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 40, 20))
    x[1:] = x[0] + 0.3 * rng.standard_normal((3, 40, 20))
    features = similarity_features(_grams(x), "debiased")
    observed, p = permutation_p_values(features, features, 250, np.random.default_rng(9), paired=False)
    assert observed.shape == p.shape == (4, 4)
    np.testing.assert_allclose(np.diag(observed), 1.0)
    assert np.all(p == 1.0 / 251)
    _, again = permutation_p_values(features, features, 250, np.random.default_rng(9), paired=False)
    np.testing.assert_array_equal(p, again)
