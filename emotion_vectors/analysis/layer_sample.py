"""One layer of a corpus as every story-level resampling reads it: the story bootstrap and jackknife
(:mod:`emotion_vectors.analysis.bootstrap`, :mod:`emotion_vectors.analysis.story_jackknife`) and the denoised
world's replicates and test inversion (:mod:`emotion_vectors.analysis.denoised_world`,
:mod:`emotion_vectors.analysis.inverted_intervals`)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from emotion_vectors.analysis.geometry import check_gram
from emotion_vectors.analysis.layout import StoryLayout
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix


@dataclass(frozen=True)
class LayerSample:
    """The story-level sample of one layer (``n`` emotions, ``w`` story slots per emotion), checked on
    construction.

    Attributes:
        story_gram: ``[n w, n w]`` padded Gram matrix of the story vectors shifted by the full-sample centre
            (:func:`~emotion_vectors.analysis.layout.padded_story_gram`; the story bootstrap takes it with
            its residuals rescaled, :func:`~emotion_vectors.analysis.story_rescale.rescale_story_gram`), float64.
        layout: The kept stories per emotion.
        gram: ``[n, n]`` Gram matrix of the contrast vectors, float64.
        scores: ``[n, 2]`` the sample's PC1 and PC2 scores, sign-aligned to the ratings (the replicates' sign
            reference).
        valence, arousal: ``[n]`` ratings, NaN for an emotion without one.
    """

    story_gram: np.ndarray
    layout: StoryLayout
    gram: np.ndarray
    scores: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray

    def __post_init__(self) -> None:
        n = self.layout.n_emotions
        object.__setattr__(self, "gram", check_gram("gram", self.gram, n))
        object.__setattr__(self, "story_gram", check_gram("story_gram", self.story_gram, n * self.layout.width))
        object.__setattr__(self, "scores", check_matrix("scores", self.scores, rows=n, cols=2))
        for name in ("valence", "arousal"):
            rating = np.asarray(getattr(self, name), dtype=np.float64)
            if rating.shape != (n,):
                raise AnalysisError(f"{name} must have shape [{n}] (NaN for an unrated emotion), got {rating.shape}")
            object.__setattr__(self, name, rating)

    @classmethod
    def from_rated(
        cls,
        story_gram: np.ndarray,
        layout: StoryLayout,
        gram: np.ndarray,
        scores: np.ndarray,
        valence: np.ndarray,
        arousal: np.ndarray,
        rated_index: np.ndarray,
    ) -> LayerSample:
        """The sample from ratings ``[n_rated]`` of the emotions at rows ``rated_index`` ``[n_rated]``."""
        n = layout.n_emotions
        return cls(
            story_gram,
            layout,
            gram,
            scores,
            spread_ratings(valence, rated_index, n),
            spread_ratings(arousal, rated_index, n),
        )

    @property
    def fully_rated(self) -> bool:
        """Whether every emotion has both ratings."""
        return bool(np.all(np.isfinite(self.valence)) and np.all(np.isfinite(self.arousal)))

    @functools.cached_property
    def story_projections(self) -> np.ndarray:
        """``[n, w, 2]`` projections of every (padded) story vector on the sample's PC1 and PC2 directions: a
        replicate's emotion mean projects at their pooled sum, the sign reference of its components.

        With ``C = H W F`` (contrast vectors from padded story vectors ``F``), the unit direction of component
        ``j`` is ``u_j = C^T s_j / lambda_j`` where ``s_j`` are its scores and ``lambda_j = |s_j|^2``; hence
        ``F u_j = G_story W^T H s_j / lambda_j`` is computed without ``d_model``. Computed once per sample.
        """
        n, width = self.layout.n_emotions, self.layout.width
        weights = self.layout.full_weights().reshape(-1)
        centred_scores = self.scores - self.scores.mean(axis=0, keepdims=True)
        lam = np.sum(self.scores**2, axis=0)
        expanded = np.repeat(centred_scores, width, axis=0) * weights[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            projections = (self.story_gram @ expanded) / np.where(lam > 0, lam, 1.0)
        return projections.reshape(n, width, 2)

    def with_story_gram(self, story_gram: np.ndarray) -> LayerSample:
        """The same sample with another ``[n w, n w]`` story Gram matrix (e.g. its rescaled residuals)."""
        return dataclasses.replace(self, story_gram=story_gram)


def spread_ratings(values: np.ndarray, rated_index: np.ndarray, n: int) -> np.ndarray:
    """``[n]`` array with ``values`` at ``rated_index`` and NaN elsewhere."""
    values = np.asarray(values, dtype=np.float64)
    rated_index = np.asarray(rated_index)
    if values.ndim != 1 or rated_index.shape != values.shape:
        raise AnalysisError(f"ratings and rated_index must both be [n_rated]; got {values.shape}, {rated_index.shape}")
    full = np.full(n, np.nan)
    full[rated_index] = values
    return full


__all__ = ["LayerSample", "spread_ratings"]
