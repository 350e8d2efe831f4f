"""Tokenisation, padding and batch planning for extraction: raw texts in, padded CPU batches out.

Real tokens are what the tokenizer produces for the raw text with its default special tokens, truncated at
``max_length``; stories are sorted by length and cut into shards (the unit of resume) and each shard into
batches under a budget of padded tokens.

Padding (``pad_side``), with the tokenizer's own padding side always ignored:

- ``"right"`` (default): real tokens first. In a causal model a real token never attends to padding, and
  positions start at 0 as in an unbatched pass, so results match one-story-at-a-time.
- ``"left"``: real tokens last, position ids counted from each row's first real token, offset counted from it.
  Agrees with ``"right"`` to float rounding; it exists to prove that equality in the tests.
- ``"left-as-authors"``: reproduces the original extraction code's behaviour: left padding, the model's
  default position ids (0 at the first *padded* position), and the offset applied to *columns* of the padded
  batch (``attention_mask`` with columns ``[0, token_offset)`` zeroed). A story with ``p`` pad positions
  therefore skips only ``max(token_offset - p, 0)`` of its real tokens, so in a batch of unequal lengths the
  shorter stories also pool their BOS and first tokens; padding itself is never pooled. Its kept count is
  ``min(n_real, S - token_offset)`` for a batch padded to ``S`` tokens. The batches here are length-bucketed,
  not the authors' groups of four consecutive stories of one emotion, so the mechanism is reproduced but not
  their exact numbers. The bug needs a tokenizer that pads on the left (Gemma-4's does); with a right-padding
  tokenizer the original code counted the offset correctly, which ``"right"`` reproduces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from emotion_vectors.errors import ExtractionError

PadMode = Literal["right", "left", "left-as-authors"]
PAD_MODES: tuple[str, ...] = ("right", "left", "left-as-authors")


@dataclass(frozen=True)
class Tokenized:
    """A corpus tokenized for extraction, stored compactly (4 bytes per token).

    Attributes:
        token_ids: Per story, int32 ``[n_tokens]`` ids after truncation at ``max_length`` (special tokens included).
        lengths: int64 ``[n_stories]`` real-token counts after truncation.
        original_lengths: int64 ``[n_stories]`` real-token counts before truncation.
    """

    token_ids: tuple[np.ndarray, ...]
    lengths: np.ndarray
    original_lengths: np.ndarray

    @property
    def truncated(self) -> np.ndarray:
        """bool ``[n_stories]``: the story was cut at ``max_length``."""
        return self.original_lengths > self.lengths


@dataclass(frozen=True)
class Batch:
    """One padded forward batch.

    Attributes:
        input_ids: int64 ``[batch, seq]``.
        attention_mask: int64 ``[batch, seq]``, 1 on real tokens.
        keep: bool ``[batch, seq]``, True on the tokens that are pooled.
        position_ids: int64 ``[batch, seq]`` or ``None`` (the model's default positions).
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    keep: torch.Tensor
    position_ids: torch.Tensor | None

    @property
    def n_real(self) -> int:
        return int(self.attention_mask.sum())

    @property
    def n_padded(self) -> int:
        return int(self.input_ids.numel())


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int, chunk_size: int = 256) -> Tokenized:
    """Tokenize raw texts with the tokenizer's default special tokens and truncate at ``max_length`` tokens.

    Stories longer than ``max_length`` are re-tokenized with the tokenizer's own truncation, so the special
    tokens it appends (e.g. BERT's ``[SEP]``) are kept, exactly as a ``truncation=True`` call does. Texts are
    tokenized ``chunk_size`` at a time so the tokenizer's per-token bookkeeping never covers the whole corpus.
    """
    texts = list(texts)
    ids: list[np.ndarray] = []
    original: list[int] = []
    options = {"add_special_tokens": True, "return_attention_mask": False, "return_token_type_ids": False}
    for first in range(0, len(texts), chunk_size):
        chunk = texts[first : first + chunk_size]
        full = tokenizer(chunk, truncation=False, verbose=False, **options)["input_ids"]
        original.extend(len(row) for row in full)
        long = [i for i, row in enumerate(full) if len(row) > max_length]
        if long:
            cut = tokenizer([chunk[i] for i in long], truncation=True, max_length=max_length, **options)["input_ids"]
            for i, row in zip(long, cut, strict=True):
                full[i] = row
        ids.extend(np.asarray(row, dtype=np.int32) for row in full)
    return Tokenized(
        token_ids=tuple(ids),
        lengths=np.array([len(row) for row in ids], dtype=np.int64),
        original_lengths=np.array(original, dtype=np.int64),
    )


