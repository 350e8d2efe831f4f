"""The claims check: verdicts on synthetic results planted to pass and to fail each claim."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from helpers_report import demo_results, edit_run, paper_results, replant, run_of, with_layers, with_peak, without_runs

from emotion_vectors.cli import main
from emotion_vectors.errors import AnalysisError, DataError
from emotion_vectors.report.claims import (
    NOT_EVALUABLE,
    NOT_SUPPORTED,
    SUPPORTED,
    evaluate_claims,
    load_paper_claims,
)
from emotion_vectors.report.markdown import to_markdown
from emotion_vectors.results import Results, results_json

PAPER = load_paper_claims()
N_CLAIMS = 2 + 2 * 2 + 1 + 2 * len(PAPER["peaks"]) + 4  # peaks, contrasts per corpus, arousal, peak rows, curves


def verdicts(results: Results) -> dict[str, str]:
    return {c.id: c.verdict for c in evaluate_claims(results).claims}


def claim(results: Results, claim_id: str):
    return next(c for c in evaluate_claims(results).claims if c.id == claim_id)


def test_every_claim_of_the_paper_is_checked():
    ids = set(verdicts(paper_results("pass")))
    assert len(ids) == N_CLAIMS
    for entry in PAPER["headline_claims"]:
        assert any(i == entry["id"] or i.startswith(entry["id"] + ":") for i in ids)
    for key in PAPER["valence_r_by_layer_read_off_plots"]:
        if key != "note":
            assert f"curve:{key}:valence" in ids


def test_planted_paper_curves_support_every_claim():
    assert set(verdicts(paper_results("pass")).values()) == {SUPPORTED}


def test_planted_contradictions_fail_every_claim():
    assert set(verdicts(paper_results("fail")).values()) == {NOT_SUPPORTED}


def test_demo_profile_evaluates_no_claim_and_says_why():
    report = evaluate_claims(demo_results(), profile="demo")
    assert {c.verdict for c in report.claims} == {NOT_EVALUABLE}
    assert all(c.value is None and "absent from this profile" in c.details for c in report.claims)
    assert report.failures() == ()
    text = to_markdown(report)
    assert "No claim of the paper is evaluable in this profile" in text
    # The demo's own analogous measurements are reported as context.
    (context,) = report.context
    assert context["model"] == "minilm" and context["peak_valence"]["r"] == pytest.approx(0.63)
    assert context["late_minus_early_valence"]["value"] == pytest.approx((0.63 + 0.58 + 0.49 - 0.21 - 0.38 - 0.52) / 3)
    assert "minilm on demo: peak PC1-valence r 0.63" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == N_CLAIMS
    assert all(row.replace("\\|", "").count("|") == 7 for row in rows)  # six cells; pipes in text are escaped


def test_missing_run_makes_only_its_claims_not_evaluable():
    results = without_runs(paper_results("pass"), ("apertus-8b", "gemma"))
    got = verdicts(results)
    assert got["apertus_peak_valence"] == NOT_EVALUABLE  # needs both corpora of Apertus
    assert got["arousal_corpus_sensitivity"] == NOT_EVALUABLE
    assert got["peak:apertus/gemma:valence"] == NOT_EVALUABLE
    assert got["apertus_valence_emergence:gemma"] == NOT_EVALUABLE
    assert got["apertus_valence_emergence:apertus"] == SUPPORTED
    assert got["gemma_peak_valence"] == SUPPORTED


def test_peak_value_rule_uses_ci_widened_by_read_off_precision():
    results = paper_results("pass")

    def capped(cap, ci):
        def edit(run):
            run = with_layers(run, pc1_valence_r=[min(v, cap) for v in run.column("pc1_valence_r")])
            return with_peak(run, "valence", r=cap, r_ci_max=ci)

        return edit

    # Measured 0.74 with CI [0.70, 0.78]: 0.83 lies outside [0.68, 0.80] and 0.09 > 0.05 away -> not supported.
    results = edit_run(results, "gemma-4-e4b", "gemma", capped(0.74, (0.70, 0.78)))
    assert claim(results, "peak:gemma/gemma:valence").verdict == NOT_SUPPORTED
    # The headline takes the best corpus: Gemma on Apertus stories peaks at 0.79, within 0.05 of 0.83.
    assert claim(results, "gemma_peak_valence").verdict == SUPPORTED
    lowered = edit_run(results, "gemma-4-e4b", "apertus", capped(0.72, (0.66, 0.76)))
    assert claim(lowered, "gemma_peak_valence").verdict == NOT_SUPPORTED
    # Upper bound 0.81 widened by 0.02 reaches the claimed 0.83 -> supported.
    wider = edit_run(results, "gemma-4-e4b", "gemma", lambda run: with_peak(run, "valence", r_ci_max=(0.70, 0.81)))
    assert claim(wider, "peak:gemma/gemma:valence").verdict == SUPPORTED
    # No CI, but within the absolute tolerance of 0.05 -> supported.
    no_ci = edit_run(
        results, "gemma-4-e4b", "gemma", lambda run: with_peak(run, "valence", r=0.79, r_ci_max=(math.nan, math.nan))
    )
    assert claim(no_ci, "peak:gemma/gemma:valence").verdict == SUPPORTED


def test_peak_layer_must_agree_unless_on_the_plateau():
    def moved(run):
        # Move the valence peak (0.79 at L13 in the paper) to L30, far outside the layer CI, with L13 down at 0.5.
        values = run.column("pc1_valence_r")
        values[13], values[30] = 0.5, 0.79
        run = with_layers(run, pc1_valence_r=values)
        return with_peak(run, "valence", layer=30, r=0.79, layer_ci=(29, 31), r_ci_max=(0.71, 0.87))

    results = edit_run(paper_results("pass"), "gemma-4-e4b", "apertus", moved)
    result = claim(results, "peak:gemma/apertus:valence")
    assert result.verdict == NOT_SUPPORTED and "fails on layer" in result.details
    # Apertus on Gemma stories: paper layer 31, planted curve peaks first at 25 but is flat at 0.76 to layer 31.
    assert claim(paper_results("pass"), "peak:apertus/gemma:valence").verdict == SUPPORTED


def test_the_claims_check_uses_the_peak_of_the_results_and_numbers_tex_shows_the_same():
    from emotion_vectors.report.numbers import ReportContext, collect_numbers

    def outside(run):
        values = run.column("pc1_valence_r")
        values[41] = 0.99  # block 41 is outside the paper's range 1-40, where the analysis searches the peak
        return replant(with_layers(run, ci_half=0.08, pc1_valence_r=values))

    results = edit_run(paper_results("pass"), "gemma-4-e4b", "gemma", outside)
    peak = run_of(results, "gemma-4-e4b", "gemma").peaks["valence"]
    assert peak.window == (1, 40) and peak.layer == 16 and peak.r == pytest.approx(0.83)
    report = evaluate_claims(results)
    result = next(c for c in report.claims if c.id == "peak:gemma/gemma:valence")
    assert result.verdict == SUPPORTED and result.value == peak.r and result.ci == peak.r_ci_max
    assert "measured peak at L16" in result.details
    numbers = collect_numbers(results, report, ReportContext("paper"))
    assert numbers["PeakValenceLayerGemmaGemma"] == "16" and numbers["PeakValenceRGemmaGemma"] == f"{peak.r:.2f}"
    assert numbers["PeakValenceRLowGemmaGemma"] == f"{peak.r_ci_max[0]:.2f}"


def test_collapse_needs_size_and_an_interval_above_zero():
    def planted(late_value, half):
        def edit(run):
            values = [0.5 if 1 <= layer <= 16 else late_value if 17 <= layer <= 40 else v
                      for layer, v in zip(run.block_indices, run.column("pc1_valence_r"), strict=True)]  # fmt: skip
            return with_layers(run, ci_half=half, pc1_valence_r=values)

        return edit_run(paper_results("pass"), "gemma-4-e4b", "gemma", edit)

    result = claim(planted(0.35, 0.01), "gemma_valence_collapse:gemma")  # difference 0.15 < 0.20
    assert result.value == pytest.approx(0.15) and result.verdict == NOT_SUPPORTED
    assert claim(planted(0.25, 0.01), "gemma_valence_collapse:gemma").verdict == SUPPORTED  # 0.25, narrow CI
    result = claim(planted(0.25, 0.3), "gemma_valence_collapse:gemma")  # intervals so wide the CI includes zero
    assert result.ci[0] < 0 and result.verdict == NOT_SUPPORTED


def test_emergence_is_late_minus_early():
    results = paper_results("pass")
    result = claim(results, "apertus_valence_emergence:apertus")
    curve = PAPER["valence_r_by_layer_read_off_plots"]["apertus/apertus"]
    late = sum(curve[19:31]) / 12  # layers 20-31 (index 0 = layer 1)
    early = sum(curve[1:17]) / 16  # layers 2-17
    assert result.value == pytest.approx(late - early)

    def reverse(run):  # valence early, not late
        return with_layers(run, ci_half=0.08, pc1_valence_r=run.column("pc1_valence_r")[::-1])

    reversed_results = edit_run(results, "apertus-8b", "apertus", reverse)
    assert claim(reversed_results, "apertus_valence_emergence:apertus").verdict == NOT_SUPPORTED


def test_arousal_sensitivity_needs_both_models():
    results = paper_results("pass")
    ok = claim(results, "arousal_corpus_sensitivity")
    assert ok.verdict == SUPPORTED
    assert ok.value == pytest.approx(0.43 - 0.20)  # Gemma's difference is the smaller one

    def raised(run):
        run = with_layers(run, pc2_arousal_r=[min(0.5, v + 0.25) for v in run.column("pc2_arousal_r")])
        return with_peak(run, "arousal", r=0.45, r_ci_max=(0.37, 0.53))

    result = claim(edit_run(results, "gemma-4-e4b", "apertus", raised), "arousal_corpus_sensitivity")
    assert result.verdict == NOT_SUPPORTED and result.value == pytest.approx(0.43 - 0.45)


def test_curve_rmse_against_tolerance():
    def shifted(by):
        def edit(run):
            return with_layers(run, pc1_valence_r=run.column("pc1_valence_r") + by)

        return edit_run(paper_results("pass"), "gemma-4-e4b", "apertus", edit)

    result = claim(shifted(0.09), "curve:gemma/apertus:valence")  # RMSE 0.09 <= 0.10
    assert result.value == pytest.approx(0.09) and result.verdict == SUPPORTED
    assert claim(shifted(0.11), "curve:gemma/apertus:valence").verdict == NOT_SUPPORTED


def test_undefined_layers_are_skipped_not_fatal():
    def undefined(run):
        values = run.column("pc1_valence_r")
        values[5] = values[6] = math.nan  # r undefined at two layers (written as JSON null)
        return with_layers(run, ci_half=0.08, pc1_valence_r=values)

    results = edit_run(paper_results("pass"), "gemma-4-e4b", "gemma", undefined)
    assert math.isnan(run_of(results, "gemma-4-e4b", "gemma").layers[5].intervals["story"]["pc1_valence_r"][0])
    got = verdicts(results)
    assert got["curve:gemma/gemma:valence"] == SUPPORTED
    assert got["gemma_valence_collapse:gemma"] == SUPPORTED
    assert claim(results, "curve:gemma/gemma:valence").details.startswith("29 common layers")


def test_run_without_the_claims_layers_is_an_error():
    def elsewhere(run):
        return with_layers(run, layer=range(100, 142))

    results = edit_run(paper_results("pass"), "gemma-4-e4b", "apertus", elsewhere)
    with pytest.raises(AnalysisError, match="gemma-4-e4b/apertus: no layer in"):
        evaluate_claims(results)


def test_unknown_headline_claim_is_a_loud_error():
    paper = json.loads(json.dumps(PAPER))
    paper["headline_claims"].append({"id": "new_claim", "text": "something"})
    with pytest.raises(DataError, match="new_claim"):
        evaluate_claims(paper_results("pass"), paper_claims=paper)


def test_json_report_round_trips_and_counts(tmp_path):
    report = evaluate_claims(paper_results("fail"), profile="paper")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["summary"] == {SUPPORTED: 0, NOT_SUPPORTED: N_CLAIMS, NOT_EVALUABLE: 0}
    assert data["reference_claude_sonnet_4_5"]["pc1_valence_r"] == 0.81
    first = data["claims"][0]
    assert {"id", "value", "ci", "tolerance", "verdict", "claimed_text"} <= set(first)


@pytest.mark.parametrize(
    ("results", "strict", "status"),
    [("fail", True, 1), ("fail", False, 0), ("pass", True, 0), ("demo", True, 0)],
)
def test_cli_strict_exit_status(tmp_path, capsys, results, strict, status):
    data = demo_results() if results == "demo" else paper_results(results)
    path = tmp_path / "results" / "results.json"
    path.parent.mkdir()
    path.write_text(results_json(data))
    argv = ["claims", "--results", str(path), "--format", "json"] + (["--strict"] if strict else [])
    assert main(argv) == status
    out = json.loads(capsys.readouterr().out)
    assert len(out["claims"]) == N_CLAIMS


def test_cli_without_inputs_is_a_user_error(capsys):
    assert main(["claims"]) == 2
    assert "--config" in capsys.readouterr().err


def test_the_valence_axis_is_read_in_words_against_its_criterion() -> None:
    from emotion_vectors.report.claims import VALENCE_AXIS_MIN_R, valence_axis_reading

    run = demo_results().runs[0]
    layer = run.peaks["valence"].layer

    def with_p_fwer(r: object, p: float) -> object:
        return with_layers(r, pc1_valence_p_fwer=[p if s.layer == layer else 1.0 for s in r.layers])

    strong = with_p_fwer(with_peak(run, "valence", r=VALENCE_AXIS_MIN_R + 0.1), 0.001)
    shown, sentence = valence_axis_reading(strong)
    assert shown and sentence.startswith("Valence is the first principal axis") and "0.001" in sentence
    assert not valence_axis_reading(with_p_fwer(strong, 0.02))[0]
    shown, sentence = valence_axis_reading(with_peak(strong, "valence", r=VALENCE_AXIS_MIN_R - 0.01))
    assert not shown and "does not follow valence clearly" in sentence and "0.39" in sentence
    results = dataclasses.replace(demo_results(), runs=(strong,))
    markdown = to_markdown(evaluate_claims(results, profile="demo"))
    assert "Valence is the first principal axis of this run's emotion space" in markdown
