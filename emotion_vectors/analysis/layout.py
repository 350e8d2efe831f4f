"""Kept stories grouped by emotion and padded to a rectangle, and the story x story Gram matrix in that layout:
the form every story-level resampling reads a layer in (:mod:`emotion_vectors.analysis.bootstrap`,
:mod:`emotion_vectors.analysis.layer_sample`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import POOLINGS, Pooling, check_matrix


@dataclass(frozen=True)
class StoryLayout:
    """Kept stories grouped by emotion, padded to a rectangle.

    Attributes:
        index: ``[n_emotions, max_stories]`` row of each kept story in the store, ``-1`` for padding.
        counts: ``[n_emotions, max_stories]`` kept-token counts (0 at padding).
        pooling: ``"token_weighted"`` or ``"story_mean"``.
    """

    index: np.ndarray
    counts: np.ndarray
    pooling: str

    @property
    def n_emotions(self) -> int:
        return int(self.index.shape[0])

    @property
    def width(self) -> int:
        return int(self.index.shape[1])

    @property
    def n_kept(self) -> np.ndarray:
        """``[n_emotions]`` kept stories per emotion."""
        return np.sum(self.index >= 0, axis=1)

    def multiplicities_to_weights(self, multiplicities: np.ndarray) -> np.ndarray:
        """Pooling weights ``[..., n_emotions, max_stories]`` (rows sum to 1) from story multiplicities."""
        raw = multiplicities * (self.counts if self.pooling == "token_weighted" else (self.index >= 0))
        raw = raw.astype(np.float64)
        totals = raw.sum(axis=-1, keepdims=True)
        if np.any(totals == 0):
            raise AnalysisError("a resample left an emotion without stories")
        return raw / totals

    def full_weights(self) -> np.ndarray:
        """``[n_emotions, max_stories]`` full-sample pooling weights."""
        return self.multiplicities_to_weights((self.index >= 0).astype(np.int64))


def story_layout(
    counts: np.ndarray,
    story_emotions: Sequence[str | None],
    emotions: Sequence[str],
    pooling: Pooling = "token_weighted",
) -> StoryLayout:
    """Group the kept stories (``count > 0``) of ``[n_stories]`` ``counts`` by emotion, in store order."""
    if pooling not in POOLINGS:
        raise AnalysisError(f"unknown pooling {pooling!r}", fix=f"use one of {', '.join(POOLINGS)}")
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.shape[0] != len(story_emotions):
        raise AnalysisError(f"counts must have shape [n_stories] = ({len(story_emotions)},), got {counts.shape}")
    position = {emotion: i for i, emotion in enumerate(emotions)}
    groups: list[list[int]] = [[] for _ in emotions]
    for row, emotion in enumerate(story_emotions):
        if emotion not in position:
            raise AnalysisError(f"story row {row} has emotion {emotion!r}, which is not analysed")
        if counts[row] > 0:
            groups[position[emotion]].append(row)
    empty = [emotions[i] for i, g in enumerate(groups) if not g]
    if empty:
        raise AnalysisError(f"{len(empty)} emotions have no kept story: {empty[:5]}")
    width = max(len(g) for g in groups)
    index = np.full((len(emotions), width), -1, dtype=np.int64)
    for i, g in enumerate(groups):
        index[i, : len(g)] = g
    padded_counts = np.where(index >= 0, counts[np.maximum(index, 0)], 0).astype(np.int64)
    return StoryLayout(index=index, counts=padded_counts, pooling=pooling)


def padded_rows(layout: StoryLayout, story_vectors: np.ndarray) -> np.ndarray:
    """``[n_emotions * max_stories, d]`` rows of ``[n_stories, d]`` story vectors in layout order, zero padding.

    Only kept stories are read, so rows of skipped stories may hold NaN.
    """
    story_vectors = np.asarray(story_vectors)
    flat = layout.index.reshape(-1)
    if story_vectors.ndim != 2 or flat.max() >= story_vectors.shape[0]:
        raise AnalysisError(
            f"story_vectors must be [n_stories, d] covering row {flat.max()}, got shape {story_vectors.shape}"
        )
    rows = story_vectors[np.maximum(flat, 0)].astype(np.float64)
    rows[flat < 0] = 0.0
    return check_matrix("story_vectors (kept stories)", rows)


def padded_story_gram(layout: StoryLayout, story_vectors: np.ndarray) -> np.ndarray:
    """Story x story Gram matrix ``[n_emotions * max_stories] x [same]`` in layout order (zero at padding).

    Args:
        layout: The story layout.
        story_vectors: ``[n_stories, d_model]`` story means, already projected like the contrast vectors. For
            precision, subtract the full-sample mean over emotions first (it cancels in every replicate).

    Computed in float32 (half the time of this ``N^2 d`` product): replicates are assembled from it in float32
    anyway (:func:`~emotion_vectors.analysis.bootstrap.assemble_grams`); the full-sample Gram matrix of the estimates is float64, computed apart.
    """
    rows = padded_rows(layout, story_vectors).astype(np.float32)
    return (rows @ rows.T).astype(np.float64)


__all__ = ["StoryLayout", "padded_rows", "padded_story_gram", "story_layout"]
