"""Corpus sources: both row layouts from local files, malformed files, the Hub loader on a local dataset
directory, fingerprints, offline behaviour and the bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_corpus import (
    KNOWN_FINGERPRINT,
    KNOWN_TEXTS,
    hub_dataset_dir,
    prompt_rows,
    story_rows_from,
    write_jsonl,
    write_parquet,
)

from emotion_vectors.config import CorpusConfig
from emotion_vectors.corpus import sources
from emotion_vectors.corpus.layout import PROMPT_PER_ROW, STORY_PER_ROW
from emotion_vectors.corpus.schema import Story
from emotion_vectors.errors import CorpusError, OfflineError

SPEC = {"afraid": ["a storm at sea", "a job interview"], "worn out": ["a night shift"]}


def test_fingerprint_of_a_small_known_corpus(tmp_path: Path) -> None:
    rows = [{"emotion": "calm", "text": text} for text in KNOWN_TEXTS]
    corpus = sources.load_file(write_jsonl(tmp_path / "known.jsonl", rows)).corpus
    assert corpus.fingerprint == KNOWN_FINGERPRINT
    # the same texts in the other layout, in another order, give the same fingerprint
    other = [{"emotion": "calm", "stories": list(reversed(KNOWN_TEXTS))}]
    assert sources.load_file(write_jsonl(tmp_path / "known2.jsonl", other)).corpus.fingerprint == KNOWN_FINGERPRINT


def test_prompt_per_row_layout(tmp_path: Path) -> None:
    rows = prompt_rows(SPEC)
    loaded = sources.load_file(write_jsonl(tmp_path / "authors.jsonl", rows), name="g", generator="gen/model")
    corpus = loaded.corpus
    assert loaded.layout == PROMPT_PER_ROW
    assert corpus.name == "g" and len(corpus) == 9
    assert corpus.story_ids == [
        "afraid/000", "afraid/001", "afraid/002", "afraid/003", "afraid/004", "afraid/005",
        "worn out/000", "worn out/001", "worn out/002",
    ]  # fmt: skip
    first = corpus.stories[3]
    assert first == Story(
        story_id="afraid/003",
        kind="emotion",
        emotion="afraid",
        topic="a job interview",
        text=rows[1]["stories"][0],
        source=str(tmp_path / "authors.jsonl"),
        generator="gen/model",
        prompt_id="afraid/p01",
    )
    assert [r.n_stories for r in loaded.prompt_rows] == [3, 3, 3]
    assert loaded.prompt_rows[2].where == "line 3" and loaded.prompt_rows[2].prompt == rows[2]["prompt"]
    assert corpus.revision == sources.sha256_file(tmp_path / "authors.jsonl")


@pytest.mark.parametrize(("fmt", "column"), [("jsonl", "text"), ("parquet", "story")])
def test_story_per_row_layout_matches_prompt_layout(tmp_path: Path, fmt: str, column: str) -> None:
    rows = prompt_rows(SPEC)
    flat = story_rows_from(rows, column)
    path = (write_jsonl if fmt == "jsonl" else write_parquet)(tmp_path / f"stories.{fmt}", flat)
    loaded = sources.load_file(path)
    reference = sources.load_file(write_jsonl(tmp_path / "authors.jsonl", rows)).corpus
    assert loaded.layout == STORY_PER_ROW and loaded.prompt_rows == ()
    assert loaded.corpus.story_ids == reference.story_ids
    assert loaded.corpus.texts == reference.texts
    assert loaded.corpus.fingerprint == reference.fingerprint


def test_records_round_trip(tmp_path: Path) -> None:
    story = Story("x/7", "emotion", "calm", "t", "A text.", "somewhere", "hand-written", "p1")
    neutral = Story("neutral/000", "neutral", None, None, "Water boils.", "here")
    path = write_jsonl(tmp_path / "records.jsonl", [story.to_record(), neutral.to_record()])
    assert sources.load_file(path).corpus.stories == (story, neutral)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"emotion": "calm", "stories": ["a"]}', "{not json"], "line 2 is not valid JSON"),
        (['{"emotion": "calm", "stories": ["a"]}', '{"emotion": "calm", "stories": "abc"}'], "line 2: 'stories' must be a list"),
        (['{"emotion": "calm", "stories": ["a"]}', '{"emotion": "", "stories": ["b"]}'], "line 2: an emotion story needs"),
        (['{"emotion": "calm", "stories": ["a"]}', '{"emotion": "calm", "text": "b"}'], "line 2 has no 'stories' column"),
        (['{"emotion": "calm", "text": "a"}', '{"emotion": "calm", "text": 5}'], "line 2: 'text' must be a string"),
        (['{"emotion": "calm", "text": "a"}', "[1, 2]"], "line 2 is a JSON list"),
        (['{"emotion": "calm", "body": "a"}'], "line 1 has columns ['body', 'emotion']"),
        (['{"emotion": "calm", "text": "a", "story_id": "s"}', '{"emotion": "calm", "text": "b", "story_id": "s"}'], "duplicate story_id"),
    ],
)  # fmt: skip
def test_malformed_files_name_the_row(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        sources.load_file(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_malformed_parquet_names_the_row(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "bad.parquet", [{"emotion": "calm", "text": "a"}, {"emotion": "calm", "text": None}]
    )
    with pytest.raises(CorpusError, match="row 2: 'text' must be a string"):
        sources.load_file(path)


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("emotion,text\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="unsupported file type '.csv'"):
        sources.load_file(tmp_path / "c.csv")
    with pytest.raises(CorpusError, match="not found"):
        sources.load_file(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no rows"):
        sources.load_file(tmp_path / "empty.jsonl")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_hub_loader_on_a_local_dataset_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    import datasets

    rows = prompt_rows(SPEC)
    directory = hub_dataset_dir(tmp_path / "emotion_stories", rows, fmt)
    calls = []
    real = datasets.load_dataset
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: calls.append((a, k)) or real(*a, **k))
    expected = sources.load_file(write_jsonl(tmp_path / "same.jsonl", rows)).corpus
    cfg = CorpusConfig(name="gemma-copy", source="hub", dataset_id=str(directory), fingerprint=expected.fingerprint)
    loaded = sources.load_corpus_loaded(cfg, cache_dir=tmp_path / "cache")
    assert calls and calls[0][0] == (str(directory),)  # the very datasets.load_dataset call the Hub path makes
    assert loaded.layout == PROMPT_PER_ROW
    assert loaded.corpus.story_ids == expected.story_ids and loaded.corpus.texts == expected.texts
    assert loaded.corpus.source == str(directory) and loaded.corpus.revision is None
    assert [r.prompt for r in loaded.prompt_rows] == [r["prompt"] for r in rows]


def test_configured_fingerprint_mismatch_is_an_error(tmp_path: Path) -> None:
    directory = hub_dataset_dir(tmp_path / "ds", prompt_rows(SPEC))
    cfg = CorpusConfig(name="x", source="hub", dataset_id=str(directory), fingerprint="0" * 64)
    with pytest.raises(CorpusError, match="does not match the configured 0000") as info:
        sources.load_corpus(cfg, cache_dir=tmp_path / "cache")
    assert "revision" in info.value.fix
    local = CorpusConfig(
        name="y", source="local", path=str(write_jsonl(tmp_path / "a.jsonl", prompt_rows(SPEC))), fingerprint="1" * 64
    )
    with pytest.raises(CorpusError, match="fingerprint"):
        sources.load_corpus(local)


def test_hub_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(OfflineError, match="cannot reach the Hugging Face Hub") as info:
        sources.load_corpus(CorpusConfig(name="gemma"))
    assert "source = 'local'" in info.value.fix and "bundled demo" in info.value.fix


def test_registered_hub_corpus_carries_its_fingerprint() -> None:
    cfg = CorpusConfig(name="gemma")
    assert cfg.source == "hub" and cfg.dataset_id == "snae/emotion_stories_gemma_4_4B"
    assert cfg.fingerprint == "02ee9f0567122e3bed19a8d4294dec267d38bfdca342d21df60163a174636be9"


def test_a_commit_sha_revision_is_not_resolved_again() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert sources.resolve_hub_revision("org/anything", sha) == sha


def test_bundled_loader_reads_the_packaged_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        Story(f"calm/{i:03d}", "emotion", "calm", None, f"Text {i}.", "bundled-demo").to_record() for i in range(2)
    ]
    path = write_jsonl(tmp_path / "demo_stories.jsonl", records)
    monkeypatch.setattr(sources, "data_path", lambda name: path if name == "demo_stories.jsonl" else 1 / 0)
    corpus = sources.load_bundled_demo()
    assert corpus.name == "demo" and corpus.source == "bundled-demo" and corpus.story_ids == ["calm/000", "calm/001"]


def test_bundled_neutral_is_neutral() -> None:
    corpus = sources.load_bundled_neutral()
    assert len(corpus) >= 40
    assert {s.kind for s in corpus} == {"neutral"} and all(s.story_id.startswith("neutral/") for s in corpus)


def test_bundled_demo_when_shipped() -> None:
    try:
        corpus = sources.load_bundled_demo()
    except CorpusError:
        pytest.skip("demo_stories.jsonl is not in this checkout yet")
    assert {s.kind for s in corpus} == {"emotion"}
    assert json.loads(json.dumps(corpus.stories[0].to_record()))["story_id"] == corpus.story_ids[0]
