"""Notes on verdicts: the PC1-only reading of collapse/emergence and the story-length warning on arousal."""

from __future__ import annotations

from helpers_report import edit_run, paper_results, run_of, with_layers

from emotion_vectors.report.claim_notes import DIRECTION_ONLY_NOTE, PC1_ONLY_NOTE
from emotion_vectors.report.claims import NOT_SUPPORTED, SUPPORTED, evaluate_claims
from emotion_vectors.report.markdown import to_markdown
from emotion_vectors.results import Results


def _claims(results: Results) -> dict:
    return {c.id: c for c in evaluate_claims(results).claims}


def test_planted_paper_results_carry_no_note() -> None:
    assert all(not c.notes for c in evaluate_claims(paper_results("pass")).claims)


def test_collapse_on_pc1_with_a_flat_direction_is_marked_pc1_only() -> None:
    """Valence moves off PC1 (planted: PC1 r collapses, the cross-validated direction stays at 0.7)."""
    results = paper_results("pass")
    n = len(run_of(results, "gemma-4-e4b", "gemma").layers)
    results = edit_run(results, "gemma-4-e4b", "gemma", lambda r: with_layers(r, loo_valence_r=[0.7] * n))
    claims = _claims(results)
    collapse = claims["gemma_valence_collapse:gemma"]
    assert collapse.verdict == SUPPORTED
    assert len(collapse.notes) == 1 and collapse.notes[0].startswith(PC1_ONLY_NOTE)
    assert not claims["gemma_valence_collapse:apertus"].notes  # the other corpus's run is untouched
    assert PC1_ONLY_NOTE in to_markdown(evaluate_claims(results))


def test_emergence_seen_only_by_the_direction_is_noted_the_other_way() -> None:
    results = paper_results("fail")  # flat PC1 curves: no emergence on PC1
    run = run_of(results, "apertus-8b", "apertus")
    rising = [0.1 if stats.layer <= 17 else 0.8 for stats in run.layers]
    results = edit_run(results, "apertus-8b", "apertus", lambda r: with_layers(r, loo_valence_r=rising))
    emergence = _claims(results)["apertus_valence_emergence:apertus"]
    assert emergence.verdict == NOT_SUPPORTED
    assert len(emergence.notes) == 1 and emergence.notes[0].startswith(DIRECTION_ONLY_NOTE)


def test_pc2_tracking_story_length_more_than_arousal_warns_on_the_arousal_claims() -> None:
    results = paper_results("pass")
    run = run_of(results, "apertus-8b", "gemma")
    length_r = [min(1.0, abs(stats.pc2_arousal_r) + 0.1) for stats in run.layers]
    results = edit_run(results, "apertus-8b", "gemma", lambda r: with_layers(r, pc2_length_r=length_r))
    claims = _claims(results)
    for claim_id in ("arousal_corpus_sensitivity", "peak:apertus/gemma:arousal"):
        notes = claims[claim_id].notes
        assert len(notes) == 1 and notes[0].startswith("length warning (apertus-8b on gemma stories"), claim_id
    assert not claims["peak:apertus/apertus:arousal"].notes
    assert not claims["peak:apertus/gemma:valence"].notes


def test_length_correlation_below_the_arousal_correlation_does_not_warn() -> None:
    results = paper_results("pass")
    run = run_of(results, "gemma-4-e4b", "apertus")
    length_r = [-(abs(stats.pc2_arousal_r) - 0.05) for stats in run.layers]
    results = edit_run(results, "gemma-4-e4b", "apertus", lambda r: with_layers(r, pc2_length_r=length_r))
    assert not _claims(results)["peak:gemma/apertus:arousal"].notes
