"""Summaries computed once in analysis/: peaks with both intervals, window means, differences of intervals."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis.records import IntervalSettings
from emotion_vectors.analysis.summary import difference_ci, find_peak, window_mean
from emotion_vectors.errors import AnalysisError


class _Layer:
    """The part of a LayerAnalysis that find_peak reads: the layer and its bootstrap replicates."""

    def __init__(self, layer: int, replicates: np.ndarray) -> None:
        self.layer = layer
        self.boot = {"story": {"pc1_valence_r": replicates}}


def _peak_inputs(values, spread=0.0, n=400, seed=0):
    rng = np.random.default_rng(seed)
    outputs = [_Layer(i, v + spread * rng.standard_normal(n)) for i, v in enumerate(values)]
    estimates = {"pc1_valence_r": np.asarray(values, float)}
    intervals = {"story": {"pc1_valence_r": np.array([[v - 0.1, v + 0.05] for v in values])}}
    return outputs, estimates, intervals


SETTINGS = IntervalSettings("percentile", 0.9, 400, ("story",))


def test_the_peak_is_searched_inside_its_window_with_both_intervals():
    values = [0.2, 0.5, 0.7, 0.4, 0.95]  # the largest value lies outside the window 0-3
    outputs, estimates, intervals = _peak_inputs(values)
    peak = find_peak("valence", outputs, estimates, intervals, SETTINGS, (0, 3))
    assert (peak.layer, peak.r, peak.window, peak.ci_scheme) == (2, 0.7, (0, 3), "story")
    assert peak.r_ci_at_layer == pytest.approx((0.6, 0.75))  # the per-layer interval at layer 2, held fixed
    assert peak.r_ci_max == pytest.approx((0.7, 0.7))  # no spread: every replicate's maximum is 0.7 ...
    assert peak.layer_ci == (2, 2)  # ... at layer 2


def test_the_interval_of_the_maximum_sits_above_the_interval_at_the_layer_on_a_plateau():
    outputs, estimates, intervals = _peak_inputs([0.5, 0.5, 0.5, 0.5], spread=0.05)
    peak = find_peak("valence", outputs, estimates, intervals, SETTINGS, (0, 3))
    maxima = np.stack([o.boot["story"]["pc1_valence_r"] for o in outputs]).max(axis=0)
    assert peak.r_ci_max == pytest.approx(tuple(np.quantile(maxima, [0.05, 0.95])))
    assert sum(peak.r_ci_max) / 2 > 0.5 and peak.r_ci_max[0] > peak.r_ci_at_layer[0]  # the max is biased upwards
    assert peak.layer_ci[0] <= peak.layer_ci[1] and peak.layer_ci != (peak.layer, peak.layer)


def test_without_intervals_a_peak_has_none():
    outputs, estimates, intervals = _peak_inputs([0.1, 0.3])
    peak = find_peak("valence", outputs, estimates, intervals, IntervalSettings("percentile", 0.9, 0, ()), (0, 1))
    assert peak.layer == 1 and peak.layer_ci is None and np.isnan(peak.r_ci_max).all()
    with pytest.raises(AnalysisError, match="no analysed layer lies in the peak window 5-9"):
        find_peak("valence", outputs, estimates, intervals, SETTINGS, (5, 9))


def test_window_mean_skips_undefined_layers_and_averages_half_widths():
    values = np.array([0.2, np.nan, 0.4, 0.9])
    bounds = np.array([[0.1, 0.4], [np.nan, np.nan], [0.35, 0.5], [0.8, 1.0]])
    got = window_mean([1, 2, 3, 4], values, bounds, (1, 3))
    assert got.n_layers == 2 and got.mean == pytest.approx(0.3)
    assert got.ci == pytest.approx((0.3 - (0.1 + 0.05) / 2, 0.3 + (0.2 + 0.1) / 2))
    assert window_mean([1, 2, 3, 4], values, None, (1, 3)).ci is None
    with pytest.raises(AnalysisError, match="no layer in 7-8"):
        window_mean([1, 2, 3, 4], values, bounds, (7, 8))


def test_difference_ci_combines_half_widths_in_quadrature():
    low, high = difference_ci(0.5, (0.4, 0.6), 0.2, (0.1, 0.25))
    assert low == pytest.approx(0.3 - (0.1**2 + 0.05**2) ** 0.5)
    assert high == pytest.approx(0.3 + (0.1**2 + 0.1**2) ** 0.5)
    assert difference_ci(0.5, None, 0.2, (0.1, 0.3)) is None
    assert difference_ci(0.5, (np.nan, np.nan), 0.2, (0.1, 0.3)) is None
