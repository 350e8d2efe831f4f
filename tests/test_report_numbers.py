"""numbers.tex: one macro per quoted number, equal to results.json; every macro the paper uses is defined."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers_report import built_report, demo_results

from emotion_vectors.report.claims import evaluate_claims
from emotion_vectors.report.numbers import (
    TEXT_MACROS,
    ReportContext,
    ci_method_sentence,
    collect_numbers,
    corpus_tag,
    letters,
    model_tag,
    run_tag,
)

PAPER_DIR = Path(__file__).resolve().parent.parent / "paper"
HAND_WRITTEN = [PAPER_DIR / "main.tex", *sorted((PAPER_DIR / "sections").glob("*.tex"))]
DEFINITION = re.compile(r"\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}$")
USE = re.compile(r"\\([A-Za-z]+)")


def defined(numbers_tex: str) -> dict[str, str]:
    out = {}
    for line in numbers_tex.splitlines():
        match = DEFINITION.match(line)
        if match:
            assert match.group(1) not in out, f"\\{match.group(1)} defined twice"
            out[match.group(1)] = match.group(2)
    return out


def ours(text: str) -> set[str]:
    """Macros whose names start upper-case: the namespace numbers.tex generates (LaTeX's own are lower-case)."""
    text = re.sub(r"(?<!\\)%.*", "", text)
    return {name for name in USE.findall(text) if name[0].isupper()}


def test_tags_are_letters_only():
    assert model_tag("minilm") + corpus_tag("demo") == "MinilmDemo"
    assert model_tag("gemma-4-e4b") == "Gemma"
    assert letters("qwen2.5-7b") == "QwenTwoFiveSevenb"
    assert model_tag("org/My-Model-3B") == "MyModelThreeB"
    assert corpus_tag("my_corpus_2") == "MyCorpusTwo"


@pytest.mark.parametrize("kind", ["demo", "paper"])
def test_run_macros_equal_results(kind):
    results, outputs = built_report(kind)
    macros = defined((outputs.generated / "numbers.tex").read_text())
    assert all(re.fullmatch(r"[A-Z][A-Za-z]*", name) for name in macros)
    for run in results.runs:
        tag = run_tag(run)
        for which, label in (("valence", "Valence"), ("arousal", "Arousal")):
            peak = run.peaks[which]
            assert float(macros[f"Peak{label}R{tag}"]) == pytest.approx(peak.r, abs=0.005)
            assert float(macros[f"Peak{label}RLow{tag}"]) == pytest.approx(peak.r_ci_max[0], abs=0.005)
            assert float(macros[f"Peak{label}RHigh{tag}"]) == pytest.approx(peak.r_ci_max[1], abs=0.005)
            assert int(macros[f"Peak{label}Layer{tag}"]) == peak.layer
            depth = peak.layer / run.info.n_blocks
            assert float(macros[f"Peak{label}Depth{tag}"]) == pytest.approx(depth, abs=0.005)
        assert int(macros[f"NumStories{tag}"]) == run.info.n_stories
        assert int(macros[f"NumLayers{tag}"]) == len(run.layers)
        trend = run.late_minus_early_valence
        assert float(macros[f"ValenceLateMinusEarly{tag}"].replace("$-$", "-")) == pytest.approx(trend.value, abs=0.005)
    assert int(macros["NumRuns"]) == len(results.runs)
    assert int(macros["BootstrapResamples"]) == results.analysis.bootstrap_resamples
    summary = outputs.claims.summary()
    assert int(macros["ClaimsTotal"]) == sum(summary.values())
    assert int(macros["ClaimsNotEvaluable"]) == summary["not evaluable in this profile"]


def test_profile_label_comes_from_the_context():
    results = demo_results()
    context = ReportContext("demo", "Demo profile: tiny encoder & bundled stories", {"token_offset": 50})
    numbers = collect_numbers(results, evaluate_claims(results), context)
    assert numbers["ProfileLabel"] == "Demo profile"
    assert numbers["ProfileDescription"] == "Demo profile: tiny encoder \\& bundled stories"
    assert numbers["TokenOffset"] == "50" and numbers["MaxLength"] == "n/a"
    assert set(TEXT_MACROS) <= set(numbers)


def test_two_runs_with_one_tag_are_refused():
    results = demo_results()
    results = dataclasses.replace(results, runs=results.runs * 2)
    with pytest.raises(ValueError, match="defined twice"):
        collect_numbers(results, evaluate_claims(results), ReportContext())


@pytest.mark.parametrize("kind", ["demo", "paper"])
def test_every_macro_the_paper_uses_is_defined(kind):
    _, outputs = built_report(kind)
    macros = set(defined((outputs.generated / "numbers.tex").read_text()))
    generated = [outputs.generated / "results_body.tex", outputs.generated / "claims_body.tex"]
    generated += sorted((outputs.generated / "tables").glob("*.tex"))
    used = set().union(*(ours(path.read_text()) for path in HAND_WRITTEN + generated))
    assert used, "found no generated macro in use"
    assert used - macros == set()


def test_hand_written_text_uses_only_profile_independent_macros():
    used = set().union(*(ours(path.read_text()) for path in HAND_WRITTEN))
    assert used <= set(TEXT_MACROS), sorted(used - set(TEXT_MACROS))
    assert {"ProfileLabel", "ProfileDescription"} <= used


def prose(text: str) -> str:
    """The text of a .tex file minus comments, verbatim blocks, references, file names and the bibliography."""
    text = re.sub(r"(?<!\\)%.*", "", text)
    if "\\begin{document}" in text:
        text = text.split("\\begin{document}", 1)[1]
    text = re.sub(r"\\begin\{(verbatim|thebibliography)\}.*?\\end\{\1\}", "", text, flags=re.S)
    text = re.sub(r"\\(label|ref|cite|input|includegraphics|texttt|begin|end)(\[[^\]]*\])?\{[^}]*\}", "", text)
    return re.sub(r"\bPC[12]\b", "", text)


def test_no_number_is_typed_into_the_text():
    for path in HAND_WRITTEN:
        digits = re.findall(r".{0,30}\d.{0,10}", prose(path.read_text()))
        assert digits == [], f"{path.name}: {digits}"


def test_the_title_page_carries_the_profile_label():
    main = (PAPER_DIR / "main.tex").read_text()
    title = main.split("\\title{", 1)[1].split("\\author", 1)[0]
    assert "\\ProfileLabel" in title and "\\ProfileDescription" in title
    assert "\\input{generated/numbers.tex}" in main


def test_the_method_sentence_says_which_intervals_the_paper_shows():
    """The paper names the interval method it shows; under ``inverted`` (the default) it counts the layer x scheme x
    statistic intervals, those that fell back to the recentred bootstrap (``ci.fallbacks``) and the runs that could
    not be inverted (``ci.method`` recentred)."""

    def run(n_layers: int, fallbacks: tuple, method: str = "inverted") -> SimpleNamespace:
        return SimpleNamespace(
            layers=[None] * n_layers,
            ci=SimpleNamespace(schemes=("story", "emotion"), fallbacks=fallbacks, method=method),
        )

    assert "\\texttt{recentred} method instead of the default test inversion" in ci_method_sentence("recentred", [])
    assert "\\texttt{percentile} method instead" in ci_method_sentence("percentile", [])
    held = ci_method_sentence("inverted", [run(6, ()), run(4, ())])
    assert "default test-inversion" in held and "Every one of the 40 layer, scheme and statistic combinations" in held
    assert "cannot be inverted" not in held
    refused = ci_method_sentence("inverted", [run(6, ()), run(4, (), "recentred")])
    assert "Every one of the 24 layer" in refused and "1 of 2 runs cannot be inverted" in refused
    fell = ci_method_sentence("inverted", [run(6, (("story", "pc1_valence_r", 0), ("emotion", "pc2_arousal_r", 3)))])
    assert "At 2 of 24 layer, scheme and statistic combinations no world held the sample" in fell
