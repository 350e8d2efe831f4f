"""The issue-14 statistics through the analyze stage: fields in results.json and per_layer.csv, the round trip,
peak intervals that contain their estimates, and CKA chance levels within and across runs."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
from synthetic import make_synthetic_stores

from emotion_vectors.analyze import analyze_runs, write_results
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.results import from_dict, results_json

CONFIG = AnalysisConfig(bootstrap_resamples=40, permutations=20, cka_permutations=25, seed=5)
SIZES = {"n_emotions": 40, "stories_per_emotion": 3, "d": 16}
NEW_COLUMNS = (
    "valence_top3_pc",
    "valence_top3_r",
    "arousal_top3_pc",
    "arousal_top3_r",
    "loo_arousal_r",
    "pc1_length_r",
    "pc2_length_r",
    "pc1_valence_partial_r",
    "pc2_arousal_partial_r",
)


def test_new_statistics_reach_results_json_and_per_layer_csv_and_read_back(tmp_path: Path) -> None:
    pairs = make_synthetic_stores((("model-a", 3), ("model-b", 4)), ("x", "y"), seed=2, **SIZES)
    results = analyze_runs(pairs, CONFIG, workers=1)
    json_path, csv_path = write_results(results, tmp_path)
    data = json.loads(json_path.read_text())
    run = data["runs"][0]
    n = len(run["layers"])
    assert set(run["top3"]) == {"valence_pc", "valence_r", "arousal_pc", "arousal_r"}
    assert all(pc in (1, 2, 3) for pc in run["top3"]["valence_pc"])
    assert len(run["direction"]["loo_arousal_r"]) == n
    assert set(run["length"]) == {"pc1_r", "pc2_r", "pc1_valence_partial_r", "pc2_arousal_partial_r"}
    null = run["cka"]["null"]
    assert null["n_permutations"] == 25
    for key in ("linear_p", "debiased_p", "rsa", "rsa_p"):
        assert np.asarray(null[key], dtype=float).shape == (n, n)
    p = np.asarray(null["debiased_p"], dtype=float)
    assert np.all((p >= 1 / 26 - 1e-9) & (p <= 1))
    for key in ("cross_corpus", "cross_model"):
        assert data[key], key
        for entry in data[key]:
            assert len(entry["null"]["rsa"]) == len(entry["linear"])
    with csv_path.open() as handle:
        header = next(csv.reader(handle))
    assert all(column in header for column in NEW_COLUMNS)
    again = from_dict(data)
    assert results_json(again) == json_path.read_text()
    for run_summary in results.runs:
        for stats in run_summary.layers:
            # best of the top 3 is never below PC1's own |r|; the top3 r is an absolute value
            assert stats.valence_top3_r >= abs(stats.pc1_valence_r) - 1e-12


def test_every_peak_interval_contains_its_estimate_and_names_what_it_is() -> None:
    pairs = make_synthetic_stores((("model-a", 5),), ("x",), seed=7, **SIZES)
    results = analyze_runs(pairs, CONFIG, workers=1)
    run = results.runs[0]
    assert run.ci.method == "inverted"  # the default: PC1-valence and PC2-arousal r by test inversion
    for peak in run.peaks.values():
        assert peak.r_ci_max[0] <= peak.r <= peak.r_ci_max[1]  # interval of the maximum over layers
        assert peak.r_ci_at_layer[0] <= peak.r <= peak.r_ci_at_layer[1]  # r at the peak layer held fixed
        assert peak.r_ci_at_layer == run.stats_at(peak.layer).intervals[peak.ci_scheme]["pc1_valence_r"] or (
            peak.which == "arousal"
        )
    for stats in run.layers:
        for scheme in ("emotion", "story"):
            for name, bounds in stats.intervals[scheme].items():
                value = getattr(stats, name)
                assert bounds[0] <= value <= bounds[1], (stats.layer, scheme, name)


def test_without_cka_permutations_no_null_is_written() -> None:
    pairs = make_synthetic_stores((("model-a", 2),), ("x",), seed=1, **SIZES)
    config = AnalysisConfig(bootstrap_resamples=10, permutations=0, cka_permutations=0)
    results = analyze_runs(pairs, config, workers=1)
    data = json.loads(results_json(results))
    assert data["runs"][0]["cka"]["null"] is None
    assert from_dict(data).runs[0].cross_layer is None
    assert math.isfinite(results.runs[0].layers[0].pc1_length_r)
