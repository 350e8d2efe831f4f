"""The analysis's ``inverted`` method on the packaged coverage study's own data sets, written into the package.

Usage: ``python benchmarks/inverted_coverage.py [--package emotion_vectors/data/interval_coverage.json]
[--workers 2] [--seed SEED [--markdown PATH]] [--variants P,U,E ...]``

For every cell of the packaged study (``benchmarks/interval_coverage.py``) the script draws the cell's data sets
again (the study's seed streams and, before each world, the study's bootstrap draws, so every data set and its
denoised world are the study's) and gives each PC1-valence and PC2-arousal r the interval the analysis gives with
``ci_method = "inverted"``: :func:`~emotion_vectors.analysis.inverted_intervals.hybrid_interval` over the noise of
:data:`~emotion_vectors.analysis.inverted_intervals.REPLICATES` replicate data sets of the design, drawn once per
data set from the study's inversion stream. The intervals are judged against the cell's own design-level r
(:func:`interval_coverage.summarise`) and written as the cell's ``inverted`` row, with the grid the analysis
inverts over; ``docs/interval_coverage.md`` (and through the package the paper's appendix) is rewritten from it.
An empty interval (no world holds the sample) counts as a miss here; the analysis falls back to the bootstrap's.
The worlds are tested at the analysis's calibrated levels (``inverted_intervals.CALIBRATED_LEVELS``);
``--variants`` adds a row per further set of levels (``inverted_P_U_E``), inverted from the same replicates, which
``benchmarks/world_levels.py`` chooses among.

``--seed SEED`` checks the method on fresh geometry instead: the packaged study's cells (designs, stories per
emotion, data sets) drawn at another seed, their design-level r from the study's ``n_reference`` fresh data sets
(:func:`interval_coverage.cell_targets`), only the ``inverted`` row, written to ``--markdown`` (default
``docs/interval_inversion/analysis_seed<SEED>.md``) with the study beside it (the same name, ``.json``); the package
is read, not written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from emotion_vectors.analysis import inverted_intervals
from emotion_vectors.analysis.denoised_world import build_world
from emotion_vectors.analysis.inverted_intervals import WorldLevels

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interval_coverage  # noqa: E402  (sibling scripts, not a package)
from interval_coverage import STATISTICS, Planted  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGE = ROOT / "emotion_vectors" / "data" / "interval_coverage.json"


def inverted_dataset(
    task: tuple[str, Planted, tuple[np.ndarray, ...] | None, int, int, int, float, tuple[WorldLevels, ...]],
) -> dict[str, Any]:
    """The estimates and the analysis's inverted intervals of one data set of the study (``inverted``), and under
    each further set of world levels (``inverted_<profile lower>_<union lower>_<union eigenvalue>``)."""
    design, spec, fixed, index, n_resamples, seed, confidence, variants = task
    with threadpool_limits(limits=1, user_api="blas"):
        stream, rng, sample, estimates = interval_coverage.planted_sample(design, spec, fixed, index, seed)
        interval_coverage.resample_draws(design, sample, n_resamples, rng)  # the study draws these first
        world = build_world(sample.story_gram, sample.layout, rng)
        draw = inverted_intervals.DESIGN_NOISE[design]
        noise = draw(world, sample, inverted_intervals.REPLICATES, np.random.default_rng([*stream, 5]))
        levels = (inverted_intervals.CALIBRATED_LEVELS, *variants)
        by_statistic = {
            name: inverted_intervals.hybrid_intervals(world, noise, sample, c, estimates[name], confidence, levels)
            for c, name in enumerate(STATISTICS)
        }
    rows = ["inverted", *map(interval_coverage.level_row, variants)]
    intervals = {row: {name: list(by_statistic[name][i]) for name in STATISTICS} for i, row in enumerate(rows)}
    return {"estimates": estimates, "intervals": {"analysis": intervals}}


def package_inverted(package: dict[str, Any], workers: int, variants: tuple[WorldLevels, ...] = ()) -> dict[str, Any]:
    """``package`` with ``summary[design]["inverted"]`` in every cell, over the cell's data sets (and a row per
    further variant of the world levels)."""
    for cell in package["cells"]:
        design = cell["design"]
        spec = Planted(n_stories=cell["n_stories"], n_nuisance=package["planted"]["n_nuisance"])
        fixed = interval_coverage.fixed_emotions(spec, package["seed"]) if design == "story" else None
        first = cell.get("first_dataset", 0)
        tasks = [
            (design, spec, fixed, i, package["n_resamples"], package["seed"], package["confidence"], variants)
            for i in range(first, first + cell["n_datasets"])
        ]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                datasets = list(pool.map(inverted_dataset, tasks, chunksize=4))
        else:
            datasets = [inverted_dataset(task) for task in tasks]
        rows = {k: v for k, v in cell["summary"][design].items() if not k.startswith("inverted_")}
        cell["summary"][design] = rows | interval_coverage.summarise(datasets, cell["targets"])["analysis"]
    grid = [inverted_intervals.ALIGNMENTS, inverted_intervals.REPLICATES, "joint"]
    levels = list(astuple(inverted_intervals.CALIBRATED_LEVELS))
    return package | {
        "inversion": grid,
        "inverted_switch_edges": inverted_intervals.SWITCH_EDGES,
        "inverted_world_levels": levels,
    }


def fresh_study(package: dict[str, Any], seed: int, workers: int) -> dict[str, Any]:
    """The packaged study's cells drawn at ``seed``: the same designs and sizes, new targets, no rows yet."""
    cells = []
    for cell in package["cells"]:
        design = cell["design"]
        spec = Planted(n_stories=cell["n_stories"], n_nuisance=package["planted"]["n_nuisance"])
        fixed = interval_coverage.fixed_emotions(spec, seed) if design == "story" else None
        targets, tails = interval_coverage.cell_targets(design, spec, fixed, package["n_reference"], seed, workers)
        cells.append(
            {
                "design": design,
                "n_stories": spec.n_stories,
                "n_emotions": spec.n_emotions,
                "n_datasets": cell["n_datasets"],
                "first_dataset": 0,
                "targets": targets,
                "sampling_tails_z": tails,
                "summary": {design: {}},
            }
        )
    return package | {"seed": seed, "n_unscaled": 0, "cells": cells}


