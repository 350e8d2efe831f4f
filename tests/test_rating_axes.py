"""Rotation-free rating measures: the best of the leading PCs and the cross-validated direction."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import orthonormal

from emotion_vectors.analysis.direction import loo_valence_r
from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analysis.rating_axes import best_component, loo_rating_r
from emotion_vectors.errors import AnalysisError


def _valence_on_pc2(rng: np.random.Generator, n: int = 120, d: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contrast vectors whose largest axis is a nuisance and whose second axis is valence (planted)."""
    valence, arousal = rng.uniform(-1, 1, n), rng.uniform(0, 1, n)
    axes = orthonormal(rng, d, 3)
    nuisance = rng.standard_normal(n)
    z = (valence - valence.mean()) / valence.std()
    za = (arousal - arousal.mean()) / arousal.std()
    x = 4.0 * np.outer(nuisance, axes[0]) + 2.0 * np.outer(z, axes[1]) + 1.2 * np.outer(za, axes[2])
    x += 0.2 * rng.standard_normal((n, d))
    return x - x.mean(axis=0), valence, arousal


def test_valence_planted_on_pc2_is_found_on_pc2_and_by_the_direction() -> None:
    rng = np.random.default_rng(0)
    x, valence, arousal = _valence_on_pc2(rng)
    rated = np.arange(valence.size)
    gram = x @ x.T
    geo = layer_geometry(gram, valence, arousal, rated)
    assert abs(geo.pc1_valence_r) < 0.3  # PC1 alone says "absent"
    pc, r = best_component(geo.scores[rated], valence)
    assert pc == 2 and r > 0.95
    assert loo_rating_r(gram, valence, rated) > 0.95
    pc_a, r_a = best_component(geo.scores[rated], arousal)
    assert pc_a == 3 and r_a > 0.9
    assert loo_rating_r(gram, arousal, rated) > 0.9


def test_loo_rating_r_of_valence_is_the_valence_check_and_is_near_zero_for_noise() -> None:
    rng = np.random.default_rng(1)
    x, valence, _ = _valence_on_pc2(rng)
    rated = np.arange(0, valence.size, 2)
    gram = x @ x.T
    assert loo_rating_r(gram, valence[rated], rated) == loo_valence_r(gram, valence[rated], rated)
    unrelated = rng.standard_normal(rated.size)
    assert abs(loo_rating_r(gram, unrelated, rated)) < 0.35


def test_best_component_closed_form_and_ties() -> None:
    target = np.array([1.0, 2.0, 3.0, 4.0])
    scores = np.stack([[1.0, -1.0, 1.0, -1.0], -target, target, 2 * target], axis=1)
    assert best_component(scores, target) == (2, pytest.approx(1.0))  # |r| = 1 on PC2 and PC3: the earlier
    assert best_component(scores, target, k=1)[0] == 1
    assert best_component(np.ones((4, 3)), target) == (0, pytest.approx(np.nan, nan_ok=True))
    with pytest.raises(AnalysisError):
        best_component(scores, target[:3])
