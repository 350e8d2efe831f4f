"""Choose the inversion's world levels from coverage runs, by a rule fixed before the runs were read.

Usage: ``python benchmarks/world_levels.py --select STUDY.json ... [--validate STUDY.json ...] [--band 0.93 0.97]``

Every study is a ``benchmarks/inverted_coverage.py --variants ...`` output (the package, or a ``--seed`` run's
``.json``): each cell has the analysis's ``inverted`` row and one ``inverted_P_U_E`` row per variant of
:class:`~emotion_vectors.analysis.inverted_intervals.WorldLevels`. Over the statistic-cells of the ``--select``
studies the rule takes the variant with the most coverages inside ``--band``; ties go to the smallest sum of
squared distances from the nominal level, then to the smallest ratios (the closest to the nominal test). The
``--validate`` studies are then read for the chosen variant and for the nominal one, and nothing is chosen on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

STATISTICS = ("pc1_valence_r", "pc2_arousal_r")
NOMINAL = "inverted_1_1_1"


def coverages(studies: list[dict[str, Any]], row: str) -> np.ndarray:
    """``[cells x statistics]`` coverages of ``row`` in every cell of ``studies``."""
    out = []
    for study in studies:
        for cell in study["cells"]:
            rows = cell["summary"][cell["design"]]
            if row not in rows:
                raise SystemExit(
                    f"seed {study['seed']}, {cell['n_stories']} stories, {cell['design']} design has no row {row}: "
                    "run benchmarks/inverted_coverage.py on it with the same --variants as the other studies"
                )
            out.extend(rows[row][name]["coverage"] for name in STATISTICS)
    return np.array(out)


def variants(study: dict[str, Any]) -> list[str]:
    """The ``inverted_P_U_E`` rows of a study, nominal first."""
    cell = study["cells"][0]
    rows = [row for row in cell["summary"][cell["design"]] if row.count("_") == 3 and row.startswith("inverted_")]
    return [NOMINAL, *sorted(set(rows) - {NOMINAL}, key=lambda r: tuple(float(x) for x in r.split("_")[1:]))]


def choose(studies: list[dict[str, Any]], band: tuple[float, float], nominal: float) -> list[tuple[Any, ...]]:
    """``[(row, cells in band, squared distance, coverages)]`` best first, by the module's rule."""
    ranked = []
    for row in variants(studies[0]):
        cover = coverages(studies, row)
        inside = int(np.sum((cover >= band[0] - 1e-9) & (cover <= band[1] + 1e-9)))
        ratios = tuple(float(x) for x in row.split("_")[1:])
        ranked.append((row, inside, float(np.sum((cover - nominal) ** 2)), cover, ratios))
    ranked.sort(key=lambda item: (-item[1], item[2], item[4]))
    return [item[:4] for item in ranked]


def cell_labels(studies: list[dict[str, Any]]) -> list[str]:
    return [
        f"seed {study['seed']}, {cell['n_stories']} st, {cell['design']}, {name[:3]}"
        for study in studies
        for cell in study["cells"]
        for name in STATISTICS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--select", type=Path, nargs="+", required=True, help="studies the rule chooses on")
    parser.add_argument("--validate", type=Path, nargs="*", default=[], help="studies read after the choice")
    parser.add_argument("--band", type=float, nargs=2, default=(0.93, 0.97))
    parser.add_argument("--top", type=int, default=8, help="variants to list")
    args = parser.parse_args(argv)
    select = [json.loads(path.read_text()) for path in args.select]
    nominal = select[0]["confidence"]
    ranked = choose(select, tuple(args.band), nominal)
    total = ranked[0][3].size
    print(f"selection: {total} statistic-cells; band {args.band[0]:.2f}-{args.band[1]:.2f}")
    for row, inside, distance, cover in ranked[: args.top]:
        print(f"  {row:24s} {inside:2d}/{total} in band, sum sq {distance:.5f}, {cover.min():.3f}-{cover.max():.3f}")
    nominal_row = next(item for item in ranked if item[0] == NOMINAL)
    print(f"  {NOMINAL:24s} {nominal_row[1]:2d}/{total} in band, sum sq {nominal_row[2]:.5f} (nominal)")
    chosen = ranked[0][0]
    print(f"chosen: {chosen}")
    if args.validate:
        validate = [json.loads(path.read_text()) for path in args.validate]
        for row in (chosen, NOMINAL):
            cover = coverages(validate, row)
            inside = int(np.sum((cover >= args.band[0] - 1e-9) & (cover <= args.band[1] + 1e-9)))
            print(f"validation, {row}: {inside}/{cover.size} in band")
            for label, value in zip(cell_labels(validate), cover, strict=True):
                print(f"  {label:34s} {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
