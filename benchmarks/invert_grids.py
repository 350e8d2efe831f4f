"""Invert saved test-inversion grids again, at other test levels, without new replicates.

Usage: ``python benchmarks/invert_grids.py --study STUDY.json [STUDY2.json ...] --grids GRIDS.json [GRIDS2.json
...] [--confidence 0.95] [--eigenvalue-confidence 0.95 0.99 ...] [--hybrid-edge 1 1.4 ...] [--reference N]``

``STUDY.json`` and ``GRIDS.json`` are what ``benchmarks/interval_coverage.py --inversion GRID REPLICATES
--inversion-strength joint --json STUDY.json --grids GRIDS.json`` writes: the study's design-level r per cell,
and per data set every world's quantiles of |r| and of the component's eigenvalue
(``world_inversion.ReplicateGrid``, with the profile's own-strength row under ``own``; grids saved before it
existed are profiled between their rows, ``world_inversion.grid_intervals``). Prints, per run, level and inversion
rule, the coverage of the design-level r, the share of empty intervals and the median width, and each cell pooled
over its runs (:func:`pooled`; a story-design cell is one seed's geometry, an emotion-design cell holds every
seed's runs). ``--hybrid-edge``: the
hybrid also with the profile only above spikes of these multiples of the edge strength; ``--reference N``: each
cell's design-level r drawn again from ``N`` fresh data sets, e.g. to judge older studies, whose targets came from
500, against a precise one. An exploration tool: levels and rules picked on these data sets must
be confirmed on fresh ones (another ``--seed``, or data sets beyond the first ``--datasets``).

The packaged study's ``inverted`` rows come from the analysis's own code instead (``benchmarks/inverted_coverage.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from emotion_vectors.analysis import world_inversion

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
                own=load_grid(saved["own"]) if saved.get("own") else None,
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
    for study_path, grids_path in zip(args.study, args.grids, strict=True):
        study = json.loads(study_path.read_text())
        cells = {(c["design"], c["n_stories"]): c for c in study["cells"]}
        for cell in json.loads(grids_path.read_text()):
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
