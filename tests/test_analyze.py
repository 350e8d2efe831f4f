"""The analyze stage: schema, agreement with the pure functions, determinism, errors, files and the command."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from synthetic import MemoryStore, make_synthetic_stores, memory_stores, planted_stories

from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analyze import (
    PER_LAYER_FILE,
    RESULTS_FILE,
    _map_layers,
    analyze_run,
    analyze_runs,
    results_json,
    run_rng,
    write_results,
)
from emotion_vectors.cli import main
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.errors import AnalysisError
from emotion_vectors.ratings import load_ratings
from emotion_vectors.results import Results
from emotion_vectors.vectors import emotion_vectors

CONFIG = AnalysisConfig(bootstrap_resamples=30, permutations=30, seed=3)
SIZES = {"n_emotions": 30, "stories_per_emotion": 3, "d": 16}


def json_record(run):
    """The run's entry of ``results.json`` as the writer writes it."""
    return json.loads(results_json(Results(CONFIG, (run,), (), ())))["runs"][0]


def _run(strengths=(0.3, 3.0, 1.5), seed=0, skipped=2):
    data = planted_stories(
        np.random.default_rng(seed),
        n_emotions=30,
        stories_per_emotion=3,
        d=16,
        layers=(0, 1, 2),
        strengths=strengths,
        skipped=skipped,
    )
    return data, memory_stores(data, "model-a", "corpus-x", n_blocks=4)


def test_a_run_record_has_the_agreed_schema_with_per_layer_lists_aligned() -> None:
    _, (store, neutral) = _run()
    record = json_record(analyze_run(store, neutral, CONFIG))
    layers = record["layers"]
    assert layers == [0, 1, 2] and record["fractional_depth"] == [0.0, 0.25, 0.5]
    for key in (
        "k_neutral",
        "neutral_variance_explained",
        "explained_variance_ratio",
        "pc1_valence_r",
        "pc1_valence_spearman",
        "pc2_arousal_r",
        "pc2_arousal_spearman",
    ):
        assert len(record[key]) == 3, key
    assert record["n_emotions"] == 30 and len(record["emotions"]) == 30 and record["n_rated"] == 30
    assert record["n_stories"] == 90 and record["n_skipped_stories"] == 2
    for scheme in ("emotion", "story"):
        for name in ("pc1_valence_r", "pc2_arousal_r"):
            assert [len(pair) for pair in record["ci"][scheme][name]] == [2, 2, 2]
    assert record["ci"]["n_resamples"] == 30 and record["ci"]["method"] == "inverted"  # the default
    assert all(set(fallback) == {"scheme", "statistic", "layer"} for fallback in record["ci"]["fallbacks"])
    assert set(record["permutation"]) >= {"n_permutations", "pc1_valence_p", "pc1_valence_p_fwer", "pc1_valence_q_bh"}
    assert record["arousal_best_pc"]["exploratory"] is True
    assert len(record["direction"]["adjacent_cosine"]) == 2
    assert np.array(record["direction"]["cosine_matrix"]).shape == (3, 3)
    assert np.array(record["cka"]["linear"]).shape == (3, 3)
    assert record["peak"]["valence"]["layer"] == 1 and record["peak"]["valence"]["ci_scheme"] == "story"
    assert record["peak"]["valence"]["window"] == [0, 2]
    lo, hi = record["peak"]["valence"]["r_ci_at_layer"]
    assert (lo, hi) == tuple(record["ci"]["story"]["pc1_valence_r"][1])
    at_peak = record["at_peak"]
    assert at_peak["layer"] == 1 and len(at_peak["pc1"]) == 30
    assert np.array(at_peak["cosine"]).shape == (30, 30)


def test_stage_numbers_equal_the_pure_functions_on_the_same_layer() -> None:
    data, (store, neutral) = _run()
    run = analyze_run(store, neutral, CONFIG)
    ratings = load_ratings("nrc")
    table = dict(zip(ratings.emotions, ratings.valence, strict=True))
    arousal_of = dict(zip(ratings.emotions, ratings.arousal, strict=True))
    names = list(run.info.emotions)
    valence = np.array([table[e] for e in names])
    arousal = np.array([arousal_of[e] for e in names])
    for stats in run.layers:
        layer = stats.layer
        neutral_rows = data.neutral_means[layer]
        vectors = emotion_vectors(
            data.story_means[layer], data.counts, data.story_emotions, names, neutral_vectors=neutral_rows
        )
        geo = layer_geometry(vectors.vectors @ vectors.vectors.T, valence, arousal, np.arange(len(names)))
        assert stats.pc1_valence_r == pytest.approx(geo.pc1_valence_r, abs=1e-12)
        assert stats.k_neutral == vectors.k_neutral


