"""The report's figures: result dicts in, :class:`matplotlib.figure.Figure` out (the build stage saves them).

Every public function draws inside :func:`figure_style` (the packaged ``matplotlibrc``), builds a
:class:`~matplotlib.figure.Figure` without pyplot (no global figure state), and sizes it for the page:
:data:`FULL_WIDTH` for figures that span the text, :data:`HALF_WIDTH` for one run's panel in a grid of two.

Families: (1) :func:`layer_curves`; (2) :func:`pc_plane`; (3) :func:`rating_scatter`; (4) :func:`cka_heatmaps`,
:func:`cross_corpus_cka`, :func:`cross_model_cka`; (5) :func:`direction_stability`; (6) :func:`cosine_by_valence`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec

import matplotlib.style
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from emotion_vectors.analysis.records import PEAK_STATISTIC, CrossCKA, RunSummary
from emotion_vectors.resources import MATPLOTLIBRC, data_path
from emotion_vectors.results import Results

FULL_WIDTH = 6.3
HALF_WIDTH = 3.1
#: Width of the cross-corpus and cross-model figures (included at 0.6 of the text width).
CROSS_WIDTH = 3.8
#: Okabe-Ito colour-blind-safe palette.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", ":", "-.")
#: Thin lines of the layer-curve figure: best |r| of PC1-PC3, and the cross-validated direction's r.
THIN_TOP3, THIN_LOO, THIN_WIDTH = "-", ":", 0.7
#: Permutation p-values at or above this mark a similarity as indistinguishable from chance in the figures.
CHANCE_P = 0.05
REFERENCE_COLOUR = "#555555"
VALENCE_CMAP = "RdBu"
COSINE_CMAP = "RdBu_r"
CKA_CMAP = "cividis"
#: Emotions labelled in the PC1-PC2 plane when present: spread over the valence-arousal circle.
ANCHORS: tuple[str, ...] = (
    "happy", "excited", "calm", "sad", "afraid", "angry", "bored", "proud", "ashamed", "grateful", "lonely",
    "terrified",
)  # fmt: skip

P = ParamSpec("P")


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the packaged style file for the duration of the block."""
    with matplotlib.style.context(str(data_path(MATPLOTLIBRC))):
        yield


