"""Figure functions: results in, a styled Figure out, drawing what the results say."""

from __future__ import annotations

import matplotlib
import numpy as np
from helpers_report import demo_results, paper_results
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from emotion_vectors.report import figures

REFERENCE = {"pc1_valence_r": 0.81, "pc2_arousal_r": 0.66}


def test_layer_curves_draw_every_run_with_peaks_bands_and_reference():
    results = paper_results("pass")
    fig = figures.layer_curves(results, REFERENCE)
    assert isinstance(fig, Figure)
    valence, arousal = fig.axes[:2]
    panels = ((valence, "pc1_valence_r", "valence", 0.81), (arousal, "pc2_arousal_r", "arousal", 0.66))
    for ax, metric, which, ref in panels:
        curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
        assert len(curves) == len(results["runs"])
        for line, run in zip(curves, results["runs"], strict=True):
            assert np.allclose(line.get_xdata(), run["fractional_depth"])
            assert np.allclose(line.get_ydata(), run[metric])
        peaks = [line for line in ax.get_lines() if line.get_marker() == "o"]
        expected = [(r["peak"][which]["layer"] / r["n_blocks"], r["peak"][which]["r"]) for r in results["runs"]]
        got = [(float(p.get_xdata()[0]), float(p.get_ydata()[0])) for p in peaks]
        assert np.allclose(got, expected)
        flat = [line for line in ax.get_lines() if len(line.get_ydata()) == 2]
        references = [line for line in flat if np.allclose(line.get_ydata(), [ref, ref])]
        assert len(references) == 1
        assert len(ax.collections) == len(results["runs"])  # one CI band per run
    colours = {to_hex(line.get_color()) for line in valence.get_lines() if len(line.get_xdata()) > 2}
    assert colours <= {c.lower() for c in figures.OKABE_ITO}
    assert len(fig.legends[0].get_texts()) == len(results["runs"])


def test_style_applies_inside_and_does_not_leak():
    before = dict(matplotlib.rcParams)
    fig = figures.pc_plane(demo_results()["runs"][0])
    assert fig.axes[0].xaxis.label.get_fontsize() == 8  # from the packaged matplotlibrc
    assert dict(matplotlib.rcParams) == before


def test_pc_plane_colours_by_valence_and_labels_anchors():
    run = demo_results()["runs"][0]
    fig = figures.pc_plane(run)
    ax = fig.axes[0]
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.allclose(points.get_offsets(), np.column_stack([run["at_peak"]["pc1"], run["at_peak"]["pc2"]]))
    assert np.allclose(points.get_array(), run["at_peak"]["valence"])
    labels = {t.get_text() for t in ax.texts}
    assert labels == {a for a in figures.ANCHORS if a in run["emotions"]}
    assert "layer 3" in ax.get_title()


def test_rating_scatter_reports_pearson_r_in_titles():
    run = demo_results()["runs"][0]
    fig = figures.rating_scatter(run)
    left, right = fig.axes
    val = np.array(run["at_peak"]["valence"], float)
    r = np.corrcoef(val, run["at_peak"]["pc1"])[0, 1]
    assert left.get_title() == f"r = {r:.2f}"
    assert right.get_xlabel() == "arousal"


def test_cosine_heatmap_is_sorted_by_valence():
    run = demo_results()["runs"][0]
    fig = figures.cosine_by_valence(run)
    (image,) = [i for i in fig.axes[0].get_images() if isinstance(i, AxesImage)]
    shown = np.asarray(image.get_array())
    order = np.argsort(run["at_peak"]["valence"], kind="stable")
    assert np.allclose(shown, np.asarray(run["at_peak"]["cosine"])[np.ix_(order, order)])


def test_cka_and_direction_figures_show_the_matrices():
    run = paper_results("pass")["runs"][2]
    cka = figures.cka_heatmaps(run)
    images = [im for ax in cka.axes for im in ax.get_images()]
    assert len(images) == 2
    assert np.allclose(images[0].get_array(), run["cka"]["linear"])
    assert np.allclose(images[1].get_array(), run["cka"]["debiased"])
    direction = figures.direction_stability(run)
    lines = direction.axes[1].get_lines()
    assert np.allclose(lines[0].get_xdata(), run["layers"][1:])
    assert np.allclose(lines[0].get_ydata(), run["direction"]["adjacent_cosine"])


def test_cross_figures_draw_linear_and_debiased_per_entry():
    results = paper_results("pass")
    corpus = figures.cross_corpus_cka(results)
    assert len(corpus.axes[0].get_lines()) == 2 * len(results["cross_corpus"])
    first = results["cross_corpus"][0]
    assert np.allclose(corpus.axes[0].get_lines()[1].get_ydata(), first["debiased"])
    model = figures.cross_model_cka(results)
    assert np.allclose(model.axes[0].get_lines()[0].get_xdata(), results["cross_model"][0]["depth"])
