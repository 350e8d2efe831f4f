"""Linear and debiased CKA: identities, invariances, bias on random data, agreement with the HSIC formulas."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis.cka import (
    cka_from_grams,
    cka_matrix,
    hsic_biased,
    hsic_unbiased,
    linear_cka,
    match_depth,
    paired_cka,
)
from emotion_vectors.errors import AnalysisError


def _direct_hsic_biased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return float(np.trace(k @ h @ l @ h) / (n - 1) ** 2)


def _direct_hsic_unbiased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """Song et al. (2012), written out term by term."""
    n = k.shape[0]
    kt, lt = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    one = np.ones(n)
    term = np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
    term -= 2.0 / (n - 2) * (one @ kt @ lt @ one)
    return float(term / (n * (n - 3)))


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 25))
    y = x @ rng.standard_normal((25, 30)) + rng.standard_normal((40, 30))
    return x, y


def test_both_estimators_agree_with_the_direct_hsic_formulas(pair) -> None:
    x, y = pair
    k, l = x @ x.T, y @ y.T  # noqa: E741
    k_before, l_before = k.copy(), l.copy()
    assert hsic_biased(k, l) == pytest.approx(_direct_hsic_biased(k, l), rel=1e-10)
    cka_matrix(np.stack([k, l]), debiased=True)
    np.testing.assert_array_equal(k, k_before)
    np.testing.assert_array_equal(l, l_before)
    assert hsic_unbiased(k, l) == pytest.approx(_direct_hsic_unbiased(k, l), rel=1e-10)
    direct = _direct_hsic_biased(k, l) / np.sqrt(_direct_hsic_biased(k, k) * _direct_hsic_biased(l, l))
    assert linear_cka(x, y) == pytest.approx(direct, rel=1e-10)
    direct_u = _direct_hsic_unbiased(k, l) / np.sqrt(_direct_hsic_unbiased(k, k) * _direct_hsic_unbiased(l, l))
    assert linear_cka(x, y, debiased=True) == pytest.approx(direct_u, rel=1e-10)


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_of_a_representation_with_itself_is_one(pair, debiased: bool) -> None:
    x, _ = pair
    assert linear_cka(x, x, debiased) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_is_invariant_to_orthogonal_maps_and_isotropic_scaling_only(pair, debiased: bool) -> None:
    x, y = pair
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    reference = linear_cka(x, y, debiased)
    assert linear_cka(x, 7.5 * y @ q, debiased) == pytest.approx(reference, abs=1e-12)
    assert linear_cka(x + 3.0, y, debiased) == pytest.approx(reference, abs=1e-12)  # centring
    stretched = y * np.linspace(0.1, 10, 30)  # not isotropic: CKA changes
    assert abs(linear_cka(x, stretched, debiased) - reference) > 1e-3


def test_debiased_cka_of_independent_random_matrices_is_near_zero_while_linear_is_not() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((171, 2560))
    y = rng.standard_normal((171, 2560))
    assert abs(linear_cka(x, y, debiased=True)) < 0.02
    assert linear_cka(x, y) > 0.5


def test_layer_by_layer_and_paired_matrices_equal_pairwise_values(pair) -> None:
    x, y = pair
    rng = np.random.default_rng(3)
    z = rng.standard_normal((40, 10))
    grams = np.stack([a @ a.T for a in (x, y, z)])
    for debiased in (False, True):
        matrix = cka_matrix(grams, debiased)
        np.testing.assert_allclose(np.diag(matrix), 1.0)
        np.testing.assert_allclose(matrix, matrix.T)
        assert matrix[0, 2] == pytest.approx(cka_from_grams(grams[0], grams[2], debiased))
        paired = paired_cka(grams, grams[[1, 2, 0]], debiased)
        assert paired[0] == pytest.approx(matrix[0, 1]) and paired[2] == pytest.approx(matrix[2, 0])
    with pytest.raises(AnalysisError):
        paired_cka(grams, grams[:2])


def test_depth_matching_uses_exact_fractions_and_breaks_ties_to_the_shallower_layer() -> None:
    depth, a, b = match_depth([8, 16, 31], 32, list(range(42)), 42)
    assert a.tolist() == [8, 16, 31]
    np.testing.assert_allclose(depth, [0.25, 0.5, 31 / 32])
    assert b.tolist() == [10, 21, 41]  # 0.25 * 42 = 10.5: layers 10 and 11 tie, 10 wins
    with pytest.raises(AnalysisError):
        match_depth([], 32, [1], 42)
