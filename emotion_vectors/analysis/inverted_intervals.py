"""Per-layer intervals of PC1-valence r and PC2-arousal r by test inversion (``analysis.ci_method = "inverted"``).

Why not the bootstrap: story resampling adds a second dose of noise to a sample that already carries one, and
near the noise edge (PC2-arousal at 3 stories per emotion) the spread of its replicates is not the spread of r
across fresh data sets of the same design, so no re-centring or bias correction of it covers there
(``docs/intervals.md``). Test inversion asks instead which worlds could have produced the sample.

**The worlds** are the denoised world of the layer (:func:`~emotion_vectors.analysis.denoised_world.build_world`:
the sample's components above the noise edge at their debiased strengths, fresh story noise of even energy) with
the component (PC1 for valence, PC2 for arousal) turned towards the rating through :data:`ALIGNMENTS` angles
(:func:`~emotion_vectors.analysis.world_inversion.tilt_family`) and set to a grid of strengths
(:func:`~emotion_vectors.analysis.world_inversion.joint_strengths`). Each world draws :data:`REPLICATES` data
sets of the corpus's design (the same stories per emotion for the story scheme, fresh emotions for the emotion
scheme), all worlds the same random numbers.

**The interval** is the range of the worlds' median |r| (the design-level r each world implies) over the worlds
whose central ``confidence`` range of |r| holds the sample's r and whose central range of the component's
eigenvalue holds the sample's eigenvalue, widened to contain the estimate. The hybrid rule: where the sample's
eigenvalue lies above the upper quantile of every world at :data:`SWITCH_EDGES` times the noise edge's strength
(the eigenvalue measures the strength), every alignment is tested at the component's own debiased strength, whose
replicates' eigenvalue has the sample's as its expected value (the profile,
:func:`~emotion_vectors.analysis.world_inversion.own_strength`); elsewhere at every strength (the union).
``benchmarks/inverted_coverage.py`` measures its coverage; ``docs/intervals.md`` gives it.

**Cost**: only the strength rows the rule reads are replicated (:func:`hybrid_interval`): the switch row and the
own-strength row, and for the union the rows from the last whose eigenvalues all lie below the sample's to the
first whose all lie above. The quantiles rise with the strength, so the interval is that of the whole grid (the
tests hold it to the whole grid).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from emotion_vectors.analysis import world_inversion
from emotion_vectors.analysis.denoised_world import DesignNoise, World, build_world, emotion_noise, story_noise
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.errors import AnalysisError

#: The statistics the inversion gives intervals for (the others keep the bootstrap's ``"recentred"``).
INVERTED_STATISTICS = ("pc1_valence_r", "pc2_arousal_r")
#: Alignments of the turned component, and data sets drawn per world (the coverage study's grid).
ALIGNMENTS = 8
REPLICATES = 50
#: The hybrid's switch: multiples of the edge strength a component's eigenvalue must be told apart from.
SWITCH_EDGES = 1.4
#: The noise each bootstrap scheme's inversion draws (once per layer, shared by both components' worlds).
DESIGN_NOISE: dict[str, Callable[..., DesignNoise]] = {"story": story_noise, "emotion": emotion_noise}


def layer_inverted_intervals(
    sample: LayerSample,
    estimates: Mapping[str, float],
    scheme: str,
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """``{statistic: (low, high)}`` for :data:`INVERTED_STATISTICS` of one layer under bootstrap ``scheme``.

    Args:
        sample: The layer, with its unrescaled story Gram matrix (the world measures the story noise from it) and
            a rating of every emotion.
        estimates: The sample's r of each statistic.
        scheme: ``"story"`` or ``"emotion"``.
        rng: Draws the world's noise probes and the replicates' seed.
    """
    if not sample.fully_rated:
        raise AnalysisError(
            "inverted intervals need a rating for every emotion", fix="use analysis.ci_method = 'recentred'"
        )
    if not np.any(sample.layout.n_kept >= 2):
        raise AnalysisError(
            "inverted intervals need at least two kept stories for some emotion (the story noise is measured "
            "from them)",
            fix="use analysis.ci_method = 'recentred'",
        )
    world = build_world(sample.story_gram, sample.layout, rng)
    stream = [int(x) for x in rng.integers(0, 2**32, size=4)]
    noise = DESIGN_NOISE[scheme](world, sample, REPLICATES, np.random.default_rng(stream))
    return {
        name: hybrid_interval(world, noise, sample, component, estimates[name], confidence, CALIBRATED_LEVELS)
        for component, name in enumerate(INVERTED_STATISTICS)
    }


@dataclass(frozen=True)
class WorldLevels:
    """The levels at which the hybrid tests its worlds, as ratios to the nominal tail ``(1 - confidence) / 2``
    (every ratio 1: each world's central ``confidence`` range). Each world's upper quantile of |r|, which sets an
    interval's lower end, stays at the nominal tail; the ratios move the lower quantile of |r|, which sets the
    upper end, and the union's range of strengths.

    Attributes:
        profile_lower: Level of each profile world's lower quantile of |r|, as a ratio to the nominal tail.
        union_lower: The same for the union's worlds.
        union_eigenvalue: Tail of each union world's central range of the eigenvalue (both sides), as a ratio.
    """

    profile_lower: float = 1.0
    union_lower: float = 1.0
    union_eigenvalue: float = 1.0

    def __post_init__(self) -> None:
        if min(self.profile_lower, self.union_lower, self.union_eigenvalue) < 1:
            # the rows the union reads are those the nominal eigenvalue range can hold
            raise ValueError(f"every ratio of WorldLevels must be at least 1, got {self}")

    def tails(self, confidence: float) -> tuple[float, float, float]:
        """``(profile lower, union lower, union eigenvalue)`` tails at ``confidence``."""
        alpha = (1 - confidence) / 2
        return self.profile_lower * alpha, self.union_lower * alpha, self.union_eigenvalue * alpha


#: The levels the analysis tests its worlds at, calibrated by the coverage study: ``benchmarks/world_levels.py``
#: chose them among 45 by a rule fixed beforehand, on three planted geometries (``docs/intervals.md`` gives the runs
#: and the two geometries they were then checked on).
CALIBRATED_LEVELS = WorldLevels(profile_lower=1.8, union_lower=2.4, union_eigenvalue=2.0)


def hybrid_interval(
    world: World,
    noise: DesignNoise,
    sample: LayerSample,
    component: int,
    estimate: float,
    confidence: float,
    levels: WorldLevels = CALIBRATED_LEVELS,
) -> tuple[float, float]:
    """The hybrid inversion's interval of r of ``component`` (0: PC1-valence, 1: PC2-arousal), replicating only
    the strength rows it reads (module docstring) from the design's ``noise`` (one replicate per data set it holds).

    Equal to :func:`whole_grid_rule` of ``grid_intervals(replicate_grid(...), ..., hybrid_edges=(SWITCH_EDGES,),
    own=...)`` of the whole grid (:mod:`~emotion_vectors.analysis.world_inversion`) with ``ALIGNMENTS`` alignments
    and ``REPLICATES`` data sets: the profile at the component's own strength, or the union where the profile holds
    no world (the coverage study counts such a data set as a miss). ``(nan, nan)`` when the union holds none either.
    The worlds are tested at ``levels`` (:class:`WorldLevels`; the grid's own are every ratio 1).
    """
    return hybrid_intervals(world, noise, sample, component, estimate, confidence, (levels,))[0]


def hybrid_intervals(
    world: World,
    noise: DesignNoise,
    sample: LayerSample,
    component: int,
    estimate: float,
    confidence: float,
    levels: Sequence[WorldLevels],
) -> list[tuple[float, float]]:
    """:func:`hybrid_interval` at each of ``levels``, from one set of replicates (the rows read and the switch
    depend on the nominal range of the eigenvalue only, so every variant reads the same rows)."""
    alpha = (1 - confidence) / 2
    tails = [variant.tails(confidence) for variant in levels]
    eigenvalue_tails = {variant[2] for variant in tails}
    kept = {tail for variant in tails for tail in variant[:2]} | eigenvalue_tails | {1 - t for t in eigenvalue_tails}
    grid = _LazyGrid(world, noise, sample, component, confidence, tuple(sorted(kept)))
    strengths, observed = grid.strengths, float(world.eigenvalues[component])
    switch = np.flatnonzero(np.abs(strengths - SWITCH_EDGES) < 1e-9)
    reach = 1 if noise.rows is None else 2  # fresh emotions spread the eigenvalue over more rows
    guess = [row for row in _first_guess(world, component, strengths, reach) if 0 <= row < strengths.size]
    # without an own strength the profile cannot hold: read the union's first rows in the same call
    grid.ensure([*switch.tolist(), *(guess if grid.own_strength is None else [])], own=True)
    if switch.size:
        profile = world_inversion.above_edge(grid.rows[int(switch[0])], observed, 1 - alpha, SWITCH_EDGES)
    else:
        profile = bool(strengths.min() > SWITCH_EDGES)
    out: list[tuple[float, float] | None] = [None] * len(tails)
    if profile and grid.own is not None:
        for i, (profile_lower, _, _) in enumerate(tails):
            interval = world_inversion.grid_intervals(
                grid.own, estimate, observed, confidence, hybrid_edges=(), lower_tail=profile_lower
            )["inverted_profile"]
            if np.all(np.isfinite(interval)):
                out[i] = (float(interval[0]), float(interval[1]))
    if any(interval is None for interval in out):
        grid.ensure(guess)
        block = grid.block(guess, observed, alpha)
        for i, (_, union_lower, union_eigenvalue) in enumerate(tails):
            if out[i] is None:
                union = world_inversion.grid_intervals(
                    block,
                    estimate,
                    observed,
                    confidence,
                    eigenvalue_confidence=1 - 2 * union_eigenvalue,
                    hybrid_edges=(),
                    lower_tail=union_lower,
                )["inverted"]
                out[i] = (float(union[0]), float(union[1]))
    return [interval for interval in out if interval is not None]


def whole_grid_rule(intervals: Mapping[str, Sequence[float]]) -> list[float]:
    """The interval :func:`hybrid_interval` gives, from :func:`~emotion_vectors.analysis.world_inversion.grid_intervals`'
    output over the whole grid (with :data:`SWITCH_EDGES` among its ``hybrid_edges`` and the own-strength row):
    the hybrid's, or the union's where the hybrid holds no world."""
    hybrid = list(intervals[f"inverted_hybrid_{SWITCH_EDGES:g}"])
    return hybrid if np.all(np.isfinite(hybrid)) else list(intervals["inverted"])


class _LazyGrid:
    """The inversion grid of one component, replicated a few strength rows at a time: every row adds its truths to
    the same noise, so a row replicated alone is the whole grid's row. :attr:`own` is the one-row grid at the
    component's own strength (:func:`~emotion_vectors.analysis.world_inversion.own_strength`; ``None`` until asked
    for, or where the component has none)."""

    def __init__(
        self,
        world: World,
        noise: DesignNoise,
        sample: LayerSample,
        component: int,
        confidence: float,
        lower_tails: tuple[float, ...] = (),
    ) -> None:
        self.arguments = (world, noise, sample, component, (ALIGNMENTS, "joint"), confidence)
        self.lower_tails = lower_tails
        self.absolute = world_inversion.joint_strengths(world, component)
        self.strengths = self.absolute / world.edge_strength
        self.own_strength = world_inversion.own_strength(world, component)
        self.rows: dict[int, world_inversion.ReplicateGrid] = {}
        self.own: world_inversion.ReplicateGrid | None = None

    def ensure(self, rows: list[int], own: bool = False) -> None:
        """Replicate the rows of ``rows`` (indices into :attr:`strengths`) not replicated yet, and with ``own`` the
        own-strength row, in one call (each call solves the shared noise matrices once)."""
        missing = sorted({row for row in rows if 0 <= row < self.strengths.size} - self.rows.keys())
        extra = [self.own_strength] if own and self.own is None and self.own_strength is not None else []
        if not missing and not extra:
            return
        strengths = np.array([*self.absolute[missing], *extra])
        order = np.argsort(strengths, kind="stable")
        grid = world_inversion.replicate_grid(*self.arguments, strengths=strengths[order], lower_tails=self.lower_tails)
        for i, position in enumerate(np.argsort(order)):
            row = _row_of(grid, int(position))
            if i < len(missing):
                self.rows[missing[i]] = row
            else:
                self.own = row

    def block(self, guess: list[int], observed: float, alpha: float) -> world_inversion.ReplicateGrid:
        """The rows the union reads, from the rows around ``guess``: down to one whose every world's upper quantile
        of the eigenvalue lies below ``observed``, up to one whose every world's lower quantile lies above it, or
        to the grid's ends."""
        low, high = min(guess), max(guess)
        while low > 0 and not _all_beyond(self.rows[low], observed, 1 - alpha, below=True):
            low -= 1
            self.ensure([low, low - 1])
        while high < self.strengths.size - 1 and not _all_beyond(self.rows[high], observed, alpha, below=False):
            high += 1
            self.ensure([high, high + 1])
        self.ensure(list(range(low, high + 1)))
        return _stack([self.rows[row] for row in range(low, high + 1)])


def _first_guess(world: World, component: int, strengths: np.ndarray, reach: int) -> list[int]:
    """Rows likely to bracket the sample: ``reach`` rows either side of the component's debiased strength where it
    lies above the noise edge, else the lowest rows up to the switch."""
    if component < world.spikes.size:
        nearest = int(np.argmin(np.abs(np.log(strengths * world.edge_strength / world.spikes[component]))))
        return list(range(nearest - reach, nearest + reach + 1))
    return list(range(int(np.searchsorted(strengths, SWITCH_EDGES)) + 2))


def _all_beyond(row: world_inversion.ReplicateGrid, observed: float, level: float, below: bool) -> bool:
    """Whether every world of a one-strength ``row`` has its ``level`` quantile of the eigenvalue below (or
    above) ``observed``: with quantiles rising in the strength, no row past it can hold the sample."""
    quantile = row.eigenvalue[0, :, row.at(level)]
    return bool(np.all(quantile < observed) if below else np.all(quantile > observed))


def _row_of(grid: world_inversion.ReplicateGrid, i: int) -> world_inversion.ReplicateGrid:
    """Row ``i`` of ``grid`` as a grid of one strength."""
    return world_inversion.ReplicateGrid(
        levels=grid.levels,
        r=grid.r[i : i + 1],
        eigenvalue=grid.eigenvalue[i : i + 1],
        conditional=grid.conditional[i : i + 1],
        strengths=grid.strengths[i : i + 1],
        alignments=grid.alignments,
    )


def _stack(rows: list[world_inversion.ReplicateGrid]) -> world_inversion.ReplicateGrid:
    """Grids of one strength each, in order, as one grid."""
    return world_inversion.ReplicateGrid(
        levels=rows[0].levels,
        r=np.concatenate([row.r for row in rows]),
        eigenvalue=np.concatenate([row.eigenvalue for row in rows]),
        conditional=np.concatenate([row.conditional for row in rows]),
        strengths=np.concatenate([row.strengths for row in rows]),
        alignments=rows[0].alignments,
    )


__all__ = [
    "CALIBRATED_LEVELS",
    "INVERTED_STATISTICS",
    "hybrid_interval",
    "hybrid_intervals",
    "layer_inverted_intervals",
    "WorldLevels",
    "whole_grid_rule",
]
