"""Where a rating is encoded beyond PC1/PC2: the best of the leading components, and a fitted direction.

Pure functions on numpy arrays. PC1-valence r asks whether valence is the *largest* axis of variation; a rating
can be linearly encoded and still not be PC1 (the paper's "absent" and "collapses" read PC1 alone). Two
rotation-free measures, per layer and per rating (valence, arousal):

- **Best of the top k PCs** (:func:`best_component`): the largest ``|r|`` between the rating and the scores of
  PC1..PCk (``k = 3`` by default) and which PC gives it. Choosing the best of k inflates ``|r|`` a little under
  the null (the max of k absolute correlations); it is a descriptive measure.
- **Cross-validated direction** (:func:`loo_rating_r`): the minimum-norm least-squares direction with intercept
  fitted on all rated emotions but one predicts the held-out emotion's rating; r between the held-out
  predictions and the ratings (:func:`emotion_vectors.analysis.direction.loo_predictions`, which solves every
  fold in closed form). It does not depend on how the PCA rotates the space and is not inflated by selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emotion_vectors.analysis.direction import loo_predictions
from emotion_vectors.analysis.geometry import pearson, rowwise_pearson
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix

#: Leading components searched by :func:`best_component`.
TOP_COMPONENTS = 3


@dataclass(frozen=True)
class RatingAxes:
    """The rotation-free measures of one layer.

    Attributes:
        valence_top3_pc, valence_top3_r: :func:`best_component` of valence (1-based PC, ``|r|``).
        arousal_top3_pc, arousal_top3_r: The same for arousal.
        loo_valence_r, loo_arousal_r: :func:`loo_rating_r` of valence and of arousal.
    """

    valence_top3_pc: int
    valence_top3_r: float
    arousal_top3_pc: int
    arousal_top3_r: float
    loo_valence_r: float
    loo_arousal_r: float


def rating_axes(
    gram: np.ndarray, scores: np.ndarray, valence: np.ndarray, arousal: np.ndarray, rated_index: np.ndarray
) -> RatingAxes:
    """Both measures for valence and arousal at one layer.

    Args:
        gram: ``[n_emotions, n_emotions]`` Gram matrix of the contrast vectors.
        scores: ``[n_emotions, n_components]`` PC scores.
        valence, arousal: ``[n_rated]`` ratings; ``rated_index``: ``[n_rated]`` their rows.
    """
    rated_index = np.asarray(rated_index)
    rated_scores = check_matrix("scores", scores)[rated_index]
    valence_pc, valence_r = best_component(rated_scores, valence)
    arousal_pc, arousal_r = best_component(rated_scores, arousal)
    return RatingAxes(
        valence_top3_pc=valence_pc,
        valence_top3_r=valence_r,
        arousal_top3_pc=arousal_pc,
        arousal_top3_r=arousal_r,
        loo_valence_r=loo_rating_r(gram, valence, rated_index),
        loo_arousal_r=loo_rating_r(gram, arousal, rated_index),
    )


def best_component(scores: np.ndarray, target: np.ndarray, k: int = TOP_COMPONENTS) -> tuple[int, float]:
    """The PC among the first ``k`` whose scores have the largest ``|r|`` with ``target``.

    Args:
        scores: ``[n_rated, n_components]`` PC scores of the rated emotions (``n_components >= 1``).
        target: ``[n_rated]`` ratings.
        k: Components searched (the first ``min(k, n_components)``).

    Returns:
        ``(pc, |r|)`` with ``pc`` 1-based; ``(0, nan)`` when no component has a defined r. Ties go to the
        earlier PC.
    """
    scores = check_matrix("scores", scores)
    target = np.asarray(target, dtype=np.float64)
    if target.shape != (scores.shape[0],):
        raise AnalysisError(f"target must have shape [{scores.shape[0]}], got {target.shape}")
    if k < 1:
        raise AnalysisError(f"k must be >= 1, got {k}")
    r = np.abs(rowwise_pearson(scores[:, :k].T, target))
    if not np.any(np.isfinite(r)):
        return 0, float("nan")
    best = int(np.nanargmax(r))
    return best + 1, float(r[best])


def loo_rating_r(gram: np.ndarray, target: np.ndarray, rated_index: np.ndarray) -> float:
    """Pearson r between leave-one-emotion-out predictions of a fitted direction and the ratings.

    Args:
        gram: ``[n_emotions, n_emotions]`` Gram matrix of the contrast vectors.
        target: ``[n_rated]`` ratings (valence or arousal).
        rated_index: ``[n_rated]`` their rows.
    """
    target = np.asarray(target, dtype=np.float64)
    return pearson(loo_predictions(gram, target, rated_index), target)


__all__ = ["TOP_COMPONENTS", "RatingAxes", "best_component", "loo_rating_r", "rating_axes"]
