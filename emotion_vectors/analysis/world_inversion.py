"""Test inversion over the denoised world of :mod:`emotion_vectors.analysis.denoised_world`: worlds whose PC1 or
PC2 is turned towards a rating (and, with the ``"joint"`` rule, set to a grid of strengths), and the interval of
the worlds whose replicates hold the sample's estimate.

The analysis's inverted intervals (:mod:`emotion_vectors.analysis.inverted_intervals`) invert the joint grid with
the hybrid rule; ``benchmarks/interval_coverage.py`` runs every rule (``--inversion``) and ``docs/intervals.md``
says what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emotion_vectors.analysis.denoised_world import DesignNoise, World, family_replicates
from emotion_vectors.analysis.layer_sample import LayerSample


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


#: How :func:`tilted_projectors` sets a tilted component's one strength.
SINGLE_STRENGTH_RULES = ("rating_energy", "spike")
#: Every rule of the inversion: ``"joint"`` inverts over a grid of strengths as well (:func:`joint_strengths`).
STRENGTH_RULES = (*SINGLE_STRENGTH_RULES, "joint")
#: The joint inversion's strengths, in units of the debiased strength at the noise edge
#: (:attr:`World.edge_strength`), before the grid is continued upwards and the strengths that would change the
#: component's rank are dropped (:func:`joint_strengths`).
JOINT_STRENGTHS = (0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)


@dataclass(frozen=True)
class TiltFamily:
    """One component of a world turned towards a rating along a grid of alignments (:func:`tilt_family`).

    Attributes:
        alignments: ``[G]`` correlation of the turned vector with the rating, from none to the most the plane
            allows.
        tilted: ``[G, n]`` the turned unit vectors.
        own: ``[n]`` the component's sample eigenvector (the right factor of its projector term).
        base: ``[n, n]`` the world's projector without the component.
        value: The component's sample eigenvalue.
        spike: Its debiased spike strength (0 when it lies below the noise edge).
        along: Unbiased estimate of the truth's energy along the rating, less the other components' share.
    """

    alignments: np.ndarray
    tilted: np.ndarray
    own: np.ndarray
    base: np.ndarray
    value: float
    spike: float
    along: float

    def projector(self, index: int, strength: float) -> np.ndarray:
        """``[n, n]`` projector of the world whose component is ``tilted[index]`` at ``strength``: its truth
        Gram matrix has that vector as an eigenvector with eigenvalue ``strength``."""
        return self.base + np.sqrt(strength / self.value) * np.outer(self.tilted[index], self.own)


def tilt_family(world: World, rating: np.ndarray, component: int, n_grid: int) -> TiltFamily:
    """Component ``component`` (0 for PC1, 1 for PC2) of ``world`` turned towards ``rating`` ``[n]``.

    The eigenvector ``u`` is turned inside the plane of ``u`` and the rating's part outside the kept eigenvectors
    (:func:`rating_plane`), through ``n_grid`` angles. Why tilt: with the sample's eigenvectors the truth inherits
    their misalignment, so its correlations with the ratings are already attenuated and the replicates attenuate
    them again (``docs/world_diagnosis.md``).
    """
    m = max(world.spikes.size, component + 1)
    u, values = world.eigenvectors[:, :m], world.eigenvalues[:m]
    strengths = np.zeros(m)
    strengths[: world.spikes.size] = world.spikes
    unit = centred_unit(rating)
    along = float(unit @ world.gram @ unit - np.sum(unit**2 * world.energy))
    others = sum(strengths[j] * float(u[:, j] @ unit) ** 2 for j in range(m) if j != component)
    alpha, gamma, outside = rating_plane(u, rating, component)
    angles = np.linspace(np.arctan2(-alpha, gamma), np.arctan2(gamma, alpha), n_grid)
    own = u[:, component]
    return TiltFamily(
        alignments=alpha * np.cos(angles) + gamma * np.sin(angles),
        tilted=np.cos(angles)[:, None] * own[None] + np.sin(angles)[:, None] * outside[None],
        own=own,
        base=world.projector - np.sqrt(strengths[component] / values[component]) * np.outer(own, own),
        value=float(values[component]),
        spike=float(strengths[component]),
        along=along - others,
    )


def tilted_projectors(
    world: World, rating: np.ndarray, component: int, n_grid: int, strength_rule: str = "rating_energy"
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Worlds whose truth has component ``component`` turned towards ``rating``, for a grid of alignments
    (:func:`tilt_family`). The component's strength, by ``strength_rule``:

    - ``"rating_energy"``: the truth's energy along the rating equals its unbiased estimate
      (``a^T G a - sum_e a_e^2 E_e`` for the unit centred rating ``a``, noise energies ``E``), capped at the
      sample eigenvalue;
    - ``"spike"``: the component's debiased spike strength when it is kept, the rating-energy strength when it
      lies below the noise edge (which the plain world drops).

    (``"joint"`` takes a grid of strengths: :func:`joint_strengths`.)

    Args:
        world: The denoised world of one layer.
        rating: ``[n]`` ratings (all emotions rated).
        component: 0 for PC1, 1 for PC2.
        n_grid: Number of alignments.
        strength_rule: ``"rating_energy"`` or ``"spike"``.

    Returns:
        ``(alignments [n_grid], projectors)``: the tilted component's correlation with the rating and, per
        alignment, the ``[n, n]`` projector ``P`` of the world's truth ``P X``.
    """
    if strength_rule not in SINGLE_STRENGTH_RULES:
        raise ValueError(f"strength_rule must be one of {SINGLE_STRENGTH_RULES}, got {strength_rule!r}")
    family = tilt_family(world, rating, component, n_grid)
    projectors = []
    for index, r in enumerate(family.alignments):
        if strength_rule == "spike" and family.spike > 0:
            strength = family.spike
        else:
            strength = min(max(family.along, 0.0) / max(r * r, 1e-12), family.value)
        projectors.append(family.projector(index, strength))
    return family.alignments, projectors


