"""The world diagnosis's building blocks (``benchmarks/world_diagnosis.py``) against known answers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers_benchmarks import load_benchmark


def _diagnosis():
    return load_benchmark("world_diagnosis")


@pytest.mark.parametrize("target", [0.2, 0.6, 0.95])
def test_tilt_reaches_the_target_correlation_and_keeps_the_columns_orthonormal(target: float) -> None:
    diagnosis = _diagnosis()
    rng = np.random.default_rng(0)
    n = 60
    basis, _ = np.linalg.qr(rng.standard_normal((n, 5)) - rng.standard_normal((n, 5)).mean(axis=0))
    basis -= basis.mean(axis=0)
    basis, _ = np.linalg.qr(basis)
    rating = rng.standard_normal(n)
    turned = diagnosis.tilt(basis, 1, rating, target)
    unit = (rating - rating.mean()) / np.linalg.norm(rating - rating.mean())
    assert turned[:, 1] @ unit == pytest.approx(target, abs=1e-10)
    assert turned.T @ turned == pytest.approx(np.eye(5), abs=1e-10)
    assert np.array_equal(turned[:, [0, 2, 3, 4]], basis[:, [0, 2, 3, 4]])


def test_debiased_truth_recovers_a_strong_spikes_strength() -> None:
    """One planted direction of strength 4 n sigma^2 (well above the Marchenko-Pastur edge) under isotropic noise:
    the debiased truth's energy is the planted strength (the spiked-covariance map inverted), not the sample's."""
    diagnosis = _diagnosis()
    rng = np.random.default_rng(1)
    n, d, sigma2 = 200, 400, 1.0
    scores = rng.standard_normal(n)
    scores -= scores.mean()
    direction = np.zeros(d)
    direction[0] = 1.0
    strength = 4.0 * n * sigma2 * (1 + np.sqrt(d / n))
    truth = np.outer(scores / np.linalg.norm(scores) * np.sqrt(strength), direction)
    sample = truth + np.sqrt(sigma2) * rng.standard_normal((n, d))
    sample -= sample.mean(axis=0)
    estimate = diagnosis.debiased_truth(sample, np.full(n, sigma2), diagnosis.eigen(sample))
    top_sample = np.linalg.eigvalsh(sample @ sample.T)[-1]
    assert np.sum(estimate**2) == pytest.approx(strength, rel=0.1)
    assert top_sample > 1.3 * strength  # the uncorrected sample eigenvalue is far off
