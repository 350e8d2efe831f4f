"""Prompt plans, per-prompt seeds, topic sampling, templates and reply parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_corpus import prompt_rows, write_jsonl

from emotion_vectors.corpus import prompts, sources
from emotion_vectors.errors import CorpusError, DataError
from emotion_vectors.ratings import emotions


def test_seed_is_the_documented_sha256_derivation() -> None:
    # printf '42\x1fgenerate\x1femotion\x1fafraid\x1fa storm at sea\x1f0\x1f0' | sha256sum -> 4a9fa69ab7e0fe74...
    spec = prompts.PromptSpec("afraid/p00", "emotion", "afraid", "a storm at sea", "text", 3)
    assert spec.seed(42) == 0x4A9FA69AB7E0FE74 & (2**63 - 1) == 5377199663543811700
    assert spec.seed(42, attempt=1) != spec.seed(42) != spec.seed(43)
    other_prompt_text = prompts.PromptSpec("x", "emotion", "afraid", "a storm at sea", "different text", 3)
    assert other_prompt_text.seed(42) == spec.seed(42)  # (emotion, topic) decide, not position or wording


@pytest.mark.parametrize(
    ("reply", "stories", "ok"),
    [
        ("Sure! Here they are.\n[story 1]\nOne.\n[story 2]\nTwo.\n[story 3]\nThree.", ("One.", "Two.", "Three."), True),
        ("[Story1] One. [STORY 2] Two. [story  3] Three.", ("One.", "Two.", "Three."), True),
        ("**[story 1]**\nOne.\n\n**[story 2]**\nTwo.\n\n### [story 3]\nThree.\n", ("One.", "Two.", "Three."), True),
        ("[story 1] One. [story 2] Two.", ("One.", "Two."), False),
        ("[story 1] One. [story 2] [story 3] Three.", ("One.", "", "Three."), False),
        ("No markers at all.", (), False),
        ("Story 1: One. Story 2: Two. Story 3: Three.", (), False),
    ],
)
def test_parse_stories(reply: str, stories: tuple[str, ...], ok: bool) -> None:
    parsed = prompts.parse_stories(reply, 3)
    assert parsed.stories == stories and parsed.ok is ok


def test_topic_samples_are_seeded_per_emotion() -> None:
    topics = [f"topic {i}" for i in range(100)]
    first = prompts.sample_topics(topics, "afraid", 3, seed=42)
    assert len(set(first)) == 3 and set(first) <= set(topics)
    assert prompts.sample_topics(topics, "afraid", 3, seed=42) == first
    assert prompts.sample_topics(topics, "afraid", 3, seed=7) != first
    with pytest.raises(DataError, match="cannot sample 4 topics"):
        prompts.sample_topics(topics[:3], "afraid", 4, seed=42)


def test_paper_sized_plan_from_packaged_template_and_topics() -> None:
    template = prompts.load_template("emotion")
    topics = prompts.load_topics()
    plan = prompts.plan_stories(emotions(), topics, template=template, seed=42)
    assert len(plan) == 513 and len({p.prompt_id for p in plan}) == 513
    assert len(topics) == 100
    first = plan[0]
    assert first.prompt_id == "afraid/p00" and first.emotion == "afraid" and first.n_stories == 3
    assert first.topic in first.prompt and '"afraid"' in first.prompt and "[story 1]" in first.prompt
    # an emotion's prompts do not depend on which other emotions are planned
    alone = prompts.plan_stories(["worn out"], topics, template=template, seed=42)
    assert alone == tuple(p for p in plan if p.emotion == "worn out")


def test_neutral_template_and_plan() -> None:
    template = prompts.load_template("neutral")
    plan = prompts.plan_neutral(["Basalt", "Tides"], template=template, paragraphs_per_prompt=2)
    assert [p.prompt_id for p in plan] == ["neutral/p000", "neutral/p001"]
    assert all(p.kind == "neutral" and p.emotion is None and p.n_stories == 2 for p in plan)
    assert "Basalt" in plan[0].prompt and "{" not in plan[0].prompt


def test_templates_must_use_exactly_the_placeholders(tmp_path: Path) -> None:
    bad = tmp_path / "t.txt"
    bad.write_text("Write {n_stories} stories about {topic}.", encoding="utf-8")
    with pytest.raises(DataError, match="placeholders"):
        prompts.load_template("emotion", bad)
    assert prompts.load_template("neutral", bad).startswith("Write {n_stories}")
    bad.write_text("Write {n_stories stories", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid prompt template"):
        prompts.load_template("neutral", bad)


def test_topics_file_rules(tmp_path: Path) -> None:
    path = tmp_path / "topics.txt"
    path.write_text("# comment\na lake\n\na field\n", encoding="utf-8")
    assert prompts.load_topics(path) == ("a lake", "a field")
    path.write_text("a lake\na lake\n", encoding="utf-8")
    with pytest.raises(DataError, match="repeated topic"):
        prompts.load_topics(path)


def test_plan_from_a_published_file_reuses_its_prompts(tmp_path: Path) -> None:
    rows = prompt_rows({"afraid": ["t1", "t2"], "calm": ["t3"]})
    loaded = sources.load_file(write_jsonl(tmp_path / "pub.jsonl", rows))
    plan = prompts.plan_from_rows(loaded.prompt_rows, stories_per_prompt=3, origin="pub.jsonl")
    assert [(p.emotion, p.topic, p.prompt) for p in plan] == [(r["emotion"], r["topic"], r["prompt"]) for r in rows]
    assert [p.prompt_id for p in plan] == ["afraid/p00", "afraid/p01", "calm/p00"]
    del rows[1]["prompt"]
    loaded = sources.load_file(write_jsonl(tmp_path / "pub2.jsonl", rows))
    with pytest.raises(CorpusError, match="line 2 has no prompt"):
        prompts.plan_from_rows(loaded.prompt_rows, stories_per_prompt=3, origin="pub2.jsonl")


def test_repeated_triples_get_distinct_seeds(tmp_path: Path) -> None:
    rows = prompt_rows({"afraid": ["t1"]}) * 2
    rows[1] = {**rows[1], "prompt_id": "afraid/again"}
    loaded = sources.load_file(write_jsonl(tmp_path / "dup.jsonl", rows))
    plan = prompts.plan_from_rows(loaded.prompt_rows, stories_per_prompt=3, origin="dup.jsonl")
    assert [p.occurrence for p in plan] == [0, 1] and plan[0].seed(1) != plan[1].seed(1)
