"""Dataset card rendering and offline validation, the --dry-run output, and push failing offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_corpus import ScriptedBackend, prompt_rows, write_jsonl

from emotion_vectors.corpus import prompts, push, sources
from emotion_vectors.corpus.generate import generate_corpus
from emotion_vectors.errors import CorpusError, OfflineError
from emotion_vectors.resources import DATASET_CARD_TEMPLATE, data_path

CHECKOUT_TEMPLATE = Path(__file__).parents[1] / "dataset_card" / "README.md.jinja"


def _reply(prompt: str, seed: int) -> str:
    return f"[story 1] First text {seed}. [story 2] Second text {seed}. [story 3] Third text {seed}."


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    plan = prompts.plan_stories(
        ("afraid", "calm"),
        [f"topic {i}" for i in range(5)],
        template=prompts.load_template("emotion"),
        topics_per_emotion=2,
    )
    out = tmp_path / "stories.jsonl"
    generate_corpus(plan, ScriptedBackend(_reply), out, progress=False)
    return out


def test_card_renders_and_validates(generated: Path) -> None:
    info, rows = push.describe_file(generated, repo_id="my-org/emotion-stories")
    text = push.render_card(info)
    card = push.validate_card(text)
    data = card.data.to_dict()
    corpus = sources.load_file(generated).corpus
    assert data["license"] == "cc-by-4.0" and data["language"] == ["en"]
    assert data["task_categories"][0] == "text-generation" and data["size_categories"] == ["n<1K"]
    assert data["pretty_name"] == "Emotion stories by fake"
    assert data["source_model"] == "scripted/fake" and data["source_model_revision"] == "0" * 40
    assert data["fingerprint"] == corpus.fingerprint
    assert data["generation"]["seed"] == 42 and data["generation"]["sampling"]["temperature"] == 0.8
    assert data["generation"]["plan_sha256"] and data["generation"]["backend"] == {"backend": "scripted"}
    assert "2606.26987" in data["citation"] and "van der Ben" in data["citation"]
    assert text.startswith("---\n") and 'load_dataset("my-org/emotion-stories"' in card.text
    assert "| texts | 12 |" in card.text and "| emotions | 2 |" in card.text and "`seed`: `42`" in card.text
    assert len(rows) == 4 and info.layout == "prompt-per-row" and info.kind == "emotion"


def test_neutral_corpus_card(tmp_path: Path) -> None:
    plan = prompts.plan_neutral(["Basalt"], template=prompts.load_template("neutral"))
    out = tmp_path / "neutral.jsonl"
    generate_corpus(plan, ScriptedBackend(_reply), out, progress=False)
    info, _ = push.describe_file(out, repo_id="org/neutral")
    card = push.validate_card(push.render_card(info))
    assert info.kind == "neutral" and card.data.to_dict()["pretty_name"] == "Neutral paragraphs by fake"
    assert "Neutral, encyclopedic paragraphs" in card.text and "feels the emotion" not in card.text


def test_card_template_has_one_source() -> None:
    assert push.template_path() == CHECKOUT_TEMPLATE
    assert data_path(DATASET_CARD_TEMPLATE).read_text(encoding="utf-8") == CHECKOUT_TEMPLATE.read_text(encoding="utf-8")


def test_undefined_template_variable_is_an_error(generated: Path, tmp_path: Path) -> None:
    info, _ = push.describe_file(generated, repo_id="org/x")
    template = tmp_path / "t.md.jinja"
    template.write_text("---\n{{ card_data }}\n---\n{{ no_such_field }}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no_such_field"):
        push.render_card(info, template)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("license: cc-by-4.0\n", ""), "missing or empty 'license'"),
        (lambda t: t.replace("- n<1K", "- tiny"), "not a Hub bucket"),
        (lambda t: t.replace("\n# ", "\n{{ title }}\n# ", 1), "unrendered template syntax"),
        (lambda t: t.replace("fingerprint: ", "fingerprint: x", 1), "fingerprint is not a sha256"),
        (lambda t: t.replace("license: cc-by-4.0", "license: CC BY 4.0"), "not a Hub licence id"),
        (lambda t: t.replace("pretty_name: ", "pretty_name: [unclosed ", 1), "does not parse"),
    ],
)
def test_broken_cards_are_rejected(generated: Path, edit, problem: str) -> None:
    info, _ = push.describe_file(generated, repo_id="org/x")
    with pytest.raises(CorpusError, match=problem):
        push.validate_card(edit(push.render_card(info)))


@pytest.mark.parametrize(("n", "label"), [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (10_000, "10K<n<100K")])
def test_size_categories(n: int, label: str) -> None:
    assert push.size_category(n) == label


def test_dry_run_writes_a_loadable_dataset(generated: Path, tmp_path: Path) -> None:
    info, rows = push.describe_file(generated, repo_id="org/x")
    text = push.render_card(info)
    written = push.write_dry_run(tmp_path / "out", push.build_dataset(rows), text)
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == ["README.md", push.DATA_FILE]
    assert (tmp_path / "out" / "README.md").read_text(encoding="utf-8") == text
    reloaded = sources.load_hub_dataset(str(tmp_path / "out"), cache_dir=tmp_path / "cache").corpus
    original = sources.load_file(generated).corpus
    assert reloaded.fingerprint == original.fingerprint and reloaded.story_ids == original.story_ids
    with pytest.raises(CorpusError, match="not empty"):
        push.write_dry_run(tmp_path / "out", push.build_dataset(rows), text)


def test_push_offline_is_an_offline_error(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    info, rows = push.describe_file(generated, repo_id="org/x")
    with pytest.raises(OfflineError, match="offline") as raised:
        push.push(push.build_dataset(rows), push.render_card(info), "org/x")
    assert "--dry-run" in raised.value.fix


def test_file_without_generator_needs_source_model(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "authors.jsonl", prompt_rows({"afraid": ["t"]}))
    with pytest.raises(CorpusError, match="no generator recorded") as raised:
        push.describe_file(path, repo_id="org/x")
    assert "--source-model" in raised.value.fix
    info, _ = push.describe_file(path, repo_id="org/x", source_model="google/gemma-4-E4B-it")
    assert info.source_model_revision == "unknown" and info.generation == {"recorded": False}
    push.validate_card(push.render_card(info))


def test_rows_must_share_their_columns(tmp_path: Path) -> None:
    rows = prompt_rows({"afraid": ["t1", "t2"]})
    rows[1]["extra"] = 1
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    with pytest.raises(CorpusError, match="line 2 has columns"):
        push.describe_file(path, repo_id="org/x", source_model="m")


def test_bad_repo_id(generated: Path) -> None:
    with pytest.raises(CorpusError, match="org/name"):
        push.describe_file(generated, repo_id="no-slash")


def test_generation_settings_come_from_the_manifest(generated: Path) -> None:
    manifest = json.loads(generated.with_name(generated.name + ".manifest.json").read_text(encoding="utf-8"))
    info, _ = push.describe_file(generated, repo_id="org/x")
    assert info.generation["plan_sha256"] == manifest["key"]["plan_sha256"]
