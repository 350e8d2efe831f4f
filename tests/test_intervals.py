"""The Fisher-z bootstrap intervals, the interval of a maximum and the story-residual rescaling."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis import bootstrap, stats
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.layout import StoryLayout, padded_rows, padded_story_gram, story_layout
from emotion_vectors.analysis.story_rescale import rescale_story_gram, residual_scale
from emotion_vectors.errors import AnalysisError


def _attenuated_replicates(estimate: float, shift: float, spread: float, size: int = 4000) -> np.ndarray:
    """Replicates whose Fisher z sit ``shift`` below the estimate's, spread evenly (known quantiles)."""
    z = np.arctanh(estimate) - shift + spread * np.linspace(-1.0, 1.0, size)
    return np.tanh(z)


def test_recentred_interval_uses_only_the_spread_and_contains_the_estimate() -> None:
    estimate = 0.163
    replicates = _attenuated_replicates(estimate, shift=0.4, spread=0.2)  # every replicate below the estimate
    lo, hi = stats.confidence_interval(np.array(estimate), replicates, "recentred", 0.9)
    z = np.arctanh(estimate)
    # the replicates' z are uniform on [z - 0.6, z - 0.2]: quantiles 0.05/0.95 at -0.18/+0.18 around the median
    assert (lo, hi) == pytest.approx((np.tanh(z - 0.18), np.tanh(z + 0.18)), abs=1e-4)
    assert lo <= estimate <= hi
    percentile = stats.confidence_interval(np.array(estimate), replicates, "percentile", 0.9)
    assert percentile[1] < estimate  # the attenuation goes straight into the percentile interval


def test_bias_corrected_interval_adds_the_replicates_shift_back() -> None:
    estimate = 0.6
    replicates = _attenuated_replicates(estimate, shift=0.1, spread=0.05)
    lo, hi = stats.confidence_interval(np.array(estimate), replicates, "bias_corrected", 0.9)
    centre = np.arctanh(estimate) + 0.1  # the estimate is taken to be attenuated as much as the replicates
    assert (lo, hi) == pytest.approx((np.tanh(centre - 0.045), np.tanh(centre + 0.045)), abs=1e-4)
    assert lo > estimate


def test_fisher_intervals_are_finite_at_r_of_one_and_vectorised() -> None:
    estimate = np.array([1.0, 0.5, np.nan])
    replicates = np.stack([np.ones(50), np.linspace(0.3, 0.7, 50), np.full(50, np.nan)], axis=1)
    bounds = stats.confidence_interval(estimate, replicates, "recentred")
    assert bounds.shape == (3, 2)
    assert bounds[0] == pytest.approx([1.0, 1.0])
    assert bounds[1, 0] < 0.5 < bounds[1, 1]
    assert np.all(np.isnan(bounds[2]))


def test_unknown_method_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="not a bootstrap interval method"):
        stats.confidence_interval(np.array(0.5), np.full((10,), 0.5), "student")  # type: ignore[arg-type]


def test_interval_of_the_maximum_contains_the_maximum_estimate() -> None:
    rng = np.random.default_rng(0)
    estimates = np.array([0.30, 0.55, 0.50])
    replicates = estimates - 0.25 + 0.05 * rng.standard_normal((500, 3))  # attenuated replicates
    layers_ci, r_ci = stats.peak_interval(replicates, [4, 5, 6], 0.95, estimates=estimates, method="recentred")
    assert r_ci[0] <= 0.55 <= r_ci[1]
    assert layers_ci[1] >= 5 and layers_ci[0] >= 4
    _, percentile = stats.peak_interval(replicates, [4, 5, 6], 0.95)
    assert percentile[1] < 0.55
    with pytest.raises(AnalysisError, match="per-layer estimates"):
        stats.peak_interval(replicates, [4, 5, 6], 0.95, method="recentred")


def _layout(rng: np.random.Generator, per: list[int], pooling: str = "token_weighted") -> StoryLayout:
    labels = [str(e) for e, k in enumerate(per) for _ in range(k)]
    counts = rng.integers(5, 40, size=len(labels))
    return story_layout(counts, labels, [str(e) for e in range(len(per))], pooling)


