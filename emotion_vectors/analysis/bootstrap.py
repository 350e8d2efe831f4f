"""Bootstrap replicates of the per-layer rating correlations, refitting the PCA in every replicate.

Pure functions on numpy arrays; every random draw comes from an explicit :class:`numpy.random.Generator`.
Intervals, the permutation test and multiplicity are in :mod:`emotion_vectors.analysis.stats`.

**Bootstrap schemes** (both refit the PCA in every replicate, through ``[n_emotions, n_emotions]`` Gram
matrices, never ``d_model x d_model``):

- ``"emotion"``: resample the emotions with replacement (paired: an emotion keeps its vector and its ratings),
  re-centre the resampled contrast vectors (the contrast is "minus the mean over the emotion set"), refit the
  PCA and correlate the rated emotions among the resample. Replicate Gram matrices are rows/columns of the
  full-sample Gram matrix.
- ``"story"``: within each emotion, resample its kept stories with replacement (as many as it has), recompute
  the emotion means from the per-story means and token counts with the same pooling rule, re-centre, refit.
  Emotion means are linear in story means, so a replicate's Gram matrix is assembled from the story x story
  Gram matrix of the layer (:func:`~emotion_vectors.analysis.layout.padded_story_gram`) and the replicate's pooling weights
  (:func:`story_resample_weights`), ``G_b = W_b G_story W_b^T``.

In each replicate the PC1/PC2 signs are aligned to the *full-sample* components (the sign that makes the
replicate component agree with the projections of the replicate's emotions on the full-sample direction),
not re-aligned to the ratings, so a weak correlation is not biased upwards by the sign rule. Components are not
re-ordered: if PC2 and PC3 swap in a replicate, the replicate's PC2 is used as is, which widens the interval
honestly. Replicates where r is undefined (constant scores) are dropped from the interval and counted.

**Cost**: replicates are refitted in chunks of :data:`CHUNK`; each replicate's two leading eigenpairs come from
:func:`~emotion_vectors.analysis.replicate_eigen.top_eigenpairs` (block Krylov, warm-started from the full-sample
components, accepted at a residual of :data:`~emotion_vectors.analysis.replicate_eigen.RESIDUAL_TOL` of the top
eigenvalue). Replicate Gram matrices are multiplied in float32 (:func:`assemble_grams` says why that is safe):
the story scheme's are assembled, the emotion scheme's never formed
(:class:`~emotion_vectors.analysis.replicate_eigen.ResampledGrams`).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from emotion_vectors.analysis.geometry import centre_gram, check_gram, rowwise_pearson
from emotion_vectors.analysis.layer_sample import LayerSample, spread_ratings
from emotion_vectors.analysis.layout import StoryLayout
from emotion_vectors.analysis.replicate_eigen import ResampledGrams, top_eigenpairs
from emotion_vectors.analysis.stats import check_rng
from emotion_vectors.errors import AnalysisError
from emotion_vectors.vectors import check_matrix

#: The four correlations every bootstrap replicate reports.
STATISTICS: tuple[str, ...] = ("pc1_valence_r", "pc1_valence_spearman", "pc2_arousal_r", "pc2_arousal_spearman")
#: Replicates assembled at once (bounds memory: a chunk of the story scheme holds ``n_emotions x n_stories``
#: floats per replicate).
CHUNK = 128
#: Column groups of the symmetric replicate-Gram assembly (fewer groups: less Python, more redundant work).
ASSEMBLY_GROUPS = 20
#: Replicates assembled per pass: a pass's partial products (``[group, n * width, batch]`` floats) stay small
#: enough to be read back from cache.
ASSEMBLY_BATCH = 64
#: Width of the starting block (full-sample components) of the replicate eigen-solver.
START_BLOCK = 4


def story_resample_weights(layout: StoryLayout, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Pooling weights of story-level bootstrap replicates.

    Each emotion's kept stories are drawn with replacement, as many as it has; a story drawn ``c`` times gets
    ``c`` times its full-sample pooling weight, renormalised.

    Returns:
        ``[n_resamples, n_emotions, max_stories]`` float64, rows summing to 1.
    """
    check_rng(rng)
    n_kept = layout.n_kept
    draws = rng.integers(0, n_kept[None, :, None], size=(n_resamples, layout.n_emotions, layout.width))
    valid = np.arange(layout.width)[None, None, :] < n_kept[None, :, None]
    multiplicities = np.zeros(draws.shape, dtype=np.int64)
    for j in range(layout.width):
        multiplicities[..., j] = np.sum((draws == j) & valid, axis=-1)
    return layout.multiplicities_to_weights(multiplicities)


