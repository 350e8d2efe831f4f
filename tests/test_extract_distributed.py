"""Extraction under torchrun: two CPU ranks (gloo) write the same store, byte for byte, as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emotion_vectors import cli, store
from emotion_vectors.extract import distributed_from_env, rank_and_world_size

DEMO = Path(__file__).resolve().parents[1] / "emotion_vectors" / "data" / "demo_stories.jsonl"
COMMAND = ["extract", "--model", "minilm", "--skip-neutral", "--shard-size", "3", "--no-progress"]


def _write_corpus(path: Path, n: int = 12) -> None:
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [row for row in rows if len(row["text"].split()) > 60][:n]
    assert len(rows) == n
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _run(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    env.update(CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr


def _manifest_without_timings(path: Path) -> dict:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("timings")
    return manifest


TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
STORE = Path("activations") / "minilm__stories"


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus file and the store a single-process run of the command writes from it."""
    root = tmp_path_factory.mktemp("distributed")
    corpus = root / "stories.jsonl"
    _write_corpus(corpus)
    _run(
        [sys.executable, "-m", "emotion_vectors.cli", *COMMAND, "--corpus", str(corpus), "--out", str(root / "single")],
        root,
    )
    return corpus, root / "single" / STORE


def _assert_same_store(single: Path, multi: Path) -> dict:
    names = sorted(p.name for p in single.iterdir())
    assert names == sorted(p.name for p in multi.iterdir())
    assert "counts.npy" in names and "manifest.json" in names and "layer_05.npy" in names
    for name in names:
        if name not in ("manifest.json", ".verified.json"):  # the second caches modification times
            assert (single / name).read_bytes() == (multi / name).read_bytes(), name
    assert _manifest_without_timings(single / "manifest.json") == _manifest_without_timings(multi / "manifest.json")
    return json.loads((multi / "manifest.json").read_text(encoding="utf-8"))["timings"]


def test_torchrun_two_ranks_match_single_process(single: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, single_store = single
    _run([*TORCHRUN, "-m", "emotion_vectors.cli", *COMMAND, "--corpus", str(corpus), "--out", str(tmp_path)], tmp_path)
    timings = _assert_same_store(single_store, tmp_path / STORE)
    assert timings["world_size"] == 2 and timings["batches"] >= 4  # 12 stories in shards of 3, all counted
    assert timings["shards_resumed"] == 0


def test_torchrun_resumes_an_interrupted_store(
    single: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, single_store = single
    written = []
    original = store.write_shard

    def interrupt_after_two(*args, **kwargs):
        if len(written) == 2:
            raise KeyboardInterrupt
        original(*args, **kwargs)
        written.append(args[1])

    monkeypatch.setattr(store, "write_shard", interrupt_after_two)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main([*COMMAND, "--corpus", str(corpus), "--out", str(tmp_path)]) == 130
    assert written == [0, 1] and not (tmp_path / STORE / "manifest.json").exists()
    _run([*TORCHRUN, "-m", "emotion_vectors.cli", *COMMAND, "--corpus", str(corpus), "--out", str(tmp_path)], tmp_path)
    timings = _assert_same_store(single_store, tmp_path / STORE)
    assert timings["shards_resumed"] == 2


def test_single_process_without_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert rank_and_world_size() == (0, 1)
    with distributed_from_env("cpu") as (rank, world_size):
        assert (rank, world_size) == (0, 1)
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    with distributed_from_env("cpu") as (rank, world_size):
        assert (rank, world_size) == (0, 1)
