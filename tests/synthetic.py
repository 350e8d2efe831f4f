"""Planted-structure generators and synthetic activation stores for the analysis tests.

- :func:`planted_contrasts`: emotion vectors with a valence axis (and an arousal axis) planted in noise.
- :func:`planted_stories`: per-story means and token counts whose token-weighted emotion means carry that
  structure, plus a planted "neutral" subspace shared by every text, and matching neutral-text vectors.
- :class:`MemoryStore`: an in-memory object with the activation-store reader API.
- :func:`write_store`: the same data written to disk through :mod:`emotion_vectors.store` (a real store).
- :func:`make_synthetic_stores` / :func:`make_synthetic_runs`: several model x corpus runs (and their neutral
  stores), and the :class:`~emotion_vectors.analyze.Results` of analysing them, for report tests.

Emotions are the real 171 concepts (or the first ``n_emotions`` of them) and the planted axes follow their NRC
valence and arousal, so every rating source works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors import store as store_module
from emotion_vectors.analyze import Results, analyze_runs
from emotion_vectors.config import AnalysisConfig
from emotion_vectors.ratings import emotions as all_emotions
from emotion_vectors.ratings import load_ratings
from emotion_vectors.store import MemoryStore


def ratings_for(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """NRC valence and arousal ``[n]`` of ``names`` (all 171 are rated by NRC)."""
    ratings = load_ratings("nrc")
    table = {e: (v, a) for e, v, a in zip(ratings.emotions, ratings.valence, ratings.arousal, strict=True)}
    return np.array([table[e][0] for e in names]), np.array([table[e][1] for e in names])


def orthonormal(rng: np.random.Generator, d: int, k: int) -> np.ndarray:
    """``[k, d]`` random orthonormal rows."""
    q, _ = np.linalg.qr(rng.standard_normal((d, k)))
    return q.T.copy()


def planted_contrasts(
    rng: np.random.Generator,
    valence: np.ndarray,
    d: int,
    *,
    strength: float = 3.0,
    noise: float = 1.0,
    arousal: np.ndarray | None = None,
    arousal_strength: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``[n, d]`` vectors ``strength * z(valence) * u + arousal_strength * z(arousal) * u2 + noise * N(0, I)``.

    ``z`` standardises to mean 0 and unit variance. Returns ``(vectors, axes [2, d])`` (``axes[0]`` = ``u``).
    """
    axes = orthonormal(rng, d, 2)
    z = (valence - valence.mean()) / valence.std()
    vectors = strength * np.outer(z, axes[0]) + noise * rng.standard_normal((valence.size, d))
    if arousal is not None and arousal_strength:
        za = (arousal - arousal.mean()) / arousal.std()
        vectors += arousal_strength * np.outer(za, axes[1])
    return vectors, axes


@dataclass
class SyntheticLayers:
    """Per-story data of one synthetic run.

    Attributes:
        emotions: ``n_emotions`` emotion names.
        story_emotions: ``n_stories`` labels.
        counts: ``[n_stories]`` kept-token counts (some 0 when ``skipped > 0``).
        story_means: ``{layer: [n_stories, d] float32}`` (NaN rows for skipped stories).
        neutral_means: ``{layer: [n_neutral, d] float32}``.
        neutral_axes: ``{layer: [k_planted, d]}`` the planted neutral subspace.
        valence_axis: ``{layer: [d]}`` the planted valence direction.
    """

    emotions: list[str]
    story_emotions: list[str]
    counts: np.ndarray
    story_means: dict[int, np.ndarray]
    neutral_means: dict[int, np.ndarray]
    neutral_axes: dict[int, np.ndarray]
    valence_axis: dict[int, np.ndarray]


def planted_stories(
    rng: np.random.Generator,
    *,
    n_emotions: int = 171,
    stories_per_emotion: int = 4,
    d: int = 48,
    layers: Sequence[int] = (0, 1, 2),
    strengths: Sequence[float] | None = None,
    arousal_strength: float = 1.0,
    story_noise: float = 0.5,
    emotion_noise: float = 0.7,
    neutral_scale: float = 6.0,
    k_neutral: int = 2,
    n_neutral: int = 24,
    skipped: int = 0,
) -> SyntheticLayers:
    """Stories whose emotion means carry a planted valence axis (strength per layer) plus a neutral subspace.

    Every text (emotion story or neutral paragraph) gets a large random offset inside a planted
    ``k_neutral``-dimensional "neutral" subspace (orthogonal to the valence and arousal axes), which the neutral
    projection should remove.
    """
    names = list(all_emotions())[:n_emotions]
    valence, arousal = ratings_for(names)
    strengths = [2.0] * len(layers) if strengths is None else list(strengths)
    story_emotions = [e for e in names for _ in range(stories_per_emotion)]
    n_stories = len(story_emotions)
    counts = rng.integers(20, 120, size=n_stories).astype(np.int64)
    if skipped:
        counts[rng.choice(n_stories, size=skipped, replace=False)] = 0
    rows_of = np.repeat(np.arange(n_emotions), stories_per_emotion)
    zv = (valence - valence.mean()) / valence.std()
    za = (arousal - arousal.mean()) / arousal.std()
    story_means, neutral_means, neutral_axes, valence_axis = {}, {}, {}, {}
    for layer, strength in zip(layers, strengths, strict=True):
        basis = orthonormal(rng, d, 2 + k_neutral)
        u, u2, neutral = basis[0], basis[1], basis[2:]
        spread = np.geomspace(1.0, 0.5, k_neutral)[:, None] * neutral_scale
        emotion_part = (
            strength * np.outer(zv, u)
            + arousal_strength * np.outer(za, u2)
            + emotion_noise * rng.standard_normal((n_emotions, d))
        )
        offset = rng.standard_normal(d) * 3.0
        stories = (
            offset
            + emotion_part[rows_of]
            + story_noise * rng.standard_normal((n_stories, d))
            + (rng.standard_normal((n_stories, k_neutral)) @ (spread * neutral))
        )
        stories[counts == 0] = np.nan
        story_means[layer] = stories.astype(np.float32)
        neutral_means[layer] = (
            offset
            + rng.standard_normal((n_neutral, k_neutral)) @ (spread * neutral)
            + 0.05 * rng.standard_normal((n_neutral, d))
        ).astype(np.float32)
        neutral_axes[layer] = neutral
        valence_axis[layer] = u
    return SyntheticLayers(names, story_emotions, counts, story_means, neutral_means, neutral_axes, valence_axis)


