"""Leave-one-story-out replicates (BCa's acceleration for the story scheme), one emotion updated at a time.

A jackknife replicate leaves out one kept story, so only its emotion's mean changes: the replicate's Gram
matrix is the full-sample one with one row and column replaced. With ``C[(e, k), f] = sum_l G_story[(e, k), (f,
l)] w_f[l]`` (each story against each full-sample emotion mean, computed once per layer), the new row is
``sum_k w'_e[k] C[(e, k), :]`` and the new diagonal entry ``w'_e^T G_story[e, e] w'_e``: ``O(n * width)`` per
replicate instead of assembling the whole matrix (:func:`~emotion_vectors.analysis.bootstrap.story_bootstrap_layer`
with :func:`~emotion_vectors.analysis.bootstrap.story_jackknife_weights` gives the same replicates, slower).
"""

from __future__ import annotations

import numpy as np

from emotion_vectors.analysis.bootstrap import (
    CHUNK,
    STATISTICS,
    replicate_correlations,
    start_block,
    story_jackknife_weights,
)
from emotion_vectors.analysis.layer_sample import LayerSample


def story_jackknife_layer(sample: LayerSample) -> dict[str, np.ndarray]:
    """Correlations of every leave-one-story-out replicate at one layer (``sample`` as
    :func:`~emotion_vectors.analysis.bootstrap.story_bootstrap_layer` takes it).

    Returns:
        ``{statistic: [n_kept_total]}``, replicate ``j`` leaving out the ``j``-th kept story in layout order
        (the order of :func:`~emotion_vectors.analysis.bootstrap.story_jackknife_weights`).
    """
    layout, story_gram, gram = sample.layout, sample.story_gram, sample.gram
    n, width = layout.n_emotions, layout.width
    weights = layout.full_weights()
    grid = story_gram.reshape(n, width, n, width)
    cross = np.einsum("ekfl,fl->ekf", grid, weights)  # [n, width, n]: story (e, k) against emotion mean f
    uncentred = np.einsum("ek,ekf->ef", weights, cross)
    reference = sample.story_projections
    full_projection = np.einsum("ei,eik->ek", weights, reference)
    left_out = np.argwhere(layout.index >= 0)
    changed = left_out[:, 0]
    jack_weights = story_jackknife_weights(layout)[np.arange(changed.size), changed]  # [J, width]
    start = start_block(gram)
    outputs = {name: np.empty(changed.size) for name in STATISTICS}
    for lo in range(0, changed.size, CHUNK * 4):
        e = changed[lo : lo + CHUNK * 4]
        w = jack_weights[lo : lo + CHUNK * 4]
        b = np.arange(e.size)
        rows = np.einsum("bk,bkf->bf", w, cross[e])
        diagonal = np.einsum("bk,bkl,bl->b", w, grid[e, :, e, :], w)
        grams = np.broadcast_to(uncentred, (e.size, n, n)).copy()
        grams[b, e, :] = rows
        grams[b, :, e] = rows
        grams[b, e, e] = diagonal
        projections = np.broadcast_to(full_projection, (e.size, n, 2)).copy()
        projections[b, e, :] = np.einsum("bk,bkc->bc", w, reference[e])
        # float32 like the story bootstrap's assembled matrices (bootstrap.assemble_grams says why that is safe);
        # it also keeps the eigen-solver's Krylov blocks from breaking down on replicates this close to the
        # full sample, whose eigenvectors are its starting block
        grams = grams.astype(np.float32)
        chunk = replicate_correlations(grams, projections, start, sample.valence[None, :], sample.arousal[None, :])
        for name in STATISTICS:
            outputs[name][lo : lo + e.size] = chunk[name]
    return outputs


__all__ = ["story_jackknife_layer"]