def _styled(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with figure_style():
            return fn(*args, **kwargs)

    return wrapper


# ------------------------------------------------------------------------------------------ (1) curves


@_styled
def layer_curves(results: Results, reference: dict[str, float] | None = None) -> Figure:
    """PC1-valence and PC2-arousal r against fractional depth for every run, with CI bands and peaks; thin lines
    show the rotation-free measures of the same rating: the best ``|r|`` among PC1-PC3 (solid) and the r of the
    cross-validated direction (dotted).

    Args:
        results: The typed results.
        reference: ``{"pc1_valence_r": .., "pc2_arousal_r": ..}`` of the reference model, drawn as dotted lines.
    """
    runs = results.runs
    models = list(dict.fromkeys(r.model for r in runs))
    corpora = list(dict.fromkeys(r.corpus for r in runs))
    fig = Figure(figsize=(FULL_WIDTH, 2.7))
    axes = fig.subplots(1, 2, sharey=True)
    panels = (("valence", "PC1 vs valence"), ("arousal", "PC2 vs arousal"))
    low = 0.0
    for ax, (which, title) in zip(axes, panels, strict=True):
        metric = PEAK_STATISTIC[which]
        for run in runs:
            colour = OKABE_ITO[models.index(run.model) % len(OKABE_ITO)]
            style = LINESTYLES[corpora.index(run.corpus) % len(LINESTYLES)]
            x, y = run.column("fractional_depth"), run.column(metric)
            if run.ci.primary is not None:
                band = run.bounds(metric, run.ci.primary)
                ax.fill_between(x, band[:, 0], band[:, 1], color=colour, alpha=0.15, linewidth=0)
                low = min(low, float(np.nanmin(band[:, 0])))
            ax.plot(x, y, color=colour, linestyle=style, label=run.label)
            for column, thin_style in ((f"{which}_top3_r", THIN_TOP3), (f"loo_{which}_r", THIN_LOO)):
                ax.plot(x, run.column(column), color=colour, linewidth=THIN_WIDTH, linestyle=thin_style)
            low = min(low, float(np.nanmin(y)), float(np.nanmin(run.column(f"loo_{which}_r"))))
            peak = run.peaks[which]
            ax.plot(peak.layer / run.info.n_blocks, peak.r, marker="o", color=colour, markeredgecolor="black",
                    markeredgewidth=0.6, linestyle="none", zorder=5)  # fmt: skip
        ref = (reference or {}).get(metric)
        if ref is not None:
            ax.axhline(ref, color=REFERENCE_COLOUR, linestyle=(0, (1, 1.5)), linewidth=1.0)
            ax.annotate(f"Claude Sonnet 4.5 ({ref:.2f})", (0.99, ref), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", fontsize=6.5, color=REFERENCE_COLOUR, ha="right",
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("fractional depth (layer / blocks)")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("Pearson r")
    axes[0].set_ylim(min(-0.05, low - 0.05), 1.0)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        for thin_style, label in (
            (THIN_TOP3, "thin: best |r| of PC1-PC3"),
            (THIN_LOO, "thin: cross-validated direction"),
        ):
            handles.append(Line2D([], [], color="grey", linewidth=THIN_WIDTH, linestyle=thin_style))
            labels.append(label)
        fig.legend(handles, labels, loc="outside lower center", ncol=min(2, len(handles)))
    return fig


# ------------------------------------------------------------------------------------------ (2) PC plane


def _variance_label(run: RunSummary, pc: int) -> str:
    share = run.stats_at(run.at_peak.layer).explained_variance_ratio[pc - 1]
    return f"PC{pc} ({100 * share:.0f}% of variance)"


@_styled
def pc_plane(run: RunSummary, anchors: Sequence[str] = ANCHORS) -> Figure:
    """The emotions in the PC1-PC2 plane at the peak layer, coloured by valence, anchors labelled."""
    at = run.at_peak
    pc1, pc2, val, names = at.pc1, at.pc2, at.valence, list(run.info.emotions)
    fig = Figure(figsize=(HALF_WIDTH, 2.9))
    ax = fig.subplots()
    rated = np.isfinite(val)
    if (~rated).any():
        ax.scatter(pc1[~rated], pc2[~rated], s=9, marker="x", color="#999999", linewidths=0.6, label="unrated")
        ax.legend(loc="best")
    limit = float(np.nanmax(np.abs(val))) if rated.any() else 1.0
    points = ax.scatter(pc1[rated], pc2[rated], c=val[rated], cmap=VALENCE_CMAP, vmin=-limit, vmax=limit, s=10,
                        edgecolors="#333333", linewidths=0.2)  # fmt: skip
    fig.colorbar(points, ax=ax, label=f"valence ({run.info.rating_source})", shrink=0.85)
    for name in anchors:
        if name in names:
            i = names.index(name)
            ax.annotate(name, (pc1[i], pc2[i]), xytext=(3, 2), textcoords="offset points", fontsize=6.5,
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])  # fmt: skip
    ax.axhline(0, color="#bbbbbb", linewidth=0.5, zorder=0)
    ax.axvline(0, color="#bbbbbb", linewidth=0.5, zorder=0)
    ax.set_xlabel(_variance_label(run, 1))
    ax.set_ylabel(_variance_label(run, 2))
    ax.set_title(f"{run.label}, layer {at.layer}", fontsize=7)
    return fig


# ------------------------------------------------------------------------------------------ (3) scatter


@_styled
def rating_scatter(run: RunSummary) -> Figure:
    """PC1 score against valence and PC2 score against arousal at the peak layer, with a least-squares fit."""
    at = run.at_peak
    pc1, pc2, val, aro = at.pc1, at.pc2, at.valence, at.arousal
    fig = Figure(figsize=(HALF_WIDTH, 1.85))
    axes = fig.subplots(1, 2)
    for ax, x, y, xlabel, ylabel, colour in (
        (axes[0], val, pc1, "valence", "PC1 score", OKABE_ITO[0]),
        (axes[1], aro, pc2, "arousal", "PC2 score", OKABE_ITO[1]),
    ):
        ok = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[ok], y[ok], s=5, color=colour, alpha=0.7, linewidths=0)
        if ok.sum() >= 3 and np.ptp(x[ok]) > 0:
            slope, intercept = np.polyfit(x[ok], y[ok], 1)
            grid = np.linspace(x[ok].min(), x[ok].max(), 2)
            ax.plot(grid, slope * grid + intercept, color="black", linewidth=0.9)
            r = float(np.corrcoef(x[ok], y[ok])[0, 1])
            ax.set_title(f"r = {r:.2f}", fontsize=7)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    fig.suptitle(f"{run.label}, layer {at.layer}", fontsize=7)
    return fig


