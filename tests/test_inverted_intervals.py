"""The analysis's test-inversion intervals (``ci_method = "inverted"``): the same interval as the coverage study's
hybrid inversion over the whole grid, though only the rows it reads are replicated; through the analyze stage."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from synthetic import make_synthetic_stores

from emotion_vectors import analyze as analyze_module
from emotion_vectors.analysis import denoised_world, inverted_intervals, stats, world_inversion
from emotion_vectors.analysis.denoised_world import build_world, emotion_noise, story_noise
from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.layout import StoryLayout
from emotion_vectors.analysis.summary import Ratings
from emotion_vectors.analyze import analyze_runs, write_results
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.errors import AnalysisError
from emotion_vectors.results import load_results
from emotion_vectors.run_inputs import inversion_refusal
from tests.helpers_benchmarks import load_benchmark


def _planted_layer(design: str, index: int, n_stories: int = 3):
    """``(world, sample, estimates)`` of one planted data set of the coverage study (80 emotions)."""
    study = load_benchmark("interval_coverage")
    spec = study.Planted(n_stories=n_stories, n_emotions=80, d=128)
    rng = np.random.default_rng([7, n_stories, index])
    valence, arousal, vectors = study.fixed_emotions(spec, 3) if design == "story" else study.draw_emotions(spec, rng)
    layout, story_gram, gram = study.story_data(spec, valence, arousal, vectors, rng)
    geo = layer_geometry(gram, valence, arousal, np.arange(spec.n_emotions))
    sample = LayerSample(story_gram, layout, gram, geo.scores[:, :2], valence, arousal)
    return build_world(story_gram, layout, rng), sample, (geo.pc1_valence_r, geo.pc2_arousal_r)


INVERSION = (inverted_intervals.ALIGNMENTS, "joint")


def _noise(world, sample, design: str, seed: list[int]):
    """The design's shared noise of :data:`inverted_intervals.REPLICATES` replicates."""
    draw = story_noise if design == "story" else emotion_noise
    return draw(world, sample, inverted_intervals.REPLICATES, np.random.default_rng(seed))


def _whole_grid_hybrid(world, noise, sample, component: int, estimate: float, levels=None) -> list[float]:
    """The study's hybrid at the switch over every row of the grid (the union where it holds no world), its worlds
    tested at ``levels`` (default: the grid's own, every ratio 1)."""
    levels = levels or inverted_intervals.WorldLevels()
    profile_lower, union_lower, eigenvalue_tail = levels.tails(0.95)
    kept = (profile_lower, union_lower, eigenvalue_tail, 1 - eigenvalue_tail)
    grid = world_inversion.replicate_grid(world, noise, sample, component, INVERSION, 0.95, lower_tails=kept)
    own = world_inversion.own_strength_row(world, noise, sample, component, INVERSION, 0.95, lower_tails=kept)
    observed, edges = float(world.eigenvalues[component]), (inverted_intervals.SWITCH_EDGES,)
    profile = world_inversion.grid_intervals(
        grid, estimate, observed, 0.95, hybrid_edges=edges, own=own, lower_tail=profile_lower
    )
    union = world_inversion.grid_intervals(
        grid, estimate, observed, 0.95, 1 - 2 * eigenvalue_tail, hybrid_edges=(), lower_tail=union_lower
    )["inverted"]
    if levels == inverted_intervals.WorldLevels():
        assert union == profile["inverted"]
        return inverted_intervals.whole_grid_rule(profile)
    above = own is not None and world_inversion.above_edge(grid, observed, 0.975, inverted_intervals.SWITCH_EDGES)
    return profile["inverted_profile"] if above and np.all(np.isfinite(profile["inverted_profile"])) else union


@pytest.mark.parametrize(("design", "n_stories"), [("story", 3), ("emotion", 3), ("story", 9)])
def test_replicating_only_the_rows_read_gives_the_whole_grids_interval(design: str, n_stories: int) -> None:
    for index in range(2):
        world, sample, estimates = _planted_layer(design, index, n_stories)
        for component, estimate in enumerate(estimates):
            noise = _noise(world, sample, design, [index, component])
            variants = [inverted_intervals.WorldLevels(), inverted_intervals.CALIBRATED_LEVELS]
            for levels in variants + ([inverted_intervals.WorldLevels(2.4, 1.6, 4.0)] if index == 0 else []):
                fast = inverted_intervals.hybrid_interval(world, noise, sample, component, estimate, 0.95, levels)
                whole = _whole_grid_hybrid(world, noise, sample, component, estimate, levels)
                np.testing.assert_allclose(fast, whole, rtol=0, atol=1e-9)
                assert fast[0] <= estimate <= fast[1]


