"""Story length as a confound: correlations with length and partial correlations controlling for it."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis.confounds import length_confound, mean_story_length, partial_r
from emotion_vectors.errors import AnalysisError


def _closed_form_partial(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    r = np.corrcoef(np.stack([x, y, z]))
    return (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))


def test_partial_r_matches_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal(200)
    x = 0.8 * z + rng.standard_normal(200)
    y = -0.5 * z + 0.3 * x + rng.standard_normal(200)
    assert partial_r(x, y, z) == pytest.approx(_closed_form_partial(x, y, z), abs=1e-12)


def test_planted_length_driven_pc2_is_flagged_and_arousal_vanishes_when_length_is_controlled() -> None:
    rng = np.random.default_rng(1)
    n = 171
    valence, arousal = rng.uniform(-1, 1, n), rng.uniform(0, 1, n)
    length = 300 + 200 * arousal + 20 * rng.standard_normal(n)  # long stories for high-arousal emotions
    scores = np.stack([valence + 0.1 * rng.standard_normal(n), (length - length.mean()) / 50.0], axis=1)
    rated = np.arange(n)
    out = length_confound(scores, length, valence, arousal, rated)
    assert out.pc2_length_r == pytest.approx(1.0)
    assert np.corrcoef(scores[:, 1], arousal)[0, 1] > 0.9  # PC2 "tracks arousal" ...
    assert abs(out.pc2_arousal_partial_r) < 0.2  # ... only through length
    assert out.pc1_valence_partial_r > 0.95  # valence on PC1 does not depend on length
    assert abs(out.pc1_length_r) < 0.2


def test_partial_correlations_use_the_rated_emotions_only() -> None:
    rng = np.random.default_rng(2)
    n = 40
    scores = rng.standard_normal((n, 3))
    length = rng.uniform(100, 400, n)
    rated = np.arange(0, n, 2)
    valence, arousal = rng.standard_normal(rated.size), rng.standard_normal(rated.size)
    out = length_confound(scores, length, valence, arousal, rated)
    expected = _closed_form_partial(scores[rated, 0], valence, length[rated])
    assert out.pc1_valence_partial_r == pytest.approx(expected, abs=1e-12)
    assert out.pc2_length_r == pytest.approx(np.corrcoef(scores[:, 1], length)[0, 1])


def test_mean_story_length_skips_padding_and_skipped_stories() -> None:
    counts = np.array([[100, 200, 0], [50, 0, 0], [10, 20, 30]])
    assert mean_story_length(counts) == pytest.approx([150.0, 50.0, 20.0])
    with pytest.raises(AnalysisError, match="no kept story"):
        mean_story_length(np.array([[0, 0], [1, 2]]))
