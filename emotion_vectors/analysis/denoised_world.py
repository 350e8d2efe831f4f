"""A prototype resampling world for the story and emotion bootstraps: denoised truth, noise of even energy.

The inverted intervals (:mod:`emotion_vectors.analysis.inverted_intervals`) draw their replicates from it;
``benchmarks/interval_spread.py`` measures it against the bootstrap schemes, and ``docs/intervals.md`` says what
it shows and what it assumes. Everything works on Gram matrices, as the shipped
bootstrap does (:mod:`emotion_vectors.analysis.bootstrap`).

Why the shipped replicates spread too widely (``docs/interval_spread.md``): their truth is the sample, which
already carries one dose of story noise, and their noise has the right mean energy but not its distribution
(a story resample of 3 stories gives an emotion mean no noise or up to three times the average; an emotion
resample repeats an emotion's noise in every copy). In high dimensions each emotion's noise is nearly orthogonal
to every other's, so uneven energies become eigenvalues of their own that compete with valence and arousal.

This world replaces both:

- **truth** ``Mhat = P X``: the components of the sample's centred Gram matrix above the Marchenko-Pastur edge of
  the noise, each scaled to its debiased spike strength (the inverse of the spiked-covariance eigenvalue map),
  everything below the edge dropped. The noise level and its effective dimension come from the within-emotion
  story residuals (:func:`noise_model`);
- **noise**: per emotion a random combination of story residuals normalised to the emotion mean's expected noise
  energy (story noise pooled over emotions, times the emotion's sum of squared pooling weights). In the emotion
  scheme each row of a replicate draws its noise from a different emotion's residuals (a random permutation), so
  copies of one emotion get independent noise, as fresh emotions would.

Assumptions: story noise of the same energy in every emotion and close to isotropic in an effective dimension
(the Marchenko-Pastur edge and the debiasing are exact for isotropic Gaussian noise), and structure below the
noise edge negligible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from emotion_vectors.analysis.bootstrap import (
    StoryLayout,
    assemble_grams,
    eigenpair_correlations,
    replicate_correlations,
)
from emotion_vectors.analysis.geometry import double_centre
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.low_rank_eigen import top_updated


@dataclass(frozen=True)
class World:
    """The denoised world of one layer (``n`` emotions, ``w`` story slots per emotion).

    Attributes:
        projector: ``[n, n]`` ``P`` with ``Mhat = P X`` (``X`` the centred emotion means).
        gram: ``[n, n]`` centred sample Gram matrix ``X X^T``.
        cross: ``[n, w, n]`` story ``(e, i)`` against emotion mean ``f``.
        residual_grams: ``[n, w, w]`` Gram matrices of each emotion's story residuals.
        energy: ``[n]`` expected noise energy of each emotion mean.
        by_column: ``[n, n * w, w]`` the same with the column emotion first (for replicate assembly).
        kept: ``[n, w]`` kept story slots.
        weights: ``[n, w]`` full-sample pooling weights.
        spikes: Debiased strengths of the kept components.
        eigenvalues: ``[n]`` eigenvalues of ``gram``, descending.
        eigenvectors: ``[n, n]`` the matching eigenvectors (columns).
        edge_strength: Debiased strength of a spike exactly at the Marchenko-Pastur edge (``unit sqrt(gamma)``,
            :func:`debiased_spikes`): the scale of the joint inversion's strength grid.
    """

    projector: np.ndarray
    gram: np.ndarray
    cross: np.ndarray
    residual_grams: np.ndarray
    energy: np.ndarray
    by_column: np.ndarray
    kept: np.ndarray
    weights: np.ndarray
    spikes: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    edge_strength: float


def noise_model(story_gram: np.ndarray, layout: StoryLayout) -> tuple[np.ndarray, np.ndarray]:
    """``(residual Gram matrices [n, w, w], noise energy of each emotion mean [n])`` from the story Gram matrix.

    The story noise energy is pooled over emotions with at least two kept stories (unbiased weighted variance per
    emotion, then the mean); an emotion mean's energy is that times the sum of its squared pooling weights.
    """
    n, width = layout.n_emotions, layout.width
    weights = layout.full_weights()
    grid = story_gram.reshape(n, width, n, width)
    own = grid[np.arange(n), :, np.arange(n), :]
    centring = np.eye(width)[None] - weights[:, None, :]
    residual = centring @ own @ centring.transpose(0, 2, 1)
    sum_sq = np.sum(weights**2, axis=1)
    several = layout.n_kept >= 2
    per_story = np.sum(weights * np.diagonal(residual, axis1=1, axis2=2), axis=1)[several] / (1 - sum_sq[several])
    return residual, per_story.mean() * sum_sq


def noise_weights(world: World, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """``[n_draws, n, w]`` story weights (rows sum to 0) of one noise draw per emotion, at its expected energy."""
    g = rng.standard_normal((n_draws, *world.weights.shape)) * world.kept
    energy = np.einsum("bei,eij,bej->be", g, world.residual_grams, g)
    v = g * np.sqrt(world.energy[None, :] / np.maximum(energy, 1e-300))[:, :, None]
    return v - v.sum(axis=2, keepdims=True) * world.weights[None]


def debiased_spikes(values: np.ndarray, unit: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(above [k] bool, strengths)``: which eigenvalues ``values`` (descending) of a centred Gram matrix lie above
    the Marchenko-Pastur edge ``unit (1 + sqrt(gamma))^2``, and the debiased spike strength of each of those (the
    inverse of the spiked-covariance map ``x = ell (1 + gamma / (ell - 1))`` in units of ``unit``)."""
    x = values / unit
    above = x > (1 + np.sqrt(gamma)) ** 2
    b = 1 + x[above] - gamma
    ell = (b + np.sqrt(np.maximum(b * b - 4 * x[above], 0.0))) / 2
    return above, unit * (ell - 1)