@pytest.mark.parametrize("design", ["story", "emotion"])
def test_a_higher_lower_tail_only_lowers_the_upper_end(design: str) -> None:
    """The worlds' lower quantile of |r| decides how far up a world is still accepted, so raising its level can
    only drop worlds from the top: where the rule takes the same branch at every level (here always), the lower
    end stays and the upper end falls or stays, and every level read from one set of replicates is the interval
    that level gives alone."""
    tails = [inverted_intervals.WorldLevels(ratio, ratio) for ratio in (1.0, 1.6, 2.4, 4.0)]
    moved = 0
    for index in range(2):
        world, sample, estimates = _planted_layer(design, index)
        for component, estimate in enumerate(estimates):
            noise = _noise(world, sample, design, [index, component, 9])
            together = np.array(
                inverted_intervals.hybrid_intervals(world, noise, sample, component, estimate, 0.95, tails)
            )
            alone = [
                inverted_intervals.hybrid_interval(world, noise, sample, component, estimate, 0.95, t) for t in tails
            ]
            np.testing.assert_allclose(together, alone, rtol=0, atol=1e-12)
            np.testing.assert_allclose(together[:, 0], together[0, 0], rtol=0, atol=1e-12)
            assert np.all(np.diff(together[:, 1]) <= 1e-12)
            assert np.all(together[:, 1] >= estimate - 1e-12)
            moved += int(together[-1, 1] < together[0, 1] - 1e-6)
    assert moved >= 2  # the level matters: upper ends move


def test_a_narrower_eigenvalue_range_narrows_only_the_union() -> None:
    """The union keeps every strength whose central range of the eigenvalue holds the sample's; a narrower range
    keeps fewer, so its interval lies inside the nominal one, and a profile interval does not change."""
    narrow = inverted_intervals.WorldLevels(union_eigenvalue=4.0)
    shrunk = 0
    for design, index in (("emotion", 0), ("emotion", 1), ("story", 0)):
        world, sample, estimates = _planted_layer(design, index)
        noise = _noise(world, sample, design, [index, 11])
        nominal, narrowed = np.array(
            inverted_intervals.hybrid_intervals(
                world, noise, sample, 1, estimates[1], 0.95, [inverted_intervals.WorldLevels(), narrow]
            )
        )
        union = inverted_intervals.hybrid_interval(
            world, noise, sample, 1, estimates[1], 0.95, inverted_intervals.WorldLevels()
        )
        assert np.all(np.isfinite(narrowed))
        assert nominal[0] - 1e-12 <= narrowed[0] <= estimates[1] <= narrowed[1] <= nominal[1] + 1e-12
        np.testing.assert_allclose(union, nominal, rtol=0, atol=1e-12)
        shrunk += int(narrowed[1] - narrowed[0] < nominal[1] - nominal[0] - 1e-6)
    assert shrunk >= 1


def test_the_profile_falls_back_to_the_union_where_it_holds_no_world(monkeypatch: pytest.MonkeyPatch) -> None:
    world, sample, estimates = _planted_layer("story", 0)
    real = world_inversion.grid_intervals

    def no_profile(*args, **kwargs):
        return real(*args, **kwargs) | {"inverted_profile": [np.nan, np.nan]}

    monkeypatch.setattr(world_inversion, "grid_intervals", no_profile)
    noise = _noise(world, sample, "story", [1])
    interval = inverted_intervals.hybrid_interval(
        world, noise, sample, 0, estimates[0], 0.95, inverted_intervals.WorldLevels()
    )
    monkeypatch.undo()
    grid = world_inversion.replicate_grid(world, noise, sample, 0, INVERSION, 0.95)
    whole = real(grid, estimates[0], float(world.eigenvalues[0]), 0.95)
    assert not np.allclose(whole["inverted_profile"], whole["inverted"])  # PC1 here takes the profile
    np.testing.assert_allclose(interval, whole["inverted"], rtol=0, atol=1e-9)


def test_an_r_of_zero_is_held_by_the_world_with_no_alignment() -> None:
    """|r| cannot fall below 0, so the world whose component has no alignment with the rating is the family's
    boundary: a sample |r| below its central range is evidence for it. A planted layer's PC2 grid inverted at an
    |r| of 0 gives the interval from 0 to that world's median |r| (at the strengths that hold the eigenvalue);
    every world's central range alone would hold none (the analysis would fall back to the bootstrap)."""
    world, sample, _ = _planted_layer("story", 0)
    noise = _noise(world, sample, "story", [2])
    grid = world_inversion.replicate_grid(world, noise, sample, 1, INVERSION, 0.95)
    observed = float(world.eigenvalues[1])
    assert np.all(grid.alignments[0] == pytest.approx(0.0, abs=1e-12))
    assert np.all(grid.r[:, :, grid.at(0.025)] > 0)  # no world's central range reaches 0
    union = world_inversion.grid_intervals(grid, 0.0, observed, 0.95)["inverted"]
    no_alignment = grid.r[:, 0, grid.at(0.5)]
    assert union[0] == 0.0 and no_alignment.min() - 1e-9 <= union[1] <= no_alignment.max() + 1e-9
    r = grid.r[..., [grid.at(0.025), grid.at(0.5), grid.at(0.975)]]
    companion = (observed, grid.eigenvalue[..., [grid.at(0.025), grid.at(0.5), grid.at(0.975)]])
    assert np.all(np.isnan(world_inversion.inverted_interval(0.0, r, companion)))  # central ranges only
    fast = inverted_intervals.hybrid_interval(world, noise, sample, 1, 0.0, 0.95, inverted_intervals.WorldLevels())
    np.testing.assert_allclose(fast, _whole_grid_hybrid(world, noise, sample, 1, 0.0), atol=1e-9)
    assert fast[0] == 0.0


