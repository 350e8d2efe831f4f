"""Hooked forward passes -> per-story mean residual-stream activations for every requested block.

For each story and each requested block L, the pooled value is the mean, over the story's *kept* tokens, of the
output of block L (layer L = ``hidden_states[L+1]``; for the last block the raw residual, not the final-norm
output). The kept tokens are the story's real tokens from the ``token_offset``-th on, counted from its first
real token; real tokens are what the tokenizer produces for the raw text with its default special tokens
(BOS for decoders, ``[CLS]``/``[SEP]`` for BERT), truncated at ``max_length``.

How it runs: stories are sorted by length and cut into shards (the unit of resume); each shard is cut into
batches under a budget of padded tokens. Forward hooks on the requested blocks reduce each block output on the
device, in fp32, to ``[batch, d_model]`` masked sums, so nothing of size ``[batch, seq, d_model]`` ever leaves
the device and ``output_hidden_states`` is never used. The last requested block's hook stops the forward pass,
so later blocks, the final norm and the LM head never run. One batch is kept in flight: the next batch is queued
on the device before the previous one's means are collected, so the device does not wait for the host.

Padding (``pad_side``: ``"right"``, ``"left"``, ``"left-as-authors"``) and batch planning:
:mod:`emotion_vectors.batching`.

Stories with at most ``token_offset`` real tokens have nothing to pool. ``short_story_policy = "error"``
(default) refuses to run and lists them; ``"skip"`` logs a warning, leaves them out of the forward passes and
stores them as NaN rows with count 0; either way the manifest lists them with their real-token counts.

Scale-out: under ``torchrun`` (or any initialised ``torch.distributed`` process group) each rank computes only
the missing shards whose index ``% world_size == rank`` and writes its own shard files; after a barrier rank 0
alone merges them exactly as a single process does, so the store is byte-identical to a single-process run
(only ``timings`` differ), and a final barrier keeps every rank alive until the store is complete. Resume works
the same way: completed shards are skipped whatever rank wrote them. ``emotion-vectors extract`` starts the
process group itself (``gloo`` on CPU, ``nccl`` with one GPU per rank) when launched with ``WORLD_SIZE > 1``::

    torchrun --standalone --nproc_per_node=4 -m emotion_vectors.cli extract --config configs/paper.toml
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from emotion_vectors import shards as shards_io
from emotion_vectors import store
from emotion_vectors.batching import (
    PAD_MODES,
    Batch,
    PadMode,
    Tokenized,
    make_batch,
    pad_token_id,
    plan_batches,
    plan_shards,
    tokenize,
)
from emotion_vectors.corpus.schema import Corpus
from emotion_vectors.distributed import barrier, distributed_from_env, rank_and_world_size
from emotion_vectors.errors import ExtractionError
from emotion_vectors.manifest import LAYER_CONVENTION, build_manifest, plan_key, timings
from emotion_vectors.manifest import content_key as manifest_content_key
from emotion_vectors.models import ModelHandle, check_max_length, position_limit
from emotion_vectors.options import ShortStoryPolicy, choices

logger = logging.getLogger(__name__)

DEFAULT_SHARD_SIZE = 256


class _StopForward(Exception):
    """Raised by the last requested block's hook to end the forward pass early."""


@dataclass(frozen=True)
class Pooled:
    """Pooled means of a set of stories.

    Attributes:
        means: float32 ``[n_layers, n_stories, d_model]`` (NaN where nothing was kept).
        counts: int64 ``[n_stories]`` kept-token counts.
        layers: The block indices of the first axis of ``means``.
    """

    means: np.ndarray
    counts: np.ndarray
    layers: tuple[int, ...]


@contextmanager
def pooling_hooks(
    blocks: Sequence[nn.Module], layers: Sequence[int], keep: torch.Tensor, sums: torch.Tensor
) -> Iterator[list[bool]]:
    """Hooks that write ``sums[k]`` = fp32 sum over ``keep`` of block ``layers[k]``'s output.

    ``keep`` is bool ``[batch, seq]`` on the model's device; ``sums`` is float32 ``[n_layers, batch, d_model]``.
    Yields the per-layer "has run" flags. The last layer's hook raises :class:`_StopForward`. The hooks are
    removed in ``finally``, whatever happens inside.
    """
    fired = [False] * len(layers)
    mask = keep[..., None]
    handles = []

    def make_hook(k: int, layer: int):
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            hidden = output[0] if isinstance(output, (tuple, list)) else output
            if (
                not isinstance(hidden, torch.Tensor)
                or hidden.shape[:2] != keep.shape
                or hidden.shape[2] != sums.shape[2]
            ):
                shape = tuple(hidden.shape) if isinstance(hidden, torch.Tensor) else type(hidden).__name__
                raise ExtractionError(
                    f"block {layer} returned {shape}, expected [batch, seq, d_model] = {[*keep.shape, sums.shape[2]]}",
                    fix="check block_path: it must name the list of transformer blocks",
                )
            if fired[k]:
                raise ExtractionError(f"block {layer} ran twice in one forward pass", fix="check block_path")
            sums[k] = torch.where(mask, hidden, 0).sum(dim=1, dtype=torch.float32)
            fired[k] = True
            if k == len(layers) - 1:
                raise _StopForward

        return hook

    try:
        for k, layer in enumerate(layers):
            handles.append(blocks[layer].register_forward_hook(make_hook(k, layer)))
        yield fired
    finally:
        for handle in handles:
            handle.remove()


