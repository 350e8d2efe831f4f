"""Invert saved test-inversion grids again, at other test levels, without new replicates.

Usage: ``python benchmarks/invert_grids.py --study STUDY.json [STUDY2.json ...] --grids GRIDS.json [GRIDS2.json
...] [--confidence 0.95] [--eigenvalue-confidence 0.95 0.99 ...] [--hybrid-edge 1 1.4 ...] [--reference N]``

``STUDY.json`` and ``GRIDS.json`` are what ``benchmarks/interval_coverage.py --inversion GRID REPLICATES
--inversion-strength joint --json STUDY.json --grids GRIDS.json`` writes: the study's design-level r per cell,
and per data set every world's quantiles of |r| and of the component's eigenvalue
(``world_inversion.ReplicateGrid``). Prints, per run, level and inversion rule, the coverage of the design-level
r, the share of empty intervals and the median width, and each cell pooled over its runs (:func:`pooled`; a
story-design cell is one seed's geometry, an emotion-design cell holds every seed's runs). ``--hybrid-edge``: the
hybrid also with the profile only above spikes of these multiples of the edge strength; ``--reference N``: each
cell's design-level r drawn again from ``N`` fresh data sets, e.g. to judge older studies, whose targets came from
500, against a precise one. An exploration tool: levels and rules picked on these data sets must
be confirmed on fresh ones (another ``--seed``, or data sets beyond the first ``--datasets``).

``--package emotion_vectors/data/interval_coverage.json`` adds the analysis's ``inverted`` method
(:func:`~emotion_vectors.analysis.inverted_intervals.whole_grid_rule`) to every cell of the packaged study, from
runs of its seed whose grids hold the cell's data sets (the same data sets, judged against the cell's own targets),
and rewrites ``docs/interval_coverage.md`` from it (:func:`package_inverted`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from emotion_vectors.analysis import inverted_intervals, world_inversion

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interval_coverage  # noqa: E402  (sibling scripts, not a package)
from interval_coverage import STATISTICS, summarise  # noqa: E402

TABLE_HEADER = (
    "| run | stories | design | eigenvalue level | rule | PC1-val coverage (empty, width) |"
    " PC2-ar coverage (empty, width) |\n|---|---|---|---|---|---|---|"
)


def load_grid(saved: dict) -> world_inversion.ReplicateGrid:
    """A :class:`world_inversion.ReplicateGrid` from its JSON form."""
    return world_inversion.ReplicateGrid(
        **{
            name: np.asarray(saved[name], dtype=np.float64)
            for name in world_inversion.ReplicateGrid.__dataclass_fields__
        }
    )


def cell_coverage(
    datasets: list[dict],
    targets: dict[str, dict[str, float]],
    confidence: float,
    eigenvalue_confidence: float,
    hybrid_edges: tuple[float, ...] = interval_coverage.HYBRID_EDGES,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{rule: {statistic: summary}}`` over one cell's data sets: the study's own summary
    (:func:`interval_coverage.summarise`: coverage, median width, ``undefined`` = share of empty intervals, ...)
    of the intervals the saved grids give at these levels. ``targets`` is the cell's ``targets``."""
    inverted = []
    for dataset in datasets:
        intervals: dict[str, dict[str, list[float]]] = {}
        for name in STATISTICS:
            saved = dataset[name]
            by_rule = world_inversion.grid_intervals(
                load_grid(saved),
                saved["estimate"],
                saved["observed_eigenvalue"],
                confidence,
                eigenvalue_confidence,
                hybrid_edges,
            )
            for rule, interval in by_rule.items():
                intervals.setdefault(rule, {})[name] = interval
        estimates = {name: dataset[name]["estimate"] for name in STATISTICS}
        inverted.append({"estimates": estimates, "intervals": {"grid": intervals}})
    return summarise(inverted, targets)["grid"]


def precise_targets(
    study: dict, design: str, n_stories: int, n_reference: int, workers: int
) -> dict[str, dict[str, float]]:
    """The study's targets of one cell with the design-level r (and its Monte-Carlo error) drawn again from
    ``n_reference`` fresh data sets of the study's planted geometry (:func:`interval_coverage.design_level_r`)."""
    spec = interval_coverage.Planted(n_stories=n_stories, n_nuisance=study["planted"]["n_nuisance"])
    fixed = interval_coverage.fixed_emotions(spec, study["seed"]) if design == "story" else None
    median, _, error = interval_coverage.design_level_r(design, spec, fixed, n_reference, study["seed"], workers)
    return {
        "design": dict(zip(STATISTICS, median, strict=True)),
        "design_error": dict(zip(STATISTICS, error, strict=True)),
    }


