"""Small-group correction of the story bootstrap: story residuals rescaled by ``sqrt(n_e / (n_e - 1))``.

Drawing ``n`` stories with replacement from an emotion's ``n`` stories gives its mean a bootstrap variance of
``(n - 1) / n`` times the usual estimate of the mean's sampling variance: two thirds with the demo's 3 stories
per emotion, so story-level intervals would be about 18 % too narrow. The standard remedy (Davison & Hinkley
1997, section 3.2.3, "adjusted residuals") resamples rescaled stories

    x~_ei = xbar_e + c_e (x_ei - xbar_e),    c_e = sqrt(n_e / (n_e - 1)),

with ``xbar_e`` the emotion's full-sample (pooled) mean and ``n_e`` its kept stories (``c_e = 1`` when
``n_e = 1``). The rescaling is linear within each emotion and keeps every full-sample emotion mean, hence the
full-sample Gram matrix and PCA; in the Gram domain it is ``G~ = A G A^T`` with ``A`` block diagonal,
``A_e = c_e I + (1 - c_e) 1 w_e^T`` (``w_e`` the full-sample pooling weights), applied once per layer to the
padded story Gram matrix (:func:`~emotion_vectors.analysis.layout.padded_story_gram`).
``benchmarks/interval_coverage.py`` measures the coverage with and without it.
"""

from __future__ import annotations

import numpy as np

from emotion_vectors.analysis.geometry import check_gram
from emotion_vectors.analysis.layout import StoryLayout


def residual_scale(layout: StoryLayout) -> np.ndarray:
    """``[n_emotions]`` factors ``c_e = sqrt(n_e / (n_e - 1))`` (1 for an emotion with one kept story)."""
    n_kept = layout.n_kept.astype(np.float64)
    return np.where(n_kept > 1, np.sqrt(n_kept / np.maximum(n_kept - 1.0, 1.0)), 1.0)


def rescale_story_gram(layout: StoryLayout, story_gram: np.ndarray) -> np.ndarray:
    """Padded story Gram matrix ``[N, N]`` (``N = n_emotions * max_stories``) of the rescaled stories.

    Args:
        layout: The story layout.
        story_gram: ``[N, N]`` padded story Gram matrix in layout order (zero at padding).

    Returns:
        ``[N, N]`` float64, ``A G A^T`` (zero at padding); the input is not modified.
    """
    n, width = layout.n_emotions, layout.width
    story_gram = check_gram("story_gram", story_gram, n * width)
    kept = (layout.index >= 0).astype(np.float64)
    scale = residual_scale(layout)[:, None, None]
    # A[e, i, k] = c_e [i == k] + (1 - c_e) w_e[k], rows of padded stories zero
    blocks = scale * np.eye(width)[None, :, :] + (1.0 - scale) * layout.full_weights()[:, None, :]
    blocks = blocks * kept[:, :, None]
    grid = story_gram.reshape(n, width, n, width)
    left = np.einsum("eik,ekfl->eifl", blocks, grid, optimize=True)
    both = np.einsum("eifl,fjl->eifj", left, blocks, optimize=True)
    return both.reshape(n * width, n * width)


__all__ = ["rescale_story_gram", "residual_scale"]
