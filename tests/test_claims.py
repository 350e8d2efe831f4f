"""The claims check: verdicts on synthetic results planted to pass and to fail each claim."""

from __future__ import annotations

import json

import pytest
from helpers_report import demo_results, paper_results, run_of, without_runs

from emotion_vectors.cli import main
from emotion_vectors.errors import DataError
from emotion_vectors.report.claims import (
    NOT_EVALUABLE,
    NOT_SUPPORTED,
    SUPPORTED,
    evaluate_claims,
    load_paper_claims,
)
from emotion_vectors.report.markdown import to_markdown
from emotion_vectors.report.measures import difference_ci, run_peak

PAPER = load_paper_claims()
N_CLAIMS = 2 + 2 * 2 + 1 + 2 * len(PAPER["peaks"]) + 4  # peaks, contrasts per corpus, arousal, peak rows, curves


def verdicts(results: dict) -> dict[str, str]:
    return {c.id: c.verdict for c in evaluate_claims(results).claims}


def claim(results: dict, claim_id: str):
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
    run = run_of(results, "gemma-4-e4b", "gemma")
    # Measured 0.74 with CI [0.70, 0.78]: 0.83 lies outside [0.68, 0.80] and 0.09 > 0.05 away -> not supported.
    run["pc1_valence_r"] = [min(v, 0.74) for v in run["pc1_valence_r"]]
    run["peak"]["valence"].update(r=0.74, r_ci=[0.70, 0.78])
    assert claim(results, "peak:gemma/gemma:valence").verdict == NOT_SUPPORTED
    # The headline takes the best corpus: Gemma on Apertus stories peaks at 0.79, within 0.05 of 0.83.
    assert claim(results, "gemma_peak_valence").verdict == SUPPORTED
    other = run_of(results, "gemma-4-e4b", "apertus")
    other["pc1_valence_r"] = [min(v, 0.72) for v in other["pc1_valence_r"]]
    other["peak"]["valence"].update(r=0.72, r_ci=[0.66, 0.76])
    assert claim(results, "gemma_peak_valence").verdict == NOT_SUPPORTED
    # Upper bound 0.81 widened by 0.02 reaches the claimed 0.83 -> supported.
    run["peak"]["valence"]["r_ci"] = [0.70, 0.81]
    assert claim(results, "peak:gemma/gemma:valence").verdict == SUPPORTED
    # No CI, but within the absolute tolerance of 0.05 -> supported.
    run["peak"]["valence"].update(r=0.79, r_ci=None)
    assert claim(results, "peak:gemma/gemma:valence").verdict == SUPPORTED


def test_peak_layer_must_agree_unless_on_the_plateau():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "apertus")
    # Move the valence peak (0.79 at L13 in the paper) to L30, far outside the layer CI, with L13 down at 0.5.
    values = list(run["pc1_valence_r"])
    values[13], values[30] = 0.5, 0.79
    run["pc1_valence_r"] = values
    run["peak"]["valence"].update(layer=30, r=0.79, layer_ci=[29, 31], r_ci=[0.71, 0.87])
    result = claim(results, "peak:gemma/apertus:valence")
    assert result.verdict == NOT_SUPPORTED and "fails on layer" in result.details
    # Apertus on Gemma stories: paper layer 31, planted curve peaks first at 25 but is flat at 0.76 to layer 31.
    assert claim(paper_results("pass"), "peak:apertus/gemma:valence").verdict == SUPPORTED


def test_peak_is_taken_over_the_papers_layer_range():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "gemma")
    values = list(run["pc1_valence_r"])
    values[41] = 0.99  # block 41 is outside the paper's range 1-40
    run["pc1_valence_r"] = values
    run["peak"]["valence"].update(layer=41, r=0.99, layer_ci=[40, 41], r_ci=[0.95, 1.0])
    peak = run_peak(run, "valence")
    assert peak["layer"] == 16 and peak["r"] == pytest.approx(0.83) and peak["layer_ci"] is None
    assert peak["r_ci"] == pytest.approx((0.75, 0.91))  # that layer's own interval (story scheme)
    assert claim(results, "peak:gemma/gemma:valence").verdict == SUPPORTED


