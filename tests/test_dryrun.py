"""The dry run plans every stage without the network: fingerprints from texts at hand or pins, the rest marked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from emotion_vectors import pipeline
from emotion_vectors.config import load_config
from emotion_vectors.dryrun import known_corpus
from tests.helpers_corpus import hub_dataset_dir, prompt_rows, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
PAPER = load_config(ROOT / "configs" / "paper.toml")
SPEC = {"joy": ["a garden", "a train"], "anger": ["a queue", "an office"]}


def test_paper_plan_offline_marks_what_needs_the_network(tmp_path: Path, monkeypatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # any Hub call would raise
    monkeypatch.setenv("EMOTION_VECTORS_CACHE", str(tmp_path / "cache"))  # the neutral texts are not cached
    plan = {e["stage"]: e for e in pipeline.run_pipeline(PAPER, tmp_path / "out", dry_run=True, progress=False).plan}
    assert not (tmp_path / "out").exists()
    names = ["corpus"] + [
        f"extract.{m}.{c}" for m in ("apertus-8b", "gemma-4-e4b") for c in ("apertus", "gemma", "neutral")
    ]
    assert list(plan) == [*names, "analyze", "report", "paper", "claims"]
    # the Gemma corpus's fingerprint is pinned, so its extraction keys are known; Apertus's is not
    assert (
        plan["extract.apertus-8b.gemma"]["action"] == "run" and plan["extract.apertus-8b.gemma"]["key"] != "unresolved"
    )
    assert plan["extract.apertus-8b.apertus"]["action"] == "run (unresolved offline)"
    assert "snae/emotion_stories_Apertus_8B_Instruct" in plan["extract.apertus-8b.apertus"]["unresolved"]
    assert plan["claims"]["key"] == "unresolved"
    # published design: 1,539 stories per corpus
    assert plan["extract.gemma-4-e4b.gemma"]["stories"] == 1539 and not plan["extract.gemma-4-e4b.gemma"]["measured"]
    assert plan["corpus"]["corpora"]["gemma"] == "pinned"


def test_cli_dry_run_of_the_paper_config_exits_zero_offline(tmp_path: Path) -> None:
    env = {
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "EMOTION_VECTORS_CACHE": str(tmp_path),
    }
    cmd = [sys.executable, "-m", "emotion_vectors.cli", "run", "--config", "configs/paper.toml", "--dry-run"]
    done = subprocess.run([*cmd, "--out", str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for stage in ("corpus", "extract.apertus-8b.apertus", "extract.gemma-4-e4b.neutral", "analyze", "paper", "claims"):
        assert f"  {stage} " in out
    assert "swiss-ai/Apertus-8B-Instruct-2509 (would download, ~16.1 GB)" in out
    assert "cannot be resolved offline" in out


def test_a_local_dataset_in_the_hub_layout_is_fingerprinted_from_its_texts(tmp_path: Path) -> None:
    from emotion_vectors.corpus.sources import load_file

    rows = prompt_rows(SPEC)
    directory = hub_dataset_dir(tmp_path / "stories", rows)
    config = load_config(ROOT / "configs" / "paper.toml")
    text = (ROOT / "configs" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace(
        'name = "apertus"\nsource = "hub"', f'name = "apertus"\nsource = "hub"\ndataset_id = "{directory}"'
    )
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "x.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "configs" / "x.toml")
    known = known_corpus(config, "apertus")
    assert known.how == "texts at hand" and known.size.measured and known.size.n_stories == 12
    assert known.fingerprint == load_file(write_jsonl(tmp_path / "same.jsonl", rows)).corpus.fingerprint
