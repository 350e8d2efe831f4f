"""Invert saved test-inversion grids again, at other test levels, without new replicates.

Usage: ``python benchmarks/invert_grids.py --study STUDY.json --grids GRIDS.json [--confidence 0.95]
[--eigenvalue-confidence 0.95 0.99 ...]``

``STUDY.json`` and ``GRIDS.json`` are what ``benchmarks/interval_coverage.py --inversion GRID REPLICATES
--inversion-strength joint --json STUDY.json --grids GRIDS.json`` writes: the study's design-level r per cell,
and per data set every world's quantiles of |r| and of the component's eigenvalue
(``world_inversion.ReplicateGrid``). Prints, per cell, level and inversion rule, the coverage of the design-level
r, the share of empty intervals and the median width. An exploration tool: levels picked on these data sets must
be confirmed on fresh ones (another ``--seed``, or data sets beyond the first ``--datasets``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import world_inversion  # noqa: E402  (sibling scripts, not a package)
from interval_coverage import STATISTICS, summarise  # noqa: E402


def load_grid(saved: dict) -> world_inversion.ReplicateGrid:
    """A :class:`world_inversion.ReplicateGrid` from its JSON form."""
    return world_inversion.ReplicateGrid(
        **{
            name: np.asarray(saved[name], dtype=np.float64)
            for name in world_inversion.ReplicateGrid.__dataclass_fields__
        }
    )


def cell_coverage(
    datasets: list[dict], targets: dict[str, dict[str, float]], confidence: float, eigenvalue_confidence: float
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
                load_grid(saved), saved["estimate"], saved["observed_eigenvalue"], confidence, eigenvalue_confidence
            )
            for rule, interval in by_rule.items():
                intervals.setdefault(rule, {})[name] = interval
        estimates = {name: dataset[name]["estimate"] for name in STATISTICS}
        inverted.append({"estimates": estimates, "intervals": {"grid": intervals}})
    return summarise(inverted, targets)["grid"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", type=Path, required=True, help="the coverage study's JSON (--json)")
    parser.add_argument("--grids", type=Path, required=True, help="the coverage study's grids (--grids)")
    parser.add_argument("--confidence", type=float, default=0.95, help="level of each world's range of |r|")
    parser.add_argument(
        "--eigenvalue-confidence",
        type=float,
        nargs="+",
        default=[0.95],
        help="levels of each world's range of the eigenvalue to try",
    )
    args = parser.parse_args(argv)
    study = json.loads(args.study.read_text())
    targets = {(c["design"], c["n_stories"]): c["targets"] for c in study["cells"]}
    print(
        "| stories | design | eigenvalue level | rule | PC1-val coverage (empty, width) | PC2-ar coverage (empty, width) |"
    )
    print("|---|---|---|---|---|---|")
    for cell in json.loads(args.grids.read_text()):
        key = (cell["design"], cell["n_stories"])
        for level in args.eigenvalue_confidence:
            for rule, by_name in cell_coverage(cell["datasets"], targets[key], args.confidence, level).items():
                stats = " | ".join(
                    "{coverage:.3f} ({undefined:.2f}, {median_width:.3f})".format(**by_name[name])
                    for name in STATISTICS
                )
                print(f"| {key[1]} | {key[0]} | {level:g} | {rule} | {stats} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