def world_levels(text: str) -> WorldLevels:
    """``"P,U,E"`` -> :class:`WorldLevels` (``--variants``)."""
    parts = text.split(",")
    try:
        if len(parts) != 3:
            raise ValueError(f"three ratios, got {len(parts)}")
        return WorldLevels(*(float(part) for part in parts))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: want P,U,E, three ratios of at least 1 ({error})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, default=DEFAULT_PACKAGE, help="the packaged coverage study")
    parser.add_argument(
        "--markdown",
        type=Path,
        help="default: docs/interval_coverage.md, or with --seed docs/interval_inversion/analysis_seed<SEED>.md",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, help="fresh geometry: the package's cells drawn at this seed (not written)")
    parser.add_argument(
        "--variants",
        type=world_levels,
        nargs="*",
        default=[],
        metavar="P,U,E",
        help="further world levels, each inverted from the same replicates as the analysis's interval: ratios to "
        "the nominal tail of the profile's and the union's lower quantile of |r| and of the union's eigenvalue "
        "range (rows inverted_P_U_E; inverted_intervals.WorldLevels)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    package = json.loads(args.package.read_text())
    if args.seed is None:
        package = package_inverted(package, args.workers, tuple(args.variants))
        args.package.write_text(json.dumps(package, indent=1, sort_keys=True) + "\n")
        markdown = args.markdown or interval_coverage.DEFAULT_MARKDOWN
    else:
        package = package_inverted(fresh_study(package, args.seed, args.workers), args.workers, tuple(args.variants))
        markdown = args.markdown or ROOT / "docs" / "interval_inversion" / f"analysis_seed{args.seed}.md"
        # the study beside its table, so the table can be rewritten without drawing it again
        markdown.with_suffix(".json").write_text(json.dumps(package, indent=1, sort_keys=True) + "\n")
    markdown.write_text(interval_coverage.markdown_table(package))
    for cell in package["cells"]:
        for method, row in cell["summary"][cell["design"]].items():
            if method.startswith("inverted"):
                coverage = " / ".join(f"{row[name]['coverage']:.3f}" for name in STATISTICS)
                print(f"{cell['n_stories']} stories, {cell['design']} design: {method} covers {coverage}")
    written = f"{markdown} and its .json" if args.seed is not None else f"{args.package} and {markdown}"
    print(f"wrote {written} in {time.perf_counter() - start:.0f} s on {args.workers} worker(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
