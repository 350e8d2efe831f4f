"""Time the story-level bootstrap: 2,000 resamples x 42 layers of 171 emotions x 2,560 dims (the Gemma shape).

Usage: ``python benchmarks/analysis_speed.py [--resamples 2000] [--layers 42] [--dim 2560] [--stories 9]
[--workers 2] [--noise 0.1 0.3] [--schemes story]``

Synthetic story means (a planted valence and arousal axis, a decaying spectrum of emotion-specific directions
and story noise, with realistic token counts) are generated for every layer before the clock starts. The story
noise sets how flat the spectrum of the emotion vectors is beyond PC1, which is what the replicate eigen-solver
finds hard: 0.1 gives explained variance PC1-3 of about 0.23/0.07/0.05, 0.3 about 0.06/0.023/0.018 (PC2 and
PC3 nearly tied, as in the real demo layers). Each noise level is timed separately. The timed
part is the real analysis stage (:func:`emotion_vectors.analyze.analyze_run`) with, by default, only the story-level
bootstrap switched on: per layer the contrast vectors, PCA and correlations, the valence direction with its
leave-one-out check, the best of PC1-PC3 and the cross-validated arousal direction, the story-length
correlations, the story x story Gram matrix (residuals rescaled) and every story-level replicate (refitting the
PCA through its 171 x 171 Gram matrix), the test inversion of PC1-valence and PC2-arousal r (the default
``ci_method``; ``--ci-method recentred`` leaves it out), then CIs, peak intervals, the CKA matrices and their
permutation p-values with RSA (the default ``cka_permutations``). Prints the wall time and the target
(< 60 s on 2 CPU cores, for the story scheme), and a calibration figure (the GFLOP/s of a fixed fp32 matmul in
numpy on one thread) to scale the time from one machine to another. ``--schemes emotion story`` times the
analysis's default schemes together (each with its replicates and its inversion; the valence permutation test
stays off).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from emotion_vectors.analysis import stats
from emotion_vectors.analyze import analyze_run
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.ratings import emotions as all_emotions
from emotion_vectors.ratings import load_ratings
from emotion_vectors.store import MemoryStore

TARGET_SECONDS = 60.0
#: Per-dimension story noise levels timed by default: a steep and a flat spectrum beyond PC1.
STORY_NOISE = (0.1, 0.3)


def synthetic_store(seed: int, n_layers: int, n_stories: int, dim: int, noise: float = STORY_NOISE[0]) -> MemoryStore:
    """171 emotions x ``n_stories`` stories, ``n_layers`` layers of float32 ``[n, dim]`` story means."""
    rng = np.random.default_rng(seed)
    names = list(all_emotions())
    ratings = load_ratings("nrc")
    table = {e: (v, a) for e, v, a in zip(ratings.emotions, ratings.valence, ratings.arousal, strict=True)}
    valence = np.array([table[e][0] for e in names])
    arousal = np.array([table[e][1] for e in names])
    labels = [e for e in names for _ in range(n_stories)]
    counts = rng.integers(200, 460, size=len(labels)).astype(np.int64)
    means = {}
    for layer in range(n_layers):
        basis = np.linalg.qr(rng.standard_normal((dim, 40)))[0].T
        spectrum = 0.6 * np.exp(-np.arange(38) / 12.0)
        signal = (
            np.outer(valence, basis[0]) * 2.0
            + np.outer(arousal - 0.5, basis[1]) * 1.5
            + (rng.standard_normal((len(names), 38)) * spectrum) @ basis[2:]
        )
        stories = np.repeat(signal, n_stories, axis=0) + rng.standard_normal((len(labels), dim)) * noise
        means[layer] = (stories + 5.0).astype(np.float32)
    manifest = {
        "model": {"alias": "benchmark", "n_blocks": n_layers, "d_model": dim},
        "corpus": {"name": "synthetic", "fingerprint": None},
        "layers": list(range(n_layers)),
        "story_ids": [f"{e}/{i}" for i, e in enumerate(labels)],
        "emotions": labels,
    }
    return MemoryStore(manifest=manifest, counts=counts, means=means)


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """fp32 GFLOP/s of an ``n x n`` numpy matmul on one thread (best of ``repeats``)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    best = float("inf")
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):
            start = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--layers", type=int, default=42)
    parser.add_argument("--dim", type=int, default=2560)
    parser.add_argument("--stories", type=int, default=9)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, nargs="+", default=list(STORY_NOISE), help="per-dimension story noise")
    parser.add_argument(
        "--schemes",
        nargs="+",
        choices=("emotion", "story"),
        default=["story"],
        help="bootstrap schemes timed (default: story; the analysis's default is both)",
    )
    parser.add_argument(
        "--ci-method",
        choices=stats.CI_METHODS,
        default=AnalysisConfig.ci_method,
        help="interval method (default: the analysis's, 'inverted': the test inversion of every layer)",
    )
    args = parser.parse_args(argv)

    print(f"calibration: {matmul_gflops():.1f} GFLOP/s (fp32 1024 x 1024 numpy matmul, 1 thread)")
    config = AnalysisConfig(
        projection="raw",
        bootstrap_resamples=args.resamples,
        bootstrap_schemes=tuple(args.schemes),
        permutations=0,
        ci_method=args.ci_method,
    )
    target = f"target < {TARGET_SECONDS:.0f} s" if args.schemes == ["story"] else "no target: it is the story scheme's"
    for noise in args.noise:
        store = synthetic_store(args.seed, args.layers, args.stories, args.dim, noise)
        start = time.perf_counter()
        result = analyze_run(store, None, config, workers=args.workers)
        elapsed = time.perf_counter() - start
        peak = result.peaks["valence"]
        evr = result.stats_at(peak.layer).explained_variance_ratio
        print(
            f"{'+'.join(args.schemes)} bootstrap, story noise {noise}: {args.resamples} resamples x {args.layers} layers x "
            f"171 emotions x {args.stories} stories x {args.dim} dims, {args.workers} worker(s) on "
            f"{os.cpu_count()} CPU cores: {elapsed:.1f} s ({target}); peak valence r "
            f"{peak.r:.3f} [{peak.r_ci_max[0]:.3f}, {peak.r_ci_max[1]:.3f}] (interval of the maximum, "
            f"{stats.bootstrap_method(config.ci_method)}), at layer {peak.layer} [{peak.r_ci_at_layer[0]:.3f}, "
            f"{peak.r_ci_at_layer[1]:.3f}] ({config.ci_method}); CKA/RSA permutations {config.cka_permutations}; explained "
            f"variance PC1-3 "
            f"{evr[0]:.3f} {evr[1]:.3f} {evr[2]:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