def test_rescaled_story_gram_is_the_gram_of_explicitly_rescaled_stories() -> None:
    rng = np.random.default_rng(1)
    layout = _layout(rng, [3, 1, 4, 2])
    d = 6
    rows = padded_rows(layout, rng.standard_normal((10, d)))
    gram = rows @ rows.T
    before = gram.copy()
    rescaled = rescale_story_gram(layout, gram)
    np.testing.assert_array_equal(gram, before)
    c = residual_scale(layout)
    assert c == pytest.approx([np.sqrt(3 / 2), 1.0, np.sqrt(4 / 3), np.sqrt(2)])
    grid = rows.reshape(4, layout.width, d)
    means = np.einsum("ei,eid->ed", layout.full_weights(), grid)
    explicit = means[:, None, :] + c[:, None, None] * (grid - means[:, None, :])
    explicit[layout.index < 0] = 0.0
    explicit = explicit.reshape(-1, d)
    np.testing.assert_allclose(rescaled, explicit @ explicit.T, atol=1e-12)
    # the full-sample emotion means (hence the contrast Gram matrix and the PCA) are unchanged
    np.testing.assert_allclose(np.einsum("ei,eid->ed", layout.full_weights(), explicit.reshape(4, -1, d)), means)


def test_rescaled_resampling_gives_an_emotion_mean_the_usual_variance_estimate() -> None:
    """Story-mean pooling: the bootstrap variance of a mean of n rescaled stories is s^2 / n, not (n-1)/n of it."""
    rng = np.random.default_rng(2)
    n = 3
    layout = _layout(rng, [n], "story_mean")
    x = rng.standard_normal((n, 1))
    rows = padded_rows(layout, x)
    weights = bootstrap.story_resample_weights(layout, 40_000, rng)[:, 0, :]  # [B, n]
    for gram, expected in (
        (rows @ rows.T, np.var(x, ddof=0) / n),  # plain resampling: (n-1)/n of s^2/n
        (rescale_story_gram(layout, rows @ rows.T), np.var(x, ddof=1) / n),
    ):
        # the variance of the resampled mean from the Gram matrix alone: w^T G w - (w0^T G w0)
        w0 = np.full(n, 1.0 / n)
        second_moment = np.einsum("bi,ij,bj->b", weights, gram, weights).mean()
        assert second_moment - w0 @ gram @ w0 == pytest.approx(expected, rel=0.03)


def test_fast_story_jackknife_equals_the_assembled_jackknife() -> None:
    from synthetic import planted_stories

    from emotion_vectors.analysis.geometry import layer_geometry
    from emotion_vectors.analysis.story_jackknife import story_jackknife_layer
    from emotion_vectors.vectors import emotion_means

    rng = np.random.default_rng(3)
    data = planted_stories(rng, n_emotions=80, stories_per_emotion=3, d=24, layers=(0,), skipped=5)
    layout = story_layout(data.counts, data.story_emotions, data.emotions, "token_weighted")
    story = data.story_means[0].astype(np.float64)
    means = emotion_means(story, data.counts, data.story_emotions, data.emotions, "token_weighted")
    centre = means.mean(axis=0)
    shifted = np.where(data.counts[:, None] > 0, story - centre, np.nan)
    story_gram = rescale_story_gram(layout, padded_story_gram(layout, shifted))
    gram = (means - centre) @ (means - centre).T
    valence, arousal = np.linspace(-1, 1, 80), np.cos(np.arange(80))
    rated = np.arange(0, 80, 2)
    geo = layer_geometry(gram, valence[rated], arousal[rated], rated)
    sample = LayerSample.from_rated(story_gram, layout, gram, geo.scores[:, :2], valence[rated], arousal[rated], rated)
    fast = story_jackknife_layer(sample)
    slow = bootstrap.story_bootstrap_layer(sample, bootstrap.story_jackknife_weights(layout))
    for name in ("pc1_valence_r", "pc2_arousal_r"):
        assert fast[name].shape == (int(np.sum(data.counts > 0)),)
        np.testing.assert_allclose(fast[name], slow[name], atol=1e-5)
