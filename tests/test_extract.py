"""Extraction: pooled means against a naive ``output_hidden_states`` reference, padding and batching invariances,
the token offset, the authors' left-padding behaviour, hook hygiene, early stopping and bf16."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers_models import (
    BOS_ID,
    MINILM_TEXTS,
    TINY_BUILDERS,
    minilm_handle,
    tiny_handle,
    tiny_tokenizer,
    word_texts,
)

from emotion_vectors.errors import ExtractionError
from emotion_vectors.extract import make_batch, plan_batches, plan_shards, pool_batch, pool_texts, tokenize
from emotion_vectors.models import ModelHandle, load_model, wrap_model
from emotion_vectors.resources import resolve_output_dir

LENGTHS = [40, 7, 25, 9, 60, 18, 33, 11]  # words; + 1 BOS token each
OFFSET = 5
ATOL, RTOL = 1e-5, 1e-5


def reference_means(handle: ModelHandle, texts: list[str], offset: int, max_length: int = 512) -> np.ndarray:
    """Naive per-story means, one story at a time, from ``output_hidden_states`` ([n_blocks, n_texts, d_model]).

    Layer L < last is ``hidden_states[L + 1]``; the last block's raw residual is read by a hook on that block,
    because ``hidden_states[-1]`` is the final-norm output for models with a final norm.
    """
    model, last = handle.model, handle.n_blocks - 1
    out = np.full((handle.n_blocks, len(texts), handle.d_model), np.nan, dtype=np.float32)
    raw: list[torch.Tensor] = []
    hook = handle.blocks[last].register_forward_hook(lambda m, a, o: raw.append(o[0] if isinstance(o, tuple) else o))
    try:
        for i, text in enumerate(texts):
            ids = handle.tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")["input_ids"]
            with torch.inference_mode():
                hidden = model(
                    input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True
                ).hidden_states
            assert len(hidden) == handle.n_blocks + 1
            for layer in range(last):
                out[layer, i] = hidden[layer + 1][0, offset:].float().mean(0).numpy()
            out[last, i] = raw[-1][0, offset:].float().mean(0).numpy()
            has_final_norm = handle.model_class != "BertModel"
            assert torch.allclose(hidden[-1], raw[-1]) != has_final_norm
    finally:
        hook.remove()
    return out


@pytest.mark.parametrize("kind", sorted(TINY_BUILDERS))
def test_every_layer_matches_the_hidden_states_reference(kind: str) -> None:
    handle = tiny_handle(kind)
    texts = word_texts(LENGTHS, seed=1)
    pooled = pool_texts(handle, texts, token_offset=OFFSET, max_length=128, batch_tokens=200)
    expected = reference_means(handle, texts, OFFSET)
    assert pooled.layers == tuple(range(handle.n_blocks))
    assert pooled.means.shape == (handle.n_blocks, len(texts), handle.d_model) and pooled.means.dtype == np.float32
    np.testing.assert_array_equal(pooled.counts, np.array(LENGTHS) + 1 - OFFSET)
    np.testing.assert_allclose(pooled.means, expected, atol=ATOL, rtol=RTOL)


def test_minilm_every_layer_matches_the_hidden_states_reference() -> None:
    handle = minilm_handle()
    texts = list(MINILM_TEXTS[:3])
    pooled = pool_texts(handle, texts, token_offset=10, max_length=512, batch_tokens=1024)
    expected = reference_means(handle, texts, 10)
    assert len(set(pooled.counts.tolist())) == 3  # unequal lengths, so the batch really was padded
    np.testing.assert_allclose(pooled.means, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kind", sorted(TINY_BUILDERS))
def test_left_right_and_one_at_a_time_agree(kind: str) -> None:
    handle = tiny_handle(kind)
    texts = word_texts(LENGTHS, seed=2)
    common = {"token_offset": OFFSET, "max_length": 128}
    right = pool_texts(handle, texts, batch_tokens=10_000, pad_side="right", **common)
    left = pool_texts(handle, texts, batch_tokens=10_000, pad_side="left", **common)
    single = pool_texts(handle, texts, batch_tokens=1, **common)
    handle.tokenizer.padding_side = "left"  # the tokenizer's own padding side must not matter
    tokenizer_left = pool_texts(handle, texts, batch_tokens=10_000, **common)
    for other in (left, single, tokenizer_left):
        np.testing.assert_array_equal(other.counts, right.counts)
        np.testing.assert_allclose(other.means, right.means, atol=ATOL, rtol=RTOL)


def test_minilm_left_right_and_one_at_a_time_agree() -> None:
    handle, texts = minilm_handle(), list(MINILM_TEXTS[:3])
    right = pool_texts(handle, texts, token_offset=10, batch_tokens=10_000)
    left = pool_texts(handle, texts, token_offset=10, batch_tokens=10_000, pad_side="left")
    single = pool_texts(handle, texts, token_offset=10, batch_tokens=1)
    np.testing.assert_allclose(left.means, right.means, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(single.means, right.means, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kind", ["apertus", "gemma4-multimodal"])
def test_result_does_not_depend_on_batch_companions(kind: str) -> None:
    handle = tiny_handle(kind)
    texts = word_texts(LENGTHS, seed=3)
    base = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000)
    permutation = np.random.default_rng(0).permutation(len(texts))
    for budget in (70, 150, 400):  # different budgets group different stories together
        shuffled = pool_texts(handle, [texts[i] for i in permutation], token_offset=OFFSET, batch_tokens=budget)
        np.testing.assert_allclose(shuffled.means[:, np.argsort(permutation)], base.means, atol=ATOL, rtol=RTOL)
    # story 0 alone, then with a long and with a short companion
    alone = pool_texts(handle, texts[:1], token_offset=OFFSET)
    for companion in (texts[4], texts[3]):
        paired = pool_texts(handle, [texts[0], companion], token_offset=OFFSET, batch_tokens=10_000)
        np.testing.assert_allclose(paired.means[:, :1], alone.means, atol=ATOL, rtol=RTOL)


def test_offset_counts_real_tokens_from_the_first_one() -> None:
    handle = tiny_handle("llama")
    texts = word_texts([12, 30], seed=4)
    full = reference_means(handle, texts, offset=0)
    # offset 1 drops exactly the BOS token: sum over all tokens minus the BOS token's contribution
    ids = handle.tokenizer(texts[0])["input_ids"]
    assert ids[0] == BOS_ID and len(ids) == 13
    for offset in (0, 1, 7):
        pooled = pool_texts(handle, texts, token_offset=offset, batch_tokens=10_000)
        np.testing.assert_array_equal(pooled.counts, [13 - offset, 31 - offset])
        np.testing.assert_allclose(pooled.means, reference_means(handle, texts, offset), atol=ATOL, rtol=RTOL)
    assert not np.allclose(pool_texts(handle, texts, token_offset=1).means, full, atol=1e-3)


def test_short_stories_have_no_kept_tokens() -> None:
    handle = tiny_handle("llama")
    pooled = pool_texts(handle, word_texts([4, 5, 20], seed=5), token_offset=OFFSET + 1)  # 5, 6 and 21 tokens
    np.testing.assert_array_equal(pooled.counts, [0, 0, 15])
    assert np.isnan(pooled.means[:, :2]).all() and np.isfinite(pooled.means[:, 2]).all()


def test_tokenize_uses_the_default_special_tokens_and_reports_truncation() -> None:
    tokenizer = minilm_handle().tokenizer
    tokenized = tokenize(tokenizer, [MINILM_TEXTS[0], MINILM_TEXTS[3]], max_length=20)
    long, short = tokenized.token_ids
    assert long[0] == tokenizer.cls_token_id and long[-1] == tokenizer.sep_token_id and len(long) == 20
    assert short[0] == tokenizer.cls_token_id and short[-1] == tokenizer.sep_token_id
    assert tokenized.original_lengths[0] == len(tokenizer(MINILM_TEXTS[0])["input_ids"]) > 20
    assert tokenized.truncated.tolist() == [True, False]
    tiny = tokenize(tiny_tokenizer(), word_texts([3, 9]), max_length=6)
    assert tiny.lengths.tolist() == [4, 6] and tiny.original_lengths.tolist() == [4, 10]
    assert all(row[0] == BOS_ID for row in tiny.token_ids)


def test_make_batch_masks() -> None:
    rows = [[1, 11, 12], [1, 21, 22, 23, 24]]
    right = make_batch(rows, token_offset=1, pad_side="right", pad_id=0)
    assert right.input_ids.tolist() == [[1, 11, 12, 0, 0], [1, 21, 22, 23, 24]]
    assert right.keep.int().tolist() == [[0, 1, 1, 0, 0], [0, 1, 1, 1, 1]]
    assert right.position_ids is None and (right.n_real, right.n_padded) == (8, 10)
    left = make_batch(rows, token_offset=1, pad_side="left", pad_id=0)
    assert left.input_ids.tolist() == [[0, 0, 1, 11, 12], [1, 21, 22, 23, 24]]
    assert left.attention_mask.tolist() == [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]
    assert left.keep.int().tolist() == [[0, 0, 0, 1, 1], [0, 1, 1, 1, 1]]
    assert left.position_ids.tolist() == [[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]]
    authors = make_batch(rows, token_offset=3, pad_side="left-as-authors", pad_id=0)
    assert authors.attention_mask.tolist() == left.attention_mask.tolist()
    assert authors.keep.int().tolist() == [[0, 0, 0, 1, 1], [0, 0, 0, 1, 1]]  # the short row keeps 1 of 3 skipped
    assert authors.position_ids is None
    with pytest.raises(ExtractionError, match="pad_side"):
        make_batch(rows, token_offset=1, pad_side="middle", pad_id=0)  # type: ignore[arg-type]


def test_left_as_authors_changes_results_on_unequal_lengths() -> None:
    handle = tiny_handle("llama")
    lengths = [40, 12, 3, 25]  # 41, 13, 4 and 26 tokens, batched together (padded to 41)
    texts = word_texts(lengths, seed=6)
    right = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000)
    single = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=1)
    authors = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=10_000, pad_side="left-as-authors")
    np.testing.assert_allclose(right.means, single.means, atol=ATOL, rtol=RTOL)
    n_real = np.array(lengths) + 1
    np.testing.assert_array_equal(authors.counts, np.minimum(n_real, 41 - OFFSET))  # closed form of the bug
    np.testing.assert_array_equal(right.counts[[0, 1, 3]], (n_real - OFFSET)[[0, 1, 3]])
    # the longest story is unpadded, so it is unaffected; every shorter one changes
    np.testing.assert_allclose(authors.means[:, 0], right.means[:, 0], atol=ATOL, rtol=RTOL)
    for i in (1, 3):  # they also pool their BOS and first tokens: a large relative change
        change = np.linalg.norm(authors.means[:, i] - right.means[:, i], axis=-1)
        assert (change / np.linalg.norm(right.means[:, i], axis=-1) > 0.1).all()
    assert np.isnan(right.means[:, 2]).all() and np.isfinite(authors.means[:, 2]).all()
    # one story at a time, the authors' offset is correct again
    authors_single = pool_texts(handle, texts, token_offset=OFFSET, batch_tokens=1, pad_side="left-as-authors")
    np.testing.assert_allclose(authors_single.means[:, [0, 1, 3]], right.means[:, [0, 1, 3]], atol=ATOL, rtol=RTOL)


def _hook_counts(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_hooks_are_removed_even_when_a_hook_raises() -> None:
    handle = tiny_handle("gemma4-multimodal")
    assert _hook_counts(handle.model) == 0
    batch = make_batch([[1, 5, 6, 7]], token_offset=1, pad_side="right", pad_id=0)
    pool_batch(handle, batch, (0, 2))
    assert _hook_counts(handle.model) == 0
    wrong = type(batch)(batch.input_ids, batch.attention_mask, torch.ones(1, 9, dtype=torch.bool), None)
    with pytest.raises(ExtractionError, match="block 0 returned"):
        pool_batch(handle, wrong, (0, 2))
    assert all(len(block._forward_hooks) == 0 for block in handle.blocks)
    assert _hook_counts(handle.model) == 0


@pytest.mark.parametrize("kind", ["llama", "gemma4-multimodal", "gpt2"])
def test_forward_stops_after_the_last_requested_block(kind: str) -> None:
    handle = tiny_handle(kind)
    ran: list[str] = []
    watched = {"block 1": handle.blocks[1], "last block": handle.blocks[-1], "lm_head": handle.model.lm_head}
    probes = [m.register_forward_hook(lambda *_, name=name: ran.append(name)) for name, m in watched.items()]
    try:
        batch = make_batch([[1, 5, 6, 7]], token_offset=0, pad_side="right", pad_id=0)
        pool_batch(handle, batch, (0,))
        assert ran == []
        pool_batch(handle, batch, (0, 1))
        assert ran == ["block 1"]
    finally:
        for probe in probes:
            probe.remove()


def test_layer_subset_equals_the_full_extraction_rows() -> None:
    handle = tiny_handle("apertus")
    texts = word_texts(LENGTHS, seed=7)
    full = pool_texts(handle, texts, token_offset=OFFSET)
    subset = pool_texts(handle, texts, token_offset=OFFSET, layers=[0, 2])
    assert subset.layers == (0, 2)
    np.testing.assert_array_equal(subset.means, full.means[[0, 2]])
    with pytest.raises(ExtractionError, match="increasing"):
        pool_texts(handle, texts, layers=[2, 0])
    with pytest.raises(ExtractionError, match="0..2"):
        pool_texts(handle, texts, layers=[3])


def test_plan_batches_respects_the_budget_and_buckets_by_length() -> None:
    lengths = np.random.default_rng(0).integers(20, 300, size=500)
    batches = plan_batches(lengths, batch_tokens=2048)
    assert sorted(np.concatenate(batches).tolist()) == list(range(500))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    assert all(len(b) * lengths[b].max() <= 2048 for b in batches)
    assert 1 - lengths.sum() / padded < 0.05  # sorted lengths leave little padding
    assert plan_batches(np.array([10, 3000]), batch_tokens=100)[0].tolist() == [1]  # too long: alone
    shards = plan_shards(lengths, np.arange(0, 500, 2), shard_size=64)
    assert [len(s) for s in shards] == [64, 64, 64, 58]
    assert sorted(np.concatenate(shards).tolist()) == list(range(0, 500, 2))
    assert lengths[shards[0]].min() >= lengths[shards[1]].max()


def test_bfloat16_moves_the_means_a_little() -> None:
    fp32 = tiny_handle("llama")
    bf16 = wrap_model(TINY_BUILDERS["llama"]().to(torch.bfloat16), tiny_tokenizer(), alias="tiny-llama-bf16")
    assert bf16.dtype == "bfloat16"
    texts = word_texts(LENGTHS, seed=8)
    a = pool_texts(fp32, texts, token_offset=OFFSET).means
    b = pool_texts(bf16, texts, token_offset=OFFSET).means
    assert b.dtype == np.float32  # pooled in fp32 whatever the model's dtype
    relative = np.linalg.norm(b - a, axis=-1) / np.linalg.norm(a, axis=-1)  # [n_layers, n_stories]
    assert 1e-4 < relative.max() < 2e-2, relative.max()  # measured: median 3.7e-3, max 6.0e-3
    assert np.median(relative) < 1e-2


def test_bfloat16_minilm_deviation() -> None:
    texts = list(MINILM_TEXTS[:3])
    a = pool_texts(minilm_handle(), texts, token_offset=10).means
    b = pool_texts(load_model("minilm", dtype="bfloat16"), texts, token_offset=10).means
    relative = np.linalg.norm(b - a, axis=-1) / np.linalg.norm(a, axis=-1)
    assert 1e-3 < relative.max() < 5e-2, relative.max()  # measured: median 4.6e-3, max 1.0e-2


def test_cli_extracts_corpus_and_neutral_stores(tmp_path, monkeypatch, capsys) -> None:
    from emotion_vectors.cli import main
    from emotion_vectors.commands import extract as command
    from emotion_vectors.corpus.schema import Corpus, Story
    from emotion_vectors.store import open_store, store_dir

    stories = Corpus(
        name="demo",
        stories=tuple(
            Story(story_id=f"s{i}", kind="emotion", emotion="calm", topic=None, text=t, source="test")
            for i, t in enumerate(MINILM_TEXTS[:3])
        ),
    )
    neutral = Corpus(
        name="neutral",
        stories=(Story(story_id="n0", kind="neutral", emotion=None, topic=None, text=MINILM_TEXTS[1], source="test"),),
    )
    monkeypatch.setattr(command, "_load_corpus", lambda cfg: stories)
    monkeypatch.setattr(command, "_load_neutral", lambda cfg: neutral)
    argv = ["extract", "--model", "minilm", "--corpus", "demo", "--out", str(tmp_path), "--layers", "0-1"]
    argv += ["--batch-tokens", "1024", "--no-progress", "--token-offset"]
    assert main([*argv, "3"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(store_dir(tmp_path, "minilm", "demo")), str(store_dir(tmp_path, "minilm", "neutral"))]
    demo = open_store(printed[0])
    assert demo.layers == (0, 1) and demo.story_ids == ("s0", "s1", "s2")
    assert demo.manifest["model"]["dtype"] == "float32" and demo.manifest["token_offset"] == 3
    np.testing.assert_allclose(
        open_store(printed[1]).layer_means(1)[0], demo.layer_means(1)[1], atol=1e-5, rtol=1e-5
    )  # the same text gives the same row in both stores
    assert main([*argv, "3"]) == 0  # up to date
    assert main([*argv, "4"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*argv, "4", "--force", "--skip-neutral"]) == 0
    assert open_store(printed[0]).manifest["token_offset"] == 4
    assert main(["extract", "--model", "minilm"]) == 2
    # the config form takes models, layers and [extraction] from the TOML file
    config = Path(__file__).parents[1] / "configs" / "demo.toml"
    # (the corpus loader is still the stand-in above, so this reads its three stories with the demo's settings)
    assert main(["extract", "--config", str(config), "--out", str(tmp_path / "cfg"), "--no-progress"]) == 0
    from_config = open_store(store_dir(tmp_path / "cfg", "minilm", "demo"))
    assert from_config.layers == tuple(range(6)) and from_config.manifest["token_offset"] == 50
    assert resolve_output_dir("outputs/demo", config) == config.parents[1] / "outputs" / "demo"