def test_planted_layer_strengths_come_back_in_order_and_the_ci_brackets_the_estimate() -> None:
    _, (store, neutral) = _run(strengths=(0.2, 3.0, 1.0))
    record = json_record(analyze_run(store, neutral, CONFIG))
    r = record["pc1_valence_r"]
    assert r[1] > 0.9 and r[1] > r[2] > r[0]
    lo, hi = record["ci"]["emotion"]["pc1_valence_r"][1]
    assert lo <= r[1] <= hi
    assert record["permutation"]["pc1_valence_p"][1] == pytest.approx(1 / 31)


def test_same_seed_gives_byte_identical_json_and_runs_do_not_depend_on_order() -> None:
    pairs = make_synthetic_stores((("model-a", 3),), ("x", "y"), seed=1, **SIZES)
    first = results_json(analyze_runs(pairs, CONFIG, workers=1))
    second = results_json(analyze_runs(pairs, CONFIG, workers=2))
    assert first == second
    assert "NaN" not in first
    other_seed = results_json(analyze_runs(pairs, dataclasses.replace(CONFIG, seed=4), workers=1))
    assert other_seed != first
    reversed_runs = json.loads(results_json(analyze_runs(pairs[::-1], CONFIG, workers=1)))
    assert json.loads(first)["runs"][0] == reversed_runs["runs"][1]
    assert run_rng(0, "a", "x", "story").integers(1 << 30) != run_rng(0, "a", "y", "story").integers(1 << 30)


def test_missing_neutral_store_is_an_error_and_raw_needs_none() -> None:
    _, (store, _) = _run()
    with pytest.raises(AnalysisError, match="neutral"):
        analyze_run(store, None, CONFIG)
    record = json_record(analyze_run(store, None, dataclasses.replace(CONFIG, projection="raw")))
    assert record["k_neutral"] == [0, 0, 0] and record["projection"] == "raw"


def test_layer_selection_and_its_errors() -> None:
    _, (store, neutral) = _run()
    record = json_record(analyze_run(store, neutral, CONFIG, layers=[1, 2]))
    assert record["layers"] == [1, 2] and len(record["pc1_valence_r"]) == 2
    with pytest.raises(AnalysisError, match="not in the activation store"):
        analyze_run(store, neutral, CONFIG, layers=[1, 7])
    short = MemoryStore({**neutral.manifest, "layers": [0]}, neutral.counts, {0: neutral.layer_means(0)})
    with pytest.raises(AnalysisError, match="lacks layers"):
        analyze_run(store, short, CONFIG)


def test_a_narrower_rating_source_leaves_the_pca_unchanged() -> None:
    _, (store, neutral) = _run()
    nrc = json_record(analyze_run(store, neutral, CONFIG))
    warriner = json_record(analyze_run(store, neutral, dataclasses.replace(CONFIG, rating_source="warriner")))
    assert warriner["n_rated"] < nrc["n_rated"]
    assert warriner["explained_variance_ratio"] == nrc["explained_variance_ratio"]
    assert warriner["pc1_valence_r"] != nrc["pc1_valence_r"]


