"""The 171 emotion concepts and their human valence/arousal ratings (packaged data).

Sources (``emotion_vectors/data/emotion_ratings.csv``; see ``emotion_vectors/data/ATTRIBUTION.md``):

- ``nrc`` (default, as the paper): NRC VAD Lexicon (Mohammad), rescaled to [-1, 1]; 161 direct matches,
  3 multi-word entries and 7 estimates from proxy words made by the paper's authors.
- ``nrc_v1``: NRC VAD Lexicon v1 (2018), scale [0, 1]; 155 of the 171 words.
- ``warriner``: Warriner, Kuperman & Brysbaert (2013), scale 1-9; 126 of the 171 words.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from emotion_vectors.errors import ConfigError
from emotion_vectors.resources import EMOTION_RATINGS, data_path

RatingSource = Literal["nrc", "nrc_v1", "warriner"]
RATING_SOURCES: tuple[str, ...] = ("nrc", "nrc_v1", "warriner")
N_EMOTIONS = 171


@dataclass(frozen=True)
class Ratings:
    """Valence and arousal for the emotions one rating source covers, in the canonical emotion order.

    Attributes:
        source: The rating source name.
        emotions: The covered emotions, ``[n_rated]``, in the order of :func:`emotions`.
        valence: ``[n_rated]`` float64, on the source's own scale.
        arousal: ``[n_rated]`` float64, on the source's own scale.
    """

    source: str
    emotions: tuple[str, ...]
    valence: np.ndarray
    arousal: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.emotions)
        if self.valence.shape != (n,) or self.arousal.shape != (n,):
            raise ValueError(f"ratings {self.source}: valence/arousal must have shape ({n},)")
        self.valence.setflags(write=False)
        self.arousal.setflags(write=False)

    def indices_in(self, emotions: list[str] | tuple[str, ...]) -> np.ndarray:
        """Positions of :attr:`emotions` within ``emotions`` (``[n_rated]`` int); every rated one must be present."""
        position = {emotion: i for i, emotion in enumerate(emotions)}
        missing = [e for e in self.emotions if e not in position]
        if missing:
            raise ValueError(f"ratings {self.source}: emotions {missing[:5]} are not in the given emotion list")
        return np.array([position[e] for e in self.emotions], dtype=np.int64)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], ...]:
    with data_path(EMOTION_RATINGS).open(newline="", encoding="utf-8") as handle:
        rows = tuple(csv.DictReader(handle))
    if len(rows) != N_EMOTIONS:
        raise RuntimeError(f"{EMOTION_RATINGS}: expected {N_EMOTIONS} emotions, found {len(rows)}")
    return rows


def emotions() -> tuple[str, ...]:
    """The 171 emotion words, in the canonical (alphabetical) order of Sofroniew et al. (2026)."""
    return tuple(row["emotion"] for row in _table())


def rating_table() -> tuple[dict[str, str], ...]:
    """The packaged table, one dict per emotion with the CSV's columns as strings."""
    return _table()


def load_ratings(source: RatingSource = "nrc") -> Ratings:
    """Valence/arousal of one rating source, restricted to the emotions that source covers."""
    if source not in RATING_SOURCES:
        raise ConfigError(f"unknown rating source {source!r}", fix=f"use one of {', '.join(RATING_SOURCES)}")
    v_col, a_col = f"{source}_valence", f"{source}_arousal"
    covered = [row for row in _table() if row[v_col] and row[a_col]]
    return Ratings(
        source=source,
        emotions=tuple(row["emotion"] for row in covered),
        valence=np.array([float(row[v_col]) for row in covered]),
        arousal=np.array([float(row[a_col]) for row in covered]),
    )