def build_world(story_gram: np.ndarray, layout: StoryLayout, rng: np.random.Generator, probes: int = 16) -> World:
    """The denoised world of one layer from its (unscaled) padded story Gram matrix of centred stories."""
    n, width = layout.n_emotions, layout.width
    weights = layout.full_weights()
    grid = story_gram.reshape(n, width, n, width)
    cross = np.einsum("ekfl,fl->ekf", grid, weights)
    centring = np.eye(n) - 1.0 / n
    gram = centring @ np.einsum("ek,ekf->ef", weights, cross) @ centring
    residual, energy = noise_model(story_gram, layout)
    by_column = np.ascontiguousarray(story_gram.reshape(n * width, n, width).transpose(1, 0, 2))
    kept = layout.index >= 0
    empty = np.empty(0)
    draft = World(np.eye(n), gram, cross, residual, energy, by_column, kept, weights, empty, empty, empty, 0.0)
    noise_grams = assemble_grams(by_column, noise_weights(draft, probes, rng))
    off = ~np.eye(n, dtype=bool)
    d_eff = np.mean(np.outer(energy, energy)[off]) / np.mean(noise_grams[:, off] ** 2)
    unit, gamma = n * energy.mean() / d_eff, d_eff / n
    values, vectors = np.linalg.eigh(gram)
    values, vectors = values[::-1], vectors[:, ::-1]
    above, spikes = debiased_spikes(values, unit, gamma)
    kept_vectors = vectors[:, above]
    projector = (kept_vectors * np.sqrt(spikes / values[above])) @ kept_vectors.T
    edge_strength = unit * float(np.sqrt(gamma))
    return World(
        projector, gram, cross, residual, energy, by_column, kept, weights, spikes, values, vectors, edge_strength
    )


@dataclass(frozen=True)
class DesignNoise:
    """The noise of ``B`` replicate data sets of one design, drawn once for every world of a layer: the worlds of
    both components' inversion families draw the same random numbers, so they share it (:func:`story_noise`,
    :func:`emotion_noise`; :func:`family_replicates` adds each world's truth).

    Attributes:
        gram: ``[B, n, n]`` double-centred noise Gram matrices of the replicate rows.
        truth: ``[B, n, m]`` each replicate row's noise against ``U^T X`` (``U`` the sample's first ``m`` =
            :func:`truth_rank` eigenvectors).
        projections: ``[B, n, 2]`` each row's noise projected on the sample's PC1/PC2 directions.
        rows: ``[B, n]`` the emotion behind each replicate row (emotion design); ``None`` for the story design,
            whose row ``e`` is emotion ``e``.
        valence, arousal: ``[B or 1, n]`` the rows' ratings.
    """

    gram: np.ndarray
    truth: np.ndarray
    projections: np.ndarray
    rows: np.ndarray | None
    valence: np.ndarray
    arousal: np.ndarray


