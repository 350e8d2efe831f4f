"""The activation store: layout and manifest, memory-mapped reading, refusal to clobber, short-story policy,
and resume after an interruption (in-process and by a real SIGKILL) ending byte-identical."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_models import tiny_corpus, tiny_handle

from emotion_vectors import extract, store
from emotion_vectors.errors import ExtractionError, StoreError
from emotion_vectors.extract import extract_to_store, pool_texts
from emotion_vectors.store import (
    COUNTS_FILE,
    MANIFEST_FILE,
    SHARD_DIR,
    layer_file,
    open_store,
    store_dir,
)

LENGTHS = [30, 8, 45, 12, 20, 33, 9, 27, 16, 40, 22, 14]  # words; + 1 BOS token each
SETTINGS = {"token_offset": 4, "max_length": 40, "batch_tokens": 90, "shard_size": 3, "progress": False}


def _files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.suffix == ".npy"}


def _manifest_without_timings(path: Path) -> dict:
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    manifest.pop("timings")
    return manifest


def test_store_dir_layout() -> None:
    assert store_dir("out", "minilm", "demo") == Path("out/activations/minilm__demo")
    assert store_dir("out", "minilm", store.NEUTRAL_CORPUS) == Path("out/activations/minilm__neutral")
    assert store_dir("out", "swiss-ai/Apertus-8B", "demo").name == "swiss-ai-Apertus-8B__demo"
    assert layer_file(3) == "layer_03.npy" and layer_file(41) == "layer_41.npy"


def test_extract_writes_a_complete_store(tmp_path: Path) -> None:
    handle, corpus = tiny_handle("gemma4-multimodal"), tiny_corpus(LENGTHS)
    path = extract_to_store(handle, corpus, tmp_path / "s", layers=[0, 2, 3], **SETTINGS)
    opened = open_store(path)
    assert opened.layers == (0, 2, 3)
    assert sorted(p.name for p in path.iterdir()) == [
        ".verified.json",  # the checksum cache (size, mtime, sha256 of each array file)
        COUNTS_FILE,
        "layer_00.npy",
        "layer_02.npy",
        "layer_03.npy",
        MANIFEST_FILE,
    ]
    assert opened.story_ids == tuple(corpus.story_ids) and opened.emotions == tuple(corpus.emotions)
    expected = pool_texts(handle, corpus.texts, layers=[0, 2, 3], token_offset=4, max_length=40)
    np.testing.assert_array_equal(opened.counts, np.minimum(np.array(LENGTHS) + 1, 40) - 4)
    assert opened.counts.dtype == np.int64 and not opened.counts.flags.writeable
    for k, layer in enumerate(opened.layers):
        means = opened.layer_means(layer)
        assert isinstance(means, np.memmap) and not means.flags.writeable
        assert means.shape == (len(corpus), handle.d_model) and means.dtype == np.float32
        np.testing.assert_allclose(means, expected.means[k], atol=1e-5, rtol=1e-5)
    manifest = opened.manifest
    assert manifest["schema_version"] == store.SCHEMA_VERSION
    assert manifest["model"]["n_blocks"] == 4 and manifest["model"]["d_model"] == 32
    assert manifest["model"]["class"] == "Gemma4ForConditionalGeneration" and manifest["model"]["dtype"] == "float32"
    assert manifest["corpus"]["fingerprint"] == corpus.fingerprint and manifest["corpus"]["name"] == "tiny"
    assert (manifest["token_offset"], manifest["max_length"], manifest["pad_side"]) == (4, 40, "right")
    assert manifest["truncated"] == {"ids": [corpus.story_ids[2], corpus.story_ids[9]], "original_lengths": [46, 41]}
    assert manifest["short_stories"] == {"ids": [], "counts": [], "policy": "error"}
    assert {"torch", "transformers", "numpy"} <= set(manifest["library_versions"])
    timings = manifest["timings"]
    assert timings["tokens"] == int(np.minimum(np.array(LENGTHS) + 1, 40).sum()) and timings["tokens_per_second"] > 0
    assert 0 <= timings["padding_fraction"] < 0.5
    with pytest.raises(StoreError, match="layer 1 was not extracted"):
        opened.layer_means(1)


def test_short_story_policy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    handle, corpus = tiny_handle("llama"), tiny_corpus([20, 2, 15, 3])  # 3 and 4 tokens <= offset 4
    with pytest.raises(ExtractionError) as info:
        extract_to_store(handle, corpus, tmp_path / "strict", **SETTINGS)
    assert "afraid/003 (4 tokens)" in info.value.message and "calm/001 (3 tokens)" in info.value.message
    assert "short_story_policy" in info.value.fix
    assert not (tmp_path / "strict").exists()
    with caplog.at_level(logging.WARNING, logger="emotion_vectors.extract"):
        path = extract_to_store(handle, corpus, tmp_path / "skip", short_story_policy="skip", **SETTINGS)
    assert "skipping 2 stories" in caplog.text
    opened = open_store(path)
    assert opened.manifest["short_stories"] == {"ids": ["calm/001", "afraid/003"], "counts": [3, 4], "policy": "skip"}
    np.testing.assert_array_equal(opened.counts, [17, 0, 12, 0])
    means = opened.layer_means(0)
    assert np.isnan(means[[1, 3]]).all() and np.isfinite(means[[0, 2]]).all()


def test_refuses_a_store_of_other_inputs_and_reuses_a_finished_one(tmp_path: Path, monkeypatch) -> None:
    handle, corpus = tiny_handle("llama"), tiny_corpus(LENGTHS)
    path = extract_to_store(handle, corpus, tmp_path / "s", **SETTINGS)
    before = _files(path)
    calls: list[int] = []
    real = extract.launch_batch
    monkeypatch.setattr(extract, "launch_batch", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert extract_to_store(handle, corpus, path, **SETTINGS) == path and calls == []  # up to date: no forward
    other = {**SETTINGS, "token_offset": 5}
    with pytest.raises(StoreError) as info:
        extract_to_store(handle, corpus, path, **other)
    assert "--force" in info.value.fix and "--out" in info.value.fix
    assert _files(path) == before
    extract_to_store(handle, corpus, path, force=True, **other)
    assert open_store(path).manifest["token_offset"] == 5 and calls
    with pytest.raises(StoreError, match="a store made from other inputs"):
        extract_to_store(handle, corpus, path, content_key="another-key", **other)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not an activation store"):
        extract_to_store(handle, corpus, foreign, **SETTINGS)
    extract_to_store(handle, corpus, foreign, force=True, **SETTINGS)
    assert (foreign / "notes.txt").read_text() == "keep me"  # --force deletes store files only


class _Crash(Exception):
    pass


def test_resume_after_interruption_is_byte_identical(tmp_path: Path, monkeypatch) -> None:
    handle, corpus = tiny_handle("apertus"), tiny_corpus(LENGTHS)
    reference = extract_to_store(handle, corpus, tmp_path / "uninterrupted", **SETTINGS)

    real_write = store.write_shard
    written: list[int] = []

    def crash_after_two(*args, **kwargs):
        if len(written) == 2:
            raise _Crash
        real_write(*args, **kwargs)
        written.append(args[1])

    monkeypatch.setattr(store, "write_shard", crash_after_two)
    target = tmp_path / "interrupted"
    with pytest.raises(_Crash):
        extract_to_store(handle, corpus, target, **SETTINGS)
    assert not (target / MANIFEST_FILE).exists() and len(list((target / SHARD_DIR).glob("shard_*.json"))) == 2
    with pytest.raises(StoreError, match="unfinished") as info:
        open_store(target)
    assert "resumes" in info.value.fix

    monkeypatch.setattr(store, "write_shard", real_write)
    pooled_stories: list[int] = []
    real_launch = extract.launch_batch
    monkeypatch.setattr(
        extract,
        "launch_batch",
        lambda h, b, layers: pooled_stories.append(len(b.input_ids)) or real_launch(h, b, layers),
    )
    extract_to_store(handle, corpus, target, **SETTINGS)
    assert sum(pooled_stories) == len(LENGTHS) - 2 * SETTINGS["shard_size"]  # only the missing shards ran
    assert _files(target) == _files(reference)
    assert _manifest_without_timings(target) == _manifest_without_timings(reference)
    assert json.loads((target / MANIFEST_FILE).read_text())["timings"]["shards_resumed"] == 2
    assert not (target / SHARD_DIR).exists()


def test_a_changed_plan_discards_old_shards(tmp_path: Path, monkeypatch) -> None:
    handle, corpus = tiny_handle("llama"), tiny_corpus(LENGTHS)
    reference = extract_to_store(handle, corpus, tmp_path / "reference", **{**SETTINGS, "batch_tokens": 200})
    real_write = store.write_shard

    def crash_on_second(*args, **kwargs):
        if args[1] == 1:
            raise _Crash
        real_write(*args, **kwargs)

    monkeypatch.setattr(store, "write_shard", crash_on_second)
    with pytest.raises(_Crash):
        extract_to_store(handle, corpus, tmp_path / "s", **SETTINGS)
    monkeypatch.setattr(store, "write_shard", real_write)
    path = extract_to_store(handle, corpus, tmp_path / "s", **{**SETTINGS, "batch_tokens": 200})
    assert _files(path) == _files(reference)
    assert json.loads((path / MANIFEST_FILE).read_text())["timings"]["shards_resumed"] == 0


_KILL_SCRIPT = """
import os, signal, sys
from helpers_models import tiny_corpus, tiny_handle
from emotion_vectors import store
from emotion_vectors.extract import extract_to_store

