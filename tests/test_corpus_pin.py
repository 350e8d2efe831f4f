"""`emotion-vectors corpus fingerprint`: the fingerprint and the lines that pin it."""

from __future__ import annotations

from pathlib import Path

from emotion_vectors.cli import main
from tests.helpers_corpus import KNOWN_FINGERPRINT, KNOWN_TEXTS, hub_dataset_dir, write_jsonl


def test_fingerprint_of_a_local_dataset_in_the_hub_layout(tmp_path: Path, capsys) -> None:
    directory = hub_dataset_dir(tmp_path / "apertus_copy", [{"emotion": "calm", "text": t} for t in KNOWN_TEXTS])
    assert main(["corpus", "fingerprint", str(directory)]) == 0
    out = capsys.readouterr().out
    assert f"fingerprint: {KNOWN_FINGERPRINT}" in out and "stories:     3" in out
    assert f'    fingerprint = "{KNOWN_FINGERPRINT}"' in out  # the config line to pin it


def test_fingerprint_names_the_registry_field_for_a_registered_corpus(tmp_path: Path, capsys, monkeypatch) -> None:
    from emotion_vectors.corpus import sources
    from emotion_vectors.corpus.layout import LoadedCorpus

    path = write_jsonl(tmp_path / "stories.jsonl", [{"emotion": "calm", "text": t} for t in KNOWN_TEXTS])
    local = sources.load_file(path, name="apertus").corpus
    monkeypatch.setattr(sources, "open_source", lambda *a, **k: LoadedCorpus(local, "story-per-row"))
    assert main(["corpus", "fingerprint", "apertus"]) == 0
    out = capsys.readouterr().out
    assert "registry (to pin it): in emotion_vectors/registry.py, CorpusEntry(name='apertus'" in out
    assert f'    fingerprint="{KNOWN_FINGERPRINT}",' in out
    # the Gemma corpus is pinned: a different text set is flagged, not silently re-pinned
    gemma = sources.load_file(path, name="gemma").corpus
    monkeypatch.setattr(sources, "open_source", lambda *a, **k: LoadedCorpus(gemma, "story-per-row"))
    assert main(["corpus", "fingerprint", "gemma"]) == 0
    assert "DIFFERS from the registry's 02ee9f05" in capsys.readouterr().out
