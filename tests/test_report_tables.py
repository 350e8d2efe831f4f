"""Generated LaTeX tables: their numbers equal results.json, digit for digit after rounding."""

from __future__ import annotations

import json
import re

import pytest
from helpers_report import PAPER_METADATA, built_report, demo_results, edit_run, paper_results, with_peak

from emotion_vectors.report.claims import evaluate_claims
from emotion_vectors.report.coverage import coverage_numbers, coverage_table, load_coverage
from emotion_vectors.report.numbers import fmt_num
from emotion_vectors.report.tables import claims_table, corpus_table, metadata_table, peaks_table


def body_rows(table: str) -> list[list[str]]:
    """The cells of the rows between \\midrule and \\bottomrule."""
    body = table.split("\\midrule", 1)[1].split("\\bottomrule", 1)[0]
    rows = [line.strip().removesuffix("\\\\").strip() for line in body.strip().splitlines()]
    return [[cell.strip() for cell in row.split(" & ")] for row in rows if row]


def number(cell: str) -> float:
    return float(cell.replace("$-$", "-"))


def interval(cell: str) -> tuple[float, float]:
    low, high = re.fullmatch(r"\[(.+), (.+)\]", cell).groups()
    return number(low), number(high)


def layer_and_ci(cell: str) -> tuple[int, int, int]:
    layer, low, high = re.fullmatch(r"(\d+) \((\d+)--(\d+)\)", cell).groups()
    return int(layer), int(low), int(high)


@pytest.mark.parametrize("kind", ["demo", "paper"])
def test_peaks_table_equals_results(kind):
    results, outputs = built_report(kind)
    table = (outputs.generated / "tables" / "peaks.tex").read_text()
    rows = body_rows(table)
    assert len(rows) == len(results.runs)
    for row, run in zip(rows, results.runs, strict=True):
        assert row[0] == run.info.model_name and row[1] == run.corpus
        for offset, which in ((2, "valence"), (6, "arousal")):
            peak = run.peaks[which]
            assert layer_and_ci(row[offset]) == (peak.layer, *peak.layer_ci)
            assert number(row[offset + 1]) == pytest.approx(peak.r, abs=0.005)
            assert interval(row[offset + 2]) == pytest.approx(peak.r_ci_max, abs=0.005)  # maximum over layers
            assert interval(row[offset + 3]) == pytest.approx(peak.r_ci_at_layer, abs=0.005)  # layer held fixed
        p_fwer = run.stats_at(run.peaks["valence"].layer).pc1_valence_p_fwer
        assert number(row[10]) == pytest.approx(p_fwer, abs=0.0005)


def test_negative_values_use_a_typeset_minus():
    results = edit_run(demo_results(), "minilm", "demo", lambda run: with_peak(run, "arousal", r=-0.123,
                                                                              r_ci_max=(-0.2, -0.05)))  # fmt: skip
    (row,) = body_rows(peaks_table(results))
    assert row[7] == "$-$0.12" and row[8] == "[$-$0.20, $-$0.05]"
    assert fmt_num(-0.001) == "0.00"  # no negative zero


@pytest.mark.parametrize("kind", ["demo", "paper"])
def test_claims_table_equals_claims_report(kind):
    results, outputs = built_report(kind)
    rows = body_rows((outputs.generated / "tables" / "claims.tex").read_text())
    claims = outputs.claims.claims
    assert len(rows) == len(claims)
    for row, claim in zip(rows, claims, strict=True):
        if claim.value is None:
            assert row[2] == "n/a" and "not evaluable" in row[5]
        else:
            assert number(row[2].removeprefix("RMSE ")) == pytest.approx(claim.value, abs=0.005)
            assert row[5] == "\\textcolor{verdictSupported}{supported}"
        if claim.ci is not None:
            assert interval(row[3]) == pytest.approx(claim.ci, abs=0.005)


def test_claims_table_marks_failures():
    rows = body_rows(claims_table(evaluate_claims(paper_results("fail"))))
    assert all(row[5] == "\\textcolor{verdictNotSupported}{not supported}" for row in rows)


