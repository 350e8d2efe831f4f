"""Notes the claims check attaches to a verdict: the rotation-free reading and the story-length confound.

Each note reads numbers the analysis stage computed (:class:`~emotion_vectors.analysis.records.LayerStats`);
window means come from :func:`emotion_vectors.analysis.summary.window_mean`.

- **PC1 only** (:func:`direction_note`): a claim that valence is absent, emerges or collapses is read off PC1.
  The same window contrast is evaluated on the cross-validated valence direction (``loo_valence_r``, which does
  not depend on how the PCA rotates the space) with the same minimum effect. Where PC1 shows the change and the
  direction does not, the verdict carries :data:`PC1_ONLY_NOTE`; in the opposite case :data:`DIRECTION_ONLY_NOTE`.
- **Length** (:func:`length_warning`): at an arousal peak, when ``|r(PC2, length)|`` exceeds
  ``|r(PC2, arousal)|`` the component tracks mean story length at least as well as arousal.
"""

from __future__ import annotations

from emotion_vectors.analysis.records import Peak, RunSummary
from emotion_vectors.analysis.summary import Window, window_mean

PC1_ONLY_NOTE = "PC1 only: the direction-based measure does not show it"
DIRECTION_ONLY_NOTE = "the direction-based measure shows it; PC1 does not"
#: The rotation-free statistic the contrast claims are re-read with.
DIRECTION_STATISTIC = "loo_valence_r"


def direction_contrast(run: RunSummary, high: Window, low: Window) -> float:
    """Mean cross-validated valence r over ``high`` minus the mean over ``low`` (no interval: not bootstrapped)."""
    layers, values = run.block_indices, run.column(DIRECTION_STATISTIC)
    label = f"run {run.model}/{run.corpus}"
    return window_mean(layers, values, None, high, label).mean - window_mean(layers, values, None, low, label).mean


def direction_note(run: RunSummary, high: Window, low: Window, pc1_shows: bool, min_effect: float) -> str | None:
    """The note on a collapse / emergence / absence verdict when PC1 and the direction disagree, else ``None``."""
    diff = direction_contrast(run, high, low)
    direction_shows = diff >= min_effect - 1e-12
    if pc1_shows == direction_shows:
        return None
    what = PC1_ONLY_NOTE if pc1_shows else DIRECTION_ONLY_NOTE
    return (
        f"{what} (cross-validated valence r: mean over layers {high[0]}-{high[1]} minus layers {low[0]}-{low[1]} "
        f"= {diff:.2f}, threshold {min_effect:.2f})"
    )


def length_warning(run: RunSummary, peak: Peak) -> str | None:
    """A warning when PC2 at the arousal ``peak`` correlates more with mean story length than with arousal."""
    stats = run.stats_at(peak.layer)
    if not abs(stats.pc2_length_r) > abs(stats.pc2_arousal_r):
        return None
    return (
        f"length warning ({run.model} on {run.corpus} stories, layer {peak.layer}): |r(PC2, story length)| = "
        f"{abs(stats.pc2_length_r):.2f} exceeds |r(PC2, arousal)| = {abs(stats.pc2_arousal_r):.2f}; partial r "
        f"of PC2 with arousal controlling for length = {stats.pc2_arousal_partial_r:.2f}"
    )


__all__ = [
    "DIRECTION_ONLY_NOTE",
    "DIRECTION_STATISTIC",
    "PC1_ONLY_NOTE",
    "direction_contrast",
    "direction_note",
    "length_warning",
]