def manifest_for(
    model: str, corpus: str, n_blocks: int, d: int, layers: Sequence[int], emotions: Sequence[str | None]
) -> dict[str, Any]:
    """A manifest with the fields the analysis reads."""
    return {
        "model": {"alias": model, "id": f"synthetic/{model}", "n_blocks": n_blocks, "d_model": d},
        "corpus": {"name": corpus, "fingerprint": f"synthetic-{corpus}", "n_stories": len(emotions)},
        "layers": list(layers),
        "story_ids": [f"{e or 'neutral'}/{i:04d}" for i, e in enumerate(emotions)],
        "emotions": list(emotions),
    }


def memory_stores(data: SyntheticLayers, model: str, corpus: str, n_blocks: int) -> tuple[MemoryStore, MemoryStore]:
    """``(emotion store, neutral store)`` in memory for ``data``."""
    layers = sorted(data.story_means)
    d = next(iter(data.story_means.values())).shape[1]
    n_neutral = next(iter(data.neutral_means.values())).shape[0]
    emotion_store = MemoryStore(
        manifest_for(model, corpus, n_blocks, d, layers, data.story_emotions), data.counts, data.story_means
    )
    neutral_store = MemoryStore(
        manifest_for(model, store_module.NEUTRAL_CORPUS, n_blocks, d, layers, [None] * n_neutral),
        np.full(n_neutral, 40, dtype=np.int64),
        data.neutral_means,
    )
    return emotion_store, neutral_store


def write_store(path: str | Path, store: MemoryStore) -> Path:
    """Write ``store`` to disk as a real activation store (through :mod:`emotion_vectors.store`)."""
    path = Path(path)
    layers = list(store.layers)
    key = f"synthetic-{store.manifest['model']['alias']}-{store.manifest['corpus']['name']}"
    store_module.prepare_store(path, content_key=key, plan_key=key)
    means = np.stack([np.asarray(store.layer_means(layer), dtype=np.float32) for layer in layers])
    kept = np.flatnonzero(store.counts > 0)
    store_module.write_shard(
        path,
        0,
        rows=kept,
        means=np.ascontiguousarray(means[:, kept]),
        counts=store.counts[kept],
        stats={},
        plan_key=key,
    )
    return store_module.finalize_store(
        path,
        n_stories=len(store.counts),
        layers=layers,
        d_model=int(store.manifest["model"]["d_model"]),
        shard_indices=[0],
        manifest={**store.manifest, "content_key": key},
    )


def make_synthetic_stores(
    models: Sequence[tuple[str, int]] = (("model-a", 6),),
    corpora: Sequence[str] = ("corpus-x",),
    *,
    seed: int = 0,
    n_emotions: int = 171,
    stories_per_emotion: int = 3,
    d: int = 32,
    output_dir: str | Path | None = None,
) -> list[tuple[Any, Any]]:
    """``[(emotion store, neutral store)]`` for every model x corpus, every block of each model extracted.

    Args:
        models: ``(alias, n_blocks)`` pairs.
        corpora: Corpus names.
        seed: Seed of the planted data.
        n_emotions, stories_per_emotion, d: Size of each run.
        output_dir: When given, the stores are written to ``store_dir(output_dir, alias, corpus)`` (neutral:
            corpus ``"neutral"``) and opened with :func:`emotion_vectors.store.open_store`; else in memory.
    """
    rng = np.random.default_rng(seed)
    pairs = []
    for alias, n_blocks in models:
        layers = list(range(n_blocks))
        strengths = 3.0 * np.sin(np.pi * (np.arange(n_blocks) + 1) / (n_blocks + 1))
        neutral = None
        for corpus in corpora:
            data = planted_stories(
                rng,
                n_emotions=n_emotions,
                stories_per_emotion=stories_per_emotion,
                d=d,
                layers=layers,
                strengths=strengths,
            )
            emotion_store, neutral_store = memory_stores(data, alias, corpus, n_blocks)
            neutral = neutral if neutral is not None else neutral_store
            if output_dir is not None:
                emotion_store = store_module.open_store(
                    write_store(store_module.store_dir(output_dir, alias, corpus), emotion_store)
                )
                if isinstance(neutral, MemoryStore):
                    neutral = store_module.open_store(
                        write_store(store_module.store_dir(output_dir, alias, store_module.NEUTRAL_CORPUS), neutral)
                    )
            pairs.append((emotion_store, neutral))
    return pairs


def make_synthetic_runs(
    models: Sequence[tuple[str, int]] = (("model-a", 6),),
    corpora: Sequence[str] = ("corpus-x",),
    *,
    seed: int = 0,
    config: AnalysisConfig | None = None,
    **sizes: Any,
) -> Results:
    """Analyse :func:`make_synthetic_stores` runs (small resample counts by default, so it takes seconds)."""
    config = config or AnalysisConfig(bootstrap_resamples=50, permutations=50, seed=seed)
    return analyze_runs(make_synthetic_stores(models, corpora, seed=seed, **sizes), config, workers=1)
