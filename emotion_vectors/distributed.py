"""``torch.distributed`` coordination of a scaled-out extraction: rank, world size, barriers, process group.

Under ``torchrun`` (or any initialised process group) each rank computes its share of the shards; rank 0
alone prepares and finalises the store, and :func:`barrier` keeps the ranks in step around those two steps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist


def rank_and_world_size() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised ``torch.distributed`` process group, else ``(0, 1)``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier(world_size: int) -> None:
    """Wait for every rank (a no-op in a single process)."""
    if world_size > 1:
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


@contextmanager
def distributed_from_env(device: str = "cpu") -> Iterator[tuple[int, int]]:
    """Join the process group that ``torchrun`` describes (``RANK``/``WORLD_SIZE``/``LOCAL_RANK``) for the block.

    Does nothing and yields ``(0, 1)`` without those variables or with ``WORLD_SIZE <= 1``, and leaves a group
    that is already initialised alone. Otherwise initialises ``nccl`` (with ``cuda:LOCAL_RANK`` as the current
    device) when ``device`` is CUDA, ``gloo`` on CPU, yields ``(rank, world_size)`` and destroys the group after.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 or "RANK" not in os.environ or not dist.is_available() or dist.is_initialized():
        yield rank_and_world_size()
        return
    backend = "gloo"
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = "nccl"
    dist.init_process_group(backend=backend)
    try:
        yield rank_and_world_size()
    finally:
        dist.destroy_process_group()
