"""Bootstrap replicates, intervals, the permutation test and their calibration on planted data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import bootstrap as scipy_bootstrap
from scipy.stats import kstest
from synthetic import planted_contrasts

from emotion_vectors.analysis import bootstrap, stats
from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.layout import padded_story_gram, story_layout
from emotion_vectors.analysis.replicate_eigen import RESIDUAL_TOL
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import emotion_means


def _aligned_pc(rows: np.ndarray, reference_direction: np.ndarray, k: int) -> np.ndarray:
    """Scores of component ``k`` of the centred ``rows``, signed to agree with ``reference_direction``."""
    centred = rows - rows.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    direction = vt[k] * np.sign(vt[k] @ reference_direction)
    return centred @ direction


def _full_directions(x: np.ndarray, valence: np.ndarray, arousal: np.ndarray, rated: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    signs = [np.sign(np.corrcoef(centred[rated] @ vt[k], target)[0, 1]) for k, target in enumerate((valence, arousal))]
    return vt[:2] * np.array(signs)[:, None]


def test_emotion_replicates_equal_a_direct_refit() -> None:
    rng = np.random.default_rng(0)
    n, d = 30, 50
    valence, arousal = rng.uniform(-1, 1, n), rng.uniform(0, 1, n)
    x, _ = planted_contrasts(rng, valence, d, strength=2.0, noise=1.0, arousal=arousal, arousal_strength=1.0)
    x -= x.mean(axis=0)
    rated = np.arange(0, n, 3)  # a rating source covering a third of the emotions
    gram = x @ x.T
    geo = layer_geometry(gram, valence[rated], arousal[rated], rated)
    indices = bootstrap.emotion_resample_indices(n, 6, rng)
    before = gram.copy()
    out = bootstrap.emotion_bootstrap_layer(gram, geo.scores[:, :2], valence[rated], arousal[rated], rated, indices)
    np.testing.assert_array_equal(gram, before)
    directions = _full_directions(x, valence[rated], arousal[rated], rated)
    is_rated = np.isin(np.arange(n), rated)
    for b, idx in enumerate(indices):
        keep = is_rated[idx]
        spectrum = np.linalg.svd(x[idx] - x[idx].mean(axis=0), compute_uv=False) ** 2
        for k, (target, name) in enumerate(((valence, "pc1_valence_r"), (arousal, "pc2_arousal_r"))):
            scores = _aligned_pc(x[idx], directions[k], k)
            expected = np.corrcoef(scores[keep], target[idx][keep])[0, 1]
            # exact up to the float32 replicate Gram matrices: rounding of about 1e-7 of the top eigenvalue turns
            # a component by at most that over the relative eigen-gap
            gap = min(spectrum[k] - spectrum[k + 1], spectrum[k - 1] - spectrum[k] if k else np.inf) / spectrum[0]
            assert out[name][b] == pytest.approx(expected, abs=1e-6 / gap)


@pytest.mark.parametrize("n_emotions", [25, 90])  # dense eigen-solves; Krylov solves (n > DENSE_MAX_SIZE)
def test_story_replicates_equal_recomputed_emotion_means(n_emotions: int) -> None:
    rng = np.random.default_rng(1)
    per, d = 4, 60
    emotions = [f"e{i}" for i in range(n_emotions)]
    labels = [e for e in emotions for _ in range(per)]
    valence, arousal = rng.uniform(-1, 1, n_emotions), rng.uniform(0, 1, n_emotions)
    centre_signal, _ = planted_contrasts(rng, valence, d, strength=2.0, noise=0.8)
    stories = np.repeat(centre_signal, per, axis=0) + 0.7 * rng.standard_normal((n_emotions * per, d)) + 3.0
    counts = rng.integers(5, 60, size=n_emotions * per)
    counts[5] = 0
    stories[5] = np.nan
    rated = np.arange(n_emotions)
    means = emotion_means(stories, counts, labels, emotions)
    contrast = means - means.mean(axis=0)
    gram = contrast @ contrast.T
    geo = layer_geometry(gram, valence, arousal, rated)
    layout = story_layout(counts, labels, emotions)
    weights = bootstrap.story_resample_weights(layout, 5, rng)
    story_gram = padded_story_gram(layout, stories - means.mean(axis=0))
    sample = LayerSample.from_rated(story_gram, layout, gram, geo.scores[:, :2], valence, arousal, rated)
    out = bootstrap.story_bootstrap_layer(sample, weights)
    directions = _full_directions(contrast, valence, arousal, rated)
    for b in range(weights.shape[0]):
        replicate = np.zeros((n_emotions, d))
        for e in range(n_emotions):
            for i, row in enumerate(layout.index[e]):
                if row >= 0:
                    replicate[e] += weights[b, e, i] * stories[row]
        centred = replicate - replicate.mean(axis=0)
        spectrum = np.linalg.svd(centred, compute_uv=False) ** 2
        for k, (target, name) in enumerate(((valence, "pc1_valence_r"), (arousal, "pc2_arousal_r"))):
            expected = np.corrcoef(_aligned_pc(replicate, directions[k], k), target)[0, 1]
            # exact up to the eigen-solver's acceptance (residual RESIDUAL_TOL of the top eigenvalue, so an angle
            # of at most ~RESIDUAL_TOL over the relative eigen-gap) and the float32 assembly (about 1e-7)
            gap = min(spectrum[k] - spectrum[k + 1], spectrum[k - 1] - spectrum[k] if k else np.inf) / spectrum[0]
            assert out[name][b] == pytest.approx(expected, abs=2 * RESIDUAL_TOL / gap + 1e-6)


def test_story_resample_weights_draw_kept_stories_within_each_emotion() -> None:
    counts = np.array([10, 30, 0, 5, 5, 5, 7], dtype=np.int64)
    labels = ["a", "a", "a", "b", "b", "b", "c"]
    layout = story_layout(counts, labels, ["a", "b", "c"])
    assert layout.index.tolist() == [[0, 1, -1], [3, 4, 5], [6, -1, -1]]
    weights = bootstrap.story_resample_weights(layout, 400, np.random.default_rng(2))
    np.testing.assert_allclose(weights.sum(axis=2), 1.0)
    assert np.all(weights[:, 0, 2] == 0) and np.all(weights[:, 2, 0] == 1)
    # a draw of the two kept stories of "a": weights 1/4, 3/4 (both once), 1 (one twice) or 0
    assert set(np.round(weights[:, 0, 0], 6)) <= {0.0, 0.25, 1.0}
    again = bootstrap.story_resample_weights(layout, 400, np.random.default_rng(2))
    np.testing.assert_array_equal(weights, again)
    jack = bootstrap.story_jackknife_weights(
        story_layout(np.array([1, 1, 2, 2]), ["a", "a", "b", "b"], ["a", "b"], "story_mean")
    )
    assert jack.shape == (4, 2, 2)
    np.testing.assert_allclose(jack[0], [[0, 1], [0.5, 0.5]])
    with pytest.raises(AnalysisError, match="at least 2"):
        bootstrap.story_jackknife_weights(layout)


def test_percentile_interval_is_the_pair_of_quantiles() -> None:
    rng = np.random.default_rng(3)
    replicates = rng.standard_normal((1000, 3))
    expected = np.quantile(replicates, [0.025, 0.975], axis=0).T
    np.testing.assert_allclose(stats.percentile_interval(replicates, 0.95), expected)


def test_bca_interval_matches_scipy_on_the_same_bootstrap_distribution() -> None:
    rng = np.random.default_rng(4)
    x = rng.exponential(size=40)
    resamples = rng.integers(0, 40, size=(3000, 40))
    boot = x[resamples].mean(axis=1)
    jack = np.array([np.delete(x, i).mean() for i in range(40)])
    ours = stats.bca_interval(x.mean(), boot, jack, 0.9)
    reference = scipy_bootstrap(
        (x,),
        np.mean,
        method="BCa",
        confidence_level=0.9,
        n_resamples=0,
        bootstrap_result=SimpleNamespace(bootstrap_distribution=boot),
    ).confidence_interval
    np.testing.assert_allclose(ours, [reference.low, reference.high], rtol=1e-10)
    # skewed data: BCa moves the interval to the right of the percentile one
    assert ours[1] > stats.percentile_interval(boot, 0.9)[1]


def test_peak_interval_reports_layers_and_the_max_r() -> None:
    layers = [3, 5, 7, 9]
    replicates = np.zeros((100, 4))
    replicates[:80, 1] = 0.8  # peak at layer 5 in 80 replicates
    replicates[80:, 2] = 0.6  # at layer 7 in 20
    layer_ci, r_ci = stats.peak_interval(replicates, layers, 0.95)
    assert layer_ci == (5, 7)
    assert r_ci == pytest.approx((0.6, 0.8))


def test_coverage_of_the_emotion_bootstrap_on_planted_valence() -> None:
    """100 datasets from a population with a known PC1-valence correlation: r recovers it, and the 95 %
    emotion-bootstrap intervals cover it in at least 90 of them."""
    rng = np.random.default_rng(2026)
    n, d, a, sigma = 40, 5, 1.5, 0.6
    truth = a * np.sqrt(1 / 3) / np.sqrt(a**2 / 3 + sigma**2)  # corr(a v + e.u, v), v ~ U(-1, 1)
    u = np.eye(d)[0]
    estimates, covered = [], 0
    for _ in range(100):
        valence = rng.uniform(-1, 1, n)
        arousal = rng.uniform(0, 1, n)
        x = a * np.outer(valence, u) + sigma * rng.standard_normal((n, d))
        gram = (x - x.mean(axis=0)) @ (x - x.mean(axis=0)).T
        geo = layer_geometry(gram, valence, arousal, np.arange(n))
        indices = bootstrap.emotion_resample_indices(n, 200, rng)
        boot = bootstrap.emotion_bootstrap_layer(gram, geo.scores[:, :2], valence, arousal, np.arange(n), indices)
        lo, hi = stats.percentile_interval(boot["pc1_valence_r"], 0.95)
        estimates.append(geo.pc1_valence_r)
        covered += lo <= truth <= hi
    assert np.mean(estimates) == pytest.approx(truth, abs=0.02)
    assert covered >= 90


def test_permutation_p_values_of_pure_noise_are_uniform() -> None:
    rng = np.random.default_rng(5)
    p = []
    for _ in range(300):
        result = stats.permutation_test(rng.standard_normal((1, 25)), rng.standard_normal(25), 99, rng)
        p.append(result.p[0])
    p = np.array(p)
    assert kstest(p, "uniform").statistic < 0.1
    assert 0.02 <= np.mean(p <= 0.05) <= 0.09


def test_family_wise_p_values_control_the_error_over_layers() -> None:
    rng = np.random.default_rng(6)
    rejections_any, rejections_fwer = 0, 0
    for _ in range(200):
        result = stats.permutation_test(rng.standard_normal((6, 30)), rng.standard_normal(30), 99, rng)
        assert np.all(result.p_fwer >= result.p)
        rejections_any += np.any(result.p <= 0.05)
        rejections_fwer += np.any(result.p_fwer <= 0.05)
    assert rejections_fwer / 200 <= 0.09
    assert rejections_any > rejections_fwer  # unadjusted per-layer tests reject more often


def test_permutation_test_detects_signal_and_reports_bh_q_values() -> None:
    rng = np.random.default_rng(7)
    target = rng.standard_normal(40)
    scores = np.vstack([target + 0.3 * rng.standard_normal(40), rng.standard_normal((3, 40))])
    result = stats.permutation_test(scores, target, 199, rng)
    assert result.p[0] == pytest.approx(1 / 200)
    order = np.argsort(result.p)
    bh = np.minimum.accumulate((result.p[order] * 4 / np.arange(1, 5))[::-1])[::-1]
    np.testing.assert_allclose(result.q_bh[order], np.minimum(bh, 1.0))
    with pytest.raises(AnalysisError, match="Generator"):
        stats.permutation_test(scores, target, 10, 0)