def story_noise(world: World, sample: LayerSample, n_resamples: int, rng: np.random.Generator) -> DesignNoise:
    """Story-design noise of ``n_resamples`` replicates: the same emotions, fresh noise for each emotion mean."""
    noise, noise_means, projections = _story_draw(world, sample, n_resamples, rng)
    truth = np.einsum("bef,ej->bfj", noise_means, world.eigenvectors[:, : truth_rank(world)])  # delta_f . U^T X
    return DesignNoise(double_centre(noise), truth, projections, None, sample.valence[None], sample.arousal[None])


def emotion_noise(
    world: World, sample: LayerSample, n_resamples: int, rng: np.random.Generator, chunk: int = 128
) -> DesignNoise:
    """Emotion-design noise of ``n_resamples`` replicates: rows drawn from the emotions, each row's noise drawn
    from a permutation of the emotions' residuals at the energy of the row's own emotion."""
    basis = world.eigenvectors[:, : truth_rank(world)]
    parts: list[tuple[np.ndarray, ...]] = []
    for idx, source, scale, noise, noise_means, projections in _emotion_draws(world, sample, n_resamples, rng, chunk):
        batch = np.arange(idx.shape[0])[:, None]
        truth = (noise_means @ basis)[batch, source] * scale[..., None]  # noise of row e . U^T X
        parts.append((double_centre(noise), truth, projections, idx))
    gram, truth, projections, rows = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return DesignNoise(gram, truth, projections, rows, sample.valence[rows], sample.arousal[rows])


def family_replicates(
    world: World,
    projectors: np.ndarray,
    sample: LayerSample,
    noise: DesignNoise,
    components: tuple[int, ...] = (0, 1),
) -> list[dict[str, np.ndarray]]:
    """Per world of ``projectors`` ``[W, n, n]`` (truths ``Mhat = P X`` sharing ``world``'s noise model), the
    replicates ``Mhat + noise``: :func:`replicate_correlations`' Pearson r and the top two eigenvalues
    (``"eigenvalues"``), solved together by :func:`family_correlations` for ``components``."""
    mean_projections = _mean_projections(world, sample)
    projections = [
        (p @ mean_projections)[None if noise.rows is None else noise.rows] + noise.projections for p in projectors
    ]
    return family_correlations(
        world, projectors, noise.gram, noise.truth, noise.rows, projections, noise.valence, noise.arousal, components
    )


def story_replicates(
    world: World,
    projectors: np.ndarray,
    sample: LayerSample,
    n_resamples: int,
    rng: np.random.Generator,
    dense: bool = False,
    components: tuple[int, ...] = (0, 1),
) -> list[dict[str, np.ndarray]]:
    """Story-scheme replicates of ``sample`` (every emotion rated): the same emotions, ``Mhat + fresh noise``.

    ``projectors`` ``[W, n, n]`` are the truths ``Mhat = P X`` of ``W`` worlds that share ``world``'s noise model
    (``world.projector[None]`` for the world itself): every world gets the same noise draws
    (:func:`story_noise`), and :func:`family_replicates` solves them together; ``dense=True`` assembles and solves
    every replicate Gram matrix instead (the reference the tests hold it to). ``components``: which of PC1 (0) and
    PC2 (1) to solve for (the other's statistics are NaN; the dense path always solves both).

    Returns, per world, :func:`replicate_correlations`' statistics (Pearson's r only, unless ``dense``) and the
    replicates' top two eigenvalues (``"eigenvalues"``).
    """
    if not dense:
        return family_replicates(world, projectors, sample, story_noise(world, sample, n_resamples, rng), components)
    noise, noise_means, noise_projections = _story_draw(world, sample, n_resamples, rng)
    mean_projections = _mean_projections(world, sample)
    ratings = (sample.valence[None], sample.arousal[None])
    out = []
    for p in projectors:
        signal_noise = p @ noise_means  # mhat_e . delta_f
        grams = (p @ world.gram @ p.T)[None] + signal_noise + signal_noise.transpose(0, 2, 1) + noise
        projection = (p @ mean_projections)[None] + noise_projections
        out.append(replicate_correlations(grams, projection, None, *ratings, eigenvalues=True))
    return out