SIZES = {"n_emotions": 40, "stories_per_emotion": 3, "d": 16}


def _analyse(method: str, **config):
    pairs = make_synthetic_stores((("model-a", 3),), ("x",), seed=2, **SIZES)
    settings = AnalysisConfig(bootstrap_resamples=60, permutations=0, cka_permutations=0, seed=5, ci_method=method)
    return analyze_runs(pairs, AnalysisConfig(**(settings.__dict__ | config)), workers=1)


def test_the_analysis_inverts_pearsons_r_and_keeps_the_recentred_bootstrap_for_the_rest() -> None:
    inverted, recentred = _analyse("inverted").runs[0], _analyse("recentred").runs[0]
    assert inverted.ci.method == "inverted"
    for layer, baseline in zip(inverted.layers, recentred.layers, strict=True):
        for scheme in ("story", "emotion"):
            got, bootstrap = layer.intervals[scheme], baseline.intervals[scheme]
            assert got["pc1_valence_spearman"] == bootstrap["pc1_valence_spearman"]
            assert got["pc2_arousal_spearman"] == bootstrap["pc2_arousal_spearman"]
            for name in inverted_intervals.INVERTED_STATISTICS:
                estimate = getattr(layer, name)
                assert got[name] != bootstrap[name]
                assert got[name][0] <= estimate <= got[name][1]
    # the interval of the maximum over layers stays the recentred bootstrap's
    assert inverted.peaks["valence"].r_ci_max == recentred.peaks["valence"].r_ci_max


def test_a_layer_the_inversion_cannot_hold_keeps_the_bootstrap_interval_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    real = analyze_module._inverted

    def none_for_pc2_at_layer_1(run, layer, scheme, *args):
        out = real(run, layer, scheme, *args)
        return out | {"pc2_arousal_r": (float("nan"), float("nan"))} if layer == 1 else out

    monkeypatch.setattr(analyze_module, "_inverted", none_for_pc2_at_layer_1)
    with caplog.at_level(logging.WARNING):
        results = _analyse("inverted")
    inverted, recentred = results.runs[0], _analyse("recentred").runs[0]
    assert set(inverted.ci.fallbacks) == {("emotion", "pc2_arousal_r", 1), ("story", "pc2_arousal_r", 1)}
    for scheme in ("emotion", "story"):
        kept, bootstrap = inverted.stats_at(1).intervals[scheme], recentred.stats_at(1).intervals[scheme]
        assert kept["pc2_arousal_r"] == bootstrap["pc2_arousal_r"]
        assert kept["pc1_valence_r"] != bootstrap["pc1_valence_r"]
    assert "pc2_arousal_r, story scheme, layer 1: no world of the test inversion holds the sample" in caplog.text
    # the record says so too, and reads back
    json_path, _ = write_results(results, tmp_path)
    assert load_results(json_path).runs[0].ci.fallbacks == inverted.ci.fallbacks


def test_a_run_the_inversion_cannot_take_gets_recentred_intervals_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The default method needs a rating for every emotion: under a rating source that leaves some unrated, the run's
    intervals are the recentred bootstrap's, its record says ``ci.method: recentred``, and the log says why."""
    with caplog.at_level(logging.WARNING):
        refused = _analyse("inverted", rating_source="warriner").runs[0]
    recentred = _analyse("recentred", rating_source="warriner").runs[0]
    assert refused.ci.method == "recentred" and refused.ci.fallbacks == ()
    assert refused.info.n_rated < refused.info.n_emotions
    for layer, baseline in zip(refused.layers, recentred.layers, strict=True):
        assert layer.intervals == baseline.intervals
    assert "rating source 'warriner' rates" in caplog.text and "the recentred bootstrap's" in caplog.text
    assert AnalysisConfig().ci_method == "inverted"