def test_cross_corpus_and_cross_model_cka() -> None:
    pairs = make_synthetic_stores((("model-a", 3), ("model-b", 4)), ("x", "y"), seed=2, **SIZES)
    same = pairs[0][0]
    twin = MemoryStore(
        {**same.manifest, "corpus": {**same.manifest["corpus"], "name": "x-copy"}}, same.counts, same.means
    )
    results = analyze_runs([pairs[0], (twin, pairs[0][1])], CONFIG, workers=1)
    (entry,) = results.cross_corpus
    assert entry.pair == ("x", "x-copy") and entry.layers_a.tolist() == [0, 1, 2]
    np.testing.assert_allclose(entry.depth, [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(entry.linear, 1.0)
    np.testing.assert_allclose(entry.debiased, 1.0)
    full = analyze_runs(pairs, CONFIG, workers=1)
    assert [e.shared for e in full.cross_corpus] == ["model-a", "model-b"]
    assert [e.shared for e in full.cross_model] == ["x", "y"]
    model_entry = full.cross_model[0]
    assert model_entry.pair == ("model-a", "model-b")
    assert model_entry.layers_a.tolist() == [0, 1, 2] and model_entry.layers_b.tolist() == [0, 1, 3]  # 0, 1/3, 2/3
    assert all(-1 <= v <= 1 for v in model_entry.linear)


def test_bca_intervals_are_computed_and_labelled() -> None:
    _, (store, neutral) = _run(skipped=0)
    record = json_record(analyze_run(store, neutral, dataclasses.replace(CONFIG, ci_method="bca")))
    assert record["ci"]["method"] == "bca"
    lo, hi = record["ci"]["emotion"]["pc1_valence_r"][1]
    assert lo < hi


def test_written_files_from_real_stores(tmp_path: Path) -> None:
    pairs = make_synthetic_stores((("model-a", 3),), ("x",), seed=3, output_dir=tmp_path, **SIZES)
    results = analyze_runs(pairs, CONFIG, workers=1)
    json_path, csv_path = write_results(results, tmp_path / "results")
    assert json_path.name == RESULTS_FILE and csv_path.name == PER_LAYER_FILE
    data = json.loads(json_path.read_text())
    assert data["schema_version"] == 4 and data["analysis"]["bootstrap_schemes"] == ["emotion", "story"]
    assert data["cross_corpus"] == [] and data["cross_model"] == []
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["layer"] for row in rows] == ["0", "1", "2"]
    assert float(rows[1]["pc1_valence_r"]) == pytest.approx(data["runs"][0]["pc1_valence_r"][1], rel=1e-9)
    assert rows[0]["direction_cosine_previous"] == ""


def test_the_command_in_both_forms(tmp_path: Path, capsys) -> None:
    make_synthetic_stores((("minilm", 3),), ("demo",), seed=4, output_dir=tmp_path, **SIZES)
    activations = tmp_path / "activations"
    common = ["--resamples", "20", "--permutations", "20", "--no-progress"]
    out = tmp_path / "explicit"
    argv = [
        "analyze",
        "--store",
        str(activations / "minilm__demo"),
        "--neutral-store",
        str(activations / "minilm__neutral"),
        "--out",
        str(out),
        "--layers",
        "1-2",
        *common,
    ]
    assert main(argv) == 0
    assert json.loads((out / RESULTS_FILE).read_text())["runs"][0]["layers"] == [1, 2]
    assert main(["analyze", "--store", str(activations / "minilm__demo"), "--out", str(out), *common]) == 2
    assert "fix:" in capsys.readouterr().err
    config = Path("configs/demo.toml").read_text().replace('output_dir = "outputs/demo"', f'output_dir = "{tmp_path}"')
    (tmp_path / "demo.toml").write_text(config)
    # with --config the labels come from the config's corpus, which these synthetic stores were not made from
    assert main(["analyze", "--config", str(tmp_path / "demo.toml"), *common]) == 2
    assert "extracted from other stories than corpus 'demo'" in capsys.readouterr().err


def test_analyze_experiment_reads_the_config_layout_and_honours_reported_layers(tmp_path: Path) -> None:
    from emotion_vectors.analyze import analyze_experiment, reported_layers
    from emotion_vectors.config import load_config

    make_synthetic_stores((("minilm", 3),), ("demo",), seed=5, output_dir=tmp_path, **SIZES)
    text = Path("configs/demo.toml").read_text().replace('output_dir = "outputs/demo"', f'output_dir = "{tmp_path}"')
    (tmp_path / "demo.toml").write_text(text)
    config = load_config(tmp_path / "demo.toml")
    config = dataclasses.replace(config, analysis=CONFIG)
    results, json_path, _ = analyze_experiment(config, tmp_path, layers={"minilm": [2]}, progress=False)
    assert json_path == tmp_path / "results" / RESULTS_FILE
    assert results.runs[0].block_indices == (2,)
    assert reported_layers(["apertus-8b", "minilm", "org/unknown"]) == {"apertus-8b": list(range(1, 32))}
    missing = dataclasses.replace(config, output_dir=str(tmp_path / "nowhere"))
    with pytest.raises(AnalysisError, match="neutral store"):
        analyze_experiment(missing, tmp_path / "nowhere", progress=False)


def _fails_on_layer_two(layer: int):
    if layer == 2:
        raise AnalysisError(f"layer {layer} is broken", fix="mend layer 2")
    return layer


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_in_a_parallel_layer_reaches_the_caller_with_its_fix(workers: int) -> None:
    with pytest.raises(AnalysisError) as caught:
        _map_layers(_fails_on_layer_two, [0, 1, 2, 3], progress=False, workers=workers, label="test")
    assert caught.value.message == "layer 2 is broken" and caught.value.fix == "mend layer 2"
    assert _map_layers(lambda layer: layer * 10, [0, 1, 2], progress=False, workers=workers, label="t") == [0, 10, 20]