def emotion_replicates(
    world: World,
    projectors: np.ndarray,
    sample: LayerSample,
    n_resamples: int,
    rng: np.random.Generator,
    chunk: int = 128,
    dense: bool = False,
    components: tuple[int, ...] = (0, 1),
) -> list[dict[str, np.ndarray]]:
    """Emotion-scheme replicates of ``sample`` (every emotion rated): rows ``Mhat[idx]`` plus noise drawn, row by
    row, from a permutation of the emotions' residuals at the energy of the row's own emotion (:func:`emotion_noise`).

    Each emotion's noise is drawn once per replicate and every row takes a different emotion's (a permutation),
    so the replicate's noise Gram matrix is the emotions' noise Gram matrix re-indexed and rescaled: no story
    Gram block is gathered per row. ``projectors`` and the return value are as in :func:`story_replicates`
    (every world draws the same emotions, permutations and noise), and so are ``dense`` and ``components``.
    """
    if not dense:
        noise = emotion_noise(world, sample, n_resamples, rng, chunk)
        return family_replicates(world, projectors, sample, noise, components)
    mean_projections = _mean_projections(world, sample)
    signals = [(p @ world.gram @ p.T, p @ mean_projections) for p in projectors]  # per world, not per chunk
    outputs: list[dict[str, list[np.ndarray]]] = [{} for _ in projectors]
    for idx, source, scale, noise, noise_means, projections_noise in _emotion_draws(
        world, sample, n_resamples, rng, chunk
    ):
        batch = np.arange(idx.shape[0])[:, None, None]
        for p, (signal, signal_projections), out in zip(projectors, signals, outputs, strict=True):
            noise_signal = noise_means @ p.T  # noise of f against mhat_e
            cross = noise_signal[batch, source[:, :, None], idx[:, None, :]] * scale[:, :, None]
            grams = signal[idx[:, :, None], idx[:, None, :]] + cross + cross.transpose(0, 2, 1) + noise
            projection = signal_projections[idx] + projections_noise
            ratings = (sample.valence[idx], sample.arousal[idx])
            for name, values in replicate_correlations(grams, projection, None, *ratings, eigenvalues=True).items():
                out.setdefault(name, []).append(values)
    return [{name: np.concatenate(values) for name, values in out.items()} for out in outputs]


def _mean_projections(world: World, sample: LayerSample) -> np.ndarray:
    """``[n, 2]`` the full-sample emotion means projected on the sample's PC1/PC2 directions."""
    return np.einsum("ei,eik->ek", world.weights, sample.story_projections)


