"""The layer sample every story-level resampling reads: ratings of a subset spread to every emotion, and input of
the wrong shape refused with the shape it needs."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.analysis.bootstrap import story_bootstrap_layer
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.layout import StoryLayout
from emotion_vectors.errors import AnalysisError


def _layout(n: int, width: int) -> StoryLayout:
    return StoryLayout(np.arange(n * width).reshape(n, width), np.full((n, width), 100), "token_weighted")


def test_ratings_of_some_emotions_sit_at_their_rows_and_the_rest_are_unrated() -> None:
    layout = _layout(5, 2)
    sample = LayerSample.from_rated(
        np.eye(10), layout, np.eye(5), np.zeros((5, 2)), np.array([0.1, 0.9]), np.array([0.4, 0.6]), np.array([3, 1])
    )
    np.testing.assert_array_equal(np.isnan(sample.valence), [True, False, True, False, True])
    assert sample.valence[3] == 0.1 and sample.valence[1] == 0.9 and sample.arousal[3] == 0.4
    assert not sample.fully_rated
    full = LayerSample(np.eye(10), layout, np.eye(5), np.zeros((5, 2)), np.linspace(0, 1, 5), np.ones(5))
    assert full.fully_rated
    rescaled = full.with_story_gram(2 * np.eye(10))
    assert rescaled.story_gram[0, 0] == 2.0 and rescaled.gram is full.gram


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("story_gram", np.eye(9), r"story_gram must have shape \[10, 10\]"),
        ("gram", np.eye(4), r"gram must have shape \[5, 5\]"),
        ("scores", np.zeros((5, 3)), "scores must have 2 columns"),
        ("valence", np.ones(4), r"valence must have shape \[5\]"),
        ("arousal", np.ones((5, 1)), r"arousal must have shape \[5\]"),
    ],
)
def test_a_sample_of_the_wrong_shape_is_refused_naming_the_shape(field: str, value: np.ndarray, message: str) -> None:
    parts = {
        "story_gram": np.eye(10),
        "layout": _layout(5, 2),
        "gram": np.eye(5),
        "scores": np.zeros((5, 2)),
        "valence": np.ones(5),
        "arousal": np.ones(5),
    }
    with pytest.raises(AnalysisError, match=message):
        LayerSample(**(parts | {field: value}))


def test_the_story_bootstrap_refuses_weights_of_another_layout() -> None:
    sample = LayerSample(np.eye(10), _layout(5, 2), np.eye(5), np.zeros((5, 2)), np.ones(5), np.ones(5))
    with pytest.raises(AnalysisError, match=r"weights must have shape \[B, 5, 2\]"):
        story_bootstrap_layer(sample, np.ones((3, 5, 3)))
