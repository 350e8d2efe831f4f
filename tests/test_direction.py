"""The valence direction, its layer-to-layer cosines and the leave-one-emotion-out check."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import planted_contrasts

from emotion_vectors.analysis.direction import (
    _loo_explicit,
    adjacent_cosines,
    cosine_matrix,
    loo_predictions,
    loo_valence_r,
    valence_direction,
)
from emotion_vectors.errors import AnalysisError


@pytest.mark.parametrize(("d", "floor"), [(10, 0.95), (4000, 0.95)])
def test_planted_valence_axis_is_recovered(d: int, floor: float) -> None:
    """The part of w that fits the noise shrinks with d/n (OLS, d < n) or n/d (interpolation, d > n), whatever
    the noise level, so the axis is recovered far from d ~ n."""
    rng = np.random.default_rng(0)
    valence = rng.uniform(-1, 1, 171)
    x, axes = planted_contrasts(rng, valence, d, strength=3.0, noise=0.05)
    x -= x.mean(axis=0)
    before = x.copy()
    w = valence_direction(x, valence, np.arange(171))
    np.testing.assert_array_equal(x, before)
    assert np.linalg.norm(w) == pytest.approx(1.0)
    assert w @ axes[0] > floor
    assert abs(w @ axes[1]) < 0.1


def test_with_every_emotion_rated_it_is_the_papers_pseudo_inverse_solution() -> None:
    rng = np.random.default_rng(1)
    valence = rng.uniform(-1, 1, 30)
    x = rng.standard_normal((30, 80))
    x -= x.mean(axis=0)
    paper = np.linalg.pinv(x) @ valence
    np.testing.assert_allclose(valence_direction(x, valence, np.arange(30)), paper / np.linalg.norm(paper), atol=1e-9)
    shifted = valence_direction(x + rng.standard_normal(80), valence + 4.0, np.arange(30))
    np.testing.assert_allclose(shifted, paper / np.linalg.norm(paper), atol=1e-9)  # intercept: shift-invariant


def test_cosine_matrix_and_adjacent_cosines() -> None:
    e = np.eye(3)
    directions = np.stack([e[0], 2 * e[0], e[1], -e[1]])
    matrix = cosine_matrix(directions)
    np.testing.assert_allclose(matrix[0], [1, 1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(adjacent_cosines(directions), [1, 0, -1], atol=1e-12)
    with pytest.raises(AnalysisError):
        cosine_matrix(np.zeros((2, 3)))


@pytest.mark.parametrize("d", [12, 300])  # fewer / more dimensions than emotions
def test_leave_one_out_closed_forms_equal_explicit_refits(d: int) -> None:
    rng = np.random.default_rng(2)
    valence = rng.uniform(-1, 1, 40)
    x, _ = planted_contrasts(rng, valence, d, strength=1.0, noise=1.0)
    gram = x @ x.T
    np.testing.assert_allclose(loo_predictions(gram, valence, np.arange(40)), _loo_explicit(gram, valence), atol=1e-8)


def test_leave_one_out_r_separates_signal_from_noise() -> None:
    rng = np.random.default_rng(3)
    valence = rng.uniform(-1, 1, 171)
    x, _ = planted_contrasts(rng, valence, 500, strength=3.0, noise=0.3)
    assert loo_valence_r(x @ x.T, valence, np.arange(171)) > 0.9
    noise = rng.standard_normal((171, 500))
    assert abs(loo_valence_r(noise @ noise.T, valence, np.arange(171))) < 0.25
    subset = np.arange(0, 171, 2)
    assert loo_valence_r(x @ x.T, valence[subset], subset) > 0.85