def joint_strengths(world: World, component: int) -> np.ndarray:
    """The joint inversion's strengths of component ``component``: :data:`JOINT_STRENGTHS` times the world's
    edge strength, continued in steps of ``sqrt(2)`` until it passes twice PC1's debiased strength (with little
    noise, as at 9 stories, PC1 lies far above 8 edge strengths and a grid that stops there holds no world with
    the sample's eigenvalue), less those that would change its rank (PC1 must stay above PC2's debiased
    strength, PC2 below PC1's). PC2's grid ends at that boundary itself, PC1's strength: a sample whose PC2 lies
    close to its PC1 otherwise finds no world with its eigenvalue. PC1's grid does not reach down to PC2's
    strength: worlds whose two components are tied mix valence with arousal, and at seed 0, 3 stories, story
    design that lower end moved 15 of 100 intervals of the profile and the hybrid down without filling the one
    data set that had no world (``docs/intervals.md``)."""
    steps = list(JOINT_STRENGTHS)
    top = 2 * world.spikes[0] if world.spikes.size else 0.0
    while steps[-1] * world.edge_strength < top:
        steps.append(steps[-1] * np.sqrt(2))
    grid = world.edge_strength * np.asarray(steps)
    if component == 0:
        return grid[grid > (world.spikes[1] if world.spikes.size > 1 else 0.0)]
    if world.spikes.size == 0:
        return grid
    return np.concatenate([grid[grid < world.spikes[0]], [world.spikes[0]]])


def own_strength(world: World, component: int) -> float | None:
    """The component's debiased spike strength (:attr:`World.spikes`): the strength whose replicates' eigenvalue
    has the sample's eigenvalue as its expected value under the noise model, so the profile's one row; ``None``
    where the component lies below the noise edge (the world keeps no spike for it)."""
    return float(world.spikes[component]) if component < world.spikes.size else None


