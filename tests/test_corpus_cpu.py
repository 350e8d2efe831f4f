"""configs/corpus-cpu.toml end to end, both published corpora served from local directories in the Hub layouts
(the same ``datasets.load_dataset`` call as the Hub path) and the neutral texts from a pinned local file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emotion_vectors import pipeline
from emotion_vectors.config import load_config
from emotion_vectors.corpus.download import sha256_file
from emotion_vectors.corpus.sources import load_file
from emotion_vectors.report.claims import NOT_EVALUABLE
from tests.helpers_corpus import hub_dataset_dir, story_text, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "emotion_vectors" / "data" / "demo_stories.jsonl"
LABEL = "published corpora, small encoder: not the paper's models"
N_EMOTIONS = 10


def _corpora(tmp: Path) -> tuple[Path, Path, str]:
    """Gemma-like: prompt per row (the authors' layout), JSONL. Apertus-like: story per row, Parquet. The
    same emotions, different texts (the Apertus copy reverses each story's sentences)."""
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    emotions = list(dict.fromkeys(r["emotion"] for r in rows))[:N_EMOTIONS]
    by_emotion = {e: [r for r in rows if r["emotion"] == e][:3] for e in emotions}
    gemma_rows = [
        {"emotion": e, "topic": "t", "prompt": "p", "stories": [r["text"] for r in rs], "n_stories_parsed": len(rs)}
        for e, rs in by_emotion.items()
    ]
    reverse = lambda text: " ".join(reversed(re.split(r"(?<=[.!?])\s+", text)))  # noqa: E731
    apertus_rows = [
        {"emotion": e, "topic": "t", "text": reverse(r["text"])} for e, rs in by_emotion.items() for r in rs
    ]
    gemma = hub_dataset_dir(tmp / "emotion_stories_gemma_4_4B", gemma_rows, "jsonl")
    apertus = hub_dataset_dir(tmp / "emotion_stories_Apertus_8B_Instruct", apertus_rows, "parquet")
    fingerprint = load_file(write_jsonl(tmp / "gemma_same.jsonl", gemma_rows)).corpus.fingerprint
    return gemma, apertus, fingerprint


def _config(tmp: Path) -> Path:
    """configs/corpus-cpu.toml with the Hub ids replaced by local directories, the neutral URL by a local file
    and the bootstrap shortened; everything else as shipped."""
    gemma, apertus, fingerprint = _corpora(tmp)
    neutral = tmp / "neutral_texts.txt"
    neutral.write_text("\n".join(story_text("neutral", "n", k, n_words=90) for k in range(40)) + "\n", encoding="utf-8")
    text = (ROOT / "configs" / "corpus-cpu.toml").read_text(encoding="utf-8")
    text = text.replace(
        'name = "apertus"\nsource = "hub"', f'name = "apertus"\nsource = "hub"\ndataset_id = "{apertus}"'
    )
    text = text.replace('name = "gemma"\nsource = "hub"', f'name = "gemma"\nsource = "hub"\ndataset_id = "{gemma}"')
    text = re.sub(r'(?m)^fingerprint = ".*"$', f'fingerprint = "{fingerprint}"', text)
    text = re.sub(
        r"\[neutral\][^\[]*",
        f'[neutral]\nsource = "local"\npath = "{neutral}"\nsha256 = "{sha256_file(neutral)}"\n\n',
        text,
    )
    text = text.replace("bootstrap_resamples = 2000", "bootstrap_resamples = 20").replace(
        "permutations = 1000", "permutations = 20"
    )
    # the local copies hold 10 emotions, whose centred vectors have at most 9 components (checked up front)
    text = text.replace("pca_components = 10", "pca_components = 5")
    path = tmp / "configs" / "corpus-cpu.toml"
    path.parent.mkdir()
    (tmp / "paper").symlink_to(ROOT / "paper")  # the project root of the copied config holds the paper sources
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus_cpu_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from emotion_vectors.report import paper

    tmp = tmp_path_factory.mktemp("corpus_cpu")
    config_path = _config(tmp)
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paper, "missing_tex", lambda: ["latexmk"])  # sources only: compiling is tested elsewhere
        run = pipeline.run_pipeline(load_config(config_path), out, config_path=config_path, progress=False)
    assert all(s.status == "ran" for s in run.stages), run.stages
    return config_path, out


def test_the_shipped_config_is_the_published_corpora_with_the_small_encoder() -> None:
    config = load_config(ROOT / "configs" / "corpus-cpu.toml")
    paper = load_config(ROOT / "configs" / "paper.toml")
    assert [m.alias for m in config.models] == ["minilm"] and LABEL in config.description
    assert [(c.name, c.dataset_id, c.fingerprint) for c in config.corpora] == [
        (c.name, c.dataset_id, c.fingerprint) for c in paper.corpora
    ]
    assert config.neutral == paper.neutral
    assert config.extraction.token_offset == paper.extraction.token_offset
    assert config.extraction.max_length == paper.extraction.max_length
    assert config.analysis.layers in ("all", "paper")
    for field in ("neutral_variance", "pca_components", "rating_source", "pooling", "projection", "seed"):
        assert getattr(config.analysis, field) == getattr(paper.analysis, field)


def test_runs_end_to_end_through_the_hub_loader(corpus_cpu_run: tuple[Path, Path]) -> None:
    _, out = corpus_cpu_run
    results = json.loads((out / "results" / "results.json").read_text(encoding="utf-8"))
    assert sorted((r["model"], r["corpus"]) for r in results["runs"]) == [("minilm", "apertus"), ("minilm", "gemma")]
    metadata = json.loads((out / "results" / "run_metadata.json").read_text(encoding="utf-8"))
    assert metadata["profile"] == "corpus-cpu" and LABEL in metadata["description"]
    corpora = {c["name"]: c for c in metadata["corpora"]}
    # the Apertus corpus has no pin: its fingerprint is recorded on first read, and marked unpinned
    assert corpora["apertus"]["fingerprint_pinned"] is False and len(corpora["apertus"]["fingerprint"]) == 64
    assert corpora["gemma"]["fingerprint_pinned"] is True
    assert corpora["apertus"]["source"].endswith("emotion_stories_Apertus_8B_Instruct")


def test_claims_mark_model_claims_not_evaluable_and_give_the_corpus_checks(corpus_cpu_run: tuple[Path, Path]) -> None:
    _, out = corpus_cpu_run
    claims = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    assert claims["profile"] == "corpus-cpu" and LABEL in claims["description"]
    assert claims["claims"] and all(c["verdict"] == NOT_EVALUABLE for c in claims["claims"])
    checks = {c["id"]: c for c in claims["corpus_checks"]}
    # 10 emotions x 3 stories, not the published 171 x 9: the count check says so
    assert (
        checks["gemma_counts"]["verdict"] == "differs"
        and checks["gemma_counts"]["measured"] == "30 stories, 10 emotions"
    )
    # the local Gemma copy is not the published corpus: its fingerprint differs from the registry's pin
    assert checks["gemma_fingerprint"]["verdict"] == "differs"
    assert checks["apertus_fingerprint"]["verdict"] == "not pinned"
    assert checks["cross_corpus_cka_minilm"]["verdict"] == "context"
    assert checks["arousal_corpus_contrast_minilm"]["verdict"] == "context"
    markdown = (out / "claims.md").read_text(encoding="utf-8")
    assert LABEL in markdown and "## Corpus-level checks" in markdown


def test_report_and_paper_sources_carry_the_label(corpus_cpu_run: tuple[Path, Path]) -> None:
    _, out = corpus_cpu_run
    numbers = (out / "generated" / "numbers.tex").read_text(encoding="utf-8")
    assert "Corpus-cpu profile" in numbers or "corpus-cpu" in numbers
    assert "not the paper's models" in numbers
    assert (out / "paper" / "main.tex").is_file()