def pooled(summaries: list[dict[str, dict[str, dict[str, float]]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Several runs' :func:`cell_coverage` of one design and size pooled, weighting each by its data sets:
    coverage and the share of empty intervals are means over all data sets (each judged against its own run's
    design-level r), with the Monte-Carlo standard error of the coverage; the width is the runs' median widths
    averaged. Runs of one seed and different ``--first-dataset`` hold fresh data sets of one cell, and so do
    emotion-design runs of different seeds (they draw from the same population); in the story design each seed
    plants its own geometry, so :func:`main` pools story-design runs only within a seed."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for rule in summaries[0]:
        out[rule] = {}
        for name in STATISTICS:
            rows = [summary[rule][name] for summary in summaries]
            n = [row["n_datasets"] for row in rows]
            mean = {
                key: float(np.average([row[key] for row in rows], weights=n))
                for key in ("coverage", "undefined", "median_width")
            }
            out[rule][name] = mean | {
                "standard_error": float(np.sqrt(mean["coverage"] * (1 - mean["coverage"]) / sum(n))),
                "n_datasets": sum(n),
            }
    return out


def package_inverted(package: dict, runs: list[tuple[dict, list[dict]]], confidence: float) -> dict:
    """``package`` (the packaged coverage study) with ``summary[design]["inverted"]`` in every cell: the
    analysis's inverted intervals of the cell's data sets 0..n-1, from the grids of ``runs`` (``(study, grid
    cells)`` pairs) of the package's seed, judged against the cell's targets. Every data set must come from
    exactly one run, and every run must have inverted with the analysis's grid."""
    design_grid = [inverted_intervals.ALIGNMENTS, inverted_intervals.REPLICATES, "joint"]
    edges = (inverted_intervals.SWITCH_EDGES,)
    for cell in package["cells"]:
        key = (cell["design"], cell["n_stories"])
        parts = []
        for study, grid_cells in runs:
            first = {(c["design"], c["n_stories"]): c.get("first_dataset", 0) for c in study["cells"]}
            if study["seed"] != package["seed"] or key not in first:
                continue
            if list(study["inversion"]) != design_grid:
                raise ValueError(f"a run inverted with {study['inversion']}, the analysis with {design_grid}")
            parts += [(first[key], c["datasets"]) for c in grid_cells if (c["design"], c["n_stories"]) == key]
        parts.sort(key=lambda part: part[0])
        starts = [sum(len(datasets) for _, datasets in parts[:i]) for i in range(len(parts))]
        if [start for start, _ in parts] != starts or sum(len(d) for _, d in parts) != cell["n_datasets"]:
            held = [(start, start + len(datasets)) for start, datasets in parts]
            raise ValueError(f"{key}: the grids hold data sets {held}, not 0-{cell['n_datasets'] - 1} once each")
        inverted = []
        for index, saved in enumerate(dataset for _, datasets in parts for dataset in datasets):
            if not has_joint_strengths(saved):
                raise ValueError(
                    f"{key}: data set {index} was inverted over strength rows "
                    f"{[saved[name]['strengths'] for name in STATISTICS]}, not over those of the analysis's grid "
                    "(world_inversion.joint_strengths): an earlier version of the study; run it again"
                )
            intervals = {
                name: inverted_intervals.whole_grid_rule(
                    world_inversion.grid_intervals(
                        load_grid(saved[name]),
                        saved[name]["estimate"],
                        saved[name]["observed_eigenvalue"],
                        confidence,
                        hybrid_edges=edges,
                    )
                )
                for name in STATISTICS
            }
            estimates = {name: saved[name]["estimate"] for name in STATISTICS}
            inverted.append({"estimates": estimates, "intervals": {"grid": {"inverted": intervals}}})
        cell["summary"][cell["design"]]["inverted"] = summarise(inverted, cell["targets"])["grid"]["inverted"]
    return package | {"inversion": design_grid, "inverted_switch_edges": inverted_intervals.SWITCH_EDGES}


def has_joint_strengths(saved: dict, tolerance: float = 1e-6) -> bool:
    """Whether one saved data set's two grids have the strength rows
    :func:`~emotion_vectors.analysis.world_inversion.joint_strengths` gives (the study tried others before): every
    row of PC1's grid and all but the last of PC2's on the ladder (``JOINT_STRENGTHS`` continued in steps of
    ``sqrt(2)``), PC2's last row PC1's debiased strength ``s`` (off the ladder), with PC1's rows reaching ``2 s``
    and stopping at the first step that does."""
    base = world_inversion.JOINT_STRENGTHS
    first = np.asarray(saved["pc1_valence_r"]["strengths"])
    second = np.asarray(saved["pc2_arousal_r"]["strengths"])
    ladder = np.asarray([*base, *(base[-1] * np.sqrt(2) ** np.arange(1, 40))])

    def on_ladder(rows: np.ndarray) -> np.ndarray:
        return np.min(np.abs(np.log(rows[:, None] / ladder[None, :])), axis=1) < tolerance

    if not (np.all(on_ladder(first)) and np.all(on_ladder(second[:-1]))) or on_ladder(second[-1:])[0]:
        return False
    top = first.max()
    return bool(top >= 2 * second[-1] * (1 - tolerance) and (top <= base[-1] or top / np.sqrt(2) < 2 * second[-1]))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", type=Path, nargs="+", required=True, help="the coverage studies' JSON (--json)")
    parser.add_argument("--grids", type=Path, nargs="+", required=True, help="their grids (--grids), in that order")
    parser.add_argument("--confidence", type=float, default=0.95, help="level of each world's range of |r|")
    parser.add_argument(
        "--eigenvalue-confidence",
        type=float,
        nargs="+",
        default=[0.95],
        help="levels of each world's range of the eigenvalue to try",
    )
    parser.add_argument(
        "--hybrid-edge",
        type=float,
        nargs="+",
        default=list(interval_coverage.HYBRID_EDGES),
        help="multiples of the edge strength whose spikes the hybrid's eigenvalue must clear to take the profile",
    )
    parser.add_argument(
        "--reference",
        type=int,
        default=0,
        help="draw each cell's design-level r again from this many fresh data sets (0: the study's own)",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes for --reference")
    parser.add_argument(
        "--package",
        type=Path,
        help="add the analysis's inverted method to this packaged coverage study (and rewrite its Markdown table)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if len(args.study) != len(args.grids):
        parser.error(f"give one --grids file per --study file ({len(args.study)} studies, {len(args.grids)} grids)")
    print(TABLE_HEADER)
    by_cell: dict[tuple[str, int, int | None, float], list[dict]] = {}
    seen: dict[tuple, Path] = {}
    precise: dict[tuple, dict[str, dict[str, float]]] = {}
    runs = []
    for study_path, grids_path in zip(args.study, args.grids, strict=True):
        study = json.loads(study_path.read_text())
        cells = {(c["design"], c["n_stories"]): c for c in study["cells"]}
        runs.append((study, json.loads(grids_path.read_text())))
        for cell in runs[-1][1]:
            key = (cell["design"], cell["n_stories"])
            # each seed plants its own story-design geometry; the emotion design draws from one population
            identity = (*key, study["seed"] if key[0] == "story" else None)
            targets = cells[key]["targets"]
            if args.reference:
                if identity not in precise:
                    precise[identity] = precise_targets(study, *key, args.reference, args.workers)
                    _print_target(identity, targets, precise[identity])
                targets = targets | precise[identity]
            data_sets = (*key, study["seed"], cells[key].get("first_dataset", 0))
            if data_sets in seen:  # the same data sets twice would count twice in the pool
                parser.error(
                    f"{grids_path} repeats the data sets of {seen[data_sets]} ({key[0]} design, {key[1]} stories)"
                )
            seen[data_sets] = grids_path
            for level in args.eigenvalue_confidence:
                summary = cell_coverage(cell["datasets"], targets, args.confidence, level, tuple(args.hybrid_edge))
                by_cell.setdefault((*identity, level), []).append(summary)
                _print_rows(f"{study_path.stem} (seed {study['seed']})", key, level, summary)
    for (design, stories, seed, level), summaries in by_cell.items():
        if len(summaries) > 1:
            _print_rows(
                f"pooled over {len(summaries)} runs ({_where(seed)})", (design, stories), level, pooled(summaries)
            )
    if args.package:
        package = package_inverted(json.loads(args.package.read_text()), runs, args.confidence)
        args.package.write_text(json.dumps(package, indent=1, sort_keys=True) + "\n")
        interval_coverage.DEFAULT_MARKDOWN.write_text(interval_coverage.markdown_table(package))
        print(f"\nwrote the inverted method into {args.package} and {interval_coverage.DEFAULT_MARKDOWN}")
    return 0


def _print_target(identity: tuple, saved: dict, precise: dict) -> None:
    design, stories, seed = identity
    pairs = ", ".join(
        f"{name} {saved['design'][name]:.4f} -> {precise['design'][name]:.4f} ± {precise['design_error'][name]:.4f}"
        for name in STATISTICS
    )
    print(f"\ndesign-level r, {design} design, {stories} stories, {_where(seed)}: {pairs}\n\n{TABLE_HEADER}")


def _where(seed: int | None) -> str:
    """The seeds a cell holds: one for a story-design geometry, every seed (``None``) for the emotion design."""
    return f"seed {seed}" if seed is not None else "every seed"


def _print_rows(run: str, key: tuple[str, int], level: float, summary: dict) -> None:
    for rule, by_name in summary.items():
        stats = " | ".join(
            "{coverage:.3f}{error} ({undefined:.2f}, {median_width:.3f})".format(
                **by_name[name],
                error=f" ± {by_name[name]['standard_error']:.3f}" if "standard_error" in by_name[name] else "",
            )
            for name in STATISTICS
        )
        print(f"| {run} | {key[1]} | {key[0]} | {level:g} | {rule} | {stats} |")


if __name__ == "__main__":
    sys.exit(main())
