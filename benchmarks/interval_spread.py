"""Why the bootstrap intervals over-cover: the spread of the replicates against the spread of the estimate.

Usage: ``python benchmarks/interval_spread.py [--datasets 60] [--resamples 300] [--reference 400]
[--stories 3 9] [--workers 2] [--seed 0] [--json PATH] [--markdown PATH]``

On the planted geometry of ``benchmarks/interval_coverage.py`` (same designs, same estimand), per cell (design x
stories per emotion) and per statistic (Fisher's z of PC1-valence and PC2-arousal r), this measures:

- ``sampling SD``: the standard deviation of the estimate over ``--reference`` fresh data sets of the design,
  i.e. what an interval's half-width should be, divided by 1.96;
- ``bootstrap spread``: half the 16-84 % range of the replicates of one data set (a robust SD), averaged over
  ``--datasets`` data sets, for the shipped scheme (story: rescaled residuals; emotion: resampled emotions);
- in the story design, the same with the resampling noise scaled to ``lambda`` times the sample's own
  (residuals times ``sqrt(lambda)``, reported as spread / ``sqrt(lambda)``): lambda = 1 is the shipped scheme,
  lambda -> 0 its local (infinitesimal) limit, lambda = 2 one more step away from the truth;
- ``jackknife SE``: leave one story out (grouped by emotion: ``sum_e (n_e - 1)/n_e sum_i (z_(ei) - zbar_e)^2``)
  or leave one emotion out;
- ``shift``: the median of the replicates minus the estimate (the double attenuation);
- the same spread for the prototype resampling world of :mod:`emotion_vectors.analysis.denoised_world` (denoised truth, noise of
  even energy), and the coverage of the design-level z by the recentred interval of the shipped replicates and of
  the prototype's (``--datasets`` data sets, so a coverage near 0.95 has a Monte-Carlo SE of about 0.03 at 60).

A ratio of spread to sampling SD above 1 means intervals built from the replicates over-cover. The table goes to
``docs/interval_spread.md``; ``docs/intervals.md`` reads it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from emotion_vectors.analysis import bootstrap, denoised_world
from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analysis.layer_sample import LayerSample
from emotion_vectors.analysis.story_jackknife import story_jackknife_layer
from emotion_vectors.analysis.story_rescale import rescale_story_gram

HERE = Path(__file__).resolve().parent
DEFAULT_MARKDOWN = HERE.parent / "docs" / "interval_spread.md"
STATISTICS = ("pc1_valence_r", "pc2_arousal_r")
#: Resampling noise of the story scheme, as a multiple of the sample's own.
NOISE_LEVELS = (0.25, 0.5, 1.0, 2.0)


def _coverage_study():
    spec = importlib.util.spec_from_file_location("interval_coverage", HERE / "interval_coverage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


study = _coverage_study()


def fisher(values: dict[str, np.ndarray]) -> np.ndarray:
    """``[B, 2]`` Fisher z of the two statistics (|r| kept below 1)."""
    r = np.stack([values[name] for name in STATISTICS], axis=1)
    return np.arctanh(np.clip(r, -1 + 1e-9, 1 - 1e-9))


def robust_sd(z: np.ndarray) -> np.ndarray:
    """Half the 16-84 % range of ``[B, k]`` values, per column."""
    low, high = np.nanquantile(z, [0.1587, 0.8413], axis=0)
    return (high - low) / 2.0


def grouped_jackknife_se(z: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Jackknife SE ``[k]`` of ``[J, k]`` leave-one-out values, deleting one unit at a time within each group."""
    variance = np.zeros(z.shape[1])
    for group in np.unique(groups):
        values = z[groups == group]
        m = values.shape[0]
        variance += (m - 1) / m * np.sum((values - values.mean(axis=0)) ** 2, axis=0)
    return np.sqrt(variance)


def covers(z: np.ndarray, estimate: np.ndarray, target: np.ndarray) -> list[float]:
    """Whether the recentred 95 % interval of ``[B, 2]`` replicates around ``estimate`` covers ``target``."""
    low, mid, high = np.nanquantile(z, [0.025, 0.5, 0.975], axis=0)
    return ((estimate - (high - mid) <= target) & (target <= estimate + (mid - low))).astype(float).tolist()


