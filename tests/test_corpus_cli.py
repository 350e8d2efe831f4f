"""`emotion-vectors corpus validate | generate | push` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_corpus import APERTUS_LIKE_TEMPLATE, chat_tokenizer, prompt_rows, tiny_apertus, write_jsonl

from emotion_vectors.cli import main
from emotion_vectors.corpus import sources
from emotion_vectors.ratings import emotions


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "clean.jsonl", prompt_rows({emotion: ["a premise"] for emotion in emotions()}))


@pytest.fixture
def leaky_file(tmp_path: Path) -> Path:
    rows = prompt_rows({"afraid": ["t1"], "grief-stricken": ["t2"]})
    rows[1]["stories"][0] = "She stood there, grief stricken, " + rows[1]["stories"][0]
    return write_jsonl(tmp_path / "leaky.jsonl", rows)


def test_validate_prints_a_table_and_writes_json(leaky_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.json"
    assert main(["corpus", "validate", str(leaky_file), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'grief-stricken/000 ("grief stricken")' in printed and f"wrote {out}" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["findings"]["leaks"] == 1 and report["ok"] is False
    assert report["leaks"][0]["story_id"] == "grief-stricken/000" and report["layout"] == "prompt-per-row"
    assert report["revision"] == sources.sha256_file(leaky_file)


def test_validate_strict_exit_status(leaky_file: Path, clean_file: Path, capsys) -> None:
    assert main(["corpus", "validate", str(clean_file), "--strict"]) == 0
    assert "OK: no findings" in capsys.readouterr().out
    assert main(["corpus", "validate", str(leaky_file), "--strict"]) == 1
    assert main(["corpus", "validate", str(leaky_file)]) == 0  # findings without --strict: reported, status 0
    assert main(["corpus", "validate", str(clean_file), "--strict", "--min-words", "50"]) == 1  # 42-word stories


def test_validate_unknown_source(capsys) -> None:
    assert main(["corpus", "validate", "no-such-corpus"]) == 2
    assert "unknown corpus source" in capsys.readouterr().err


def test_validate_malformed_file_names_the_row(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"emotion": "calm", "stories": ["a"]}\n{"emotion": "calm", "stories": [1]}\n', encoding="utf-8")
    assert main(["corpus", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 2: 'stories' must be a list of strings" in err and "fix:" in err


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    tokenizer = chat_tokenizer(APERTUS_LIKE_TEMPLATE)
    model = tiny_apertus(len(tokenizer), tokenizer.eos_token_id)
    directory = tmp_path / "tiny-apertus"
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_generate_then_resume_then_push_dry_run(model_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "gen.jsonl"
    command = [
        "corpus", "generate", "--model", str(model_dir), "--out", str(out), "--emotions", "afraid,worn out",
        "--topics-per-emotion", "1", "--max-new-tokens", "4", "--max-attempts", "1", "--batch-size", "2", "--no-progress",
    ]  # fmt: skip
    assert main(command) == 0
    assert "2 prompts (0 already done, 2 generated" in capsys.readouterr().out
    first = out.read_bytes()
    rows = [json.loads(line) for line in first.decode().splitlines()]
    assert [r["emotion"] for r in rows] == ["afraid", "worn out"] and rows[0]["generator"] == str(model_dir)
    assert main(command) == 0
    assert "(2 already done, 0 generated" in capsys.readouterr().out and out.read_bytes() == first
    assert main([*command[:-1], "--seed", "1"]) == 2  # a different run seed cannot resume this file
    assert "different settings" in capsys.readouterr().err

    card_dir = tmp_path / "card"
    assert main(["corpus", "push", str(out), "--repo-id", "org/tiny", "--dry-run", str(card_dir)]) == 0
    readme = (card_dir / "README.md").read_text(encoding="utf-8")
    assert f"source_model: {model_dir}" in readme and (card_dir / "data").is_dir()


def test_generate_prompts_from_a_published_file(model_dir: Path, tmp_path: Path, capsys) -> None:
    published = write_jsonl(tmp_path / "pub.jsonl", prompt_rows({"afraid": ["t1", "t2"], "calm": ["t3"]}))
    out = tmp_path / "regen.jsonl"
    command = [
        "corpus", "generate", "--model", str(model_dir), "--out", str(out), "--prompts-from", str(published),
        "--emotions", "afraid", "--max-new-tokens", "3", "--max-attempts", "1", "--no-progress",
    ]  # fmt: skip
    assert main(command) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    source_rows = [json.loads(line) for line in published.read_text(encoding="utf-8").splitlines()][:2]
    assert [(r["emotion"], r["topic"], r["prompt"]) for r in rows] == [
        (r["emotion"], r["topic"], r["prompt"]) for r in source_rows
    ]
    assert all(r["prompt"] in r["chat_prompt"] for r in rows)


def test_generate_rejects_unknown_emotions(capsys) -> None:
    assert main(["corpus", "generate", "--model", "x/y", "--out", "o.jsonl", "--emotions", "afraid,glad"]) == 2
    assert "unknown emotion(s) ['glad']" in capsys.readouterr().err
