"""Nothing silent: stale caches, corrupt stores, concurrent runs, raw tracebacks and late validation.

Each test plants one fault and asserts the error (what, where, fix; exit 2 from the CLI) or the correct result.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers_corpus import demo_subset, run_tiny, tiny_demo_config

from emotion_vectors import pipeline
from emotion_vectors.cli import main
from emotion_vectors.config import ModelConfig
from emotion_vectors.corpus.schema import Corpus, Story
from emotion_vectors.errors import BusyError, ConfigError, CorpusError, IntegrityError, StoreError
from emotion_vectors.input_checks import check_components, check_labels
from emotion_vectors.outdir import output_lock, remove_leftovers
from emotion_vectors.registry import is_model_reference


def _rows(n_emotions: int = 12) -> list[dict]:
    return demo_subset(n_emotions)


def _setup(tmp_path: Path, rows: list[dict], extra: str = "", pca: int = 5) -> Path:
    return tiny_demo_config(tmp_path, rows, corpus_extra=extra, max_length=256, pca=pca)


_run = run_tiny


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(pipeline.__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "emotion_vectors.cli", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("safety")
    config = _setup(tmp, _rows())
    _run(config, tmp / "out")
    return config, tmp / "out"


def test_relabelling_a_story_reruns_analysis_and_matches_a_fresh_run(done: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = done
    rows = _rows()
    first, second = rows[0]["emotion"], next(r["emotion"] for r in rows if r["emotion"] != rows[0]["emotion"])
    rows[0] = {**rows[0], "emotion": second}  # same text, another label
    relabelled = _setup(tmp_path, rows)
    assert first != second
    result = _run(relabelled, out)
    status = {s.name: s.status for s in result.stages}
    assert status["extract.minilm.tiny"] == "cached"  # the stored numbers do not depend on labels
    assert status["analyze"] == status["report"] == "ran"
    fresh = tmp_path / "fresh"
    _run(relabelled, fresh)
    assert (out / "results" / "results.json").read_bytes() == (fresh / "results" / "results.json").read_bytes()


def test_a_layer_file_changed_in_place_fails_the_next_run_with_a_working_rebuild_command(tmp_path: Path) -> None:
    config = _setup(tmp_path, _rows())
    out = tmp_path / "out"
    _run(config, out)
    layer = out / "activations" / "minilm__tiny" / "layer_05.npy"
    size = layer.stat().st_size
    data = np.load(layer)
    data[:10] = 0.0
    with layer.open("r+b") as handle:  # overwrite in place, same size
        np.save(handle, data)
    assert layer.stat().st_size == size
    with pytest.raises(IntegrityError) as info:
        _run(config, out)
    assert str(layer) in info.value.message
    assert "--force extract.minilm.tiny" in info.value.fix
    command = info.value.fix.split("rebuild the store: emotion-vectors ")[1].split()
    assert main(command[:-2] + ["--no-progress", "--no-paper", *command[-2:]]) == 0
    assert all(s.status == "cached" for s in _run(config, out).stages if s.name != "paper")


def test_a_second_run_into_a_locked_folder_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    config = _setup(tmp_path, _rows())
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from emotion_vectors.outdir import output_lock\nimport time\n"
         f"with output_lock({str(out)!r}):\n    print('locked', flush=True)\n    time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path(pipeline.__file__).parents[1])},
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(BusyError) as info:
            _run(config, out)
        assert time.monotonic() - started < 5
        assert f"pid={holder.pid}" in info.value.message
        assert not (out / "activations").exists()  # nothing was written
    finally:
        holder.kill()
        holder.wait()
    with output_lock(out) as lock:  # the dead holder's lock is taken over
        assert f"pid={os.getpid()}" in lock.read_text(encoding="utf-8")


def test_leftovers_of_a_killed_run_are_removed_but_shards_kept(tmp_path: Path) -> None:
    staging, tmp_file = tmp_path / ".generated-x1", tmp_path / "results" / ".results.json.tmp-abc.123"
    shard = tmp_path / "activations" / "m__c" / ".shards" / "shard_00000.npy"
    for path in (staging / "a.tex", tmp_file, shard):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    with output_lock(tmp_path):
        remove_leftovers(tmp_path)
    assert not staging.exists() and not tmp_file.exists() and shard.exists()


def test_unknown_label_fails_before_any_model_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import emotion_vectors.models as models

    monkeypatch.setattr(models, "load_model", lambda *a, **k: pytest.fail("a model was loaded"))
    monkeypatch.setattr(models, "inspect_model", lambda *a, **k: pytest.fail("a model was inspected"))
    rows = _rows()
    rows[3] = {**rows[3], "emotion": "flabbergasted-ish"}
    with pytest.raises(CorpusError, match="flabbergasted-ish") as info:
        _run(_setup(tmp_path, rows), tmp_path / "out")
    assert "unrated_emotions = 'exclude'" in info.value.fix
    corpus = Corpus(
        "c", tuple(Story(f"s{i}", "emotion", r["emotion"], None, r["text"], "t") for i, r in enumerate(rows))
    )
    assert len(check_labels(corpus, "exclude")) == len(rows) - 1


def test_cli_turns_bad_paths_bytes_and_limits_into_one_line_errors(tmp_path: Path) -> None:
    config = _setup(tmp_path, _rows())
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    result = _cli("run", "--config", str(config), "--out", str(a_file))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "fix:" in result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"story_id": "a", "emotion": "afraid", "text": "caf\xe9"}\n')
    result = _cli("corpus", "validate", str(bad))
    assert result.returncode == 2 and "not UTF-8" in result.stderr and "Traceback" not in result.stderr
    long = _setup(tmp_path, _rows()).read_text(encoding="utf-8").replace("max_length = 256", "max_length = 600")
    config.write_text(long.replace("batch_tokens = 4096", "batch_tokens = 8192"), encoding="utf-8")
    result = _cli("run", "--config", str(config), "--out", str(tmp_path / "o2"), "--no-paper")
    assert result.returncode == 2 and "max_length = 600 exceeds the 512 positions" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o2" / "activations").exists()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o500)
        result = _cli("run", "--config", str(config), "--out", str(locked / "out"))
        assert result.returncode == 2 and "permission" in result.stderr.lower() and "Traceback" not in result.stderr


def test_too_many_components_and_short_stories_fail_before_extraction(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at most 11 principal components"):
        _run(_setup(tmp_path, _rows(), pca=500), tmp_path / "out")
    rows = _rows()
    rows[0] = {**rows[0], "text": "Too short."}
    from emotion_vectors.errors import ExtractionError

    with pytest.raises(ExtractionError, match=rows[0]["story_id"]):
        _run(_setup(tmp_path, rows), tmp_path / "out2")
    assert not (tmp_path / "out2" / "activations").exists()


def test_plain_hub_ids_are_model_references() -> None:
    assert is_model_reference("gpt2") and not is_model_reference("minilm")
    assert ModelConfig(alias="gpt2").alias == "gpt2"


def test_duplicate_texts_and_truncation_are_warned(caplog: pytest.LogCaptureFixture) -> None:
    stories = (
        Story("a", "emotion", "afraid", None, "same text", "t"),
        Story("b", "emotion", "calm", None, "same text", "t"),
    )
    with caplog.at_level(logging.WARNING):
        check_labels(Corpus("c", stories), "error")
    assert "a = b" in caplog.text
    check_components(1, [Corpus("c", stories)])  # 2 emotions: 1 component is possible


def test_a_store_from_other_inputs_names_a_working_force(done: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = done
    copy = tmp_path / "out"
    import shutil

    shutil.copytree(out / "activations", copy / "activations")
    manifest = copy / "activations" / "minilm__tiny" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "content_key": "other"}), encoding="utf-8")
    with pytest.raises(StoreError) as info:
        _run(config, copy)
    assert "--force extract.minilm.tiny" in info.value.fix


def test_truncated_stories_are_warned_on_the_console(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = _setup(tmp_path, _rows())
    text = config.read_text(encoding="utf-8").replace("max_length = 256", "max_length = 80")
    config.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        _run(config, tmp_path / "out")
    assert "longer than max_length = 80 tokens and are truncated" in caplog.text