def one_dataset(task: tuple[str, Any, Any, int, int, int, np.ndarray]) -> dict[str, list[float]]:
    """Spreads of one simulated data set."""
    design, spec, fixed, index, n_resamples, seed, target = task
    rng = np.random.default_rng([seed, spec.n_stories, 0 if design == "story" else 1, index])
    out: dict[str, list[float]] = {}
    with threadpool_limits(limits=1, user_api="blas"):
        valence, arousal, vectors = fixed if design == "story" else study.draw_emotions(spec, rng)
        rated = np.arange(spec.n_emotions)
        layout, story_gram, gram = study.story_data(spec, valence, arousal, vectors, rng)
        geo = layer_geometry(gram, valence, arousal, rated)
        scores = geo.scores[:, :2]
        sample = LayerSample(story_gram, layout, gram, scores, valence, arousal)
        estimate = np.arctanh([geo.pc1_valence_r, geo.pc2_arousal_r])
        if design == "story":
            rescaled = sample.with_story_gram(rescale_story_gram(layout, story_gram))
            draws = bootstrap.story_resample_weights(layout, n_resamples, rng)
            full = layout.full_weights()[None]
            for level in NOISE_LEVELS:
                weights = math.sqrt(level) * draws + (1.0 - math.sqrt(level)) * full
                z = fisher(bootstrap.story_bootstrap_layer(rescaled, weights))
                out[f"spread_{level:g}"] = (robust_sd(z) / math.sqrt(level)).tolist()
                if level == 1.0:
                    out["shift"] = (np.nanmedian(z, axis=0) - estimate).tolist()
                    out["coverage_shipped"] = covers(z, estimate, target)
            jack = fisher(story_jackknife_layer(sample))
            out["jackknife_se"] = grouped_jackknife_se(jack, np.argwhere(layout.index >= 0)[:, 0]).tolist()
            replicates = denoised_world.story_replicates
        else:
            indices = bootstrap.emotion_resample_indices(spec.n_emotions, n_resamples, rng)
            z = fisher(bootstrap.emotion_bootstrap_layer(gram, scores, valence, arousal, rated, indices))
            out["spread_1"] = robust_sd(z).tolist()
            out["shift"] = (np.nanmedian(z, axis=0) - estimate).tolist()
            left_out = bootstrap.emotion_jackknife_indices(spec.n_emotions)
            jack = fisher(bootstrap.emotion_bootstrap_layer(gram, scores, valence, arousal, rated, left_out))
            out["jackknife_se"] = grouped_jackknife_se(jack, np.zeros(jack.shape[0])).tolist()
            out["coverage_shipped"] = covers(z, estimate, target)
            replicates = denoised_world.emotion_replicates
        world = denoised_world.build_world(story_gram, layout, rng)
        draws = replicates(world, world.projector[None], sample, n_resamples, rng)
        z = fisher(draws[0])
        out["spread_denoised"] = robust_sd(z).tolist()
        out["coverage_denoised"] = covers(z, estimate, target)
    return out


def sampling_moments(design: str, spec: Any, fixed: Any, n_reference: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """SD and median (the design-level z) of the estimate's Fisher z over ``n_reference`` fresh data sets."""
    rng = np.random.default_rng([seed, 7])
    draws = []
    for _ in range(n_reference):
        valence, arousal, vectors = fixed if design == "story" else study.draw_emotions(spec, rng)
        draws.append(study.quick_estimate(spec, valence, arousal, vectors, rng))
    z = np.arctanh(np.abs(np.array(draws)))
    return np.std(z, axis=0, ddof=1), np.median(z, axis=0)


def run_cell(design: str, n_stories: int, args: argparse.Namespace) -> dict[str, Any]:
    spec = study.Planted(n_stories=n_stories)
    fixed = study.fixed_emotions(spec, args.seed) if design == "story" else None
    sd, target = sampling_moments(design, spec, fixed, args.reference, args.seed)
    tasks = [(design, spec, fixed, i, args.resamples, args.seed, target) for i in range(args.datasets)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(one_dataset, tasks, chunksize=2))
    measures = {key: np.mean([row[key] for row in rows], axis=0).tolist() for key in rows[0]}
    return {
        "design": design,
        "n_stories": n_stories,
        "sampling_sd": sd.tolist(),
        **measures,
    }


def markdown_table(cells: list[dict[str, Any]], args: argparse.Namespace) -> str:
    columns = [f"spread_{level:g}" for level in NOISE_LEVELS]
    header = (
        "| design | stories | statistic | sampling SD | "
        + " | ".join(f"bootstrap spread, noise x{level:g}" for level in NOISE_LEVELS)
        + " | jackknife SE | shift | spread, denoised world | coverage: shipped | coverage: denoised world |"
    )
    lines = [
        "<!-- generated by benchmarks/interval_spread.py; do not edit -->",
        "# Spread of the bootstrap replicates against the sampling spread of the estimate",
        "",
        f"Fisher z of r; {args.datasets} data sets per cell, {args.resamples} resamples each; sampling SD over "
        f"{args.reference} fresh data sets of the design. Spreads are robust SDs (half the 16-84 % range) divided by "
        "sqrt(noise multiple); x1 is the shipped scheme. A spread above the sampling SD makes intervals over-cover.",
        "",
        header,
        "|" + "---|" * (9 + len(NOISE_LEVELS)),
    ]
    for cell in cells:
        for k, name in enumerate(STATISTICS):
            spreads = [f"{cell[c][k]:.3f}" if c in cell else "-" for c in columns]
            lines.append(
                f"| {cell['design']} | {cell['n_stories']} | {name} | {cell['sampling_sd'][k]:.3f} | "
                + " | ".join(spreads)
                + f" | {cell['jackknife_se'][k]:.3f} | {cell['shift'][k]:+.3f} | {cell['spread_denoised'][k]:.3f} | "
                f"{cell['coverage_shipped'][k]:.2f} | {cell['coverage_denoised'][k]:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=60)
    parser.add_argument("--resamples", type=int, default=300)
    parser.add_argument("--reference", type=int, default=400, help="fresh data sets for the sampling SD")
    parser.add_argument("--stories", type=int, nargs="+", default=[3, 9])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the measures as JSON")
    parser.add_argument("--markdown", type=Path, default=DEFAULT_MARKDOWN)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    cells = []
    for n_stories in args.stories:
        for design in ("story", "emotion"):
            cells.append(run_cell(design, n_stories, args))
            print(f"cell {design} x {n_stories} stories done at {time.perf_counter() - start:.0f} s", flush=True)
    table = markdown_table(cells, args)
    args.markdown.write_text(table)
    if args.json:
        args.json.write_text(json.dumps(cells, indent=1) + "\n")
    print(table)
    print(f"{time.perf_counter() - start:.0f} s on {args.workers} worker(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
