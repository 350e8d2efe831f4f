"""End-to-end tests of the pipeline (CPU, offline): caching, invalidation and resume after an interruption."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers_corpus import demo_subset, run_tiny, tiny_demo_config

from emotion_vectors import pipeline, store

DATA = Path(pipeline.__file__).parent / "data"


def _write_config(tmp_path: Path, resamples: int = 10) -> Path:
    """Tiny config: minilm layers 4-5, 12 emotions x 2 bundled demo stories, small bootstrap."""
    return tiny_demo_config(tmp_path, demo_subset(12), resamples=resamples)


_run = run_tiny


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pipeline.PipelineRun]:
    tmp = tmp_path_factory.mktemp("pipe")
    config = _write_config(tmp)
    out = tmp / "out"
    return config, out, _run(config, out)


def test_end_to_end_then_cached(first_run: tuple[Path, Path, pipeline.PipelineRun]) -> None:
    config, out, result = first_run
    assert (out / "results" / "results.json").is_file()
    assert (out / "claims.md").is_file() and (out / "claims.json").is_file()
    assert result.status("paper") == "skipped"
    assert all(s.status == "ran" for s in result.stages if s.name != "paper")
    metadata = json.loads((out / "results" / "run_metadata.json").read_text(encoding="utf-8"))
    for key in ("profile", "description", "models", "corpora", "packages", "hardware", "wall_time_s"):
        assert key in metadata
    assert metadata["corpora"][0]["n_stories"] == 24
    assert "n_leaks" in metadata["corpora"][0] and "fingerprint" in metadata["corpora"][0]
    # every model x corpus run is described from its own store; one model, so the corpus carries its tokens
    (run,) = metadata["runs"]
    assert (run["model"], run["corpus"], run["layers"]) == ("minilm", "tiny", [4, 5])
    assert metadata["corpora"][0]["mean_tokens"] == run["mean_tokens"] > 0
    assert (out / "pipeline" / "run.log").is_file()

    again = _run(config, out)
    assert all(s.status == "cached" for s in again.stages if s.name != "paper")


def test_dry_run_plans_without_running(first_run: tuple[Path, Path, pipeline.PipelineRun], tmp_path: Path) -> None:
    config, out, _ = first_run
    plan = _run(config, tmp_path / "fresh", dry_run=True).plan
    assert not (tmp_path / "fresh").exists()
    extract = next(e for e in plan if e["stage"] == "extract.minilm.tiny")
    assert extract["stories"] == 24 and extract["tokens_estimate"] > 0 and extract["action"] == "run"
    cached = _run(config, out, dry_run=True, force=["analyze"]).plan
    assert {e["stage"]: e["action"] for e in cached}["analyze"] == "run (forced)"
    assert {e["stage"]: e["action"] for e in cached}["extract.minilm.tiny"] == "cached"


def test_analysis_change_reruns_downstream_only(first_run: tuple[Path, Path, pipeline.PipelineRun]) -> None:
    config, out, _ = first_run
    changed = _write_config(config.parent.parent, resamples=12)
    result = _run(changed, out)
    status = {s.name: s.status for s in result.stages}
    assert status["extract.minilm.tiny"] == "cached" and status["extract.minilm.neutral"] == "cached"
    assert status["analyze"] == status["report"] == status["claims"] == "ran"


def test_a_change_of_the_package_reruns_the_cpu_stages_but_not_extraction(
    first_run: tuple[Path, Path, pipeline.PipelineRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out, _ = first_run
    _run(config, out)
    monkeypatch.setattr(pipeline, "package_source_hash", lambda: "an edited or upgraded package")
    status = {s.name: s.status for s in _run(config, out).stages}
    assert status["extract.minilm.tiny"] == "cached" and status["extract.minilm.neutral"] == "cached"
    assert status["analyze"] == status["report"] == status["claims"] == "ran"


def test_interrupted_extraction_resumes_byte_identical(
    first_run: tuple[Path, Path, pipeline.PipelineRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _, _ = first_run
    reference = _run(config, tmp_path / "ref", shard_size=8)
    assert reference.status("analyze") == "ran"

    real_write = store.write_shard
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt("simulated interruption")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(store, "write_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        _run(config, tmp_path / "cut", shard_size=8)
    monkeypatch.setattr(store, "write_shard", real_write)
    assert not (tmp_path / "cut" / "results" / "results.json").exists()
    _run(config, tmp_path / "cut", shard_size=8)
    ref = (tmp_path / "ref" / "results" / "results.json").read_bytes()
    assert (tmp_path / "cut" / "results" / "results.json").read_bytes() == ref
    log = (tmp_path / "cut" / "pipeline" / "run.log").read_text(encoding="utf-8")
    assert "FAILED" in log


def test_without_tex_the_run_succeeds_with_sources_and_installing_tex_builds_only_the_pdf(
    first_run: tuple[Path, Path, pipeline.PipelineRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emotion_vectors.report import paper

    config, _, _ = first_run
    with_pdf = tmp_path / "configs" / "pdf.toml"
    with_pdf.parent.mkdir()
    with_pdf.write_text(config.read_text(encoding="utf-8").replace("build_pdf = false", "build_pdf = true"))
    shutil.copytree(DATA.parent.parent / "paper", tmp_path / "paper")  # the config's project root is tmp_path
    out = tmp_path / "out"
    monkeypatch.setattr(paper, "missing_tex", lambda: ["latexmk"])
    first = _run(with_pdf, out)
    assert {s.name: s.status for s in first.stages}["paper"] == "ran"
    assert next(s.note for s in first.stages if s.name == "paper") == pipeline.SOURCES_ONLY
    assert (out / "paper" / "main.tex").is_file() and (out / "paper" / "generated" / "numbers.tex").is_file()
    assert not (out / "paper.pdf").exists()
    metadata = json.loads((out / "results" / "run_metadata.json").read_text(encoding="utf-8"))
    assert metadata["paper"] == {"status": "sources", "pdf": None, "sources": str(out.resolve() / "paper")}
    assert all(s.status == "cached" for s in _run(with_pdf, out).stages)  # still no TeX: nothing to redo

    monkeypatch.setattr(paper, "missing_tex", lambda: [])
    monkeypatch.setattr(
        paper, "compile_pdf", lambda sources, pdf_out: Path(pdf_out).write_bytes(b"%PDF-1.5") and pdf_out
    )
    second = _run(with_pdf, out)
    assert {s.name: s.status for s in second.stages if s.status == "ran"} == {"paper": "ran"}
    assert (out / "paper.pdf").read_bytes() == b"%PDF-1.5"
    metadata = json.loads((out / "results" / "run_metadata.json").read_text(encoding="utf-8"))
    assert metadata["paper"]["status"] == "pdf" and metadata["paper"]["pdf"] == str(out.resolve() / "paper.pdf")
    assert all(s.status == "cached" for s in _run(with_pdf, out).stages)