# ------------------------------------------------------------------------------------------ (4) CKA


def _layer_heatmap(ax: Axes, matrix: Any, layers: Sequence[int], cmap: str, vmin: float, vmax: float) -> Any:
    extent = (layers[0] - 0.5, layers[-1] + 0.5, layers[-1] + 0.5, layers[0] - 0.5)
    image = ax.imshow(np.asarray(matrix, float), cmap=cmap, vmin=vmin, vmax=vmax, extent=extent,
                      interpolation="nearest")  # fmt: skip
    ax.grid(False)
    ax.set_xlabel("layer")
    return image


@_styled
def cka_heatmaps(run: RunSummary) -> Figure:
    """Layer x layer CKA of one run's contrast vectors: debiased (primary) and linear (biased HSIC, as in the
    paper); crosses mark pairs whose permutation p-value is at least :data:`CHANCE_P`."""
    layers = run.block_indices
    cka = {"linear": run.cka_linear, "debiased": run.cka_debiased}
    null = run.cross_layer
    low = min(0.0, float(np.nanmin(run.cka_debiased)))
    fig = Figure(figsize=(HALF_WIDTH, 1.75))
    axes = fig.subplots(1, 2, sharey=True)
    image = None
    for ax, key in zip(axes, ("debiased", "linear"), strict=True):
        image = _layer_heatmap(ax, cka[key], layers, CKA_CMAP, low, 1.0)
        ax.set_title(f"{key} CKA", fontsize=7)
        if null is not None:
            rows, cols = np.nonzero(getattr(null, f"{key}_p") >= CHANCE_P)
            ax.plot(np.asarray(layers)[cols], np.asarray(layers)[rows], "x", color="black", markersize=2,
                    linestyle="none")  # fmt: skip
    axes[0].set_ylabel("layer")
    fig.colorbar(image, ax=axes, shrink=0.9)
    fig.suptitle(run.label, fontsize=7)
    return fig


@_styled
def cross_corpus_cka(results: Results) -> Figure:
    """CKA between the same model's contrast vectors on two corpora, layer by layer (linear and debiased)."""
    names = {run.model: run.info.model_name for run in results.runs}
    return _cross_cka(results.cross_corpus, lambda e: names[e.shared], 0, "fractional depth (layer / blocks)",
                      "CKA across corpora")  # fmt: skip


@_styled
def cross_model_cka(results: Results) -> Figure:
    """CKA between two models' contrast vectors on the same corpus, at matched fractional depth."""
    return _cross_cka(results.cross_model, lambda e: f"{e.shared} stories", 2, "fractional depth (both models)",
                      "CKA across models")  # fmt: skip


