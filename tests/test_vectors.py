"""Pooling, contrast and neutral projection (emotion_vectors.vectors) against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import (
    contrast,
    emotion_means,
    emotion_vectors,
    n_components_for_variance,
    neutral_basis,
    pooling_weights,
    project_out,
)


def _token_corpus(rng: np.random.Generator, n_emotions: int = 5, per: int = 3, d: int = 7):
    """Token-level activations per story, their per-story means and counts, and the labels."""
    emotions = [f"e{i}" for i in range(n_emotions)]
    tokens, labels = [], []
    for e in emotions:
        for _ in range(per):
            tokens.append(rng.standard_normal((int(rng.integers(1, 40)), d)) + rng.standard_normal(d))
            labels.append(e)
    means = np.stack([t.mean(axis=0) for t in tokens])
    counts = np.array([t.shape[0] for t in tokens], dtype=np.int64)
    return emotions, labels, tokens, means, counts


def test_token_weighted_means_equal_the_mean_over_all_kept_tokens() -> None:
    rng = np.random.default_rng(0)
    emotions, labels, tokens, means, counts = _token_corpus(rng)
    pooled = emotion_means(means, counts, labels, emotions, "token_weighted")
    for i, e in enumerate(emotions):
        direct = np.concatenate([t for t, label in zip(tokens, labels, strict=True) if label == e]).mean(axis=0)
        np.testing.assert_allclose(pooled[i], direct, rtol=1e-12, atol=1e-12)


def test_story_mean_pooling_is_the_unweighted_mean_of_story_means() -> None:
    rng = np.random.default_rng(1)
    emotions, labels, _, means, counts = _token_corpus(rng)
    pooled = emotion_means(means, counts, labels, emotions, "story_mean")
    for i, e in enumerate(emotions):
        rows = [m for m, label in zip(means, labels, strict=True) if label == e]
        np.testing.assert_allclose(pooled[i], np.mean(rows, axis=0), rtol=1e-12)
    assert not np.allclose(pooled, emotion_means(means, counts, labels, emotions, "token_weighted"))


def test_skipped_stories_are_ignored_even_when_their_rows_are_nan() -> None:
    rng = np.random.default_rng(2)
    emotions, labels, tokens, means, counts = _token_corpus(rng)
    counts = counts.copy()
    means = means.copy()
    counts[1], means[1] = 0, np.nan
    pooled = emotion_means(means, counts, labels, emotions)
    direct = np.concatenate([tokens[0], tokens[2]]).mean(axis=0)
    np.testing.assert_allclose(pooled[0], direct, rtol=1e-12)
    weights = pooling_weights(counts, labels, emotions)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert weights[0, 1] == 0.0


def test_an_emotion_without_kept_stories_is_an_error_naming_it() -> None:
    counts = np.array([0, 0, 5], dtype=np.int64)
    with pytest.raises(AnalysisError, match="'a'"):
        pooling_weights(counts, ["a", "a", "b"], ["a", "b"])
    with pytest.raises(AnalysisError, match="outside"):
        pooling_weights(np.array([1, 1]), ["a", "zzz"], ["a", "b"])
    with pytest.raises(AnalysisError, match="neutral store"):
        pooling_weights(np.array([1, 1]), ["a", None], ["a"])


def test_contrast_has_zero_mean_and_inputs_are_not_modified() -> None:
    rng = np.random.default_rng(3)
    emotions, labels, _, means, counts = _token_corpus(rng)
    means_before, counts_before = means.copy(), counts.copy()
    result = emotion_vectors(means, counts, labels, emotions, projection="raw")
    np.testing.assert_allclose(result.vectors.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(means, means_before)
    np.testing.assert_array_equal(counts, counts_before)
    raw_means = emotion_means(means, counts, labels, emotions)
    np.testing.assert_allclose(contrast(raw_means), raw_means - raw_means.mean(axis=0))


@pytest.mark.parametrize(
    ("ratio", "threshold", "k"),
    [
        ([0.5, 0.3, 0.2], 0.5, 1),  # exactly 50 % with one component
        ([0.25, 0.25, 0.25, 0.25], 0.5, 2),  # exactly 50 % with two
        ([0.4999, 0.3, 0.2001], 0.5, 2),  # just below
        ([0.3, 0.2, 0.5], 0.5, 2),  # 0.3 + 0.2 == 0.5 in floating point
        ([0.1] * 10, 0.95, 10),
    ],
)
def test_variance_cut_off_is_the_smallest_k_reaching_the_threshold(ratio, threshold, k) -> None:
    assert n_components_for_variance(np.array(ratio), threshold) == k


def test_variance_cut_off_refuses_bad_input() -> None:
    with pytest.raises(AnalysisError):
        n_components_for_variance(np.array([]), 0.5)
    with pytest.raises(AnalysisError):
        n_components_for_variance(np.array([0.5, 0.5]), 1.5)


def _designed(rng: np.random.Generator, n: int, variances: list[float], basis: np.ndarray) -> np.ndarray:
    """``[n, d]`` centred rows whose principal directions are ``basis`` rows with exactly these variances."""
    centred = rng.standard_normal((n, len(variances)))
    centred -= centred.mean(axis=0)
    q, _ = np.linalg.qr(centred)
    return (q * np.sqrt(np.array(variances) * (n - 1))) @ basis


def test_an_exactly_fifty_percent_neutral_spectrum_keeps_one_component() -> None:
    rng = np.random.default_rng(4)
    basis = np.linalg.qr(rng.standard_normal((12, 3)))[0].T
    neutral = _designed(rng, 20, [2.0, 1.0, 1.0], basis) + 5.0
    found = neutral_basis(neutral, 0.5)
    assert found.k == 1
    assert found.variance_explained == pytest.approx(0.5, abs=1e-12)
    assert abs(found.components[0] @ basis[0]) == pytest.approx(1.0, abs=1e-10)


def test_neutral_projection_removes_exactly_the_planted_neutral_subspace() -> None:
    rng = np.random.default_rng(5)
    d = 30
    basis = np.linalg.qr(rng.standard_normal((d, 9)))[0].T  # 3 planted + 3 other neutral + 3 signal directions
    planted, other, signal = basis[:3], basis[3:6], basis[6:]
    # planted directions explain 0.25 + 0.20 + 0.16 = 0.61 >= 0.5 (0.45 with two): k must be 3
    neutral = _designed(rng, 40, [0.25, 0.20, 0.16, 0.15, 0.14, 0.10], np.vstack([planted, other])) - 2.0
    clean = rng.standard_normal((12, 3)) @ signal + rng.standard_normal((12, 3)) @ other
    vectors = clean + rng.standard_normal((12, 3)) * 10 @ planted
    found = neutral_basis(neutral, 0.5)
    assert found.k == 3
    assert found.variance_explained == pytest.approx(0.61, abs=1e-9)
    projected = project_out(vectors, found.components)
    np.testing.assert_allclose(projected, clean, atol=1e-10)
    np.testing.assert_allclose(projected @ planted.T, 0.0, atol=1e-10)


def test_projection_commutes_with_centring_so_recentring_is_a_no_op() -> None:
    rng = np.random.default_rng(6)
    emotions, labels, _, means, counts = _token_corpus(rng, d=10)
    neutral = rng.standard_normal((15, 10)) * np.linspace(3, 0.1, 10)
    result = emotion_vectors(means, counts, labels, emotions, neutral_vectors=neutral)
    np.testing.assert_allclose(result.vectors.mean(axis=0), 0.0, atol=1e-12)
    raw = emotion_means(means, counts, labels, emotions)
    project_first = contrast(project_out(raw, result.neutral.components))
    np.testing.assert_allclose(result.vectors, project_first, atol=1e-12)
    assert result.k_neutral == result.neutral.k >= 1
    assert 0.5 <= result.neutral_variance_explained < 1.0


def test_a_missing_neutral_input_is_an_error_never_a_fallback() -> None:
    rng = np.random.default_rng(7)
    emotions, labels, _, means, counts = _token_corpus(rng)
    with pytest.raises(AnalysisError, match="neutral"):
        emotion_vectors(means, counts, labels, emotions, projection="neutral")
    with pytest.raises(AnalysisError, match="raw"):
        emotion_vectors(means, counts, labels, emotions, projection="raw", neutral_vectors=means)
    raw = emotion_vectors(means, counts, labels, emotions, projection="raw")
    assert raw.neutral is None and raw.k_neutral == 0 and raw.projection == "raw"


def test_shapes_are_checked_on_entry() -> None:
    with pytest.raises(AnalysisError, match="shape"):
        emotion_means(np.zeros((3, 2)), np.array([1, 1]), ["a", "b"], ["a", "b"])
    with pytest.raises(AnalysisError, match="components"):
        project_out(np.zeros((3, 4)), np.zeros((1, 5)))
    with pytest.raises(AnalysisError, match="finite"):
        contrast(np.array([[np.nan, 1.0], [0.0, 1.0]]))