def test_inverted_is_not_a_bootstrap_method() -> None:
    with pytest.raises(AnalysisError, match="not a bootstrap interval method"):
        stats.confidence_interval(np.array([0.5]), np.zeros((10, 1)), "inverted")
    assert stats.bootstrap_method("inverted") == "recentred"
    assert stats.bootstrap_method("bca") == "bca"


def test_the_inversion_refuses_data_it_cannot_build_a_world_from() -> None:
    """The world's story noise is measured from emotions with two or more kept stories, and its worlds turn a
    component towards a rating of every emotion: without either, a clear error names the fix."""
    n = 12
    one_story = StoryLayout(np.arange(n)[:, None], np.full((n, 1), 300), "token_weighted")
    gram, ratings = np.eye(n), np.linspace(0.0, 1.0, n)
    args = (np.eye(n), one_story, gram, np.zeros((n, 2)))
    estimates = {"pc1_valence_r": 0.5, "pc2_arousal_r": 0.3}
    with pytest.raises(AnalysisError, match="at least two kept stories") as raised:
        inverted_intervals.layer_inverted_intervals(
            LayerSample(*args, ratings, ratings), estimates, "story", 0.95, np.random.default_rng(0)
        )
    assert "ci_method = 'recentred'" in str(raised.value.fix)
    unrated = ratings.copy()
    unrated[3] = np.nan
    with pytest.raises(AnalysisError, match="a rating for every emotion"):
        inverted_intervals.layer_inverted_intervals(
            LayerSample(*args, unrated, ratings), estimates, "story", 0.95, np.random.default_rng(0)
        )


@pytest.mark.parametrize("replicates", [50, 100])
def test_a_worlds_central_range_holds_a_fresh_draw_at_the_nominal_rate(replicates: int) -> None:
    """Closed form: with Weibull's plotting position the central 95 % range of ``m`` replicates holds an independent
    draw of the same (continuous, here skewed) distribution with probability exactly 0.95; numpy's default position
    holds it with probability ``0.95 (m - 1) / (m + 1)``, which the inversion's test used before."""
    rng = np.random.default_rng(0)
    trials = 100_000
    draws = rng.exponential(size=(trials, replicates))
    fresh = rng.exponential(size=trials)
    low, high = world_inversion.replicate_quantiles(draws, np.array([0.025, 0.975]))
    assert np.mean((low <= fresh) & (fresh <= high)) == pytest.approx(0.95, abs=0.004)
    low, high = np.quantile(draws, [0.025, 0.975], axis=1)
    assert np.mean((low <= fresh) & (fresh <= high)) == pytest.approx(
        0.95 * (replicates - 1) / (replicates + 1), abs=0.004
    )


def test_the_shared_solve_is_a_float32_eigendecomposition_and_refuses_one_that_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``denoised_world.shared_eigh`` solves in float32: every pair reconstructs its matrix to float32 rounding; a
    LAPACK solve that reports no convergence is an error naming the replicate, not eigenpairs used as they are."""
    x = np.random.default_rng(0).standard_normal((3, 12, 30))
    matrices = x @ x.transpose(0, 2, 1)
    values, vectors = denoised_world.shared_eigh(matrices)
    assert values.dtype == vectors.dtype == np.float64
    rebuilt = vectors @ (values[:, :, None] * vectors.transpose(0, 2, 1))
    np.testing.assert_allclose(rebuilt, matrices, rtol=0, atol=1e-5 * np.abs(matrices).max())
    real = denoised_world.lapack.ssyevd
    calls = []

    def second_fails(matrix, **kwargs):
        w, v, _ = real(matrix, **kwargs)
        calls.append(1)
        return w, v, 7 if len(calls) == 2 else 0

    monkeypatch.setattr(denoised_world.lapack, "ssyevd", second_fails)
    with pytest.raises(np.linalg.LinAlgError, match=r"replicate 1 \(info 7\)"):
        denoised_world.shared_eigh(matrices)


def test_the_inversion_refusal_names_what_a_run_lacks() -> None:
    n = 12
    ratings = Ratings(np.arange(n), np.linspace(0.0, 1.0, n), np.linspace(1.0, 0.0, n))
    one_story = StoryLayout(np.arange(n)[:, None], np.full((n, 1), 300), "token_weighted")
    two_stories = StoryLayout(np.arange(2 * n).reshape(n, 2), np.full((n, 2), 300), "token_weighted")
    inverted, recentred = AnalysisConfig(ci_method="inverted"), AnalysisConfig(ci_method="recentred")
    assert inversion_refusal(inverted, ratings, one_story, n) == "no emotion has two or more kept stories"
    assert inversion_refusal(inverted, ratings, two_stories, n) is None
    assert "rates 12 of the run's 13 emotions" in inversion_refusal(inverted, ratings, two_stories, n + 1)
    assert inversion_refusal(recentred, ratings, one_story, n + 1) is None
