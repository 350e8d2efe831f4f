"""Story length as a confound of the PC-rating correlations.

Pure functions on numpy arrays. If an emotion's stories are systematically longer (or shorter), a component
can track length rather than the rating; published replications on Gemma-4 report PC2 correlating with mean
story length across emotions. Per layer:

- ``r(PC1, length)`` and ``r(PC2, length)``: Pearson r of the (sign-aligned) PC scores with each emotion's mean
  story length, over all analysed emotions (length is known for every emotion).
- Partial r of PC1 with valence and of PC2 with arousal controlling for length, over the rated emotions: the
  Pearson r of the residuals of both variables after an ordinary least-squares fit on ``1 + length``
  (:class:`statsmodels.regression.linear_model.OLS`).

Length is the mean kept-token count of an emotion's kept stories (:func:`mean_story_length`): a story's
length minus the token offset, a shift that does not change any correlation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.regression.linear_model import OLS

from emotion_vectors.analysis.geometry import check_ratings, pearson
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix


@dataclass(frozen=True)
class LengthConfound:
    """Length correlations of one layer.

    Attributes:
        pc1_length_r, pc2_length_r: r of the PC1 / PC2 scores with mean story length (all emotions).
        pc1_valence_partial_r: partial r of PC1 with valence controlling for length (rated emotions).
        pc2_arousal_partial_r: partial r of PC2 with arousal controlling for length (rated emotions).
    """

    pc1_length_r: float
    pc2_length_r: float
    pc1_valence_partial_r: float
    pc2_arousal_partial_r: float


def mean_story_length(layout_counts: np.ndarray) -> np.ndarray:
    """``[n_emotions]`` mean kept-token count over each emotion's kept stories.

    Args:
        layout_counts: ``[n_emotions, max_stories]`` kept-token counts, 0 at padding and for skipped stories
            (:attr:`emotion_vectors.analysis.layout.StoryLayout.counts`).
    """
    counts = np.asarray(layout_counts, dtype=np.float64)
    if counts.ndim != 2:
        raise AnalysisError(f"layout_counts must be [n_emotions, max_stories], got shape {counts.shape}")
    kept = counts > 0
    if np.any(kept.sum(axis=1) == 0):
        raise AnalysisError("an emotion has no kept story")
    return counts.sum(axis=1) / kept.sum(axis=1)


def partial_r(x: np.ndarray, y: np.ndarray, control: np.ndarray) -> float:
    """Partial Pearson r of ``[n]`` ``x`` and ``y`` controlling for ``[n]`` ``control`` (OLS residuals)."""
    x, y, control = (np.asarray(v, dtype=np.float64) for v in (x, y, control))
    if not (x.shape == y.shape == control.shape) or x.ndim != 1 or x.size < 4:
        raise AnalysisError(f"x, y and control must be [n] with n >= 4, got {x.shape}, {y.shape}, {control.shape}")
    design = np.column_stack([np.ones_like(control), control])
    return pearson(OLS(x, design).fit().resid, OLS(y, design).fit().resid)


def length_confound(
    scores: np.ndarray,
    length: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    rated_index: np.ndarray,
) -> LengthConfound:
    """Length correlations of one layer (see the module docstring).

    Args:
        scores: ``[n_emotions, >= 2]`` PC scores, PC1/PC2 sign-aligned to valence/arousal.
        length: ``[n_emotions]`` mean story length (:func:`mean_story_length`).
        valence, arousal: ``[n_rated]`` ratings; ``rated_index``: ``[n_rated]`` their rows.
    """
    scores = check_matrix("scores", scores)
    n = scores.shape[0]
    if scores.shape[1] < 2:
        raise AnalysisError(f"scores must have at least 2 components, got {scores.shape[1]}")
    length = np.asarray(length, dtype=np.float64)
    if length.shape != (n,) or not np.all(np.isfinite(length)):
        raise AnalysisError(f"length must be a finite [{n}] array, got shape {length.shape}")
    valence, arousal, rated_index = check_ratings(valence, arousal, rated_index, n)
    rated_length = length[rated_index]
    return LengthConfound(
        pc1_length_r=pearson(scores[:, 0], length),
        pc2_length_r=pearson(scores[:, 1], length),
        pc1_valence_partial_r=partial_r(scores[rated_index, 0], valence, rated_length),
        pc2_arousal_partial_r=partial_r(scores[rated_index, 1], arousal, rated_length),
    )


__all__ = ["LengthConfound", "length_confound", "mean_story_length", "partial_r"]