def pool_batch(handle: ModelHandle, batch: Batch, layers: Sequence[int]) -> Pooled:
    """Run one batch through the model (stopping after ``layers[-1]``) and return its pooled means.

    ``layers`` must be increasing block indices. Returns means float32 ``[n_layers, batch, d_model]``.
    """
    return launch_batch(handle, batch, layers).result()


class QueuedBatch:
    """A batch whose forward pass has been queued on the device; :meth:`result` waits for its pooled means.

    On CUDA the means and counts are copied to pinned host memory without blocking and an event marks the end of
    the copy, so the host can prepare and queue the next batch while the device still works on this one.
    """

    def __init__(self, means: torch.Tensor, counts: torch.Tensor, layers: tuple[int, ...]) -> None:
        self.layers = layers
        self.event = None
        if means.device.type == "cuda":
            self.means = means.to("cpu", non_blocking=True)
            self.counts = counts.to("cpu", non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record()
        else:
            self.means, self.counts = means.cpu(), counts.cpu()

    def result(self) -> Pooled:
        if self.event is not None:
            self.event.synchronize()
        return Pooled(means=self.means.numpy(), counts=self.counts.numpy().astype(np.int64), layers=self.layers)


def launch_batch(handle: ModelHandle, batch: Batch, layers: Sequence[int]) -> QueuedBatch:
    """Queue one batch's forward pass (stopping after ``layers[-1]``) and the copy of its pooled means."""
    device = torch.device(handle.device)

    def to_device(tensor: torch.Tensor) -> torch.Tensor:
        # from pinned memory the copy is queued behind the running batch instead of waiting for it
        return tensor.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else tensor.to(device)

    keep = to_device(batch.keep)
    sums = torch.zeros((len(layers), keep.shape[0], handle.d_model), dtype=torch.float32, device=device)
    inputs: dict[str, Any] = {
        "input_ids": to_device(batch.input_ids),
        "attention_mask": to_device(batch.attention_mask),
    }
    if batch.position_ids is not None:
        inputs["position_ids"] = to_device(batch.position_ids)
    if _accepts(handle.model, "use_cache"):
        inputs["use_cache"] = False
    with torch.inference_mode(), pooling_hooks(handle.blocks, layers, keep, sums) as fired, suppress(_StopForward):
        handle.model(**inputs)
    if not all(fired):
        missing = [layer for layer, ran in zip(layers, fired, strict=True) if not ran]
        raise ExtractionError(f"blocks {missing} never ran in the forward pass", fix="check block_path")
    counts = keep.sum(dim=1)
    means = sums / counts.to(torch.float32)[None, :, None]
    return QueuedBatch(means, counts, tuple(layers))


def pool_texts(
    handle: ModelHandle,
    texts: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    token_offset: int = 50,
    max_length: int = 512,
    batch_tokens: int = 16384,
    pad_side: PadMode = "right",
) -> Pooled:
    """Pooled means of ``texts`` in memory (no store, no short-story policy: short texts get NaN, count 0)."""
    layers = _check_layers(layers, handle.n_blocks)
    tokenized = tokenize(handle.tokenizer, texts, max_length)
    means = np.empty((len(layers), len(texts), handle.d_model), dtype=np.float32)
    counts = np.empty(len(texts), dtype=np.int64)
    everything = [np.arange(len(texts))]
    for _, positions, pooled, _, _ in _pool_groups(
        handle, tokenized, everything, layers, token_offset, batch_tokens, pad_side
    ):
        means[:, positions] = pooled.means
        counts[positions] = pooled.counts
    return Pooled(means=means, counts=counts, layers=layers)


def extract_to_store(
    handle: ModelHandle,
    corpus: Corpus,
    out_dir: str | Path,
    *,
    layers: Sequence[int] | None = None,
    token_offset: int = 50,
    max_length: int = 512,
    batch_tokens: int = 16384,
    short_story_policy: ShortStoryPolicy = "error",
    pad_side: PadMode = "right",
    content_key: str | None = None,
    progress: bool = True,
    shard_size: int = DEFAULT_SHARD_SIZE,
    force: bool = False,
) -> Path:
    """Extract ``corpus`` through ``handle`` into the activation store ``out_dir`` and return its path.

    Resumable: a rerun computes only the missing shards and ends byte-identical to an uninterrupted run (same
    machine and library versions); a finished store with the same ``content_key`` (default:
    :func:`emotion_vectors.manifest.content_key`) is returned as is. Raises :class:`StoreError` if ``out_dir``
    holds something made from other inputs (``force`` deletes the store files first) and
    :class:`ExtractionError` for short stories under the ``"error"`` policy.
    """
    layers = _check_layers(layers, handle.n_blocks)
    tokenized, short = _tokenize_checked(handle, corpus, token_offset, max_length, short_story_policy)
    settings = {"token_offset": token_offset, "max_length": max_length, "pad_side": pad_side}
    manifest = build_manifest(handle, corpus, tokenized, short, layers, **settings, policy=short_story_policy)
    manifest["content_key"] = content_key or manifest_content_key(manifest)
    manifest.update(batch_tokens=batch_tokens, shard_size=shard_size)
    key = plan_key(manifest)
    out_dir = Path(out_dir)
    rank, world_size = rank_and_world_size()
    if shards_io.prepare(out_dir, manifest["content_key"], key, force, rank, world_size) == "complete":
        logger.info("%s is up to date", out_dir)
        return out_dir
    shards = plan_shards(tokenized.lengths, np.setdiff1d(np.arange(len(corpus)), short), shard_size)
    done = {i: meta for i, meta in store.completed_shards(out_dir, key).items() if _same_rows(i, meta, shards)}
    started = time.perf_counter()
    mine = [i for i in range(len(shards)) if i % world_size == rank and i not in done]
    groups = [shards[index] for index in mine]
    written = shards_io.write_shards(
        out_dir,
        _pool_groups(handle, tokenized, groups, layers, token_offset, batch_tokens, pad_side),
        groups,
        mine,
        n_layers=len(layers),
        d_model=handle.d_model,
        plan_key=key,
        progress=f"{handle.alias} x {corpus.name}" if progress and rank == 0 else None,
        resumed=sum(len(shards[i]) for i in done),
    )
    barrier(world_size)
    if rank == 0:
        done_stats = [meta["stats"] for meta in done.values()]
        stats = shards_io.gathered_stats(out_dir, key, len(shards), done_stats + written, world_size)
        _finish(out_dir, manifest, stats, len(done), time.perf_counter() - started, len(shards), world_size)
    barrier(world_size)  # no rank returns before rank 0 has finished the store
    return out_dir


# ---------------------------------------------------------------------------------------------- internals


def _tokenize_checked(
    handle: ModelHandle, corpus: Corpus, token_offset: int, max_length: int, policy: ShortStoryPolicy
) -> tuple[Tokenized, np.ndarray]:
    """Tokenise the corpus and apply the short-story policy; returns the tokens and the short stories' rows."""
    if policy not in choices(ShortStoryPolicy):
        raise ExtractionError(
            f"unknown short_story_policy {policy!r}", fix=f"use one of {', '.join(choices(ShortStoryPolicy))}"
        )
    if max_length <= token_offset or token_offset < 0:
        raise ExtractionError(f"need 0 <= token_offset ({token_offset}) < max_length ({max_length})")
    check_max_length(max_length, position_limit(handle.model), handle.alias)
    tokenized = tokenize(handle.tokenizer, corpus.texts, max_length)
    short = np.flatnonzero(tokenized.lengths <= token_offset)
    ids = corpus.story_ids
    truncated = np.flatnonzero(tokenized.truncated)
    if len(truncated):
        longest = truncated[np.argmax(tokenized.original_lengths[truncated])]
        logger.warning(
            "corpus %r: %d of %d stories are longer than max_length = %d tokens and are truncated (longest: %s, "
            "%d tokens); the store's manifest lists them",
            corpus.name, len(truncated), len(ids), max_length, ids[longest], tokenized.original_lengths[longest],
        )  # fmt: skip
    if len(short) and policy == "error":
        listing = ", ".join(f"{ids[i]} ({tokenized.lengths[i]} tokens)" for i in short[:20])
        raise ExtractionError(
            f"{len(short)} of {len(ids)} stories in corpus {corpus.name!r} have no more than token_offset = "
            f"{token_offset} tokens: {listing}{' ...' if len(short) > 20 else ''}",
            fix="set extraction.short_story_policy = 'skip' (they are then listed in the manifest), or lower token_offset",
        )
    if len(short):
        logger.warning("skipping %d stories with <= %d tokens: %s", len(short), token_offset, [ids[i] for i in short])
    return tokenized, short


def _pool_groups(
    handle: ModelHandle,
    tokenized: Tokenized,
    groups: Sequence[np.ndarray],
    layers: tuple[int, ...],
    token_offset: int,
    batch_tokens: int,
    pad_side: PadMode,
) -> Iterator[tuple[int, np.ndarray, Pooled, dict[str, Any], bool]]:
    """Pool each group of story rows (a shard) batch by batch, in order.

    Yields ``(group index, positions within the group, pooled batch, batch statistics, group complete)``. One
    batch is kept in flight, across groups too: batch ``i`` is queued on the device before batch ``i - 1`` is
    collected, so the device does not wait for the host's batch preparation, copies and shard writes.
    Statistics: wall seconds since the previous batch was collected, real and padded tokens, 1 batch, stories.
    """
    pad_id = pad_token_id(handle.tokenizer)
    in_flight: tuple[int, np.ndarray, Batch, QueuedBatch, bool] | None = None
    clock = time.perf_counter()

    def collect(group: int, positions: np.ndarray, batch: Batch, launched: QueuedBatch, complete: bool) -> tuple:
        nonlocal clock
        pooled = launched.result()
        now = time.perf_counter()
        seconds, clock = now - clock, now
        batch_stats = {
            "seconds": seconds,
            "tokens": batch.n_real,
            "padded_tokens": batch.n_padded,
            "batches": 1,
            "stories": len(positions),
        }
        return group, positions, pooled, batch_stats, complete

    for group, rows in enumerate(groups):
        plan = plan_batches(tokenized.lengths[rows], batch_tokens)
        for i, positions in enumerate(plan):
            batch = make_batch(
                [tokenized.token_ids[r] for r in rows[positions]],
                token_offset=token_offset,
                pad_side=pad_side,
                pad_id=pad_id,
            )
            launched = launch_batch(handle, batch, layers)
            if in_flight is not None:
                yield collect(*in_flight)
            in_flight = (group, positions, batch, launched, i == len(plan) - 1)
    if in_flight is not None:
        yield collect(*in_flight)


def _finish(
    out_dir: Path,
    manifest: dict[str, Any],
    stats: list[dict[str, Any]],
    resumed: int,
    seconds: float,
    n_shards: int,
    world_size: int,
) -> None:
    """On rank 0: record the timings and assemble the shards into the store (manifest last)."""
    manifest["timings"] = timings(stats, resumed=resumed, wall_seconds=seconds)
    if world_size > 1:
        manifest["timings"]["world_size"] = world_size
    store.finalize_store(
        out_dir,
        n_stories=len(manifest["story_ids"]),
        layers=manifest["layers"],
        d_model=int(manifest["model"]["d_model"]),
        shard_indices=range(n_shards),
        manifest=manifest,
    )


def _same_rows(index: int, meta: dict[str, Any], shards: Sequence[np.ndarray]) -> bool:
    """Whether a completed shard file holds the rows the current plan gives shard ``index``."""
    return index < len(shards) and meta["rows"] == shards[index].tolist()


def _check_layers(layers: Sequence[int] | None, n_blocks: int) -> tuple[int, ...]:
    if layers is None:
        return tuple(range(n_blocks))
    layers = tuple(int(layer) for layer in layers)
    if not layers or list(layers) != sorted(set(layers)) or layers[0] < 0 or layers[-1] >= n_blocks:
        raise ExtractionError(
            f"layers {list(layers)} must be increasing, unique block indices in 0..{n_blocks - 1}",
            fix="pass --layers all, a range such as 0-5, or a list of block indices",
        )
    return layers


def _accepts(model: nn.Module, name: str) -> bool:
    parameters = inspect.signature(model.forward).parameters
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


__all__ = [
    "Batch",
    "LAYER_CONVENTION",
    "PAD_MODES",
    "Pooled",
    "Tokenized",
    "distributed_from_env",
    "extract_to_store",
    "make_batch",
    "pad_token_id",
    "plan_batches",
    "plan_shards",
    "QueuedBatch",
    "launch_batch",
    "pool_batch",
    "pool_texts",
    "pooling_hooks",
    "rank_and_world_size",
    "tokenize",
]