def story_jackknife_weights(layout: StoryLayout) -> np.ndarray:
    """Pooling weights with one kept story left out at a time: ``[n_kept_total, n_emotions, max_stories]``."""
    if np.any(layout.n_kept < 2):
        raise AnalysisError(
            "the story jackknife (for BCa) needs at least 2 kept stories per emotion",
            fix="use analysis.ci_method = 'percentile'",
        )
    kept = np.argwhere(layout.index >= 0)
    multiplicities = np.broadcast_to((layout.index >= 0).astype(np.int64), (kept.shape[0], *layout.index.shape)).copy()
    multiplicities[np.arange(kept.shape[0]), kept[:, 0], kept[:, 1]] = 0
    return layout.multiplicities_to_weights(multiplicities)


def emotion_resample_indices(n_emotions: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``[n_resamples, n_emotions]`` emotion indices drawn with replacement."""
    check_rng(rng)
    return rng.integers(0, n_emotions, size=(n_resamples, n_emotions))


def emotion_jackknife_indices(n_emotions: int) -> np.ndarray:
    """``[n_emotions, n_emotions - 1]`` indices, row ``i`` leaving emotion ``i`` out."""
    full = np.arange(n_emotions)
    return np.stack([np.delete(full, i) for i in range(n_emotions)])


def start_block(gram: np.ndarray, width: int = START_BLOCK) -> np.ndarray:
    """``[n, width]`` leading eigenvectors of the double-centred ``[n, n]`` Gram matrix (replicate warm start)."""
    _, vectors = np.linalg.eigh(centre_gram(gram))
    return vectors[:, ::-1][:, :width].copy()


def emotion_bootstrap_layer(
    gram: np.ndarray,
    scores: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    rated_index: np.ndarray,
    indices: np.ndarray,
) -> dict[str, np.ndarray]:
    """Correlations of emotion-level bootstrap (or jackknife) replicates at one layer.

    Replicate Gram matrices are left implicit (:class:`~emotion_vectors.analysis.replicate_eigen.ResampledGrams`)
    and multiplied in float32, as the story scheme's are (:func:`assemble_grams` says why it is safe: the contrast
    vectors are centred over the emotions). Float32 also keeps the jackknife off the dense solver: a jackknife
    replicate is one emotion away from the full sample, so the eigen-solver's start block is nearly invariant and a
    float64 Krylov block breaks down.

    Args:
        gram: ``[n, n]`` full-sample contrast Gram matrix.
        scores: ``[n, 2]`` full-sample PC1/PC2 scores, sign-aligned to the ratings.
        valence, arousal: ``[n_rated]`` ratings of the rated emotions.
        rated_index: ``[n_rated]`` their rows.
        indices: ``[B, m]`` emotion indices of each replicate (``m = n`` for the bootstrap, ``n - 1`` for the
            jackknife).

    Returns:
        ``{statistic: [B] array}`` for the four :data:`STATISTICS`.
    """
    gram = check_gram("gram", gram)
    n = gram.shape[0]
    scores = check_matrix("scores", scores, rows=n, cols=2)
    indices = np.asarray(indices)
    if indices.ndim != 2 or not np.issubdtype(indices.dtype, np.integer) or indices.min() < 0 or indices.max() >= n:
        raise AnalysisError(f"indices must be [B, m] integers in [0, {n})")
    full_valence = spread_ratings(valence, rated_index, n)
    full_arousal = spread_ratings(arousal, rated_index, n)
    start = start_block(gram)
    gram32 = gram.astype(np.float32)
    outputs = {name: np.empty(indices.shape[0]) for name in STATISTICS}
    for lo in range(0, indices.shape[0], CHUNK * 4):
        idx = indices[lo : lo + CHUNK * 4]
        grams = ResampledGrams(gram32, idx)
        chunk = replicate_correlations(grams, scores[idx], start[idx], full_valence[idx], full_arousal[idx])
        for name in STATISTICS:
            outputs[name][lo : lo + idx.shape[0]] = chunk[name]
    return outputs


def story_bootstrap_layer(sample: LayerSample, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Correlations of story-level bootstrap (or jackknife) replicates at one layer.

    Args:
        sample: The layer (its story Gram matrix with residuals rescaled; replicates are assembled in float32).
        weights: ``[B, n, max_stories]`` replicate pooling weights (:func:`story_resample_weights`).

    Returns:
        ``{statistic: [B] array}`` for the four :data:`STATISTICS`.
    """
    layout, story_gram = sample.layout, sample.story_gram
    n, width = layout.n_emotions, layout.width
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 3 or weights.shape[1:] != (n, width):
        raise AnalysisError(f"weights must have shape [B, {n}, {width}], got {weights.shape}")
    reference = sample.story_projections
    start = start_block(sample.gram)
    # by_column[f, (e, i), j] = story_gram[(e, i), (f, j)], in float32 (see assemble_grams)
    by_column = np.ascontiguousarray(story_gram.reshape(n * width, n, width).transpose(1, 0, 2), dtype=np.float32)
    outputs = {name: np.empty(weights.shape[0]) for name in STATISTICS}
    for lo in range(0, weights.shape[0], CHUNK):
        w = weights[lo : lo + CHUNK]
        grams = assemble_grams(by_column, w)
        projections = np.einsum("bei,eik->bek", w, reference)
        chunk = replicate_correlations(grams, projections, start, sample.valence[None, :], sample.arousal[None, :])
        for name in STATISTICS:
            outputs[name][lo : lo + w.shape[0]] = chunk[name]
    return outputs