def inverted_interval(
    estimate: float,
    quantiles: np.ndarray,
    companion: tuple[float, np.ndarray] | None = None,
    fine: int = 1001,
    fine_rows: int = 20,
    profile: bool = False,
    from_zero: bool = False,
) -> list[float]:
    """Test inversion: the medians of the worlds whose central range contains the estimate.

    Args:
        estimate: The sample's r.
        quantiles: ``[G, 3]`` lower quantile, median and upper quantile of the replicates of ``G`` worlds along
            a one-parameter family, in family order, or ``[S, G, 3]`` for a two-parameter family (rows: strengths
            in order); interpolated linearly in between.
        companion: ``(observed, ranges [S, G, 3])``: a second statistic of the sample and each world's lower
            quantile, median and upper quantile of it; a world is accepted only when both central ranges contain
            the sample's values.
        fine: Interpolation points along a row.
        fine_rows: Interpolation steps between neighbouring rows.
        profile: With a companion, test in each column (alignment) only the row whose companion median lies
            closest to the observed value (the strength the sample's eigenvalue points to), instead of every row
            whose companion range holds it.
        from_zero: The first column is the boundary of the family (for |r|: no alignment with the rating), so
            its region starts at 0 instead of at its lower quantile: an estimate below every world's central
            range is then evidence for that world, not against every world (the same construction as a
            one-sided test at a parameter's boundary; the other worlds keep their central ranges).

    Returns:
        ``[low, high]``: the range of the medians of the accepted worlds, widened to contain the estimate (a no-op
        when the medians span it); ``[nan, nan]`` when no world accepts the estimate.
    """
    grid = np.asarray(quantiles, dtype=np.float64)
    grid = grid[None] if grid.ndim == 2 else grid
    if companion is not None:
        grid = np.concatenate([grid, np.asarray(companion[1], dtype=np.float64)], axis=2)
    grid = _interpolate_rows(_interpolate_columns(grid, fine), fine_rows)
    if from_zero:
        grid[:, 0, 0] = np.minimum(grid[:, 0, 0], 0.0)
    accepted = (grid[..., 0] <= estimate) & (estimate <= grid[..., 2])
    if companion is not None:
        accepted &= (grid[..., 3] <= companion[0]) & (companion[0] <= grid[..., 5])
        if profile:
            closest = np.argmin(np.abs(grid[..., 4] - companion[0]), axis=0)
            accepted &= np.arange(grid.shape[0])[:, None] == closest[None, :]
    if not np.any(accepted):
        return [float("nan"), float("nan")]
    medians = grid[..., 1][accepted]
    return [float(min(medians.min(), estimate)), float(max(medians.max(), estimate))]


def _interpolate_columns(grid: np.ndarray, fine: int) -> np.ndarray:
    """``[S, G, q]`` -> ``[S, fine, q]``, linear along the second axis."""
    columns = grid.shape[1]
    points = np.linspace(0, columns - 1, fine)
    return np.stack(
        [
            np.stack([np.interp(points, np.arange(columns), row[:, j]) for j in range(grid.shape[2])], axis=1)
            for row in grid
        ]
    )


def _interpolate_rows(grid: np.ndarray, steps: int) -> np.ndarray:
    """``[S, F, q]`` -> ``[(S - 1) steps + 1, F, q]``, linear between neighbouring rows."""
    if grid.shape[0] == 1:
        return grid
    position = np.linspace(0, grid.shape[0] - 1, (grid.shape[0] - 1) * steps + 1)
    low = np.minimum(np.floor(position).astype(int), grid.shape[0] - 2)
    weight = (position - low)[:, None, None]
    return (1 - weight) * grid[low] + weight * grid[low + 1]


#: Quantile levels of |r| and of the component's eigenvalue kept for every world of a grid
#: (:func:`replicate_grid`): enough to invert the same grid at other test levels without new replicates.
GRID_LEVELS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


