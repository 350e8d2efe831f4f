"""The demo shows the phenomenon: all-MiniLM-L6-v2 on the bundled corpus puts valence on PC1.

Runs the demo profile end to end (extraction of the 1,539 bundled stories included: minutes on 2 CPU cores) and
pins its headline numbers to the values recorded in the README, so a change that loses the signal fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from emotion_vectors import pipeline
from emotion_vectors.config import load_config
from emotion_vectors.results import load_results

pytestmark = pytest.mark.slow

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo.toml"
# Recorded from `make demo` (configs/demo.toml, the bundled corpus, CPU fp32); see README "What the demo shows".
RECORDED_PEAK_LAYER = 4
RECORDED_PEAK_R = 0.5296313399


def test_the_demo_puts_valence_on_pc1_at_the_recorded_layer(tmp_path: Path) -> None:
    config = load_config(DEMO_CONFIG)
    config = dataclasses.replace(config, output_dir=str(tmp_path))
    pipeline.run_pipeline(config, tmp_path, config_path=DEMO_CONFIG, paper=False, progress=False)
    run = load_results(tmp_path / "results" / "results.json").runs[0]
    peak = run.peaks["valence"]
    assert peak.layer == RECORDED_PEAK_LAYER
    assert peak.r == pytest.approx(RECORDED_PEAK_R, abs=1e-4)
    assert peak.r >= 0.40
    at_peak = next(stats for stats in run.layers if stats.layer == peak.layer)
    assert at_peak.pc1_valence_p_fwer < 0.01
    assert peak.r_ci_at_layer[0] <= peak.r <= peak.r_ci_at_layer[1]
