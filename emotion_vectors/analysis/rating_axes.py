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

import numpy as np

from emotion_vectors.analysis.direction import loo_predictions
from emotion_vectors.analysis.geometry import pearson, rowwise_pearson
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix

#: Leading components searched by :func:`best_component`.
TOP_COMPONENTS = 3


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


__all__ = ["TOP_COMPONENTS", "best_component", "loo_rating_r"]
