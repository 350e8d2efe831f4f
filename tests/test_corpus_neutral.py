"""The neutral-text loader: pinned URL with sha256 check and cache, local files, bundled texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_corpus import write_jsonl

from emotion_vectors.config import NeutralConfig, load_config
from emotion_vectors.corpus import download, sources
from emotion_vectors.corpus.schema import Story
from emotion_vectors.errors import DataError, OfflineError

# printf 'para one\npara two\n' | sha256sum
PARAGRAPHS = b"para one\npara two\n"
PARAGRAPHS_SHA256 = "12d07fab107c63af01fd85c961caad0de6286a832e1e03b097c7035a58fb84da"


@pytest.fixture
def served(tmp_path: Path) -> Path:
    path = tmp_path / "remote" / "neutral_texts.txt"
    path.parent.mkdir()
    path.write_bytes(PARAGRAPHS)
    return path


def test_url_with_the_right_checksum_downloads_once_and_caches(served: Path, tmp_path: Path) -> None:
    cfg = NeutralConfig(source="url", url=served.as_uri(), sha256=PARAGRAPHS_SHA256)
    corpus = sources.load_neutral(cfg, cache_dir=tmp_path / "cache")
    assert corpus.texts == ["para one", "para two"]
    assert corpus.story_ids == ["neutral/000", "neutral/001"]
    assert all(s.kind == "neutral" and s.emotion is None and s.source == served.as_uri() for s in corpus)
    assert corpus.revision == PARAGRAPHS_SHA256
    cached = download.cached_path(served.as_uri(), PARAGRAPHS_SHA256, tmp_path / "cache")
    assert cached.read_bytes() == PARAGRAPHS
    served.unlink()  # the second load needs no download
    assert sources.load_neutral(cfg, cache_dir=tmp_path / "cache").texts == corpus.texts


def test_url_with_a_wrong_checksum_is_an_error_and_caches_nothing(served: Path, tmp_path: Path) -> None:
    wrong = "f" * 64
    cfg = NeutralConfig(source="url", url=served.as_uri(), sha256=wrong)
    with pytest.raises(DataError) as info:
        sources.load_neutral(cfg, cache_dir=tmp_path / "cache")
    assert f"expected {wrong}" in str(info.value) and f"got {PARAGRAPHS_SHA256}" in str(info.value)
    assert info.value.fix
    assert not any((tmp_path / "cache").rglob("*neutral_texts*"))


def test_a_corrupted_cache_entry_is_downloaded_again(served: Path, tmp_path: Path) -> None:
    cached = download.cached_path(served.as_uri(), PARAGRAPHS_SHA256, tmp_path / "cache")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"tampered\n")
    cfg = NeutralConfig(source="url", url=served.as_uri(), sha256=PARAGRAPHS_SHA256)
    assert sources.load_neutral(cfg, cache_dir=tmp_path / "cache").texts == ["para one", "para two"]
    assert cached.read_bytes() == PARAGRAPHS


def test_unreachable_url_is_an_offline_error_saying_where_to_put_the_file(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/prompts/neutral_texts.txt"  # discard port: connection refused, no network used
    cfg = NeutralConfig(source="url", url=url, sha256=PARAGRAPHS_SHA256)
    with pytest.raises(OfflineError) as info:
        sources.load_neutral(cfg, cache_dir=tmp_path / "cache")
    assert str(download.cached_path(url, PARAGRAPHS_SHA256, tmp_path / "cache")) in info.value.fix
    assert "source = 'local'" in info.value.fix


def test_default_cache_dir_follows_the_environment(
    served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(download.CACHE_ENV, str(tmp_path / "env-cache"))
    assert download.default_cache_dir() == tmp_path / "env-cache"
    sources.load_neutral(NeutralConfig(source="url", url=served.as_uri(), sha256=PARAGRAPHS_SHA256))
    assert list((tmp_path / "env-cache" / download.DOWNLOADS).iterdir())


def test_local_text_file_with_right_and_wrong_checksums(served: Path) -> None:
    corpus = sources.load_neutral(NeutralConfig(source="local", path=str(served), sha256=PARAGRAPHS_SHA256.upper()))
    assert corpus.texts == ["para one", "para two"] and corpus.source == str(served)
    assert sources.load_neutral(NeutralConfig(source="local", path=str(served))).texts == corpus.texts
    with pytest.raises(DataError, match=f"expected {'0' * 64}, got {PARAGRAPHS_SHA256}"):
        sources.load_neutral(NeutralConfig(source="local", path=str(served), sha256="0" * 64))


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text("\n  first  \n\n second\n\n", encoding="utf-8")
    assert sources.load_neutral(NeutralConfig(source="local", path=str(path))).texts == ["first", "second"]


def test_local_jsonl_must_hold_neutral_records(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "n.jsonl", [Story("neutral/000", "neutral", None, None, "Rocks.", "x").to_record()])
    assert sources.load_neutral(NeutralConfig(source="local", path=str(good))).texts == ["Rocks."]
    bad = write_jsonl(tmp_path / "e.jsonl", [{"emotion": "calm", "text": "A story."}])
    with pytest.raises(DataError, match="not neutral"):
        sources.load_neutral(NeutralConfig(source="local", path=str(bad)))


def test_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        sources.load_neutral(NeutralConfig(source="local", path=str(tmp_path / "none.txt")))


def test_paper_profile_pins_the_authors_file() -> None:
    neutral = load_config(Path(__file__).parents[1] / "configs" / "paper.toml").neutral
    assert neutral.source == "url"
    assert "0dd5b7b331a1b022955caa4a70546edc2419dd4a" in (neutral.url or "")
    assert neutral.sha256 == "e863365c7a6b451f26a6ea6fb57c2d66075323c436adec281ab7efe5d1eecdc6"


def test_bundled_neutral_from_config() -> None:
    corpus = sources.load_neutral(NeutralConfig())
    assert corpus.texts == sources.load_bundled_neutral().texts
