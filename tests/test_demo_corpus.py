"""The bundled demo corpus: validator findings, story and neutral-text bounds, and the dataset card's fingerprints."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from emotion_vectors.corpus import sources
from emotion_vectors.corpus.prompts import load_topics, sample_topics
from emotion_vectors.corpus.schema import fingerprint
from emotion_vectors.corpus.validate import emotion_pattern, validate_corpus
from emotion_vectors.ratings import emotions as all_emotions

CARD = Path(__file__).resolve().parents[1] / "dataset_card" / "demo" / "README.md"


@pytest.fixture(scope="module")
def demo():
    return sources.load_bundled_demo()


@pytest.fixture(scope="module")
def neutral():
    return sources.load_bundled_neutral()


@pytest.fixture(scope="module")
def report(demo):
    return validate_corpus(demo)


def test_validator_finds_nothing_on_the_demo_corpus(report) -> None:
    assert report.n_emotion_stories == report.n_texts == 171 * 9
    assert report.ok, report.render() if hasattr(report, "render") else report
    assert not report.leaks and not report.exact_duplicates and not report.near_duplicates
    assert not report.missing_emotions and not report.unknown_emotions and not report.count_mismatches


def test_the_design_is_the_papers_171_emotions_x_3_premises_x_3_stories(demo) -> None:
    per_emotion = Counter(s.emotion for s in demo)
    assert set(per_emotion) == set(all_emotions()) and set(per_emotion.values()) == {9}
    topics = load_topics()
    for emotion in all_emotions():
        stories = [s for s in demo if s.emotion == emotion]
        assert [s.story_id for s in stories] == [f"{emotion}/{i:03d}" for i in range(9)]
        # the premises the generator would draw for this emotion (run seed 0), three stories each, in order
        premises = sample_topics(topics, emotion, 3, seed=0)
        assert [s.topic for s in stories] == [p for p in premises for _ in range(3)]


def test_no_story_names_its_own_emotion(demo) -> None:
    leaks = [s.story_id for s in demo if emotion_pattern(s.emotion).search(s.text)]
    assert leaks == []


def test_no_exact_or_near_duplicate_texts(demo, report) -> None:
    stripped = [s.text.strip() for s in demo]
    assert len(set(stripped)) == len(stripped)
    assert report.near_threshold == 0.9 and report.near_duplicates == ()


def test_every_story_is_150_to_300_words(demo) -> None:
    outside = {s.story_id: len(s.text.split()) for s in demo if not 150 <= len(s.text.split()) <= 300}
    assert outside == {}


def test_neutral_texts_are_enough_the_right_length_and_free_of_emotion_words(neutral) -> None:
    assert len(neutral) >= 40
    assert {s.kind for s in neutral} == {"neutral"}
    outside = {s.story_id: len(s.text.split()) for s in neutral if not 80 <= len(s.text.split()) <= 120}
    assert outside == {}
    found = {(s.story_id, e) for s in neutral for e in all_emotions() if emotion_pattern(e).search(s.text)}
    assert found == set()


def _card_fingerprint(label: str) -> str:
    match = re.search(rf"\|\s*{label} fingerprint\s*\|\s*`([0-9a-f]{{64}})`", CARD.read_text(encoding="utf-8"))
    assert match, f"no '{label} fingerprint' row in {CARD}"
    return match.group(1)


def test_the_dataset_card_states_the_current_fingerprints(demo, neutral) -> None:
    assert _card_fingerprint("stories") == fingerprint(demo.texts) == demo.fingerprint
    assert _card_fingerprint("neutral") == fingerprint(neutral.texts)


def test_the_dataset_card_states_the_current_counts(demo, neutral) -> None:
    text = CARD.read_text(encoding="utf-8")
    words = [len(s.text.split()) for s in demo]
    assert f"| emotion stories | {len(demo)} " in text
    assert f"min {min(words)}, mean {sum(words) / len(words):.1f}, max {max(words)}" in text
    assert f"| neutral paragraphs | {len(neutral)} " in text
    assert "license: cc-by-4.0" in text and "- 1K<n<10K" in text
