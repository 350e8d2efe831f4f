"""Figure functions: results in, a styled Figure out; each saves to a PDF with the expected panels and labels."""

from __future__ import annotations

import matplotlib
import pytest
from helpers_report import demo_results, paper_results
from matplotlib.figure import Figure

from emotion_vectors.report import figures

REFERENCE = {"pc1_valence_r": 0.81, "pc2_arousal_r": 0.66}


def _panels(fig: Figure) -> list[tuple[str, str, str]]:
    """``(title, x label, y label)`` of every axes that is not a colour bar."""
    return [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _saved(fig: Figure, tmp_path, name: str) -> list[tuple[str, str, str]]:
    path = tmp_path / name
    with figures.figure_style():
        fig.savefig(path, format="pdf")
    assert path.is_file() and path.read_bytes().startswith(b"%PDF")
    return _panels(fig)


def test_layer_curves_have_a_valence_and_an_arousal_panel_and_a_legend_entry_per_run(tmp_path):
    results = paper_results("pass")
    panels = _saved(figures.layer_curves(results, REFERENCE), tmp_path, "curves.pdf")
    depth = "fractional depth (layer / blocks)"
    assert panels == [("PC1 vs valence", depth, "Pearson r"), ("PC2 vs arousal", depth, "")]
    fig = figures.layer_curves(results, REFERENCE)
    thin = ["thin: best |r| of PC1-PC3", "thin: cross-validated direction"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [run.label for run in results.runs] + thin
    # per run and panel: the r curve and its two thin rotation-free lines (best of PC1-PC3, cross-validated)
    widths = sorted({line.get_linewidth() for line in fig.axes[0].get_lines()})
    assert figures.THIN_WIDTH in widths
    thin_lines = [line for line in fig.axes[0].get_lines() if line.get_linewidth() == figures.THIN_WIDTH]
    assert len(thin_lines) == 2 * len(results.runs)


def test_per_run_figures_have_their_panels_and_labels(tmp_path):
    run = demo_results().runs[0]
    layer = f"layer {run.at_peak.layer}"
    plane = _saved(figures.pc_plane(run), tmp_path, "plane.pdf")
    assert len(plane) == 1 and plane[0][0] == f"{run.label}, {layer}"
    assert plane[0][1].startswith("PC1 (") and plane[0][2].startswith("PC2 (")
    scatter = _saved(figures.rating_scatter(run), tmp_path, "scatter.pdf")
    assert [(x, y) for _, x, y in scatter] == [("valence", "PC1 score"), ("arousal", "PC2 score")]
    assert all(title.startswith("r = ") for title, _, _ in scatter)
    cosine = _saved(figures.cosine_by_valence(run), tmp_path, "cosine.pdf")
    order = "emotions, negative to positive valence"
    assert cosine == [(f"{run.label}, {layer}", order, order)]
    cka = _saved(figures.cka_heatmaps(run), tmp_path, "cka.pdf")
    assert cka == [("debiased CKA", "layer", "layer"), ("linear CKA", "layer", "")]
    direction = _saved(figures.direction_stability(run), tmp_path, "direction.pdf")
    assert direction == [("cosine, all pairs", "layer", "layer"), ("adjacent layers", "layer", "")]


def test_pc_plane_labels_the_anchor_emotions_present():
    run = demo_results().runs[0]
    labels = {t.get_text() for t in figures.pc_plane(run).axes[0].texts}
    assert labels == {a for a in figures.ANCHORS if a in run.info.emotions}


@pytest.mark.parametrize(
    ("draw", "entries", "xlabel", "ylabel"),
    [
        (figures.cross_corpus_cka, "cross_corpus", "fractional depth (layer / blocks)", "CKA across corpora"),
        (figures.cross_model_cka, "cross_model", "fractional depth (both models)", "CKA across models"),
    ],
)
def test_cross_figures_have_a_linear_and_a_debiased_entry_per_pair(tmp_path, draw, entries, xlabel, ylabel):
    results = paper_results("pass")
    fig = draw(results)
    assert _saved(fig, tmp_path, f"{entries}.pdf") == [("", xlabel, ylabel)]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(legend) == 2 * len(getattr(results, entries))
    assert all(text.endswith((", linear", ", debiased")) for text in legend)


def test_cross_figures_draw_rsa_when_the_results_carry_chance_levels(tmp_path):
    import dataclasses

    import numpy as np

    from emotion_vectors.analysis.records import SimilarityNull

    results = paper_results("pass")
    entry = results.cross_corpus[0]
    n = entry.depth.size
    null = SimilarityNull(200, np.full(n, 0.005), np.linspace(0.001, 0.5, n), np.full(n, 0.4), np.full(n, 0.005))
    results = dataclasses.replace(results, cross_corpus=(dataclasses.replace(entry, null=null),))
    fig = figures.cross_corpus_cka(results)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[-1].endswith(", RSA") and len(legend) == 3


def test_style_does_not_leak_into_global_state():
    before = dict(matplotlib.rcParams)
    figures.pc_plane(demo_results().runs[0])
    assert dict(matplotlib.rcParams) == before
