"""A prototype resampling world for the story and emotion bootstraps: denoised truth, noise of even energy.

Not part of the package: ``benchmarks/interval_spread.py`` measures it against the shipped schemes, and
``docs/intervals.md`` says what it shows and what it assumes. Everything works on Gram matrices, as the shipped
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

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from emotion_vectors.analysis.bootstrap import (
    StoryLayout,
    _assemble_grams,
    reference_story_projections,
    replicate_correlations,
    start_block,
)


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
    draft = World(np.eye(n), gram, cross, residual, energy, by_column, kept, weights, empty, empty, empty)
    noise_grams = _assemble_grams(by_column, noise_weights(draft, probes, rng))
    off = ~np.eye(n, dtype=bool)
    d_eff = np.mean(np.outer(energy, energy)[off]) / np.mean(noise_grams[:, off] ** 2)
    unit, gamma = n * energy.mean() / d_eff, d_eff / n
    values, vectors = np.linalg.eigh(gram)
    values, vectors = values[::-1], vectors[:, ::-1]
    above, spikes = debiased_spikes(values, unit, gamma)
    kept_vectors = vectors[:, above]
    projector = (kept_vectors * np.sqrt(spikes / values[above])) @ kept_vectors.T
    return World(projector, gram, cross, residual, energy, by_column, kept, weights, spikes, values, vectors)


def story_replicates(
    world: World,
    story_gram: np.ndarray,
    layout: StoryLayout,
    gram: np.ndarray,
    scores: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Story-scheme replicates: the same emotions, ``Mhat + fresh noise``. Ratings ``[n]`` (all rated)."""
    n, width = layout.n_emotions, layout.width
    p = world.projector
    delta = noise_weights(world, n_resamples, rng)
    noise = _assemble_grams(world.by_column, delta)
    signal_noise = p @ np.einsum("bfl,fle->bef", delta, world.cross)  # mhat_e . delta_f
    grams = (p @ world.gram @ p.T)[None] + signal_noise + signal_noise.transpose(0, 2, 1) + noise
    reference = reference_story_projections(layout, story_gram, gram, scores).reshape(n, width, 2)
    projections = (p @ np.einsum("ei,eik->ek", world.weights, reference))[None]
    projections = projections + np.einsum("bei,eik->bek", delta, reference)
    return replicate_correlations(grams, projections, start_block(gram), valence[None], arousal[None])


def emotion_replicates(
    world: World,
    story_gram: np.ndarray,
    layout: StoryLayout,
    gram: np.ndarray,
    scores: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
    chunk: int = 128,
) -> dict[str, np.ndarray]:
    """Emotion-scheme replicates: rows ``Mhat[idx]`` plus noise drawn, row by row, from a permutation of the
    emotions' residuals at the energy of the row's own emotion. Ratings ``[n]`` (all rated).

    Each emotion's noise is drawn once per replicate and every row takes a different emotion's (a permutation),
    so the replicate's noise Gram matrix is the emotions' noise Gram matrix re-indexed and rescaled: no story
    Gram block is gathered per row.
    """
    n = layout.n_emotions
    p = world.projector
    signal = p @ world.gram @ p.T
    cross_signal = np.einsum("glf,ef->gle", world.cross, p)  # story (g, l) against mhat_e
    reference = reference_story_projections(layout, story_gram, gram, scores).reshape(n, layout.width, 2)
    signal_projections = p @ np.einsum("ei,eik->ek", world.weights, reference)
    start = start_block(gram)
    outputs: dict[str, list[np.ndarray]] = {}
    for lo in range(0, n_resamples, chunk):
        m = min(chunk, n_resamples - lo)
        batch = np.arange(m)[:, None, None]
        idx = rng.integers(0, n, size=(m, n))
        source = np.argsort(rng.random((m, n)), axis=1)
        unscaled = noise_weights(world, m, rng)  # [m, f, l]: one draw per source emotion
        noise_grams = _assemble_grams(world.by_column, unscaled)
        noise_signal = np.einsum("bfl,fle->bfe", unscaled, cross_signal)
        noise_projections = np.einsum("bfl,flk->bfk", unscaled, reference)
        scale = np.sqrt(world.energy[idx] / world.energy[source])  # [m, row]
        noise = noise_grams[batch, source[:, :, None], source[:, None, :]] * scale[:, :, None] * scale[:, None, :]
        cross = noise_signal[batch, source[:, :, None], idx[:, None, :]] * scale[:, :, None]
        grams = signal[idx[:, :, None], idx[:, None, :]] + cross + cross.transpose(0, 2, 1) + noise
        projections = signal_projections[idx] + noise_projections[batch[:, :, 0], source] * scale[..., None]
        chunk_out = replicate_correlations(grams, projections, start[idx], valence[idx], arousal[idx])
        for name, values in chunk_out.items():
            outputs.setdefault(name, []).append(values)
    return {name: np.concatenate(values) for name, values in outputs.items()}