def assemble_grams(by_column: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Replicate Gram matrices ``G_b[e, f] = sum_ij w[b,e,i] G_story[(e,i),(f,j)] w[b,f,j]``.

    Column emotions are taken in :data:`ASSEMBLY_GROUPS` groups and only row emotions up to the end of each
    group are computed; the rest of each (symmetric) matrix is filled by transposition.

    The products run, and the result is returned, in the dtype of ``by_column``. The story bootstrap passes
    float32, which halves the memory traffic that bounds this step and the eigen-solver's products: the rounding
    moves a replicate matrix by about 1e-7 of its norm, two orders below the residual at which the eigen-solver
    accepts an eigenpair (:data:`replicate_eigen.RESIDUAL_TOL`); tests/test_stats.py checks replicates against a
    float64 refit from recomputed emotion means.

    Args:
        by_column: ``[n, n * width, width]`` padded story Gram matrix with the column emotion first.
        weights: ``[B, n, width]``.

    Returns:
        ``[B, n, n]``.
    """
    n, _, width = by_column.shape
    out = np.empty((weights.shape[0], n, n), dtype=by_column.dtype)
    bounds = np.linspace(0, n, min(ASSEMBLY_GROUPS, n) + 1).astype(np.int64)
    for lo in range(0, weights.shape[0], ASSEMBLY_BATCH):
        batch = out[lo : lo + ASSEMBLY_BATCH]
        transposed = np.ascontiguousarray(weights[lo : lo + ASSEMBLY_BATCH].transpose(1, 2, 0), dtype=by_column.dtype)
        for f0, f1 in zip(bounds[:-1], bounds[1:], strict=True):
            partial = np.matmul(by_column[f0:f1, : f1 * width, :], transposed[f0:f1])  # [f, (e, i), b]
            partial = partial.reshape(f1 - f0, f1, width, -1)
            block = np.einsum("feib,eib->bef", partial, transposed[:f1], optimize=False)  # transposed: [e, i, b]
            batch[:, :f1, f0:f1] = block
            batch[:, f0:f1, :f1] = block.transpose(0, 2, 1)
    return out


def _masked_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson r of ``[B, n]`` arrays over the entries where ``y`` is finite."""
    mask = np.isfinite(y)
    if np.all(mask):
        return rowwise_pearson(x, y)
    count = mask.sum(axis=1, keepdims=True)
    xm = np.where(mask, x, 0.0)
    ym = np.where(mask, y, 0.0)
    xc = np.where(mask, x - xm.sum(axis=1, keepdims=True) / count, 0.0)
    yc = np.where(mask, y - ym.sum(axis=1, keepdims=True) / count, 0.0)
    denominator = np.sqrt(np.sum(xc * xc, axis=1) * np.sum(yc * yc, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denominator > 0, np.sum(xc * yc, axis=1) / np.where(denominator > 0, denominator, 1.0), np.nan)
    return np.clip(r, -1.0, 1.0)


def _masked_ranks(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return rankdata(np.where(mask, values, np.nan), axis=1, nan_policy="omit")


def replicate_correlations(
    grams: np.ndarray | ResampledGrams,
    projections: np.ndarray,
    start: np.ndarray | None,
    valence: np.ndarray,
    arousal: np.ndarray,
    *,
    eigenvalues: bool = False,
) -> dict[str, np.ndarray]:
    """PC1-valence and PC2-arousal correlations of replicate Gram matrices.

    Args:
        grams: ``[B, m, m]`` uncentred replicate Gram matrices (or the implicit :class:`ResampledGrams`).
        projections: ``[B, m, 2]`` the replicate rows projected on the full-sample PC1/PC2 directions.
        start: ``[m, p]`` or ``[B, m, p]`` warm start of the eigen-solver; ``None`` solves every replicate
            densely (faster when most replicates' PC2 lies close to the noise bulk, where the Krylov solver
            restarts and then falls back to a dense solve anyway).
        valence, arousal: ``[B, m]`` or ``[1, m]`` ratings of each replicate row (NaN where unrated).
        eigenvalues: Also return the replicates' top two eigenvalues of the centred Gram matrix
            (``"eigenvalues"``, ``[B, 2]``).
    """
    values, vectors, _ = top_eigenpairs(grams, 2, start, centre=True)
    return eigenpair_correlations(values, vectors, projections, valence, arousal, eigenvalues=eigenvalues)


def eigenpair_correlations(
    values: np.ndarray,
    vectors: np.ndarray,
    projections: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    *,
    eigenvalues: bool = False,
    spearman: bool = True,
) -> dict[str, np.ndarray]:
    """:func:`replicate_correlations` from the replicates' top two eigenpairs already solved: ``values``
    ``[B, 2]``, unit ``vectors`` ``[B, m, 2]`` of the centred Gram matrices (any sign); the other arguments as
    there. ``spearman=False`` leaves out the rank correlations (the test inversion reads only Pearson's r)."""
    reference = projections - projections.mean(axis=1, keepdims=True)
    signs = np.sign(np.einsum("bmk,bmk->bk", vectors, reference))
    signs[signs == 0] = 1.0
    vectors = vectors * signs[:, None, :]
    out = {}
    for k, (target, name) in enumerate(((valence, "pc1_valence"), (arousal, "pc2_arousal"))):
        component = vectors[:, :, k]
        mask = np.isfinite(target)
        # ratings are ranked once per distinct row (the story scheme shares one row), before broadcasting
        if np.all(mask):
            out[f"{name}_r"] = rowwise_pearson(component, np.broadcast_to(target, component.shape))
            if spearman:
                ranks = np.broadcast_to(rankdata(target, axis=1), component.shape)
                out[f"{name}_spearman"] = rowwise_pearson(rankdata(component, axis=1), ranks)
        else:
            out[f"{name}_r"] = _masked_pearson(component, np.broadcast_to(target, component.shape))
            if spearman:
                ranks = np.broadcast_to(_masked_ranks(target, mask), component.shape)
                masked = _masked_ranks(component, np.broadcast_to(mask, component.shape))
                out[f"{name}_spearman"] = _masked_pearson(masked, ranks)
    if eigenvalues:
        out["eigenvalues"] = values
    return out


__all__ = [
    "STATISTICS",
    "assemble_grams",
    "eigenpair_correlations",
    "emotion_bootstrap_layer",
    "emotion_jackknife_indices",
    "emotion_resample_indices",
    "replicate_correlations",
    "start_block",
    "story_bootstrap_layer",
    "story_jackknife_weights",
    "story_resample_weights",
]
