"""The coverage study on a small grid (slow): the default interval contains its estimate and covers the planted
design-level r; the percentile interval of the story scheme does not, because of the replicates' attenuation."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from emotion_vectors.analysis.layer_sample import LayerSample
from tests.helpers_benchmarks import load_benchmark


def _study():
    return load_benchmark("interval_coverage")


@pytest.mark.slow
@pytest.mark.parametrize("design", ["story", "emotion"])
def test_default_interval_covers_the_planted_design_level_r_on_a_small_grid(design: str) -> None:
    study = _study()
    planted = study.Planted(n_stories=3, n_emotions=80, d=96)
    cell = study.run_cell(design, planted, 60, 200, 200, 0.95, seed=1, workers=1, n_unscaled=60)
    summary = cell["summary"][design]
    prototype = cell["summary"][f"{design}_denoised"]
    assert sorted(prototype) == ["recentred", "recentred_log_r", "recentred_log_z"]
    for name in study.STATISTICS:
        recentred = summary["recentred"][name]
        assert recentred["contains_estimate"] == 1.0
        assert recentred["coverage"] >= 0.85, (name, recentred)
        # the prototype world's replicates spread less widely than the shipped ones (docs/intervals.md)
        assert prototype["recentred"][name]["contains_estimate"] == 1.0
        assert prototype["recentred"][name]["median_width"] < recentred["median_width"], name
        tails = cell["sampling_tails_z"][name]
        assert tails["lower_tail"] > 0 and tails["upper_tail"] > 0
    if design == "story":
        # the replicates are attenuated twice: the percentile interval misses the design-level r far more often
        # than the recentred one, and often misses its own estimate
        percentile = summary["percentile"]["pc1_valence_r"]
        assert percentile["coverage"] < summary["recentred"]["pc1_valence_r"]["coverage"] - 0.2
        assert percentile["contains_estimate"] < 0.8
        # without the rescaled residuals the story intervals are narrower
        unscaled = cell["summary"]["story_unscaled"]["recentred"]["pc1_valence_r"]
        assert unscaled["median_width"] < summary["recentred"]["pc1_valence_r"]["median_width"]


def test_recentred_on_log_r_turns_a_multiplicative_error_into_its_own_arms() -> None:
    """Replicates that are a fixed r times a log-normal factor give the log-r interval estimate x that factor's
    quantiles, wherever the replicates sit (closed form)."""
    study = _study()
    sigma = 0.3
    factor = np.exp(sigma * norm.ppf((np.arange(20_000) + 0.5) / 20_000))
    for world_r in (0.05, 0.1, 0.3):  # every replicate inside (0, 1)
        low, high = study.recentred_on_log_scale("recentred_log_r", 0.5, world_r * factor, 0.95)
        assert low == pytest.approx(0.5 * math.exp(-1.96 * sigma), rel=2e-3)
        assert high == pytest.approx(0.5 * math.exp(1.96 * sigma), rel=2e-3)
    assert all(math.isnan(v) for v in study.recentred_on_log_scale("recentred_log_z", -0.1, factor / 10, 0.95))


@pytest.mark.parametrize(("below", "above"), [(0.2, 0.2), (0.3, 0.1)])
def test_inverted_interval_of_a_location_family_is_the_estimate_plus_the_mirrored_tails(
    below: float, above: float
) -> None:
    """Worlds whose replicates sit at ``t - below .. t + above`` around median ``t`` accept the estimate exactly
    for ``t`` in ``[estimate - above, estimate + below]`` (closed form): the arms are the tails swapped."""
    study = _study()
    centres = np.linspace(0.0, 1.0, 11)
    quantiles = np.stack([centres - below, centres, centres + above], axis=1)
    low, high = study.world_inversion.inverted_interval(0.55, quantiles)
    assert low == pytest.approx(0.55 - above, abs=1e-3)
    assert high == pytest.approx(0.55 + below, abs=1e-3)
    # an estimate no world accepts has no interval
    assert all(math.isnan(v) for v in study.world_inversion.inverted_interval(1.5, quantiles))


def test_inverted_interval_from_zero_lets_the_first_world_hold_what_lies_below_its_range() -> None:
    """Worlds of |r| at ``t - 0.05 .. t + 0.05`` around ``t = 0.1 .. 1.0``: an estimate of 0.02 lies below every
    central range, so no world holds it; with ``from_zero`` the first world (the family's boundary) holds every
    value up to its upper quantile, so the interval runs from the estimate to its median 0.1 (its neighbours,
    interpolated, still start above 0.02). An estimate inside the ranges gets the same interval either way."""
    module = _study().world_inversion
    centres = np.linspace(0.1, 1.0, 10)
    quantiles = np.stack([centres - 0.05, centres, centres + 0.05], axis=1)
    assert all(math.isnan(v) for v in module.inverted_interval(0.02, quantiles))
    assert module.inverted_interval(0.02, quantiles, from_zero=True) == pytest.approx([0.02, 0.1])
    assert module.inverted_interval(0.5, quantiles, from_zero=True) == module.inverted_interval(0.5, quantiles)


def _small_world(n_emotions: int, d: int, seed: int, rng_seed: int):
    """``(world_inversion module, the world of one 3-story data set, valence, arousal)`` of a small planted cell."""
    study = _study()
    spec = study.Planted(n_stories=3, n_emotions=n_emotions, d=d)
    rng = np.random.default_rng(rng_seed)
    valence, arousal, vectors = study.fixed_emotions(spec, seed)
    layout, story_gram, _ = study.story_data(spec, valence, arousal, vectors, rng)
    return study.world_inversion, study.denoised_world.build_world(story_gram, layout, rng), valence, arousal


def test_tilted_worlds_turn_one_component_and_keep_the_truths_energy_along_the_rating() -> None:
    """Every tilted truth ``P X`` has the tilted vector as an eigenvector, correlated with the rating as stated,
    and (where its strength is not capped) the estimated energy along the rating; the other kept components are
    untouched."""
    world_module, world, _, arousal = _small_world(n_emotions=80, d=96, seed=2, rng_seed=4)
    unit = (arousal - arousal.mean()) / np.linalg.norm(arousal - arousal.mean())
    along = unit @ world.gram @ unit - np.sum(unit**2 * world.energy)
    alignments, projectors = world_module.tilted_projectors(world, arousal, 1, 7)
    assert alignments[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(alignments) > 0)
    kept_others = [world.eigenvectors[:, j] for j in range(world.spikes.size) if j != 1]
    for r, projector in zip(alignments[1:], projectors[1:], strict=True):
        truth_gram = projector @ world.gram @ projector.T
        values, eigenvectors = np.linalg.eigh(truth_gram)
        present = values > 1e-8 * values.max()
        # the other kept components are eigenvectors with their own strengths, untouched
        for j, other in enumerate(kept_others):
            strength = world.spikes[j if j < 1 else j + 1]
            assert truth_gram @ other == pytest.approx(strength * other, abs=1e-6 * strength)
        # the remaining eigenvector is the tilted one: correlated with the rating as stated
        new = [
            eigenvectors[:, i]
            for i in np.flatnonzero(present)
            if all(abs(eigenvectors[:, i] @ other) < 1 - 1e-6 for other in kept_others)
        ]
        assert len(new) == 1
        assert abs(new[0] @ unit) == pytest.approx(r, abs=1e-8)
        if new[0] @ truth_gram @ new[0] < world.eigenvalues[1] * (1 - 1e-9):  # strength not capped
            assert unit @ truth_gram @ unit == pytest.approx(along, rel=1e-8)


def test_tilted_worlds_refuse_an_unknown_strength_rule() -> None:
    world_module, world, valence, _ = _small_world(n_emotions=40, d=48, seed=3, rng_seed=5)
    with pytest.raises(ValueError, match="strength_rule must be one of"):
        world_module.tilted_projectors(world, valence, 0, 5, "loudest")
    with pytest.raises(ValueError, match="strength_rule must be one of"):
        world_module.tilted_projectors(world, valence, 0, 5, "joint")  # a grid of strengths, not one


def test_joint_inversion_keeps_the_worlds_that_also_hold_the_second_statistic() -> None:
    """Rows of location families whose tails grow with the row, ``a_s = 0.1 + 0.05 s`` above and
    ``b_s = 0.2 + 0.05 s`` below the median ``t``, accept the estimate for ``t`` in ``[est - a_s, est + b_s]``
    (closed form). Without a companion every row counts, so the interval is that of the last row; a companion
    statistic whose central range ``[s - 0.5, s + 0.5]`` holds the observed 2 keeps rows ``1.5 <= s <= 2.5``,
    so the interval is that of row 2.5 (rows are interpolated linearly); its profile keeps only the row whose
    companion median ``s`` is the observed value."""
    module = _study().world_inversion
    rows, centres = np.arange(5.0), np.linspace(0.0, 1.0, 11)
    above, below = 0.1 + 0.05 * rows, 0.2 + 0.05 * rows
    quantiles = np.stack(
        [np.stack([centres - b, centres, centres + a], axis=1) for a, b in zip(above, below, strict=True)]
    )
    low, high = module.inverted_interval(0.5, quantiles)
    assert (low, high) == pytest.approx((0.5 - above[-1], 0.5 + below[-1]), abs=1e-3)
    ranges = np.broadcast_to(np.stack([rows - 0.5, rows, rows + 0.5], axis=1)[:, None, :], (5, 11, 3))
    low, high = module.inverted_interval(0.5, quantiles, (2.0, ranges))
    assert (low, high) == pytest.approx((0.5 - (0.1 + 0.05 * 2.5), 0.5 + (0.2 + 0.05 * 2.5)), abs=1e-3)
    # the profile tests only the row whose companion median is the observed value: row 2.3 for 2.3
    low, high = module.inverted_interval(0.5, quantiles, (2.3, ranges), profile=True)
    assert (low, high) == pytest.approx((0.5 - (0.1 + 0.05 * 2.3), 0.5 + (0.2 + 0.05 * 2.3)), abs=1e-3)
    # a one-row family with a companion that always holds is the one-parameter inversion, with or without profile
    one_row = module.inverted_interval(0.5, quantiles[1])
    always = (0.0, np.full((1, 11, 3), [-1.0, 0.0, 1.0]))
    assert module.inverted_interval(0.5, quantiles[1:2], always) == one_row
    assert module.inverted_interval(0.5, quantiles[1:2], always, profile=True) == one_row
    # no world holds the companion: no interval
    assert all(math.isnan(v) for v in module.inverted_interval(0.5, quantiles, (9.0, ranges)))
    assert all(math.isnan(v) for v in module.inverted_interval(0.5, quantiles, (9.0, ranges), profile=True))


def test_joint_worlds_give_the_tilted_component_each_grid_strength_and_keep_its_rank() -> None:
    """Every world of the joint grid has the turned vector as an eigenvector of its truth Gram matrix, with the
    grid strength as its eigenvalue and the stated correlation with the rating. The grid starts at the edge
    strength times :data:`JOINT_STRENGTHS`, steps by about sqrt(2), brackets each component's debiased
    strength and keeps its rank (PC1 above PC2's strength; PC2's grid ends at PC1's strength), also when the
    noise edge is ten times lower (little noise, PC1 far above 8 edge strengths: a grid that stopped there would
    hold no world with the sample's eigenvalue)."""
    world_module, world, valence, arousal = _small_world(n_emotions=80, d=96, seed=2, rng_seed=4)
    assert world.spikes.size >= 2
    quiet = replace(world, edge_strength=world.edge_strength / 10)
    for case in (world, quiet):
        for component in (0, 1):
            strengths = world_module.joint_strengths(case, component)
            assert strengths.size >= 3
            assert np.all(np.diff(strengths) > 0)
            assert strengths[0] < case.spikes[component] < strengths[-1]  # the sample's own strength is inside
            if component == 0:  # from above PC2's strength up past twice PC1's, in steps of about sqrt(2)
                interior = strengths
                assert strengths[0] > case.spikes[1]
                assert strengths[-1] >= 2 * case.spikes[0]
            else:  # from half the edge strength up to PC1's strength
                interior = strengths[:-1]
                assert strengths[-1] == case.spikes[0]
                assert strengths[0] == pytest.approx(world_module.JOINT_STRENGTHS[0] * case.edge_strength)
            assert np.all(interior[1:] / interior[:-1] < 1.5)
    for component, rating in ((0, valence), (1, arousal)):
        strengths = world_module.joint_strengths(world, component)
        family = world_module.tilt_family(world, rating, component, 5)
        unit = (rating - rating.mean()) / np.linalg.norm(rating - rating.mean())
        for index in (1, 4):
            for strength in strengths[[0, -1]]:
                truth_gram = family.projector(index, strength) @ world.gram @ family.projector(index, strength).T
                vector = family.tilted[index]
                assert truth_gram @ vector == pytest.approx(strength * vector, abs=1e-8 * strength)
                assert vector @ unit == pytest.approx(family.alignments[index], abs=1e-10)


def test_edge_strength_matches_the_planted_noise() -> None:
    """With isotropic story noise ``sigma`` in ``d`` dimensions the debiased strength at the Marchenko-Pastur edge
    is ``n s2 sqrt(d / n)`` for the emotion means' noise variance per dimension ``s2`` (about ``sigma^2 sum w^2``;
    the world estimates the effective dimension, so within 15 %)."""
    _, world, _, _ = _small_world(n_emotions=80, d=96, seed=2, rng_seed=4)
    n, d = 80, 96
    per_dimension = world.energy.mean() / d
    assert world.edge_strength == pytest.approx(n * per_dimension * math.sqrt(d / n), rel=0.15)


def _world_and_data(study, spec, seed: int, rng_seed: int) -> tuple:
    """The prototype world of one planted data set (fixed emotions of ``seed``) and its sample."""
    rng = np.random.default_rng(rng_seed)
    valence, arousal, vectors = study.fixed_emotions(spec, seed)
    layout, story_gram, gram = study.story_data(spec, valence, arousal, vectors, rng)
    scores = study.layer_geometry(gram, valence, arousal, np.arange(spec.n_emotions)).scores[:, :2]
    world = study.denoised_world.build_world(story_gram, layout, rng)
    return world, LayerSample(story_gram, layout, gram, scores, valence, arousal)


@pytest.mark.parametrize("design", ["story", "emotion"])
def test_a_family_of_worlds_draws_what_each_world_draws_alone(design: str) -> None:
    """The replicate functions take several truths at once and share their noise draws: the replicates of a
    family equal those of each world run alone from the same seed (the noise is assembled once, not per world),
    up to the float32 rounding of the shared matrices' eigen-solve (``denoised_world.shared_eigh``: about 1e-7 of
    the largest eigenvalue)."""
    study = _study()
    world, sample = _world_and_data(study, study.Planted(n_stories=3, n_emotions=40, d=48), 3, 7)
    family = study.world_inversion.tilt_family(world, sample.arousal, 1, 3)
    projectors = np.array([family.projector(i, strength) for i in (0, 2) for strength in (0.5, 2.0)])
    replicates = getattr(study.denoised_world, f"{design}_replicates")
    together = replicates(world, projectors, sample, 40, np.random.default_rng(11))
    assert len(together) == len(projectors)
    for projector, drawn in zip(projectors, together, strict=True):
        alone = replicates(world, projector[None], sample, 40, np.random.default_rng(11))[0]
        assert sorted(drawn) == sorted(alone)
        for name in alone:
            np.testing.assert_allclose(drawn[name], alone[name], rtol=1e-6, atol=1e-5)
    # the worlds differ, so their draws do
    assert not np.allclose(together[0]["pc2_arousal_r"], together[-1]["pc2_arousal_r"])


def test_conditional_quantiles_shift_the_residuals_along_the_line() -> None:
    """Replicates ``r = 0.2 + 0.5 lambda + e`` with residuals ``e`` orthogonal to ``1`` and ``lambda`` (so least
    squares recovers the line exactly): the quantiles given ``lambda = 0.8`` are ``0.6`` plus those of ``e``;
    the unconditional ones are wider, because they also carry the spread of ``lambda``."""
    module = _study().world_inversion
    eigenvalue = np.repeat(np.linspace(0.0, 1.0, 11), 4)
    e = np.tile([-0.03, -0.01, 0.01, 0.03], 11)  # mean 0 within every eigenvalue, so orthogonal to both
    r = 0.2 + 0.5 * eigenvalue + e
    levels = np.array([0.025, 0.5, 0.975])
    conditional = module.conditional_quantiles(r, eigenvalue, 0.8, levels)
    np.testing.assert_allclose(conditional, 0.6 + np.quantile(e, levels), atol=1e-12)
    marginal = np.quantile(r, levels)
    assert marginal[2] - marginal[0] > 5 * (conditional[2] - conditional[0])


def test_the_conditional_inversion_tests_each_world_given_the_sample_eigenvalue() -> None:
    """Worlds (row ``s`` = strength, column ``c`` = alignment) whose replicates have eigenvalue ``s + 0.5 u`` and
    ``|r| = c + 0.05 (u + v)`` (``u``, ``v`` independent standard normals), so every world's median is ``c``.
    The marginal test keeps the columns within ``1.96 x 0.05 sqrt(2)`` of the estimate 0.5. Given the sample's
    eigenvalue 0, ``u = -2 s``, so |r| is ``c - 0.1 s + 0.05 v``: the conditional test keeps ``c`` within
    ``1.96 x 0.05`` of ``0.5 + 0.1 s``, for every row whose eigenvalue range (``s +- 0.98``) holds 0, and the
    interval is the range of those worlds' medians (closed forms; rows are interpolated in steps of 0.025)."""
    module = _study().world_inversion
    levels = np.array(module.GRID_LEVELS)
    z = norm.ppf(levels)
    rows, columns = np.linspace(-1.0, 1.0, 5), np.linspace(0.2, 0.8, 13)
    shape = (rows.size, columns.size, levels.size)
    eigenvalue = np.broadcast_to(rows[:, None, None] + 0.5 * z, shape).copy()
    marginal = np.broadcast_to(columns[None, :, None] + 0.05 * np.sqrt(2) * z, shape).copy()
    conditional = columns[None, :, None] - 0.1 * rows[:, None, None] + 0.05 * z
    grid = module.ReplicateGrid(levels, marginal, eigenvalue, conditional, rows, columns)
    intervals = module.grid_intervals(grid, 0.5, 0.0, 0.95)
    half = 1.96 * 0.05
    assert intervals["inverted"] == pytest.approx([0.5 - half * np.sqrt(2), 0.5 + half * np.sqrt(2)], abs=2e-3)
    reach = half + 0.1 * 0.975  # the last interpolated row whose eigenvalue range holds 0
    assert intervals["inverted_conditional"] == pytest.approx([0.5 - reach, 0.5 + reach], abs=2e-3)


@pytest.mark.slow
def test_saved_grids_inverted_again_at_the_study_levels_give_the_study_coverage(tmp_path) -> None:
    """``invert_grids.py`` re-inverts the grids a study saved (``--grids``); at the study's own levels it must
    reproduce the study's coverage and widths of every inversion rule, data set for data set."""
    study_json, grids_json = tmp_path / "study.json", tmp_path / "grids.json"
    args = "--seed 1 --stories 3 --designs story --datasets 3 --resamples 40 --reference 16 --unscaled-datasets 0"
    args += " --inversion 3 20 --inversion-strength joint --workers 1"
    argv = [
        *args.split(),
        "--json",
        str(study_json),
        "--markdown",
        str(tmp_path / "study.md"),
        "--grids",
        str(grids_json),
    ]
    assert _study().main(argv) == 0
    study = json.loads(study_json.read_text())
    (cell,) = json.loads(grids_json.read_text())
    assert len(cell["datasets"]) == 3
    again = load_benchmark("invert_grids").cell_coverage(cell["datasets"], study["cells"][0]["targets"], 0.95, 0.95)
    summary = study["cells"][0]["summary"]["story_denoised"]
    assert sorted(again) == [
        "inverted",
        "inverted_conditional",
        "inverted_hybrid",
        "inverted_hybrid_1.4",
        "inverted_profile",
    ]
    for rule, by_name in again.items():
        for name, result in by_name.items():
            assert result["coverage"] == summary[rule][name]["coverage"]
            assert result["median_width"] == pytest.approx(summary[rule][name]["median_width"], rel=1e-12, nan_ok=True)
    # the same data sets given twice would count twice in a pooled row: refused
    with pytest.raises(SystemExit):
        load_benchmark("invert_grids").main(["--study", *[str(study_json)] * 2, "--grids", *[str(grids_json)] * 2])


def test_invert_grids_draws_the_target_again_on_request(tmp_path, capsys) -> None:
    """``--reference N`` judges saved grids against a design-level r drawn again from ``N`` fresh data sets: the
    study's own with the same draws, so a study run with ``--reference N`` is reproduced exactly."""
    study_json, grids_json = tmp_path / "study.json", tmp_path / "grids.json"
    args = "--seed 2 --stories 3 --designs story --datasets 2 --resamples 20 --reference 30 --unscaled-datasets 0"
    args += f" --inversion 3 10 --inversion-strength joint --workers 1 --markdown {tmp_path / 'study.md'}"
    assert _study().main([*args.split(), "--json", str(study_json), "--grids", str(grids_json)]) == 0
    target = json.loads(study_json.read_text())["cells"][0]["targets"]["design"]
    capsys.readouterr()
    invert = load_benchmark("invert_grids")
    assert (
        invert.main(["--study", str(study_json), "--grids", str(grids_json), "--reference", "30", "--workers", "1"])
        == 0
    )
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("design-level r"))
    assert line.startswith("design-level r, story design, 3 stories, seed 2: ")
    for name in ("pc1_valence_r", "pc2_arousal_r"):
        assert f"{name} {target[name]:.4f} -> {target[name]:.4f} ± " in line


def test_a_grid_refuses_a_level_it_does_not_hold() -> None:
    module = _study().world_inversion
    levels = np.array(module.GRID_LEVELS)
    grid = module.ReplicateGrid(levels, *(np.zeros((1, 2, levels.size)),) * 3, np.ones(1), np.zeros(2))
    assert grid.at(0.975) == levels.size - 1
    with pytest.raises(ValueError, match=r"not at 0\.005"):
        module.grid_intervals(grid, 0.5, 0.0, 0.95, eigenvalue_confidence=0.99)


def test_the_hybrid_takes_the_profile_only_for_a_component_the_eigenvalue_tells_from_an_edge_spike() -> None:
    """Rows at 0.5, 1 and 2 edge strengths whose eigenvalue ranges are ``s +- 0.3`` (upper end at the edge row
    1.3): an eigenvalue of 1.5 is told apart from every edge spike, 1.2 is not; a grid that starts above the edge
    counts as above. The hybrid is then the profile or the union."""
    module = _study().world_inversion
    levels = np.array(module.GRID_LEVELS)
    spread = np.interp(levels, [0.025, 0.975], [-0.3, 0.3])
    strengths, columns = np.array([0.5, 1.0, 2.0]), np.linspace(0.2, 0.8, 7)
    shape = (strengths.size, columns.size, levels.size)
    eigenvalue = np.broadcast_to(strengths[:, None, None] + spread, shape).copy()
    marginal = np.broadcast_to(columns[None, :, None] + 0.1 * norm.ppf(levels), shape).copy()
    grid = module.ReplicateGrid(levels, marginal, eigenvalue, marginal.copy(), strengths, columns)
    assert module.above_edge(grid, 1.5, 0.975) and not module.above_edge(grid, 1.2, 0.975)
    high = module.ReplicateGrid(levels, marginal, eigenvalue, marginal.copy(), strengths + 1.5, columns)
    assert module.above_edge(high, 0.0, 0.975)
    for observed in (1.5, 1.2):
        intervals = module.grid_intervals(grid, 0.5, observed, 0.95)
        expected = "inverted_profile" if observed == 1.5 else "inverted"
        assert intervals["inverted_hybrid"] == intervals[expected]
    # told apart from a spike at twice the edge strength only above that spike's range (2.3)
    assert module.above_edge(grid, 2.4, 0.975, multiple=2.0) and not module.above_edge(grid, 1.5, 0.975, 2.0)
    intervals = module.grid_intervals(grid, 0.5, 1.5, 0.95, hybrid_edges=(1.0, 2.0))
    assert intervals["inverted_hybrid"] == intervals["inverted_profile"]
    assert intervals["inverted_hybrid_2"] == intervals["inverted"]
    with pytest.raises(ValueError, match="not a row"):
        module.above_edge(grid, 1.5, 0.975, multiple=1.4)
    # a grid that ends below the multiple (PC2's ends at PC1's strength) cannot hold the component that high
    assert not module.above_edge(grid, 9.0, 0.975, multiple=4.0)


def test_pooled_runs_weight_each_run_by_its_data_sets() -> None:
    """Pooling 100 data sets covering 0.90 with 300 covering 0.98 gives 0.96 over 400, with the binomial
    Monte-Carlo standard error of 0.96 over 400 data sets; the shares of empty intervals pool the same way."""

    def summary(coverage: float, undefined: float, width: float, n: int) -> dict:
        row = {"coverage": coverage, "undefined": undefined, "median_width": width, "n_datasets": n}
        return {"inverted": {name: row for name in ("pc1_valence_r", "pc2_arousal_r")}}

    pooled = load_benchmark("invert_grids").pooled([summary(0.90, 0.04, 0.2, 100), summary(0.98, 0.0, 0.4, 300)])
    for row in pooled["inverted"].values():
        assert row["coverage"] == pytest.approx(0.96)
        assert row["undefined"] == pytest.approx(0.01)
        assert row["median_width"] == pytest.approx(0.35)
        assert row["standard_error"] == pytest.approx(math.sqrt(0.96 * 0.04 / 400))
        assert row["n_datasets"] == 400


def test_invert_grids_wants_one_grids_file_per_study(capsys) -> None:
    """Studies and grids are paired in order; a count that does not match is refused before any file is read."""
    with pytest.raises(SystemExit):
        load_benchmark("invert_grids").main(["--study", "a.json", "b.json", "--grids", "a_grids.json"])
    assert "one --grids file per --study file (2 studies, 1 grids)" in capsys.readouterr().err


def test_a_study_split_by_first_dataset_simulates_the_same_data_sets() -> None:
    """Data sets 0-2 in one run, or 0 in one run and 1-2 in another (``--first-dataset 1``), are the same data sets:
    the mean estimates pool back to the whole run's, so split runs of a long study add fresh data sets."""
    study = _study()
    planted = study.Planted(n_stories=3, n_emotions=40, d=48)
    args = dict(n_resamples=20, n_reference=8, confidence=0.95, seed=3, workers=1)
    whole = study.run_cell("story", planted, 3, **args)
    head = study.run_cell("story", planted, 1, **args)
    tail = study.run_cell("story", planted, 2, **args, first=1)
    assert tail["first_dataset"] == 1
    for name in study.STATISTICS:
        pooled = (head["mean_estimate"][name] + 2 * tail["mean_estimate"][name]) / 3
        assert pooled == pytest.approx(whole["mean_estimate"][name], rel=1e-12)
        assert head["mean_estimate"][name] != pytest.approx(tail["mean_estimate"][name], rel=1e-6)


@pytest.mark.parametrize("design", ["story", "emotion"])
def test_the_low_rank_family_solve_equals_a_dense_solve_of_every_replicate(design: str) -> None:
    """The replicate functions solve a family's worlds as low-rank updates of the shared noise
    (``denoised_world.family_correlations``); assembling and solving every replicate Gram matrix densely gives
    the same correlations and eigenvalues (to the float32 rounding of the shared solve), over the joint grid of
    the inversion (PC2 from below the noise edge to PC1's strength). With ``components=(1,)`` only PC2 is solved
    and PC1's statistics are NaN."""
    study = _study()
    world, sample = _world_and_data(study, study.Planted(n_stories=3, n_emotions=60, d=72), 2, 5)
    family = study.world_inversion.tilt_family(world, sample.arousal, 1, 4)
    strengths = study.world_inversion.joint_strengths(world, 1)
    projectors = np.array([family.projector(i, s) for s in strengths for i in range(4)])
    replicates = getattr(study.denoised_world, f"{design}_replicates")
    low_rank = replicates(world, projectors, sample, 30, np.random.default_rng(3), components=(1,))
    dense = replicates(world, projectors, sample, 30, np.random.default_rng(3), dense=True)
    for fast, slow in zip(low_rank, dense, strict=True):
        # the shared matrices are solved in float32 (denoised_world.shared_eigh): about 1e-7 of the top eigenvalue
        np.testing.assert_allclose(fast["pc2_arousal_r"], slow["pc2_arousal_r"], rtol=0, atol=1e-5)
        top = slow["eigenvalues"][:, :1]
        np.testing.assert_allclose(fast["eigenvalues"][:, 1:] / top, slow["eigenvalues"][:, 1:] / top, atol=1e-6)
        assert np.all(np.isnan(fast["pc1_valence_r"])) and np.all(np.isnan(fast["eigenvalues"][:, 0]))
    # the grid reaches into the noise bulk: some replicates' PC2 eigenvalue lies below the edge strength's row
    assert world.spikes.size >= 1 and len(projectors) >= 8


def test_the_low_rank_family_solve_refuses_a_truth_outside_the_samples_leading_eigenvectors() -> None:
    """A truth whose rows reach beyond the first eigenvectors cannot be a low-rank update of the shared noise:
    the family solve says so (solve densely) rather than return another matrix's eigenpairs."""
    study = _study()
    world, sample = _world_and_data(study, study.Planted(n_stories=3, n_emotions=40, d=48), 3, 7)
    outside = world.projector + 0.1 * np.outer(world.eigenvectors[:, 5], world.eigenvectors[:, 5])
    with pytest.raises(ValueError, match="outside the sample's first"):
        study.denoised_world.story_replicates(world, outside[None], sample, 10, np.random.default_rng(1))
    # the dense path takes it
    dense = study.denoised_world.story_replicates(
        world, outside[None], sample, 10, np.random.default_rng(1), dense=True
    )
    assert np.all(np.isfinite(dense[0]["pc1_valence_r"]))


def test_the_median_error_of_normal_draws_is_the_asymptotic_one() -> None:
    """The Monte-Carlo standard error of a median of ``n`` standard normal draws is ``sqrt(pi / 2) / sqrt(n)``
    (closed form, large ``n``); the order-statistic estimate of it lands within 10 %, column by column."""
    values = np.random.default_rng(0).standard_normal((40_000, 2)) * np.array([1.0, 3.0])
    median, error = _study().median_with_error(values)
    np.testing.assert_allclose(error, math.sqrt(math.pi / 2) / 200 * np.array([1.0, 3.0]), rtol=0.1)
    assert np.all(np.abs(median) < 4 * error)


def test_the_emotion_designs_target_is_the_same_at_every_seed() -> None:
    """The emotion design draws from one population whatever the seed, so its design-level r (and the pool of its
    runs) does not depend on the seed; the story design's fixed emotions do. Chunks drawn on a worker pool give the
    same draws as drawn in turn."""
    study = _study()
    planted = study.Planted(n_stories=3, n_emotions=40, d=48)
    n = study.REFERENCE_CHUNK + 5  # two chunks
    emotion = [study.design_level_r("emotion", planted, None, n, seed)[0] for seed in (0, 1)]
    assert emotion[0] == emotion[1]
    assert study.design_level_r("emotion", planted, None, n, 0, workers=2)[0] == emotion[0]
    story = [study.design_level_r("story", planted, study.fixed_emotions(planted, s), 200, s)[0] for s in (0, 1)]
    assert story[0] != story[1]


@pytest.mark.slow
def test_the_packaged_study_gains_the_analysis_inverted_method(tmp_path) -> None:
    """``inverted_coverage.py``: the analysis's intervals of the packaged cell's data sets, drawn again from the
    study's streams, with the worlds tested at the grid's own levels (``--variants 1,1,1``), are the study's hybrid
    at the analysis's switch over the whole grid of the same data sets and worlds (no data set here leaves it
    empty), judged against the cell's targets; the ``inverted`` row tests them at the calibrated levels."""
    study_json = tmp_path / "study.json"
    replicates = _study().inverted_intervals.REPLICATES
    args = "--seed 4 --stories 3 --designs story --datasets 3 --resamples 20 --reference 16 --unscaled-datasets 0"
    args += f" --inversion 8 {replicates} --inversion-strength joint --workers 1 --markdown {tmp_path / 'study.md'}"
    assert _study().main([*args.split(), "--json", str(study_json)]) == 0
    inverted = load_benchmark("inverted_coverage")
    nominal = inverted.world_levels("1,1,1")
    package = inverted.package_inverted(json.loads(study_json.read_text()), workers=1, variants=(nominal,))
    (cell,) = package["cells"]
    hybrid = cell["summary"]["story_denoised"]["inverted_hybrid_1.4"]
    for name in ("pc1_valence_r", "pc2_arousal_r"):
        assert hybrid[name]["undefined"] == 0
        for key in ("coverage", "contains_estimate", "median_width", "below_target", "above_target"):
            assert cell["summary"]["story"]["inverted_1_1_1"][name][key] == pytest.approx(hybrid[name][key], rel=1e-9)
        calibrated, grid = cell["summary"]["story"]["inverted"][name], cell["summary"]["story"]["inverted_1_1_1"][name]
        assert calibrated["median_width"] <= grid["median_width"] + 1e-12
    assert package["inversion"] == [8, replicates, "joint"] and package["inverted_switch_edges"] == 1.4
    assert package["inverted_world_levels"] == [1.8, 2.4, 2.0]
    assert 'the analysis\'s `ci_method = "inverted"`' in _study().markdown_table(package)


@pytest.mark.slow
def test_a_fresh_seed_redraws_the_packaged_cells_and_at_the_packages_own_seed_reproduces_them(tmp_path) -> None:
    """``inverted_coverage.py --seed``: the packaged study's cells drawn at another seed. At the package's own seed
    the targets, sampling tails and ``inverted`` row are the package's (same streams); at another seed the story
    design's fixed emotions, hence its targets, change; the Markdown's tails table shows the ``inverted`` arms (the only
    row such a study has)."""
    study_json = tmp_path / "study.json"
    args = "--seed 4 --stories 3 --designs story --datasets 3 --resamples 20 --reference 16 --unscaled-datasets 0"
    assert _study().main([*args.split(), "--workers", "1", "--json", str(study_json), "--markdown", "/dev/null"]) == 0
    inverted = load_benchmark("inverted_coverage")
    package = inverted.package_inverted(json.loads(study_json.read_text()), workers=1)
    same = inverted.package_inverted(inverted.fresh_study(json.loads(study_json.read_text()), 4, workers=1), workers=1)
    (cell,), (again,) = package["cells"], same["cells"]
    assert again["targets"] == cell["targets"] and again["sampling_tails_z"] == cell["sampling_tails_z"]
    assert again["summary"]["story"]["inverted"] == cell["summary"]["story"]["inverted"]
    markdown = tmp_path / "seed5.md"
    assert (
        inverted.main(["--package", str(study_json), "--seed", "5", "--workers", "1", "--markdown", str(markdown)]) == 0
    )
    text = markdown.read_text()
    assert _study().markdown_table(json.loads(markdown.with_suffix(".json").read_text())) == text
    tails = text[text.index("## Tails") :]
    assert "| 3 | story | pc1_valence_r |" in tails and "| story | inverted |" in tails
    assert json.loads(study_json.read_text())["seed"] == 4  # the package is read, not written
    fresh = inverted.fresh_study(json.loads(study_json.read_text()), 5, workers=1)
    assert fresh["cells"][0]["targets"]["design"] != cell["targets"]["design"]
