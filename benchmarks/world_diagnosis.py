"""Which part of a resampling world must be right for its replicates to spread like the estimate?

Usage: ``python benchmarks/world_diagnosis.py [--seeds 0 1] [--stories 3 9] [--samples 3] [--replicates 400]
[--reference 500] [--workers 2] [--markdown PATH]``

A bootstrap interval covers when the replicates of its resampling world spread like the estimate does across
fresh data sets. ``docs/interval_spread.md`` shows that neither the shipped worlds (the sample as truth) nor the
prototype of :mod:`emotion_vectors.analysis.denoised_world` (denoised truth) do so everywhere. This script takes the question
apart on the coverage study's planted geometry (story design: fixed emotions, fresh stories; see
``benchmarks/interval_coverage.py``), where the truth is known, by building worlds that are right in some parts and
estimated in others. Every world is simulated in activation space: ``truth + noise``, each emotion mean's noise
isotropic Gaussian at its known level unless stated, then the analysis's PCA and sign rule
(:func:`interval_coverage.geometry_r`). Worlds, in table order:

- ``oracle truth``: the true noise-free emotion vectors; the same process as fresh data sets (a check);
- ``oracle truth, residual noise``: the same truth, each emotion mean's noise a random combination of the
  sample's own story residuals at the expected energy (the prototype's noise model);
- ``denoised truth``: the prototype's truth, the sample's components above the Marchenko-Pastur edge of the
  (known) noise, each scaled to its debiased strength, the rest dropped;
- ``true spectrum, sample eigenvectors``: the sample's first 40 eigenvectors carrying the true eigenvalues
  (right strengths, the sample's misaligned directions);
- ``true spectrum, tilted``: the same with eigenvector 1 turned towards valence and eigenvector 2 towards arousal
  (inside the plane of the eigenvector and the rating's part outside the 40) until their correlations with the
  ratings equal the truth's noise-free PC1-valence and PC2-arousal r;
- ``two components, tilted``: only the first two, tilted as above.

Reported per world: the tails of the replicates on Fisher's z (median minus the 2.5 % quantile, 97.5 % quantile
minus median) and their median r, averaged over ``--samples`` data sets (each world is built from one sample),
next to the same for the estimate over ``--reference`` fresh data sets. Uses the truth: a diagnosis, not a method.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from emotion_vectors.analysis import denoised_world, world_inversion

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interval_coverage as ic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MARKDOWN = ROOT / "docs" / "world_diagnosis.md"
#: Sample eigenvectors that carry the true spectrum.
SPECTRUM_COMPONENTS = 40
WORLDS = (
    "oracle truth",
    "oracle truth, residual noise",
    "denoised truth",
    "true spectrum, sample eigenvectors",
    "true spectrum, tilted",
    "two components, tilted",
)


def tails(values: np.ndarray) -> np.ndarray:
    """``[3, 2]``: lower tail, upper tail (on Fisher's z of |r|) and median r of ``[B, 2]`` draws."""
    z = np.arctanh(np.clip(np.abs(values), 0.0, 1 - 1e-12))
    low, mid, high = np.quantile(z, [0.025, 0.5, 0.975], axis=0)
    return np.stack([mid - low, high - mid, np.tanh(mid)])


def eigen(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors ``[n, n]`` of the Gram matrix of ``[n, d]`` centred rows."""
    values, vectors = np.linalg.eigh(centred @ centred.T)
    return values[::-1], vectors[:, ::-1]


def tilt(vectors: np.ndarray, k: int, rating: np.ndarray, target: float) -> np.ndarray:
    """``vectors`` with column ``k`` turned towards ``rating``'s part outside their span until its correlation
    with ``rating`` is ``target`` (as close as the plane allows; :func:`world_inversion.rating_plane`)."""
    alpha, gamma, outside = world_inversion.rating_plane(vectors, rating, k)
    angle = math.asin(min(target / math.hypot(alpha, gamma), 1.0)) - math.atan2(alpha, gamma)
    out = vectors.copy()
    out[:, k] = math.cos(angle) * vectors[:, k] + math.sin(angle) * outside
    return out


def debiased_truth(sample: np.ndarray, level: np.ndarray, eigen_pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The prototype's truth from ``[n, d]`` centred emotion means with per-emotion noise variance ``level``
    (per dimension) and their Gram eigenpairs (:func:`eigen`): components above the Marchenko-Pastur edge, each
    scaled to its debiased strength (:func:`denoised_world.debiased_spikes`)."""
    n, d = sample.shape
    values, vectors = eigen_pairs
    above, spikes = denoised_world.debiased_spikes(values, n * level.mean(), d / n)
    kept = vectors[:, above]
    return (kept * np.sqrt(spikes / values[above])) @ kept.T @ sample


def spectrum_truth(
    sample: np.ndarray,
    eigen_pairs: tuple[np.ndarray, np.ndarray],
    true_values: np.ndarray,
    components: np.ndarray | None = None,
) -> np.ndarray:
    """The sample's eigenvectors (or ``components`` ``[n, k]`` in their place) carrying ``true_values`` ``[k]``."""
    values, vectors = eigen_pairs
    k = true_values.size
    left = vectors[:, :k] if components is None else components
    return (left * np.sqrt(true_values / values[:k])) @ vectors[:, :k].T @ sample


def world_draws(
    truth: np.ndarray,
    noise: Callable[[np.random.Generator], np.ndarray],
    ratings: tuple[np.ndarray, np.ndarray],
    n_replicates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``[n_replicates, 2]`` (PC1-valence r, PC2-arousal r) of ``truth + noise``."""
    return np.array([ic.geometry_r(truth + noise(rng), *ratings) for _ in range(n_replicates)])


def diagnose_sample(
    spec: ic.Planted,
    fixed: tuple[np.ndarray, ...],
    free_r: tuple[float, float],
    n_replicates: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """``{world: [3, 2] tails}`` of every world built from one fresh sample of the story design."""
    valence, arousal, vectors = fixed
    n, d = spec.n_emotions, spec.d
    truth = ic._embed(vectors, d)
    counts = ic._counts(spec, rng).reshape(n, spec.n_stories).astype(np.float64)
    weights = counts / counts.sum(axis=1, keepdims=True)
    level = spec.story_noise**2 * np.sum(weights**2, axis=1)  # noise variance per dimension of each mean
    stories = truth[:, None, :] + spec.story_noise * rng.standard_normal((n, spec.n_stories, d))
    means = np.einsum("ei,eid->ed", weights, stories)
    residuals = stories - means[:, None, :]
    sample = means - means.mean(axis=0)

    def gaussian(r: np.random.Generator) -> np.ndarray:
        return np.sqrt(level)[:, None] * r.standard_normal((n, d))

    def from_residuals(r: np.random.Generator) -> np.ndarray:
        draw = np.einsum("ei,eid->ed", r.standard_normal(weights.shape), residuals)
        return draw * np.sqrt(level * d / np.sum(draw**2, axis=1))[:, None]

    true_values = eigen(truth - truth.mean(axis=0))[0][:SPECTRUM_COMPONENTS]
    pairs = eigen(sample)
    tilted = tilt(tilt(pairs[1][:, :SPECTRUM_COMPONENTS], 0, valence, free_r[0]), 1, arousal, free_r[1])
    truths = {
        "oracle truth": (truth, gaussian),
        "oracle truth, residual noise": (truth, from_residuals),
        "denoised truth": (debiased_truth(sample, level, pairs), gaussian),
        "true spectrum, sample eigenvectors": (spectrum_truth(sample, pairs, true_values), gaussian),
        "true spectrum, tilted": (spectrum_truth(sample, pairs, true_values, tilted), gaussian),
        "two components, tilted": (spectrum_truth(sample, pairs, true_values[:2], tilted[:, :2]), gaussian),
    }
    return {
        name: tails(world_draws(world, noise, (valence, arousal), n_replicates, rng))
        for name, (world, noise) in truths.items()
    }


def _diagnose_task(task: tuple) -> dict[str, np.ndarray]:
    spec, fixed, free_r, n_replicates, seed = task
    with threadpool_limits(limits=1, user_api="blas"):
        return diagnose_sample(spec, fixed, free_r, n_replicates, np.random.default_rng(seed))


def diagnose_cell(
    spec: ic.Planted, seed: int, n_samples: int, n_replicates: int, n_reference: int, workers: int
) -> list[str]:
    """Markdown rows of one story-design cell."""
    fixed = ic.fixed_emotions(spec, seed)
    medians, reference, _ = ic.design_level_r("story", spec, fixed, n_reference, seed, workers)
    free_r = ic.noise_free_r("story", spec, fixed, seed)
    tasks = [(spec, fixed, free_r, n_replicates, [seed, spec.n_stories, 31, i]) for i in range(n_samples)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        runs = list(pool.map(_diagnose_task, tasks))
    rows = []
    label = f"| {seed} | {spec.n_stories} "
    for k, name in enumerate(ic.STATISTICS):
        t = reference[name]
        rows.append(
            f"{label}| {name} | estimate over fresh data sets | {t['lower_tail']:.3f} | "
            f"{t['upper_tail']:.3f} | {medians[k]:.3f} |"
        )
        for world in WORLDS:
            mean = np.mean([run[world][:, k] for run in runs], axis=0)
            rows.append(f"{label}| {name} | {world} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--stories", type=int, nargs="+", default=[3, 9])
    parser.add_argument("--samples", type=int, default=3, help="samples (worlds) averaged per cell")
    parser.add_argument("--replicates", type=int, default=400, help="draws per world")
    parser.add_argument("--reference", type=int, default=500, help="fresh data sets for the estimate's tails")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", type=Path, default=DEFAULT_MARKDOWN)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lines = [
        "<!-- generated by benchmarks/world_diagnosis.py; do not edit -->",
        "# Which part of a resampling world must be right (story design)",
        "",
        f"Tails on Fisher's z and median r of the estimate over {args.reference} fresh data sets, and of "
        f"{args.replicates} draws of each world, averaged over {args.samples} samples per cell (one world per "
        "sample). The worlds are described in the script's docstring.",
        "",
        "| seed | stories | statistic | world | lower tail | upper tail | median r |",
        "|---|---|---|---|---|---|---|",
    ]
    for seed in args.seeds:
        for n_stories in args.stories:
            lines += diagnose_cell(
                ic.Planted(n_stories=n_stories), seed, args.samples, args.replicates, args.reference, args.workers
            )
            print(f"seed {seed}, {n_stories} stories done at {time.perf_counter() - start:.0f} s", flush=True)
    text = "\n".join(lines) + "\n"
    args.markdown.write_text(text)
    print(text)
    print(f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