@dataclass(frozen=True)
class ReplicateGrid:
    """Quantiles of the replicates of every world of an inversion grid.

    Attributes:
        levels: ``[L]`` quantile levels, ascending (:data:`GRID_LEVELS` plus the interval's own).
        r: ``[S, G, L]`` quantiles of |r| per strength row (one row for a single-strength rule) and alignment.
        eigenvalue: ``[S, G, L]`` quantiles of the component's eigenvalue.
        conditional: ``[S, G, L]`` quantiles of |r| given that the eigenvalue equals the sample's (a least-squares
            line of |r| on the eigenvalue over the world's replicates, at the sample's eigenvalue, plus the
            quantiles of the residuals).
        strengths: ``[S]`` the rows' strengths in units of the world's edge strength (empty for a single-strength
            rule).
        alignments: ``[G]`` the tilted component's correlation with its rating.
    """

    levels: np.ndarray
    r: np.ndarray
    eigenvalue: np.ndarray
    conditional: np.ndarray
    strengths: np.ndarray
    alignments: np.ndarray

    def at(self, level: float) -> int:
        """Index of ``level`` in :attr:`levels` (a level the grid does not hold is an error, not its neighbour)."""
        index = int(np.argmin(np.abs(self.levels - level)))
        if abs(self.levels[index] - level) > 1e-9:
            raise ValueError(f"the grid holds quantiles at {self.levels.tolist()}, not at {level:.4g}")
        return index

    def central(self, quantiles: np.ndarray, tail: float, lower_tail: float | None = None) -> np.ndarray:
        """``[..., 3]``: ``quantiles`` (:attr:`r`, :attr:`eigenvalue`, ...) at ``lower_tail`` (default ``tail``),
        0.5 and ``1 - tail``."""
        lower = tail if lower_tail is None else lower_tail
        return quantiles[..., [self.at(lower), self.at(0.5), self.at(1 - tail)]]


def conditional_quantiles(r: np.ndarray, eigenvalue: np.ndarray, observed: float, levels: np.ndarray) -> np.ndarray:
    """``[L]`` quantiles of ``r`` ``[B]`` given ``eigenvalue`` ``[B]`` at ``observed``: the least-squares line of
    ``r`` on the eigenvalue at ``observed`` plus the quantiles of the residuals (a shift of the whole
    distribution along the line; valid near the replicates' own eigenvalues, so callers require ``observed``
    inside their range)."""
    slope, intercept = np.polyfit(eigenvalue, r, 1)
    residual = r - (intercept + slope * eigenvalue)
    return intercept + slope * observed + np.quantile(residual, levels)


