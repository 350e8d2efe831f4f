"""Fidelity of the paper profile to arXiv 2606.26987 and to the authors' code (offline, tiny models, seconds).

Already covered elsewhere, not repeated here: layer L = ``hidden_states[L + 1]`` for tiny Apertus, Gemma-4,
Llama and GPT-2 models (tests/test_extract.py::test_every_layer_matches_the_hidden_states_reference);
``pad_side="left-as-authors"`` against ``"right"`` and one-at-a-time on a tiny Llama
(test_left_as_authors_changes_results_on_unequal_lengths); the bf16 deviation of the pooled means
(test_bfloat16_moves_the_means_a_little). See docs/fidelity.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers_models import tiny_handle, word_texts
from synthetic import memory_stores, planted_stories

from emotion_vectors.analyze import analyze_run, paper_window, reported_layers
from emotion_vectors.commands.analyze import _layers
from emotion_vectors.config import AnalysisConfig, load_config, resolve_layers
from emotion_vectors.extract import pool_texts
from emotion_vectors.registry import MODELS

ROOT = Path(__file__).resolve().parents[1]
PAPER = load_config(ROOT / "configs" / "paper.toml")
PUBLISHED = json.loads((ROOT / "emotion_vectors" / "data" / "published_corpora.json").read_text(encoding="utf-8"))
FAST = AnalysisConfig(bootstrap_resamples=0, permutations=0, seed=0)
ATOL, RTOL = 1e-5, 1e-5


# ------------------------------------------------------------------------------ 1. what configs/paper.toml encodes


def test_paper_profile_extraction_settings() -> None:
    ex = PAPER.extraction
    assert (ex.token_offset, ex.max_length, ex.pad_side, ex.short_story_policy) == (50, 512, "right", "error")
    assert [m.alias for m in PAPER.models] == ["apertus-8b", "gemma-4-e4b"]
    assert all(m.dtype == "float32" and m.layers == "all" for m in PAPER.models)
    assert {c.name: c.source for c in PAPER.corpora} == {"apertus": "hub", "gemma": "hub"}
    assert {c.name: c.dataset_id for c in PAPER.corpora} == {
        name: PUBLISHED["corpora"][name]["hf_dataset"] for name in ("apertus", "gemma")
    }


def test_paper_profile_analysis_settings() -> None:
    an = PAPER.analysis
    assert an.pooling == "token_weighted" and an.projection == "neutral"
    assert an.neutral_variance == 0.5 and an.pca_components == 10 and an.rating_source == "nrc"


def test_paper_profile_neutral_texts_are_the_authors_file_at_the_pinned_commit() -> None:
    pinned = PUBLISHED["neutral_texts_of_the_paper"]
    assert PAPER.neutral.source == "url"
    assert (PAPER.neutral.url, PAPER.neutral.sha256) == (pinned["url"], pinned["sha256"])
    commit = PAPER.neutral.url.split("/")[5]
    assert len(commit) == 40 and all(c in "0123456789abcdef" for c in commit)  # a commit, not a branch


def test_paper_layer_ranges_come_from_the_registry() -> None:
    assert MODELS["apertus-8b"].paper_layers == (1, 31) and MODELS["apertus-8b"].n_blocks == 32
    assert MODELS["gemma-4-e4b"].paper_layers == (1, 40) and MODELS["gemma-4-e4b"].n_blocks == 42
    aliases = [m.alias for m in PAPER.models]
    expected = {"apertus-8b": list(range(1, 32)), "gemma-4-e4b": list(range(1, 41))}
    assert reported_layers(aliases) == expected
    # `analyze --config configs/paper.toml --reported-layers` selects exactly these ranges
    args = argparse.Namespace(layers=None, reported_layers=True)
    assert _layers(args, aliases) == expected
    # the claims check and the report's peak windows use the same ranges
    assert paper_window("apertus-8b", range(32)) == (1, 31)
    assert paper_window("gemma-4-e4b", range(42)) == (1, 40)


def test_the_paper_config_extracts_every_block_and_reports_the_papers_range() -> None:
    """Every block is extracted (``layers = "all"``); ``[analysis] layers = "paper"`` reports Apertus 1-31 and
    Gemma 1-40, the blocks the paper plots, without any command-line flag."""
    from emotion_vectors.analyze import reported_layers

    for model in PAPER.models:
        entry = MODELS[model.alias]
        assert resolve_layers(model.layers, entry.n_blocks, entry.paper_layers) == tuple(range(entry.n_blocks))
    assert PAPER.analysis.layers == "paper"
    assert reported_layers([m.alias for m in PAPER.models]) == {
        "apertus-8b": list(range(1, 32)),
        "gemma-4-e4b": list(range(1, 41)),
    }
    assert _layers(argparse.Namespace(layers=None, reported_layers=False), [m.alias for m in PAPER.models]) is None


# --------------------------------------------------------------------- 2. layer numbering and fractional depth


@pytest.mark.parametrize(
    ("alias", "n_blocks", "first", "last"), [("apertus-8b", 32, 1, 31), ("gemma-4-e4b", 42, 1, 40)]
)
def test_paper_layer_spec_and_fractional_depth(alias: str, n_blocks: int, first: int, last: int) -> None:
    paper = resolve_layers("paper", n_blocks, MODELS[alias].paper_layers)
    assert paper == tuple(range(first, last + 1))
    assert resolve_layers("all", n_blocks, MODELS[alias].paper_layers) == tuple(range(n_blocks))
    layers = (first, n_blocks // 2, last)
    data = planted_stories(np.random.default_rng(1), n_emotions=30, stories_per_emotion=3, d=16, layers=layers)
    store, neutral = memory_stores(data, alias, "corpus-x", n_blocks=n_blocks)
    run = analyze_run(store, neutral, FAST)
    depth = run.column("fractional_depth").tolist()
    assert run.block_indices == tuple(layers) and run.info.n_blocks == n_blocks
    assert depth == [layer / n_blocks for layer in layers]
    # 0-based block index: block 31 of Apertus is its last block, at depth 31/32, not 1
    assert depth[-1] == pytest.approx(last / n_blocks) and depth[-1] < 1


# ------------------------------------------------------------------ 3. the authors'-behaviour switches do change things


def test_left_as_authors_on_a_gemma4_shaped_model() -> None:
    """The authors' padding bug on the model it affected (tiny Gemma-4): right padding equals one story at a
    time; left-as-authors changes every shorter story of a mixed-length batch and leaves the longest alone."""
    handle = tiny_handle("gemma4-text")
    offset = 5
    lengths = [30, 10, 20]  # + BOS: 31, 11, 21 tokens, batched together
    texts = word_texts(lengths, seed=3)
    right = pool_texts(handle, texts, token_offset=offset, batch_tokens=10_000)
    single = pool_texts(handle, texts, token_offset=offset, batch_tokens=1)
    authors = pool_texts(handle, texts, token_offset=offset, batch_tokens=10_000, pad_side="left-as-authors")
    np.testing.assert_allclose(right.means, single.means, atol=ATOL, rtol=RTOL)
    np.testing.assert_array_equal(right.counts, np.array(lengths) + 1 - offset)
    np.testing.assert_array_equal(authors.counts, np.minimum(np.array(lengths) + 1, 31 - offset))
    np.testing.assert_allclose(authors.means[:, 0], right.means[:, 0], atol=ATOL, rtol=RTOL)
    for i in (1, 2):
        change = np.linalg.norm(authors.means[:, i] - right.means[:, i], axis=-1)
        assert (change / np.linalg.norm(right.means[:, i], axis=-1) > 1e-2).all()


def test_raw_projection_differs_from_neutral_and_records_no_neutral_pcs() -> None:
    data = planted_stories(
        np.random.default_rng(2), n_emotions=60, stories_per_emotion=3, d=24, layers=(0, 1), neutral_scale=6.0
    )
    store, neutral = memory_stores(data, "model-a", "corpus-x", n_blocks=2)
    projected = analyze_run(store, neutral, FAST)
    raw = analyze_run(store, None, dataclasses.replace(FAST, projection="raw"))
    assert projected.info.projection == "neutral" and raw.info.projection == "raw"
    assert raw.column("k_neutral").tolist() == [0, 0] and all(k >= 1 for k in projected.column("k_neutral"))
    # the planted neutral subspace dominates the raw PCA; projecting it out recovers the valence axis on PC1
    assert all(abs(r) > 0.8 for r in projected.column("pc1_valence_r"))
    assert np.all(np.abs(projected.column("pc1_valence_r") - raw.column("pc1_valence_r")) > 0.1)
    with pytest.raises(Exception, match="neutral"):
        analyze_run(store, None, FAST)  # the neutral variant never falls back to raw


# -------------------------------------------------------------------------------------- 4. bf16 vs fp32


def test_bf16_rounding_of_the_means_barely_moves_pc1_valence_r() -> None:
    """bf16 extraction moves each pooled mean by ~0.4% (tests/test_extract.py); rounding the stored means to bf16
    (relative error up to 2**-9) changes the per-layer PC1-valence r by far less than 0.05, but not by zero."""
    data = planted_stories(np.random.default_rng(4), n_emotions=171, stories_per_emotion=3, d=32, layers=(0, 1, 2))
    store, neutral = memory_stores(data, "model-a", "corpus-x", n_blocks=3)

    def bf16(means: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        return {k: torch.from_numpy(v).to(torch.bfloat16).to(torch.float32).numpy() for k, v in means.items()}

    rounded = dataclasses.replace(store, means=bf16(store.means))
    rounded_neutral = dataclasses.replace(neutral, means=bf16(neutral.means))
    finite = np.isfinite(store.means[0])
    relative = np.abs(rounded.means[0][finite] - store.means[0][finite]) / np.maximum(
        np.abs(store.means[0][finite]), 1e-6
    )
    assert 0 < relative.max() <= 2**-8
    a = analyze_run(store, neutral, FAST).column("pc1_valence_r")
    b = analyze_run(rounded, rounded_neutral, FAST).column("pc1_valence_r")
    assert np.abs(a - b).max() < 0.05
    assert np.abs(a - b).max() > 0