def pad_token_id(tokenizer: Any) -> int:
    """The id written into padding positions (never attended to, never pooled): pad, else EOS, else 0."""
    for candidate in (getattr(tokenizer, "pad_token_id", None), getattr(tokenizer, "eos_token_id", None)):
        if isinstance(candidate, int):
            return candidate
    return 0


def make_batch(token_ids: Sequence[Sequence[int]], *, token_offset: int, pad_side: PadMode, pad_id: int) -> Batch:
    """Pad stories into one batch and mark the tokens to pool (see the module docstring for ``pad_side``)."""
    if pad_side not in PAD_MODES:
        raise ExtractionError(f"unknown pad_side {pad_side!r}", fix=f"use one of {', '.join(PAD_MODES)}")
    lengths = torch.tensor([len(row) for row in token_ids], dtype=torch.int64)
    batch, seq = len(token_ids), int(lengths.max())
    input_ids = torch.full((batch, seq), pad_id, dtype=torch.int64)
    columns = torch.arange(seq).expand(batch, seq)
    start = torch.zeros(batch, dtype=torch.int64) if pad_side == "right" else seq - lengths  # first real column
    for i, row in enumerate(token_ids):
        input_ids[i, int(start[i]) : int(start[i]) + len(row)] = torch.as_tensor(np.asarray(row, dtype=np.int64))
    real = (columns >= start[:, None]) & (columns < (start + lengths)[:, None])
    if pad_side == "left-as-authors":
        keep = real & (columns >= token_offset)
    else:
        keep = real & (columns >= (start + token_offset)[:, None])
    position_ids = (columns - start[:, None]).clamp(min=0) if pad_side == "left" else None
    return Batch(input_ids=input_ids, attention_mask=real.long(), keep=keep, position_ids=position_ids)


def plan_batches(lengths: np.ndarray, batch_tokens: int) -> list[np.ndarray]:
    """Group stories into length-bucketed batches of at most ``batch_tokens`` padded tokens.

    ``lengths`` is int ``[n]``; returns index arrays into it. Stories are sorted by decreasing length (ties by
    index) and packed greedily, so each batch pads to its first (longest) story. A story longer than the
    budget gets a batch of its own.
    """
    order = np.lexsort((np.arange(len(lengths)), -np.asarray(lengths)))
    batches: list[np.ndarray] = []
    current: list[int] = []
    for index in order:
        width = int(lengths[current[0]]) if current else int(lengths[index])
        if current and (len(current) + 1) * width > batch_tokens:
            batches.append(np.array(current, dtype=np.int64))
            current = []
        current.append(int(index))
    if current:
        batches.append(np.array(current, dtype=np.int64))
    return batches


def plan_shards(lengths: np.ndarray, rows: np.ndarray, shard_size: int) -> list[np.ndarray]:
    """Cut story ``rows`` (int ``[n]``), sorted by decreasing length then row, into shards of ``shard_size``."""
    if shard_size < 1:
        raise ExtractionError(f"shard_size must be >= 1, got {shard_size}")
    rows = np.asarray(rows, dtype=np.int64)
    ordered = rows[np.lexsort((rows, -lengths[rows]))]
    return [ordered[i : i + shard_size] for i in range(0, len(ordered), shard_size)]


__all__ = [
    "PAD_MODES",
    "Batch",
    "PadMode",
    "Tokenized",
    "make_batch",
    "pad_token_id",
    "plan_batches",
    "plan_shards",
    "tokenize",
]