real_write, calls = store.write_shard, []

def write_then_die(path, index, **kwargs):
    if len(calls) == 2:  # die half-way through writing the third shard's data file
        tmp = path / store.SHARD_DIR / (".shard_%05d.npy.tmp-%d" % (index, os.getpid()))
        tmp.write_bytes(b"\\x93NUMPY half a file")
        os.kill(os.getpid(), signal.SIGKILL)
    real_write(path, index, **kwargs)
    calls.append(index)

store.write_shard = write_then_die
settings = dict(token_offset=4, max_length=40, batch_tokens=90, shard_size=3, progress=False)
extract_to_store(tiny_handle("gpt2"), tiny_corpus(LENGTHS), __import__("pathlib").Path(sys.argv[1]), **settings)
"""


@pytest.mark.slow
def test_resume_after_sigkill_is_byte_identical(tmp_path: Path) -> None:
    target = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT.replace("LENGTHS", repr(LENGTHS)), str(target)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == -9, result.stderr
    assert not (target / MANIFEST_FILE).exists()
    assert any(".tmp-" in p.name for p in (target / SHARD_DIR).iterdir())
    handle, corpus = tiny_handle("gpt2"), tiny_corpus(LENGTHS)
    resumed = extract_to_store(handle, corpus, target, **SETTINGS)
    reference = extract_to_store(handle, corpus, tmp_path / "reference", **SETTINGS)
    assert json.loads((resumed / MANIFEST_FILE).read_text())["timings"]["shards_resumed"] == 2
    assert _files(resumed) == _files(reference)
    assert _manifest_without_timings(resumed) == _manifest_without_timings(reference)


def test_open_store_errors_name_a_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_store(tmp_path / "missing")
    assert "emotion-vectors extract" in info.value.fix
    path = extract_to_store(tiny_handle("llama"), tiny_corpus(LENGTHS[:4]), tmp_path / "s", **SETTINGS)
    np.save(path / layer_file(1), np.zeros((4, 31), dtype=np.float32))
    with pytest.raises(StoreError, match="layer_01.npy: sha256"):
        open_store(path)
    (path / layer_file(1)).unlink()
    with pytest.raises(StoreError, match="layer_01.npy is missing") as info:
        open_store(path)
    assert "--force" in info.value.fix
    (path / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(StoreError, match="unreadable"):
        open_store(path)