def _cross_cka(
    entries: Sequence[CrossCKA], name: Callable[[CrossCKA], str], first_colour: int, xlabel: str, ylabel: str
) -> Figure:
    """One solid (linear CKA), one dashed (debiased CKA) and one dotted (RSA) line per cross-run entry, against
    fractional depth; hollow circles mark debiased CKA whose permutation p-value is at least :data:`CHANCE_P`."""
    fig = Figure(figsize=(CROSS_WIDTH, 2.3))
    ax = fig.subplots()
    for i, entry in enumerate(entries):
        colour = OKABE_ITO[(i + first_colour) % len(OKABE_ITO)]
        ax.plot(entry.depth, entry.linear, color=colour, label=f"{name(entry)}, linear")
        ax.plot(entry.depth, entry.debiased, color=colour, linestyle="--", label=f"{name(entry)}, debiased")
        if entry.null is not None:
            ax.plot(entry.depth, entry.null.rsa, color=colour, linestyle=":", label=f"{name(entry)}, RSA")
            chance = entry.null.debiased_p >= CHANCE_P
            ax.plot(entry.depth[chance], entry.debiased[chance], "o", markerfacecolor="none", color=colour,
                    markersize=3, linestyle="none")  # fmt: skip
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right", fontsize=6)
    return fig


# ------------------------------------------------------------------------------------------ (5) direction


@_styled
def direction_stability(run: RunSummary) -> Figure:
    """Cosine between the valence directions of every pair of layers, and of adjacent layers."""
    layers = list(run.block_indices)
    adjacent = run.column("direction_cosine_previous")[1:]
    fig = Figure(figsize=(HALF_WIDTH, 2.0))
    left, right = fig.subplots(1, 2)
    image = _layer_heatmap(left, run.direction_cosine, layers, COSINE_CMAP, -1.0, 1.0)
    left.set_ylabel("layer")
    left.set_title("cosine, all pairs", fontsize=7)
    fig.colorbar(image, ax=left, shrink=0.9)
    right.plot(layers[1:], adjacent, color=OKABE_ITO[0], label="cosine(L-1, L)")
    right.plot(layers, run.column("loo_valence_r"), color=OKABE_ITO[1], linestyle="--", label="held-out r")
    right.set_ylim(min(-0.05, float(np.nanmin(adjacent, initial=0.0)) - 0.05), 1.05)
    right.set_xlabel("layer")
    right.set_title("adjacent layers", fontsize=7)
    handles, labels = right.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=6)
    fig.suptitle(run.label, fontsize=7)
    return fig


# ------------------------------------------------------------------------------------------ (6) cosine


@_styled
def cosine_by_valence(run: RunSummary) -> Figure:
    """The emotions' pairwise cosine similarity at the peak layer, rows and columns sorted by valence."""
    val, cosine = run.at_peak.valence, run.at_peak.cosine
    order = np.argsort(np.where(np.isfinite(val), val, np.inf), kind="stable")
    n_rated = int(np.isfinite(val).sum())
    fig = Figure(figsize=(HALF_WIDTH, 2.9))
    ax = fig.subplots()
    image = ax.imshow(cosine[np.ix_(order, order)], cmap=COSINE_CMAP, vmin=-1, vmax=1, interpolation="nearest")
    ax.grid(False)
    if n_rated < len(order):
        for edge in (ax.axhline, ax.axvline):
            edge(n_rated - 0.5, color="black", linewidth=0.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("emotions, negative to positive valence")
    ax.set_ylabel("emotions, negative to positive valence")
    fig.colorbar(image, ax=ax, label="cosine similarity", shrink=0.85)
    ax.set_title(f"{run.label}, layer {run.at_peak.layer}", fontsize=7)
    return fig


__all__ = [
    "ANCHORS",
    "FULL_WIDTH",
    "HALF_WIDTH",
    "OKABE_ITO",
    "cka_heatmaps",
    "cosine_by_valence",
    "cross_corpus_cka",
    "cross_model_cka",
    "direction_stability",
    "figure_style",
    "layer_curves",
    "pc_plane",
    "rating_scatter",
]