def test_collapse_needs_size_and_an_interval_above_zero():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "gemma")
    late = [i for i, layer in enumerate(run["layers"]) if 17 <= layer <= 40]
    early = [i for i, layer in enumerate(run["layers"]) if 1 <= layer <= 16]
    values = list(run["pc1_valence_r"])
    for i in early:
        values[i] = 0.5
    for i in late:
        values[i] = 0.35  # difference 0.15 < 0.20
    run["pc1_valence_r"] = values
    for scheme in ("emotion", "story"):
        run["ci"][scheme]["pc1_valence_r"] = [[v - 0.01, v + 0.01] for v in values]
    result = claim(results, "gemma_valence_collapse:gemma")
    assert result.value == pytest.approx(0.15) and result.verdict == NOT_SUPPORTED
    for i in late:
        values[i] = 0.25  # difference 0.25, narrow CI
    for scheme in ("emotion", "story"):
        run["ci"][scheme]["pc1_valence_r"] = [[v - 0.01, v + 0.01] for v in values]
    assert claim(results, "gemma_valence_collapse:gemma").verdict == SUPPORTED
    for scheme in ("emotion", "story"):  # same difference, intervals so wide the difference's CI includes zero
        run["ci"][scheme]["pc1_valence_r"] = [[v - 0.3, v + 0.3] for v in values]
    result = claim(results, "gemma_valence_collapse:gemma")
    assert result.ci[0] < 0 and result.verdict == NOT_SUPPORTED


def test_emergence_is_late_minus_early():
    results = paper_results("pass")
    result = claim(results, "apertus_valence_emergence:apertus")
    curve = PAPER["valence_r_by_layer_read_off_plots"]["apertus/apertus"]
    late = sum(curve[19:31]) / 12  # layers 20-31 (index 0 = layer 1)
    early = sum(curve[1:17]) / 16  # layers 2-17
    assert result.value == pytest.approx(late - early)
    run = run_of(results, "apertus-8b", "apertus")
    run["pc1_valence_r"] = list(reversed(run["pc1_valence_r"]))  # valence early, not late
    assert claim(results, "apertus_valence_emergence:apertus").verdict == NOT_SUPPORTED


def test_arousal_sensitivity_needs_both_models():
    results = paper_results("pass")
    ok = claim(results, "arousal_corpus_sensitivity")
    assert ok.verdict == SUPPORTED
    assert ok.value == pytest.approx(0.43 - 0.20)  # Gemma's difference is the smaller one
    run = run_of(results, "gemma-4-e4b", "apertus")
    run["pc2_arousal_r"] = [min(0.5, v + 0.25) for v in run["pc2_arousal_r"]]
    run["peak"]["arousal"].update(r=0.45, r_ci=[0.37, 0.53])
    result = claim(results, "arousal_corpus_sensitivity")
    assert result.verdict == NOT_SUPPORTED and result.value == pytest.approx(0.43 - 0.45)


def test_difference_ci_combines_half_widths_in_quadrature():
    low, high = difference_ci(0.5, (0.4, 0.6), 0.2, (0.1, 0.25))
    assert low == pytest.approx(0.3 - (0.1**2 + 0.05**2) ** 0.5)
    assert high == pytest.approx(0.3 + (0.1**2 + 0.1**2) ** 0.5)
    assert difference_ci(0.5, None, 0.2, (0.1, 0.3)) is None


def test_curve_rmse_against_tolerance():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "apertus")
    run["pc1_valence_r"] = [v + 0.09 for v in run["pc1_valence_r"]]  # RMSE 0.09 <= 0.10
    result = claim(results, "curve:gemma/apertus:valence")
    assert result.value == pytest.approx(0.09) and result.verdict == SUPPORTED
    run["pc1_valence_r"] = [v + 0.02 for v in run["pc1_valence_r"]]  # RMSE 0.11
    assert claim(results, "curve:gemma/apertus:valence").verdict == NOT_SUPPORTED


def test_undefined_layers_are_skipped_not_fatal():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "gemma")
    for key in ("pc1_valence_r",):
        run[key][5] = None  # JSON null: r undefined at one layer
        run["ci"]["story"][key][5] = [None, None]
    run["pc1_valence_r"][6] = float("nan")
    got = verdicts(results)
    assert got["curve:gemma/gemma:valence"] == SUPPORTED
    assert got["gemma_valence_collapse:gemma"] == SUPPORTED
    assert claim(results, "curve:gemma/gemma:valence").details.startswith("29 common layers")


def test_run_without_the_claims_layers_is_an_error():
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "apertus")
    run["layers"] = list(range(100, 142))
    with pytest.raises(DataError, match="gemma-4-e4b/apertus: no layer in"):
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
    path.write_text(json.dumps(data))
    argv = ["claims", "--results", str(path), "--format", "json"] + (["--strict"] if strict else [])
    assert main(argv) == status
    out = json.loads(capsys.readouterr().out)
    assert len(out["claims"]) == N_CLAIMS


def test_cli_without_inputs_is_a_user_error(capsys):
    assert main(["claims"]) == 2
    assert "--config" in capsys.readouterr().err
