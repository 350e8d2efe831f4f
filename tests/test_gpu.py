"""Extraction on a CUDA device: bf16 and fp32 on the GPU against fp32 on the CPU, padding invariance on the GPU,
and a store extracted on the GPU from a model loaded by ``load_model``.

Marked ``gpu`` (``make test`` deselects them) and skipped without CUDA. Run them with
``python -m pytest -m gpu tests/test_gpu.py``; ``benchmarks/gpu_check.sh`` does, on a GPU machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers_models import TINY_BUILDERS, tiny_corpus, tiny_handle, tiny_tokenizer, word_texts

from emotion_vectors.extract import Pooled, extract_to_store, pool_texts
from emotion_vectors.models import ModelHandle, load_model, wrap_model
from emotion_vectors.store import open_store

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available() is False)"
    ),
]

KINDS = ["apertus", "gemma4-text", "gemma4-multimodal"]
LENGTHS = [40, 7, 25, 9, 60, 18, 33, 11, 120, 90]  # words; + 1 BOS token each; one batch pads them all to 121
OFFSET = 5
ATOL, RTOL = 1e-5, 1e-5
FP32_BOUND = 1e-4  # max relative L2 error of a pooled mean, fp32 on CUDA vs fp32 on the CPU
# bf16 vs fp32 bounds (max, median) of the relative L2 error of a pooled mean over layers x stories. Measured for
# bf16 vs fp32 on the CPU over six seeds of these lengths: Apertus max 7-9e-3, median 4-5e-3; Gemma-4 max 3-6e-2,
# median 1.3-2.1e-2 (its tiny random model is noisier in bf16 after its many norms and scalings).
BF16_BOUNDS = {"apertus": (3e-2, 1.5e-2), "gemma4-text": (1.2e-1, 5e-2), "gemma4-multimodal": (1.2e-1, 5e-2)}
BF16_FLOOR = 1e-4  # a max error below this means the model did not really run in bf16


@pytest.fixture(autouse=True)
def full_precision_fp32_matmuls() -> Iterator[None]:
    """fp32 means IEEE fp32: TF32 matmuls (a global PyTorch setting some environments switch on) are off here."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def cuda_handle(kind: str, dtype: torch.dtype) -> ModelHandle:
    """The same tiny model as :func:`tiny_handle` (same seed, same weights), moved to CUDA in ``dtype``."""
    model = TINY_BUILDERS[kind]().to(device="cuda", dtype=dtype)
    return wrap_model(model, tiny_tokenizer(), alias=f"tiny-{kind}-cuda")


def relative_errors(pooled: Pooled, reference: Pooled) -> np.ndarray:
    """Relative L2 error of every pooled mean, ``[n_layers, n_stories]``, after checking counts and finiteness."""
    np.testing.assert_array_equal(pooled.counts, reference.counts)
    kept = reference.counts > 0
    assert kept.sum() >= 6, reference.counts
    assert np.isfinite(pooled.means[:, kept]).all() and np.isfinite(reference.means[:, kept]).all()
    a, b = pooled.means[:, kept], reference.means[:, kept]
    return np.linalg.norm(a - b, axis=-1) / np.linalg.norm(b, axis=-1)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return word_texts(LENGTHS, seed=11)


@pytest.mark.parametrize("kind", KINDS)
def test_bfloat16_on_cuda_is_close_to_float32_on_the_cpu(kind: str, texts: list[str]) -> None:
    reference = pool_texts(tiny_handle(kind), texts, token_offset=OFFSET)
    handle = cuda_handle(kind, torch.bfloat16)
    assert handle.device.startswith("cuda") and handle.dtype == "bfloat16"
    pooled = pool_texts(handle, texts, token_offset=OFFSET)
    assert pooled.means.dtype == np.float32  # pooled in fp32 on the device whatever the model's dtype
    relative = relative_errors(pooled, reference)
    max_bound, median_bound = BF16_BOUNDS[kind]
    summary = f"max {relative.max():.2e}, median {np.median(relative):.2e}"
    assert BF16_FLOOR < relative.max() < max_bound, summary
    assert np.median(relative) < median_bound, summary


@pytest.mark.parametrize("kind", KINDS)
def test_float32_on_cuda_matches_the_cpu(kind: str, texts: list[str]) -> None:
    reference = pool_texts(tiny_handle(kind), texts, token_offset=OFFSET)
    handle = cuda_handle(kind, torch.float32)
    assert handle.device.startswith("cuda") and handle.dtype == "float32"
    relative = relative_errors(pool_texts(handle, texts, token_offset=OFFSET), reference)
    assert relative.max() < FP32_BOUND, f"max {relative.max():.2e}"


@pytest.mark.parametrize("kind", KINDS)
def test_left_and_right_padding_agree_on_cuda(kind: str, texts: list[str]) -> None:
    handle = cuda_handle(kind, torch.float32)
    right = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000, pad_side="right")
    left = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000, pad_side="left")
    single = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=1)  # one story per batch: no padding
    for other in (left, single):
        np.testing.assert_array_equal(other.counts, right.counts)
        np.testing.assert_allclose(other.means, right.means, atol=ATOL, rtol=RTOL)
    # in bf16 the two paddings differ only by rounding, no more than bf16 differs from fp32
    handle = cuda_handle(kind, torch.bfloat16)
    right = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000, pad_side="right")
    left = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000, pad_side="left")
    relative = relative_errors(left, right)
    assert relative.max() < BF16_BOUNDS[kind][0], f"max {relative.max():.2e}"


def test_store_extracted_on_cuda_from_a_saved_model(tmp_path: Path) -> None:
    """``load_model`` of a saved checkpoint onto CUDA in bf16, then ``extract_to_store``, as the CLI does."""
    checkpoint = tmp_path / "tiny-apertus"
    TINY_BUILDERS["apertus"]().save_pretrained(checkpoint)
    tiny_tokenizer().save_pretrained(checkpoint)
    handle = load_model(str(checkpoint), device="cuda", dtype="bfloat16")
    assert handle.device.startswith("cuda") and handle.dtype == "bfloat16"
    assert handle.model_class == "ApertusForCausalLM"

    corpus = tiny_corpus([*LENGTHS, 3], seed=12)  # the last story has 4 tokens <= OFFSET: skipped
    path = extract_to_store(
        handle, corpus, tmp_path / "store", token_offset=OFFSET, short_story_policy="skip", progress=False
    )
    stored = open_store(path)
    assert stored.manifest["model"]["device"].startswith("cuda")
    assert stored.manifest["model"]["dtype"] == "bfloat16"
    assert stored.layers == tuple(range(handle.n_blocks))

    reference = pool_texts(tiny_handle("apertus"), corpus.texts, token_offset=OFFSET)  # fp32 on the CPU
    means = np.stack([stored.layer_means(layer) for layer in stored.layers])
    assert stored.story_ids == tuple(corpus.story_ids) and stored.counts[-1] == 0
    pooled = Pooled(means=means, counts=stored.counts, layers=stored.layers)
    relative = relative_errors(pooled, reference)
    max_bound, median_bound = BF16_BOUNDS["apertus"]
    summary = f"max {relative.max():.2e}, median {np.median(relative):.2e}"
    assert BF16_FLOOR < relative.max() < max_bound, summary
    assert np.median(relative) < median_bound, summary
    assert np.isnan(means[:, -1]).all() and np.isfinite(means[:, :-1]).all()  # the skipped story is a NaN row
