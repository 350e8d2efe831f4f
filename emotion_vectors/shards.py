"""The shard loop of an extraction: pooled batches in, resumable shard files out.

:func:`write_shards` fills one shard at a time from the pooled batches :mod:`emotion_vectors.extract` yields
and writes it with :func:`emotion_vectors.store.write_shard` as soon as its last batch is in, so an interrupted
run loses at most the shard in progress. :func:`prepare` and :func:`gathered_stats` are the steps rank 0 does
alone around the loop when the work is spread over ``torch.distributed`` ranks. No model calls here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotion_vectors import store
from emotion_vectors.distributed import barrier
from emotion_vectors.errors import ExtractionError

#: ``(group index, positions within the group, pooled batch, batch statistics, group complete)``
PooledBatch = tuple[int, np.ndarray, Any, dict[str, Any], bool]


def prepare(out_dir: Path, content_key: str, plan_key: str, force: bool, rank: int, world_size: int) -> str:
    """Rank 0 alone may clear (``force``) or create the store; the other ranks then find it ready.

    Returns the state :func:`emotion_vectors.store.prepare_store` reports (``complete``, ``resume``, ``fresh``).
    """
    if rank == 0:
        state = store.prepare_store(out_dir, content_key=content_key, plan_key=plan_key, force=force)
    barrier(world_size)
    if rank != 0:
        state = store.prepare_store(out_dir, content_key=content_key, plan_key=plan_key)
    return state


def write_shards(
    out_dir: Path,
    batches: Iterable[PooledBatch],
    groups: Sequence[np.ndarray],
    indices: Sequence[int],
    *,
    n_layers: int,
    d_model: int,
    plan_key: str,
    progress: str | None = None,
    resumed: int = 0,
) -> list[dict[str, Any]]:
    """Assemble ``batches`` into shards and write each when complete; returns the written shards' statistics.

    ``groups[g]`` are the story rows of shard ``indices[g]``; the batches come group by group, in order, each
    with its rows' positions within its group. ``progress`` (a label, or ``None`` for no bar) shows stories,
    counting the ``resumed`` stories of shards already done, and tokens/s.
    """
    bar = _progress_bar(progress, resumed + sum(len(rows) for rows in groups), resumed) if progress else None
    stats: list[dict[str, Any]] = []
    started, run_tokens = time.perf_counter(), 0
    shard: _OpenShard | None = None
    try:
        for group, positions, pooled, batch_stats, complete in batches:
            rows = groups[group]
            shard = shard or _OpenShard.empty(n_layers, len(rows), d_model)
            shard.add(positions, pooled, batch_stats)
            run_tokens += batch_stats["tokens"]
            if bar is not None:
                bar.update(batch_stats["stories"])
                bar.set_postfix_str(f"{run_tokens / (time.perf_counter() - started):,.0f} tok/s", refresh=False)
            if complete:
                store.write_shard(
                    out_dir, indices[group], rows=rows, means=shard.means, counts=shard.counts, stats=shard.stats,
                    plan_key=plan_key,
                )  # fmt: skip
                stats.append(shard.stats)
                shard = None
    finally:
        if bar is not None:
            bar.close()
    return stats


def gathered_stats(
    out_dir: Path, plan_key: str, n_shards: int, stats: list[dict[str, Any]], world_size: int
) -> list[dict[str, Any]]:
    """On rank 0: every shard's statistics (read from the shard files when other ranks wrote some of them)."""
    if world_size == 1:
        return stats
    written = store.completed_shards(out_dir, plan_key)
    missing = [i for i in range(n_shards) if i not in written]
    if missing:
        raise ExtractionError(f"shards {missing} of {out_dir} were not written by their ranks")
    return [written[i]["stats"] for i in range(n_shards)]


def _progress_bar(label: str, total: int, initial: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="story", desc=f"extract {label}", dynamic_ncols=True)


@dataclass(frozen=True)
class _OpenShard:
    """The pooled means, counts and statistics of the shard being filled, batch by batch."""

    means: np.ndarray  # float32 [n_layers, n_rows, d_model]
    counts: np.ndarray  # int64 [n_rows]
    stats: dict[str, Any]

    @classmethod
    def empty(cls, n_layers: int, n_rows: int, d_model: int) -> _OpenShard:
        stats = {"seconds": 0.0, "tokens": 0, "padded_tokens": 0, "batches": 0, "stories": 0}
        return cls(np.empty((n_layers, n_rows, d_model), np.float32), np.empty(n_rows, np.int64), stats)

    def add(self, positions: np.ndarray, pooled: Any, batch_stats: dict[str, Any]) -> None:
        self.means[:, positions] = pooled.means
        self.counts[positions] = pooled.counts
        for key, value in batch_stats.items():
            self.stats[key] += value