def _story_draw(
    world: World, sample: LayerSample, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(noise Gram [B, n, n] uncentred, x_e . delta_f [B, e, f], noise projections [B, n, 2])`` of the story
    design's fresh noise ``delta`` of every emotion mean."""
    delta = noise_weights(world, n_resamples, rng)
    noise_means = np.einsum("bfl,fle->bef", delta, world.cross)  # x_e . delta_f
    projections = np.einsum("bei,eik->bek", delta, sample.story_projections)
    return assemble_grams(world.by_column, delta), noise_means, projections


def _emotion_draws(
    world: World, sample: LayerSample, n_resamples: int, rng: np.random.Generator, chunk: int
) -> Iterator[tuple[np.ndarray, ...]]:
    """Chunks of the emotion design's draws: ``(rows idx [m, n], noise source emotions [m, n], noise scale
    [m, n], noise Gram of the rows [m, n, n] uncentred, noise of f against x_g [m, f, g], the rows' noise
    projections [m, n, 2])``."""
    n = sample.layout.n_emotions
    for lo in range(0, n_resamples, chunk):
        m = min(chunk, n_resamples - lo)
        batch = np.arange(m)[:, None, None]
        idx = rng.integers(0, n, size=(m, n))
        source = np.argsort(rng.random((m, n)), axis=1)
        unscaled = noise_weights(world, m, rng)  # [m, f, l]: one draw per source emotion
        noise_grams = assemble_grams(world.by_column, unscaled)
        noise_means = np.einsum("bfl,flg->bfg", unscaled, world.cross)  # noise of f against x_g
        noise_projections = np.einsum("bfl,flk->bfk", unscaled, sample.story_projections)
        scale = np.sqrt(world.energy[idx] / world.energy[source])  # [m, row]
        noise = noise_grams[batch, source[:, :, None], source[:, None, :]] * scale[:, :, None] * scale[:, None, :]
        yield idx, source, scale, noise, noise_means, noise_projections[batch[:, :, 0], source] * scale[..., None]


def truth_rank(world: World) -> int:
    """How many of the sample's eigenvectors span the row space of every truth ``P X`` of an inversion family:
    the kept components, and at least PC1 and PC2 (the inversion tilts either, kept or not)."""
    return max(world.spikes.size, 2)


def family_correlations(
    world: World,
    projectors: np.ndarray,
    noise: np.ndarray,
    noise_truth: np.ndarray,
    rows: np.ndarray | None,
    projections: list[np.ndarray],
    valence: np.ndarray,
    arousal: np.ndarray,
    components: tuple[int, ...] = (0, 1),
) -> list[dict[str, np.ndarray]]:
    """The replicates of every world of a family from their shared noise, without a dense solve per world.

    A world's truth is ``P X = A U^T X`` with ``U`` the sample's first ``m`` eigenvectors (:func:`truth_rank`)
    and ``A = P U``, so a replicate's Gram matrix is ``N + [A, K] [[L, I], [I, 0]] [A, K]^T`` (``N`` the noise
    Gram matrix, ``L`` the ``m`` eigenvalues, ``K`` the noise against ``U^T X``; column by column, as ``U`` holds
    eigenvectors of the sample). The columns of ``A`` every world shares join ``N`` in a shared matrix, solved
    once per replicate; the columns that vary (the tilted component) are each world's low-rank update, which
    :func:`low_rank_eigen.top_updated` solves exactly.

    Args:
        projectors: ``[W, n, n]`` the worlds' truths (rows in the span of ``U``, else an error).
        noise: ``[B, n, n]`` double-centred noise Gram matrices of the replicate rows.
        noise_truth: ``[B, n, m]`` each replicate row's noise against ``U^T X``.
        rows: ``[B, n]`` the emotion behind each replicate row (emotion scheme), ``None`` for the story scheme.
        projections, valence, arousal: per world ``[B, n, 2]``, and ``[B or 1, n]`` ratings, as in
            :func:`replicate_correlations`.
        components: Which of PC1 (0) and PC2 (1) to solve for; the other's eigenvalue and statistics are NaN.
    """
    n_worlds, (n_replicates, n, m) = len(projectors), noise_truth.shape
    basis = world.eigenvectors[:, :m]
    factors = projectors @ basis  # [W, n, m]
    if not np.allclose(factors @ basis.T, projectors, rtol=0, atol=1e-9 * np.abs(projectors).max()):
        raise ValueError(f"a truth reaches outside the sample's first {m} eigenvectors: solve densely")
    # the columns every world shares join the noise in the shared matrix; only the varying ones are updates
    varies = np.any(np.abs(factors - factors[:1]) > 1e-12 * np.abs(factors).max(), axis=(0, 1))
    truth_rows = factors[:, None] if rows is None else factors[:, rows]  # [W, 1 or B, n, m]
    values = world.eigenvalues[:m]
    shared, shared_core = _centred_update(truth_rows, noise_truth, values, ~varies, 1)
    shared_matrices = noise + shared[0] @ shared_core @ np.swapaxes(shared[0], 1, 2)
    noise_values, noise_vectors = shared_eigh(shared_matrices)
    if not varies.any():  # one world, or worlds that do not differ: the shared matrices are the replicates
        order = noise_values.argsort(axis=1)[:, ::-1][:, list(components)]
        solved = np.broadcast_to(
            np.take_along_axis(noise_values, order, axis=1), (n_worlds, n_replicates, len(components))
        )
        picked = np.take_along_axis(noise_vectors, order[:, None, :], axis=2)
        return _correlations_of(
            solved, np.broadcast_to(picked, (n_worlds, *picked.shape)), components, projections, valence, arousal
        )
    updates, core = _centred_update(truth_rows, noise_truth, values, varies, n_worlds)
    # one [n, n] x [n, W 2v] product per replicate, into and out of the shared eigenbasis
    stacked = updates.transpose(1, 2, 0, 3).reshape(n_replicates, n, -1)
    coordinates = (np.swapaxes(noise_vectors, 1, 2) @ stacked).reshape(n_replicates, n, n_worlds, -1)
    ranks = tuple(c + 1 for c in components)
    solved, inner = top_updated(noise_values, coordinates.transpose(2, 0, 1, 3), core, ranks)
    inner = noise_vectors @ inner.transpose(1, 2, 0, 3).reshape(n_replicates, n, -1)
    inner = inner.reshape(n_replicates, n, n_worlds, len(ranks)).transpose(2, 0, 1, 3)
    return _correlations_of(solved, inner, components, projections, valence, arousal)


def shared_eigh(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every eigenpair of ``[B, n, n]`` symmetric matrices, solved in float32 (LAPACK ``ssyevd``) and returned in
    float64.

    These full solves are the inversion's largest cost, and float32 takes about two thirds of float64's time for
    171 x 171 (0.23 s against 0.34-0.38 s per 100 on one core). The rounding moves an eigenvalue by about 1e-7 of the
    largest, so the low-rank solver works on matrices within that of the replicates; a correlation moves by far less
    than the Monte-Carlo error of a world's quantiles from 100 replicates.
    """
    values = np.empty(matrices.shape[:2])
    vectors = np.empty(matrices.shape)
    for b, matrix in enumerate(np.asarray(matrices, dtype=np.float32)):
        w, v, info = lapack.ssyevd(matrix, compute_v=1, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"ssyevd failed on replicate {b} (info {info})")
        values[b], vectors[b] = w, v
    return values, vectors


def _centred_update(
    truth_rows: np.ndarray, noise_truth: np.ndarray, values: np.ndarray, columns: np.ndarray, members: int
) -> tuple[np.ndarray, np.ndarray]:
    """``([members, B, n, 2 k] factors, [2 k, 2 k] core)`` of the centred Gram matrix's update by the truth columns
    ``columns`` (``k`` of the ``m``): the truth rows ``[W, 1 or B, n, m]`` and the noise against the truth
    ``[B, n, m]`` of those columns, coupled by the core ``[[L, I], [I, 0]]`` (``L`` their eigenvalues ``values``)."""
    k, (n_replicates, n, _) = int(columns.sum()), noise_truth.shape
    shape = (members, n_replicates, n, k)
    update = np.concatenate(
        [
            np.broadcast_to(truth_rows[:members, ..., columns], shape),
            np.broadcast_to(noise_truth[None, ..., columns], shape),
        ],
        axis=-1,
    )
    core = np.block([[np.diag(values[columns]), np.eye(k)], [np.eye(k), np.zeros((k, k))]])
    return update - update.mean(axis=2, keepdims=True), core


def _correlations_of(
    solved: np.ndarray,
    solved_vectors: np.ndarray,
    components: tuple[int, ...],
    projections: list[np.ndarray],
    valence: np.ndarray,
    arousal: np.ndarray,
) -> list[dict[str, np.ndarray]]:
    """Per world, :func:`eigenpair_correlations` of the eigenpairs ``solved`` ``[W, B, K]``, ``solved_vectors``
    ``[W, B, n, K]`` of ``components``; the components not solved are NaN."""
    n_worlds, n_replicates, n, _ = solved_vectors.shape
    values = np.full((n_worlds, n_replicates, 2), np.nan)
    vectors = np.full((n_worlds, n_replicates, n, 2), np.nan)
    values[..., list(components)] = solved
    vectors[..., list(components)] = solved_vectors
    return [
        eigenpair_correlations(
            values[w], vectors[w], projections[w], valence, arousal, eigenvalues=True, spearman=False
        )
        for w in range(n_worlds)
    ]
