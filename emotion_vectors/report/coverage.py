"""The interval coverage study in the paper: its table (appendix) and the numbers the text quotes.

The study is ``benchmarks/interval_coverage.py``; its results are packaged as
``emotion_vectors/data/interval_coverage.json`` (:data:`~emotion_vectors.resources.INTERVAL_COVERAGE`), so the
paper of any profile can show them without rerunning the simulation. Nothing here computes a statistic beyond
reading the study's coverage values (and their minimum and maximum over cells for the default method).
"""

from __future__ import annotations

import json
from typing import Any

from emotion_vectors.analysis.stats import CI_METHODS
from emotion_vectors.errors import ReportError
from emotion_vectors.resources import INTERVAL_COVERAGE, data_path

#: The statistics of the study, with their labels in the table.
STATISTICS = {"pc1_valence_r": "PC1--valence", "pc2_arousal_r": "PC2--arousal"}
SCHEME_LABELS = {
    "story": "stories",
    "story_unscaled": "stories, unscaled",
    "story_denoised": "stories, denoised$^*$",
    "emotion": "emotions",
    "emotion_denoised": "emotions, denoised$^*$",
}
TABLE_GROUPS = "& & & \\multicolumn{3}{c}{PC1--valence} & \\multicolumn{3}{c}{PC2--arousal} \\\\"
TABLE_HEADER = (
    "Stories & Resampled & Method & cov. & cov.\\ noise-free & contains & cov. & cov.\\ noise-free & contains \\\\"
)
#: The schemes the analysis ships (the others are comparisons: without the rescaling, or the prototype world).
SHIPPED_SCHEMES = ("story", "emotion")


def _num(value: float, digits: int = 3) -> str:
    """A coverage, width or r for LaTeX (the study's values are finite; a minus sign is typeset)."""
    text = f"{float(value):.{digits}f}"
    return "$-$" + text[1:] if text.startswith("-") else text


def load_coverage() -> dict[str, Any]:
    """The packaged coverage study (see the module docstring)."""
    study = json.loads(data_path(INTERVAL_COVERAGE).read_text(encoding="utf-8"))
    if not study.get("cells"):
        raise ReportError(
            f"{INTERVAL_COVERAGE}: the coverage study has no cells", fix="rerun benchmarks/interval_coverage.py"
        )
    return study


def _coverages(study: dict[str, Any], method: str) -> list[float]:
    """Coverage of ``method`` in every cell, shipped scheme and statistic."""
    return [
        cell["summary"][scheme][method][name]["coverage"]
        for cell in study["cells"]
        for scheme in cell["summary"]
        if scheme in SHIPPED_SCHEMES
        for name in STATISTICS
    ]


def coverage_numbers(study: dict[str, Any], method: str) -> dict[str, str]:
    """Macros: the study's size, the range of coverage of ``method`` over its cells (shipped schemes), and those of
    the recentred bootstrap and of the test inversion (``inverted``; a dash where the study lacks it)."""
    values = _coverages(study, method)
    recentred = _coverages(study, "recentred")
    shipped = [methods for cell in study["cells"] for s, methods in cell["summary"].items() if s in SHIPPED_SCHEMES]
    inverted = _coverages(study, "inverted") if all("inverted" in methods for methods in shipped) else []
    stories = sorted({int(cell["n_stories"]) for cell in study["cells"]})
    if not values:
        raise ReportError(f"{INTERVAL_COVERAGE}: no coverage of method {method!r}", fix="rerun the coverage study")
    return {
        "CoverageDatasets": str(int(study["n_datasets"])),
        "CoverageResamples": str(int(study["n_resamples"])),
        "CoverageReference": str(int(study["n_reference"])),
        "CoverageMin": _num(min(values)),
        "CoverageMax": _num(max(values)),
        "CoverageRecentredMin": _num(min(recentred)),
        "CoverageRecentredMax": _num(max(recentred)),
        "CoverageInvertedMin": _num(min(inverted)) if inverted else "--",
        "CoverageInvertedMax": _num(max(inverted)) if inverted else "--",
        "CoverageNominalPercent": f"{100 * study['confidence']:g}",
        "CoverageDim": str(int(study["planted"]["d"])),
        "CoverageNuisance": str(int(study["planted"]["n_nuisance"])),
        "CoverageStoriesList": " and ".join(str(n) for n in stories),
        "CoverageFewStories": str(min(stories)),
    }


def coverage_table(study: dict[str, Any], method: str) -> str:
    """LaTeX table: coverage of every scheme x method per cell, the default ``method`` in bold."""
    rows = []
    for cell in study["cells"]:
        targets = cell["targets"]
        for scheme in (key for key in SCHEME_LABELS if key in cell["summary"]):
            methods = cell["summary"][scheme]
            for name_of in (m for m in CI_METHODS if m in methods):
                by_stat = methods[name_of]
                cells = [str(cell["n_stories"]), SCHEME_LABELS[scheme], name_of.replace("_", "-")]
                for name in STATISTICS:
                    s = by_stat[name]
                    coverage = _num(s["coverage"])
                    cells += [
                        f"\\textbf{{{coverage}}}" if name_of == method and scheme in SHIPPED_SCHEMES else coverage,
                        _num(s["coverage_noise_free"]),
                        _num(s["contains_estimate"], 2),
                    ]
                rows.append(" & ".join(cells) + " \\\\")
        first = cell["summary"][next(iter(cell["summary"]))]
        n_sets = first[next(iter(first))][next(iter(STATISTICS))]["n_datasets"]
        design = {k: _num(targets["design"][k], 2) for k in STATISTICS}
        free = {k: _num(targets["noise_free"][k], 2) for k in STATISTICS}
        rows.append(
            f"\\multicolumn{{9}}{{l}}{{\\emph{{{cell['design']} design, {cell['n_stories']} stories: design-level "
            f"$r$ {design['pc1_valence_r']} / {design['pc2_arousal_r']}, noise-free $r$ {free['pc1_valence_r']} / "
            f"{free['pc2_arousal_r']}, {n_sets} data sets}}}} \\\\"
        )
        rows.append("\\midrule")
    caption = (
        "Coverage of nominal \\CoverageNominalPercent\\% intervals (bootstrap; \\texttt{inverted}: test inversion at "
        "calibrated levels) "
        "on planted emotion geometry (\\CoverageDatasets{} simulated data sets per cell, \\CoverageResamples{} resamples each): share of "
        "intervals containing the design-level $r$ (the estimand, median over \\CoverageReference{} fresh data "
        "sets of the same design), and containing the noise-free $r$; ``contains'' is the share of intervals "
        "containing their own estimate. Bold: the method of this paper's intervals, under the shipped schemes. Each cell's design-level and noise-free $r$ are "
        "given under its rows (PC1--valence / PC2--arousal). $^*$Resampling world of denoised truth and story noise of "
        "even energy (the worlds \\texttt{inverted} inverts over; its recentred interval is not an analysis method) (Appendix~\\ref{sec:coverage})."
    )
    lines = [
        "\\begin{table}[tbp]",
        "\\centering",
        "\\scriptsize",
        "\\setlength{\\tabcolsep}{3pt}",
        f"\\caption{{{caption}}}",
        "\\label{tab:coverage}",
        "\\begin{tabular}{rllrrrrrr}",
        "\\toprule",
        TABLE_GROUPS,
        "\\cmidrule(lr){4-6}\\cmidrule(lr){7-9}",
        TABLE_HEADER,
        "\\midrule",
        *rows[:-1],
        "\\bottomrule",
        "\\end{tabular}",
        "\\end{table}",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["coverage_numbers", "coverage_table", "load_coverage"]