def test_corpus_table_counts_and_metadata():
    results = paper_results("pass")
    rows = body_rows(corpus_table(results, PAPER_METADATA))
    assert [row[0] for row in rows] == ["apertus", "gemma"]
    apertus = rows[0]
    assert apertus[1] == "Apertus-8B-Instruct-2509"  # generator from the corpus registry, by display name
    assert (int(apertus[2]), int(apertus[3])) == (1539, 171)
    assert apertus[4] == "402 (120--512)" and apertus[5] == "0" and apertus[6] == "7"
    assert apertus[7] == "\\texttt{" + results.runs[0].info.corpus_fingerprint[:12] + "}"


def test_corpus_table_without_metadata_says_na():
    (row,) = body_rows(corpus_table(demo_results(), None))
    assert row[:3] == ["demo", "hand-written", "342"] and row[4:7] == ["n/a", "n/a", "n/a"]


def test_metadata_table_lists_models_packages_hardware_and_times():
    text = metadata_table(paper_results("pass"), PAPER_METADATA)
    rows = body_rows(text)
    assert ["Model", "apertus-8b", "\\texttt{swiss-ai/Apertus-8B-Instruct-2509 @ 0123abcd}"] in rows
    assert ["Package", "transformers", "5.5.0"] in rows
    assert ["Hardware", "gpu", "NVIDIA H100 80GB"] in rows
    assert ["Wall time", "extract", "1.50 h"] in rows and ["Wall time", "analyze", "1.6 min"] in rows
    assert sum(row[0] == "Corpus" for row in rows) == 2


def test_metadata_table_tolerates_absent_metadata():
    text = metadata_table(demo_results(), None)
    rows = body_rows(text)
    assert ["Package", "", "n/a"] in rows and ["Wall time", "", "n/a"] in rows
    assert "No run metadata file was found" in text


def _shipped_coverages(study: dict, method: str) -> list[float]:
    return [
        cell["summary"][scheme][method][name]["coverage"]
        for cell in study["cells"]
        for scheme in ("story", "emotion")
        if scheme in cell["summary"]
        for name in ("pc1_valence_r", "pc2_arousal_r")
    ]


def test_coverage_range_quotes_the_shipped_schemes_only():
    """The text's coverage range is that of the default method on the shipped schemes; the comparison rows (the
    unscaled story scheme, the prototype world) are in the table but not in the range. The test inversion's range
    is quoted beside it, a dash where the study lacks it."""
    study = load_coverage()
    shipped = _shipped_coverages(study, "recentred")
    assert len(shipped) == 2 * len(study["cells"])
    planted = json.loads(json.dumps(study))
    for stat in planted["cells"][0]["summary"]["story_denoised"]["recentred"].values():
        stat["coverage"] = 0.123
    numbers = coverage_numbers(planted, "recentred")
    assert numbers["CoverageMin"] == f"{min(shipped):.3f}"
    assert numbers["CoverageMax"] == f"{max(shipped):.3f}"
    assert (numbers["CoverageRecentredMin"], numbers["CoverageRecentredMax"]) == (
        numbers["CoverageMin"],
        numbers["CoverageMax"],
    )
    inverted = _shipped_coverages(study, "inverted")
    assert (numbers["CoverageInvertedMin"], numbers["CoverageInvertedMax"]) == (
        f"{min(inverted):.3f}",
        f"{max(inverted):.3f}",
    )
    for cell in planted["cells"]:
        del cell["summary"][cell["design"]]["inverted"]
    assert coverage_numbers(planted, "recentred")["CoverageInvertedMin"] == "--"
    table = coverage_table(planted, "recentred")
    assert "stories, denoised$^*$ & recentred & 0.123 &" in table  # in the table, not bold: not the default
    assert f"stories & recentred & \\textbf{{{_coverage(planted, 'story')}}}" in table


def _coverage(study: dict, scheme: str) -> str:
    return f"{study['cells'][0]['summary'][scheme]['recentred']['pc1_valence_r']['coverage']:.3f}"
