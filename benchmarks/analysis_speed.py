"""Time the story-level bootstrap: 2,000 resamples x 42 layers of 171 emotions x 2,560 dims (the Gemma shape).

Usage: ``python benchmarks/analysis_speed.py [--resamples 2000] [--layers 42] [--dim 2560] [--stories 9]``

Synthetic story means (a planted valence and arousal axis, a decaying spectrum of emotion-specific directions
and story noise) are generated per layer outside the timed region. Timed, per layer: the story x story Gram
matrix, the full-sample PCA/correlations, and every story-level replicate (weights drawn once for all layers,
as the analysis stage does). Prints the wall time and the target (< 60 s on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from emotion_vectors.analysis.geometry import layer_geometry
from emotion_vectors.analysis.stats import (
    padded_story_gram,
    story_bootstrap_layer,
    story_layout,
    story_resample_weights,
)
from emotion_vectors.vectors import emotion_means

TARGET_SECONDS = 60.0


def synthetic_layer(rng: np.random.Generator, n_emotions: int, n_stories: int, dim: int) -> tuple[np.ndarray, ...]:
    """``[n_emotions * n_stories, dim]`` float32 story means, ``[n]`` counts, valence and arousal."""
    valence = rng.uniform(-1.0, 1.0, n_emotions)
    arousal = rng.uniform(0.0, 1.0, n_emotions)
    basis = np.linalg.qr(rng.standard_normal((dim, 40)))[0].T  # [40, dim]
    spectrum = 0.6 * np.exp(-np.arange(38) / 12.0)
    signal = (
        np.outer(valence, basis[0]) * 2.0
        + np.outer(arousal - 0.5, basis[1]) * 1.5
        + (rng.standard_normal((n_emotions, 38)) * spectrum) @ basis[2:]
    )
    stories = np.repeat(signal, n_stories, axis=0) + rng.standard_normal((n_emotions * n_stories, dim)) * 0.04
    counts = rng.integers(200, 460, size=n_emotions * n_stories)
    return (stories + 5.0).astype(np.float32), counts, valence, arousal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--layers", type=int, default=42)
    parser.add_argument("--dim", type=int, default=2560)
    parser.add_argument("--emotions", type=int, default=171)
    parser.add_argument("--stories", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    emotions = [f"emotion{i:03d}" for i in range(args.emotions)]
    story_emotions = [e for e in emotions for _ in range(args.stories)]
    rated = np.arange(args.emotions)
    timed = 0.0
    weights = None
    for layer in range(args.layers):
        stories, counts, valence, arousal = synthetic_layer(rng, args.emotions, args.stories, args.dim)
        start = time.perf_counter()
        layout = story_layout(counts, story_emotions, emotions)
        if weights is None:
            weights = story_resample_weights(layout, args.resamples, np.random.default_rng(args.seed + 1))
        means = emotion_means(stories, counts, story_emotions, emotions)
        centre = means.mean(axis=0)
        contrast = means - centre
        gram = contrast @ contrast.T
        geometry = layer_geometry(gram, valence, arousal, rated)
        story_gram = padded_story_gram(layout, stories.astype(np.float64) - centre)
        story_bootstrap_layer(story_gram, layout, gram, geometry.scores[:, :2], valence, arousal, rated, weights)
        timed += time.perf_counter() - start
        print(f"layer {layer + 1:2d}/{args.layers}: {timed:6.1f} s so far", file=sys.stderr)
    print(
        f"story-level bootstrap: {args.resamples} resamples x {args.layers} layers x {args.emotions} emotions "
        f"x {args.stories} stories x {args.dim} dims on {os.cpu_count()} CPU cores: {timed:.1f} s "
        f"(target < {TARGET_SECONDS:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