# ------------------------------------------------------------------------------ test inversion over a tilt


def centred_unit(rating: np.ndarray) -> np.ndarray:
    """``[n]`` the rating centred and scaled to unit length (inner products with it are correlations)."""
    unit = rating - rating.mean()
    return unit / np.linalg.norm(unit)


def rating_plane(vectors: np.ndarray, rating: np.ndarray, component: int) -> tuple[float, float, np.ndarray]:
    """The plane a component is turned in: ``(alpha, gamma, outside)`` with ``alpha`` the correlation of column
    ``component`` of ``vectors`` ``[n, m]`` (orthonormal, centred) with ``rating`` ``[n]``, ``outside`` the unit
    part of the centred rating orthogonal to every column and ``gamma`` its share; a column turned by ``angle``,
    ``cos(angle) u + sin(angle) outside``, correlates with the rating at ``alpha cos(angle) + gamma sin(angle)``."""
    unit = centred_unit(rating)
    outside = unit - vectors @ (vectors.T @ unit)
    gamma = float(np.linalg.norm(outside))
    return float(vectors[:, component] @ unit), gamma, outside / gamma


#: How a tilted component's strength is set (:func:`tilted_projectors`).
STRENGTH_RULES = ("rating_energy", "spike")


def tilted_projectors(
    world: World, rating: np.ndarray, component: int, n_grid: int, strength_rule: str = "rating_energy"
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Worlds whose truth has component ``component`` turned towards ``rating``, for a grid of alignments.

    The component's eigenvector ``u`` is turned inside the plane of ``u`` and the rating's part outside the kept
    eigenvectors, from no correlation with the rating to the most the plane allows (``n_grid`` angles). Its
    strength, by ``strength_rule``:

    - ``"rating_energy"``: the truth's energy along the rating equals its unbiased estimate
      (``a^T G a - sum_e a_e^2 E_e`` for the unit centred rating ``a``, noise energies ``E``), capped at the
      sample eigenvalue;
    - ``"spike"``: the component's debiased spike strength when it is kept, the rating-energy strength when it
      lies below the noise edge (which the plain world drops).

    Why tilt: with the
    sample's eigenvectors the truth inherits their misalignment, so its correlations with the ratings are already
    attenuated and the replicates attenuate them again (``docs/world_diagnosis.md``).

    Args:
        world: The denoised world of one layer.
        rating: ``[n]`` ratings (all emotions rated).
        component: 0 for PC1, 1 for PC2.
        n_grid: Number of alignments.
        strength_rule: One of :data:`STRENGTH_RULES`.

    Returns:
        ``(alignments [n_grid], projectors)``: the tilted component's correlation with the rating and, per
        alignment, the ``[n, n]`` projector ``P`` of the world's truth ``P X``.
    """
    if strength_rule not in STRENGTH_RULES:
        raise ValueError(f"strength_rule must be one of {STRENGTH_RULES}, got {strength_rule!r}")
    m = max(world.spikes.size, component + 1)
    u, values = world.eigenvectors[:, :m], world.eigenvalues[:m]
    strengths = np.zeros(m)
    strengths[: world.spikes.size] = world.spikes
    unit = centred_unit(rating)
    along = float(unit @ world.gram @ unit - np.sum(unit**2 * world.energy))
    alpha, gamma, outside = rating_plane(u, rating, component)
    others = sum(strengths[j] * float(u[:, j] @ unit) ** 2 for j in range(m) if j != component)
    angles = np.linspace(np.arctan2(-alpha, gamma), np.arctan2(gamma, alpha), n_grid)
    alignments = alpha * np.cos(angles) + gamma * np.sin(angles)
    own = u[:, component]
    base = world.projector - np.sqrt(strengths[component] / values[component]) * np.outer(own, own)
    projectors = []
    for angle, r in zip(angles, alignments, strict=True):
        tilted = np.cos(angle) * own + np.sin(angle) * outside
        if strength_rule == "spike" and strengths[component] > 0:
            strength = strengths[component]
        else:
            strength = min(max(along - others, 0.0) / max(r * r, 1e-12), values[component])
        projectors.append(base + np.sqrt(strength / values[component]) * np.outer(tilted, own))
    return alignments, projectors


def inverted_interval(estimate: float, quantiles: np.ndarray, fine: int = 1001) -> list[float]:
    """Test inversion: the medians of the worlds whose central range contains the estimate.

    Args:
        estimate: The sample's r.
        quantiles: ``[G, 3]`` lower quantile, median and upper quantile of the replicates of ``G`` worlds along
            a one-parameter family, in family order (interpolated linearly in between).
        fine: Points of the interpolation.

    Returns:
        ``[low, high]``: the range of the medians of the accepted worlds, widened to contain the estimate (a no-op
        when the medians span it); ``[nan, nan]`` when no world accepts the estimate.
    """
    grid = np.linspace(0, len(quantiles) - 1, fine)
    low, mid, high = (np.interp(grid, np.arange(len(quantiles)), quantiles[:, j]) for j in range(3))
    accepted = (low <= estimate) & (estimate <= high)
    if not np.any(accepted):
        return [float("nan"), float("nan")]
    return [float(min(mid[accepted].min(), estimate)), float(max(mid[accepted].max(), estimate))]


def inverted_replicate_interval(
    world: World,
    replicates: Callable[..., dict[str, np.ndarray]],
    data: tuple[Any, ...],
    component: int,
    estimate: float,
    inversion: tuple[int, int, str],
    confidence: float,
    stream: list[int],
) -> list[float]:
    """The test-inversion interval of PC1-valence (``component`` 0) or PC2-arousal r (1).

    The world's component is tilted along a grid (``inversion = (grid points, replicates per point, strength
    rule)``, :func:`tilted_projectors`); every point draws the same random numbers (seed ``stream``), so the
    quantile curves are smooth along the grid, and each point's replicates (|r|, as the analysis's sign rule
    reports the estimate) give its quantiles for :func:`inverted_interval`.

    Args:
        replicates: :func:`story_replicates` or :func:`emotion_replicates`.
        data: ``(story_gram, layout, gram, scores, valence, arousal)`` as those take them.
    """
    story_gram, layout, gram, scores, valence, arousal = data
    name = ("pc1_valence_r", "pc2_arousal_r")[component]
    grid, n_replicates, rule = inversion
    _, projectors = tilted_projectors(world, (valence, arousal)[component], component, grid, rule)
    alpha = (1 - confidence) / 2
    quantiles = []
    for projector in projectors:
        tilted = replace(world, projector=projector)
        draws = replicates(
            tilted, story_gram, layout, gram, scores, valence, arousal, n_replicates, np.random.default_rng(stream)
        )[name]
        quantiles.append(np.quantile(np.abs(draws[np.isfinite(draws)]), [alpha, 0.5, 1 - alpha]))
    return inverted_interval(estimate, np.array(quantiles))
