"""Packaged emotion list and ratings."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_vectors.errors import ConfigError
from emotion_vectors.ratings import emotions, load_ratings


def test_171_unique_emotions_in_alphabetical_order() -> None:
    names = emotions()
    assert len(names) == 171 == len(set(names))
    assert list(names) == sorted(names)
    assert {"at ease", "on edge", "worn out", "grief-stricken", "self-conscious"} <= set(names)


def test_nrc_values_match_the_published_table() -> None:
    nrc = load_ratings("nrc")
    index = nrc.emotions.index("afraid")
    assert nrc.valence[index] == pytest.approx(-0.977)
    assert nrc.arousal[index] == pytest.approx(0.352)
    assert len(nrc.emotions) == 171
    assert nrc.valence.min() >= -1 and nrc.valence.max() <= 1


@pytest.mark.parametrize(("source", "count", "low", "high"), [("nrc_v1", 155, 0, 1), ("warriner", 126, 1, 9)])
def test_other_sources_cover_subsets_on_their_own_scale(source, count, low, high) -> None:
    ratings = load_ratings(source)
    assert len(ratings.emotions) == count
    assert low <= ratings.valence.min() and ratings.valence.max() <= high
    assert set(ratings.emotions) < set(emotions())


def test_sources_agree_on_valence() -> None:
    nrc, warriner = load_ratings("nrc"), load_ratings("warriner")
    idx = warriner.indices_in(nrc.emotions)
    r = np.corrcoef(nrc.valence[idx], warriner.valence)[0, 1]
    assert r > 0.9  # documented agreement: r = 0.95


def test_ratings_are_read_only_and_unknown_source_errors() -> None:
    nrc = load_ratings()
    with pytest.raises(ValueError):
        nrc.valence[0] = 0.0
    with pytest.raises(ConfigError, match="warriner"):
        load_ratings("vad")  # type: ignore[arg-type]