def replicate_quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``[L]`` quantiles of a world's ``m`` replicates ``values`` ``[m]`` at ``levels``, placed so that a fresh data
    set of the world falls below the ``p`` quantile with probability exactly ``p``.

    The ``k``-th smallest of ``m`` draws of a continuous distribution ``F`` has ``E[F(X_(k))] = k / (m + 1)``, so
    the quantile at position ``p (m + 1)`` between order statistics (Weibull's plotting position) has
    ``E[F] = p``, and the central range ``[q_a, q_(1-a)]`` holds an independent draw of the same world with
    probability exactly ``1 - 2 a``: the test at the true world has its nominal level for any ``m`` with
    ``a (m + 1) >= 1``. The usual position ``1 + p (m - 1)`` has ``E[F] = (1 + p (m - 1)) / (m + 1)``: its 95 % range
    holds a fresh draw with probability ``0.95 (m - 1) / (m + 1)`` (0.931 at 100 replicates, 0.913 at 50), a
    liberal test (``tests/test_inverted_intervals.py`` checks both by simulation). ``values`` may be ``[..., m]``
    (quantiles ``[L, ...]``)."""
    return np.quantile(values, levels, axis=-1, method="weibull")


def replicate_grid(
    world: World,
    noise: DesignNoise,
    sample: LayerSample,
    component: int,
    inversion: tuple[int, str],
    confidence: float,
    strengths: np.ndarray | None = None,
    lower_tails: tuple[float, ...] = (),
) -> ReplicateGrid:
    """Replicates of every world of the inversion grid of PC1-valence (``component`` 0) or PC2-arousal r (1).

    The world's component is tilted along a grid (``inversion = (grid points, strength rule)``,
    :func:`tilted_projectors`); every point adds its truth to the same ``noise`` (one replicate per data set it
    holds, :func:`~emotion_vectors.analysis.denoised_world.story_noise` or ``emotion_noise``), so the quantile
    curves are smooth along the grid and a grid built a few rows at a time is the same grid. With the
    ``"joint"`` rule the grid is alignments x :func:`joint_strengths`.

    Args:
        sample: The layer (every emotion rated).
        strengths: With the ``"joint"`` rule, only these strengths (ascending; default :func:`joint_strengths`),
            e.g. a few of its rows, or the component's own debiased strength (:func:`own_strength_row`).
        lower_tails: Further quantile levels to keep (:func:`grid_intervals`' ``lower_tail``).
    """
    name = ("pc1_valence_r", "pc2_arousal_r")[component]
    rating = (sample.valence, sample.arousal)[component]
    n_grid, rule = inversion
    alpha = (1 - confidence) / 2
    levels = np.unique(np.round([*GRID_LEVELS, *lower_tails, alpha, 0.5, 1 - alpha], 12))
    if rule == "joint":
        family = tilt_family(world, rating, component, n_grid)
        strengths = joint_strengths(world, component) if strengths is None else np.asarray(strengths, dtype=float)
        alignments = family.alignments
        projectors = [family.projector(i, strength) for strength in strengths for i in range(n_grid)]
    else:
        alignments, projectors = tilted_projectors(world, rating, component, n_grid, rule)
        strengths = np.empty(0)
    observed = float(world.eigenvalues[component])
    r_quantiles, eigenvalue_quantiles, conditional = [], [], []
    draws_per_world = family_replicates(world, np.array(projectors), sample, noise, components=(component,))
    for draws in draws_per_world:
        finite = np.isfinite(draws[name])
        r, eigenvalue = np.abs(draws[name][finite]), draws["eigenvalues"][finite, component]
        r_quantiles.append(replicate_quantiles(r, levels))
        eigenvalue_quantiles.append(replicate_quantiles(eigenvalue, levels))
        conditional.append(conditional_quantiles(r, eigenvalue, observed, levels))
    shape = (max(strengths.size, 1), n_grid, levels.size)
    return ReplicateGrid(
        levels=levels,
        r=np.reshape(r_quantiles, shape),
        eigenvalue=np.reshape(eigenvalue_quantiles, shape),
        conditional=np.reshape(conditional, shape),
        strengths=strengths / world.edge_strength,
        alignments=np.asarray(alignments),
    )


def own_strength_row(
    world: World,
    noise: DesignNoise,
    sample: LayerSample,
    component: int,
    inversion: tuple[int, str],
    confidence: float,
    lower_tails: tuple[float, ...] = (),
) -> ReplicateGrid | None:
    """The joint grid's profile row: :func:`replicate_grid` at the component's :func:`own_strength` alone
    (``None`` for a single-strength rule or a component below the noise edge)."""
    strength = own_strength(world, component)
    if inversion[1] != "joint" or strength is None:
        return None
    strengths = np.array([strength])
    return replicate_grid(world, noise, sample, component, inversion, confidence, strengths, lower_tails)


def grid_intervals(
    grid: ReplicateGrid,
    estimate: float,
    eigenvalue: float,
    confidence: float,
    eigenvalue_confidence: float | None = None,
    hybrid_edges: tuple[float, ...] = (1.0,),
    own: ReplicateGrid | None = None,
    lower_tail: float | None = None,
) -> dict[str, list[float]]:
    """The test-inversion intervals of one grid: ``{"inverted": ...}`` and, for a grid of strengths, also
    ``"inverted_profile"`` and ``"inverted_conditional"``. The profile tests every alignment at one strength: with
    ``own`` (the one-row grid at the component's debiased strength, :func:`own_strength`) at that row; without it
    (grids saved before the own row existed) at the strength whose median eigenvalue, interpolated between the
    grid's rows, lies closest to the sample's (:func:`inverted_interval` with ``profile=True``). Interpolating the
    quantiles of |r| between rows a factor ``sqrt(2)`` apart lengthened the profile's arms: at 9 stories PC2's row
    above its own strength nears PC1's and mixes with it, and its lower quantiles fall (``docs/intervals.md``).
    ``"inverted_conditional"``: each world tested by its range of |r| given the sample's eigenvalue
    (:attr:`ReplicateGrid.conditional`), so the spread of |r| that the eigenvalue explains no longer widens every
    world's range; the interval is still the range of the accepted worlds' (unconditional) medians, the estimand. ``"inverted_hybrid"`` is the profile
    where the eigenvalue tells the component apart from a spike at the noise edge (:func:`above_edge`, so the
    eigenvalue measures its strength) and the union over strengths elsewhere; ``"inverted_hybrid_<k>"`` for each
    further multiple ``k`` of the edge strength in ``hybrid_edges`` (the spike it must be told apart from). The
    first alignment, none, holds every |r| up to its upper quantile (:func:`inverted_interval`'s ``from_zero``).

    Each world's central ``confidence`` range of |r| (|r|, as the analysis's sign rule reports the estimate)
    must hold ``estimate``; in a grid of strengths its central ``eigenvalue_confidence`` range (default
    ``confidence``) of the component's eigenvalue must also hold the sample's ``eigenvalue`` (the strength is
    what that eigenvalue measures). ``lower_tail`` (default ``(1 - confidence) / 2``) is the level of each
    world's lower quantile of |r|, the one that sets the interval's upper end (a world is accepted up to the
    estimate falling that low in its replicates).
    """
    alpha = (1 - confidence) / 2
    r = grid.central(grid.r, alpha, lower_tail)
    if grid.strengths.size == 0:
        return {"inverted": inverted_interval(estimate, r[0], from_zero=True)}
    beta = (1 - (confidence if eigenvalue_confidence is None else eigenvalue_confidence)) / 2
    companion = (eigenvalue, grid.central(grid.eigenvalue, beta))
    conditional = grid.central(grid.conditional, alpha, lower_tail)
    conditional[..., 1] = r[..., 1]  # the estimand stays the unconditional median
    union = inverted_interval(estimate, r, companion, from_zero=True)
    if own is None:
        profile = inverted_interval(estimate, r, companion, profile=True, from_zero=True)
    else:
        own_companion = (eigenvalue, own.central(own.eigenvalue, beta))
        profile = inverted_interval(estimate, own.central(own.r, alpha, lower_tail), own_companion, from_zero=True)
    intervals = {
        "inverted": union,
        "inverted_profile": profile,
        "inverted_conditional": inverted_interval(estimate, conditional, companion, from_zero=True),
    }
    for multiple in hybrid_edges:
        name = "inverted_hybrid" if multiple == 1.0 else f"inverted_hybrid_{multiple:g}"
        intervals[name] = profile if above_edge(grid, eigenvalue, 1 - alpha, multiple) else union
    return intervals


def above_edge(grid: ReplicateGrid, eigenvalue: float, level: float, multiple: float = 1.0) -> bool:
    """Whether the sample's ``eigenvalue`` lies above the ``level`` quantile of the replicates' eigenvalue of every
    world whose component sits at ``multiple`` times the edge strength (strength ``multiple`` in
    :attr:`ReplicateGrid.strengths`; 1: exactly at the noise edge): a component the eigenvalue tells apart from a
    spike that weak, whose strength it therefore measures. A grid that starts above ``multiple`` (PC1, kept above
    PC2's strength) counts as above, one that ends below it (PC2 just under PC1) as not; ``multiple`` must
    otherwise be one of the grid's strengths."""
    row = np.flatnonzero(np.abs(grid.strengths - multiple) < 1e-9)
    if row.size == 0:
        if grid.strengths.min() > multiple:
            return True
        if grid.strengths.max() < multiple:
            return False
        raise ValueError(f"{multiple:g} edge strengths is not a row of the grid ({grid.strengths.tolist()})")
    return bool(eigenvalue > grid.eigenvalue[row[0], :, grid.at(level)].max())
