"""The spread study on one small cell (slow): the shipped story replicates spread more widely than the estimate
does across fresh story sets, and the prototype's denoised world brings the spread close to it."""

from __future__ import annotations

import argparse

import pytest

from tests.helpers_benchmarks import load_benchmark


def _study():
    return load_benchmark("interval_spread")


@pytest.mark.slow
def test_shipped_replicates_overspread_and_the_denoised_world_does_not() -> None:
    study = _study()
    args = argparse.Namespace(datasets=12, resamples=120, reference=200, workers=1, seed=2)
    cell = study.run_cell("story", 3, args)
    sampling = cell["sampling_sd"]
    # PC1-valence: the shipped replicates (and the jackknife) spread about twice as widely as the estimate does
    # across fresh story sets; the denoised world's replicates about as widely
    assert cell["spread_1"][0] > 1.5 * sampling[0], cell
    assert cell["jackknife_se"][0] > 1.5 * sampling[0], cell
    assert 0.75 * sampling[0] < cell["spread_denoised"][0] < 1.25 * sampling[0], cell
    assert cell["shift"][0] < -0.3  # the replicates are attenuated twice
    # PC2-arousal: the jackknife's local sensitivity is far above the sampling spread
    assert cell["jackknife_se"][1] > 1.5 * sampling[1], cell
