"""Corpus validation: leak rule (incl. 'worn out' and 'grief-stricken'), counts, duplicates, short texts,
unknown emotions, parse failures, the near-duplicate search, JSON and table output."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from helpers_corpus import prompt_rows, story_text, write_jsonl

from emotion_vectors.corpus import sources
from emotion_vectors.corpus.dedup import jaccard, near_duplicate_pairs, shingles
from emotion_vectors.corpus.schema import Corpus, Story
from emotion_vectors.corpus.validate import find_leaks, validate_corpus


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("By noon she was worn out.", ["worn out"]),
        ("A worn-out coat hung there.", ["worn-out"]),
        ("WORN\nOUT, he said.", ["WORN\nOUT"]),
        ("Utterly wornout.", ["wornout"]),
        ("The carpet was worn. Out the door she went.", []),  # a sentence break is not a separator
        ("The shoes were well worn and out of fashion.", []),
        ("A sworn outcast.", []),
    ],
)
def test_leak_rule_for_worn_out(text: str, found: list[str]) -> None:
    assert find_leaks(text, "worn out") == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("She stood grief-stricken at the gate.", ["grief-stricken"]),
        ("Grief stricken, he sat down.", ["Grief stricken"]),
        ("a griefstricken face", ["griefstricken"]),
        ("grief\u2013stricken", ["grief\u2013stricken"]),
        ("Her grief was plain; the town was stricken.", []),
        ("The grief, stricken from the record,", []),
    ],
)
def test_leak_rule_for_grief_stricken(text: str, found: list[str]) -> None:
    assert find_leaks(text, "grief-stricken") == found


@pytest.mark.parametrize(
    ("emotion", "text", "found"),
    [
        ("afraid", "Afraid? Never.", ["Afraid"]),
        ("afraid", "She was unafraid.", []),
        ("hope", "He hoped, and his hopes rose; he was hopeful.", []),
        ("hope", "There was hope-filled silence.", ["hope"]),
        ("sad", "Sadness filled the sadder room.", []),
        ("self-conscious", "He felt self conscious.", ["self conscious"]),
        ("self-conscious", "His self-consciousness grew.", []),
        ("at ease", "Soldiers stood at  ease.", ["at  ease"]),
        ("on edge", "Everyone was on edge; the edge of the table.", ["on edge"]),
    ],
)
def test_leak_rule_whole_words_only(emotion: str, text: str, found: list[str]) -> None:
    assert find_leaks(text, emotion) == found


def _story(story_id: str, emotion: str | None, text: str, kind: str = "emotion") -> Story:
    return Story(story_id, kind, emotion, None, text, "test")


def test_validate_finds_each_kind_of_problem() -> None:
    base = story_text("x", "y", 0, n_words=60)
    near = base.replace("Story 0:", "Story 0, ").replace(base.split()[5], "changed", 1)
    stories = [
        _story("calm/000", "calm", story_text("calm", "t", 0)),
        _story("calm/001", "calm", story_text("calm", "t", 1)),
        _story("afraid/000", "afraid", "He was not afraid of the dark, " + story_text("afraid", "t", 0)),
        _story("afraid/001", "afraid", story_text("calm", "t", 0)),  # exact duplicate of calm/000
        _story("worn out/000", "worn out", "Short and worn-out."),
        _story("worn out/001", "worn out", base),
        _story("grief-stricken/000", "grief-stricken", near),
        _story("bogus/000", "bogus", story_text("bogus", "t", 0)),
        _story("neutral/000", None, "Too short.", kind="neutral"),
    ]
    report = validate_corpus(
        Corpus("t", tuple(stories)), emotions=("afraid", "calm", "grief-stricken", "worn out"), min_words=10
    )
    assert report.counts == (("afraid", 2), ("calm", 2), ("grief-stricken", 1), ("worn out", 2), ("bogus", 1))
    assert report.expected_per_emotion == 2
    assert report.count_mismatches == (("grief-stricken", 1),)
    assert report.missing_emotions == ()
    assert report.unknown_emotions == (("bogus/000", "bogus"),)
    assert [(x.story_id, x.match) for x in report.leaks] == [("afraid/000", "afraid"), ("worn out/000", "worn-out")]
    assert report.exact_duplicates == (("calm/000", "afraid/001"),)
    assert [(x.story_a, x.story_b) for x in report.near_duplicates] == [("worn out/001", "grief-stricken/000")]
    assert 0.9 <= report.near_duplicates[0].jaccard < 1.0
    assert [(x.story_id, x.n_words) for x in report.short_texts] == [("worn out/000", 3), ("neutral/000", 2)]
    assert report.n_texts == 9 and report.n_emotion_stories == 8
    assert report.findings == {
        "unknown_emotions": 1,
        "missing_emotions": 0,
        "count_mismatches": 1,
        "leaks": 2,
        "exact_duplicates": 1,
        "near_duplicates": 1,
        "short_texts": 2,
        "parse_failures": 0,
    }
    assert not report.ok


def test_missing_emotions_and_given_expectation() -> None:
    corpus = Corpus("t", (_story("calm/000", "calm", story_text("calm", "t", 0)),))
    report = validate_corpus(corpus, emotions=("afraid", "calm"), expected_per_emotion=9)
    assert report.missing_emotions == ("afraid",)
    assert report.count_mismatches == (("calm", 1),)


def test_parse_failures_come_from_the_published_rows(tmp_path: Path) -> None:
    rows = prompt_rows({"afraid": ["t1", "t2"], "calm": ["t3"]})
    rows[1]["stories"] = rows[1]["stories"][:2]  # a row whose parse found 2 of 3 stories, declared 3
    rows[2]["n_stories_parsed"] = 3
    loaded = sources.load_file(write_jsonl(tmp_path / "p.jsonl", rows))
    report = validate_corpus(loaded.corpus, emotions=("afraid", "calm"), prompt_rows=loaded.prompt_rows)
    assert [(f.where, f.prompt_id, f.n_stories, f.n_declared) for f in report.parse_failures] == [
        ("line 2", "afraid/p01", 2, 3)
    ]
    # without an expected count, a row is still caught when it contradicts its own n_stories_parsed
    report = validate_corpus(
        loaded.corpus, emotions=("afraid", "calm"), prompt_rows=loaded.prompt_rows, stories_per_prompt=None
    )
    assert len(report.parse_failures) == 1


def test_a_clean_corpus_is_ok_and_serialises(tmp_path: Path) -> None:
    loaded = sources.load_file(write_jsonl(tmp_path / "p.jsonl", prompt_rows({"afraid": ["t1"], "calm": ["t2"]})))
    report = validate_corpus(loaded.corpus, emotions=("afraid", "calm"), prompt_rows=loaded.prompt_rows)
    assert report.ok and report.counts == (("afraid", 3), ("calm", 3))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and data["counts"] == {"afraid": 3, "calm": 3}
    assert data["fingerprint"] == loaded.corpus.fingerprint and data["words"]["min"] == 42
    table = report.format_table()
    assert "OK: no findings" in table and loaded.corpus.fingerprint in table


def test_table_lists_examples() -> None:
    stories = (_story("afraid/000", "afraid", "afraid " * 40), _story("afraid/001", "afraid", "x " * 40))
    table = validate_corpus(Corpus("t", stories), emotions=("afraid",)).format_table()
    line = next(row for row in table.splitlines() if row.startswith("names its own emotion"))
    assert line.split()[4] == "1" and 'afraid/000 ("afraid")' in line


def test_default_emotions_are_the_171() -> None:
    report = validate_corpus(Corpus("t", (_story("afraid/000", "afraid", "x " * 40),)))
    assert len(report.counts) == 171 and len(report.missing_emotions) == 170


# ------------------------------------------------------------------------------------------ near duplicates


def _random_texts(rng: random.Random, n: int, vocabulary: int = 40) -> list[str]:
    return [" ".join(f"v{rng.randrange(vocabulary)}" for _ in range(rng.randrange(0, 30))) for _ in range(n)]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.9, 1.0])
def test_prefix_filtered_search_equals_brute_force(threshold: float) -> None:
    rng = random.Random(7)
    texts = _random_texts(rng, 60, vocabulary=8)
    texts += [t + " v1" for t in texts[:10]] + texts[10:15]  # near and exact copies
    sets = [shingles(t) for t in texts]
    brute = sorted(
        (i, j, jaccard(sets[i], sets[j]))
        for i, j in itertools.combinations(range(len(texts)), 2)
        if sets[i] and sets[j] and jaccard(sets[i], sets[j]) >= threshold
    )
    assert near_duplicate_pairs(texts, threshold) == brute
    assert brute  # the check compares something


def test_normalisation_ignores_case_and_punctuation() -> None:
    assert shingles("The cat, sat.") == shingles("the CAT sat") == frozenset({"the cat sat"})
    assert near_duplicate_pairs(["The cat, sat on the mat!", "the cat sat on the mat", "a dog"]) == [(0, 1, 1.0)]


def test_finds_the_one_near_duplicate_in_a_full_size_corpus() -> None:
    rng = random.Random(0)
    words = [f"w{i}" for i in range(3000)]
    texts = [" ".join(rng.choice(words) for _ in range(150)) for _ in range(1539)]
    texts[100] = texts[5].replace(texts[5].split()[70], "changed")
    pairs = near_duplicate_pairs(texts, 0.9)
    assert [(i, j) for i, j, _ in pairs] == [(5, 100)]
