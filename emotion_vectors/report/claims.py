"""The paper's claims against this run's results: regenerated value, CI, tolerance and a verdict per claim.

The claims come from the packaged copy of the paper's claims (``emotion_vectors/data/paper_claims.json``):
the five headline claims, each entry of ``peaks`` (valence and arousal separately) and each per-layer valence
curve read off the paper's plots. A claim names the model x corpus runs it needs; when one is absent from the
results the verdict is ``"not evaluable in this profile"`` (the demo profile runs neither paper model).

Decision rules (the thresholds are fields of :class:`ClaimRules`):

- **Peak r** (``*_peak_valence``, ``peaks``): the peak is taken over the paper's analysed layer range of the
  model. Supported when the claimed r lies in the bootstrap CI of the measured peak widened on each side by the
  read-off precision of the paper's numbers (``read_off``), or when ``|measured - claimed| <= peak_tolerance``.
  For a ``peaks`` entry the claimed *layer* must also agree: it lies in the bootstrap CI of the peak layer
  widened by one layer, or the measured r at the claimed layer is within the widened CI of the peak (the claimed
  layer is statistically indistinguishable from the peak, as on a plateau).
- **Contrast between layer windows** (Gemma's collapse, Apertus's emergence; one row per corpus): the statistic
  is the mean r over one window minus the mean over the other. A window mean's CI is the mean plus/minus the
  mean of the per-layer CI half-widths (never narrower than the CI of a mean of positively correlated
  estimates); the two windows' half-widths are combined in quadrature. Supported when the difference is at least
  ``contrast_min_effect`` and its CI excludes zero.
- **Arousal corpus sensitivity**: per model, the peak PC2-arousal r on Gemma-written stories minus that on
  Apertus-written stories, CIs combined in quadrature (the two runs read different stories). Supported when the
  difference's CI excludes zero for both models (the claim asserts an ordering, not a size).
- **Per-layer curves**: RMSE between the measured and read-off PC1-valence r over the layers both have.
  Supported when the RMSE is at most ``curve_rmse_tolerance``.

Peak claims are about a maximum, so they use the interval of the maximum over layers (``Peak.r_ci_max``),
and the details say so. Two notes qualify verdicts (:mod:`emotion_vectors.report.claim_notes`): collapse and
emergence are re-read on the cross-validated valence direction, and a verdict read off PC1 alone carries
"PC1 only: the direction-based measure does not show it" where the two disagree; every arousal verdict warns
when PC2 at the arousal peak correlates more with mean story length than with arousal.

Per-layer CIs are taken from the first bootstrap scheme present in ``ci_schemes`` (story resampling first).
Every statistic (peaks and their intervals, window means, the intervals of differences) comes from the typed
results (:mod:`emotion_vectors.analysis.summary`); the peak is the one the analysis stage picked, searched over
the model's reported layer range.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from emotion_vectors.analysis.records import PEAK_STATISTIC, Interval, Peak, RunSummary, is_interval
from emotion_vectors.analysis.summary import Window, difference_ci, run_window_mean
from emotion_vectors.errors import DataError
from emotion_vectors.report.claim_notes import direction_note, length_warning
from emotion_vectors.report.verdicts import (
    NOT_EVALUABLE,
    NOT_SUPPORTED,
    PAPER_CORPORA,
    PAPER_MODELS,
    SUPPORTED,
    VERDICTS,
    ClaimHead,
    ClaimResult,
    ClaimRules,
    ClaimsReport,
    RunKey,
    missing_runs,
)
from emotion_vectors.resources import PAPER_CLAIMS, data_path
from emotion_vectors.results import Results


def load_paper_claims() -> dict[str, Any]:
    """The packaged copy of the paper's claims."""
    return json.loads(data_path(PAPER_CLAIMS).read_text(encoding="utf-8"))


def evaluate_claims(
    results: Results,
    paper_claims: dict[str, Any] | None = None,
    rules: ClaimRules | None = None,
    profile: str = "",
    description: str = "",
) -> ClaimsReport:
    """Check every claim of ``paper_claims`` (default: the packaged copy) against ``results``.

    Args:
        results: The typed results (:func:`emotion_vectors.results.load_results`).
        paper_claims: The paper's claims; ``None`` loads the packaged copy.
        rules: Decision thresholds; ``None`` uses :class:`ClaimRules` defaults.
        profile: Profile name, copied into the report.
        description: Profile description, copied into the report.

    Raises:
        DataError: A headline claim has no decision rule here.
    """
    paper_claims = load_paper_claims() if paper_claims is None else paper_claims
    rules = rules or ClaimRules()
    runs = {(run.model, run.corpus): run for run in results.runs}
    checked: list[ClaimResult] = []
    for claim in paper_claims.get("headline_claims", []):
        handler = _HEADLINE.get(claim["id"])
        if handler is None:
            raise DataError(
                f"{PAPER_CLAIMS}: headline claim {claim['id']!r} has no decision rule",
                fix=f"add one to emotion_vectors/report/claims.py (known: {', '.join(sorted(_HEADLINE))})",
            )
        checked.extend(handler(claim, runs, rules, paper_claims))
    for entry in paper_claims.get("peaks", []):
        for metric in ("valence", "arousal"):
            checked.append(_peak_entry(entry, metric, runs, rules))
    for key, curve in paper_claims.get("valence_r_by_layer_read_off_plots", {}).items():
        if key != "note":
            checked.append(_curve(key, curve, runs, rules))
    return ClaimsReport(
        profile=profile,
        description=description,
        claims=tuple(checked),
        context=tuple(run_context(run) for run in results.runs),
        rules=rules,
        reference=dict(paper_claims.get("reference_claude_sonnet_4_5", {})),
    )


def paper_arousal_maxima(paper_claims: dict[str, Any]) -> dict[str, float]:
    """The paper's largest peak PC2-arousal r per story corpus (paper corpus key -> r), over both models."""
    best: dict[str, float] = {}
    for entry in paper_claims.get("peaks", []):
        best[entry["corpus"]] = max(best.get(entry["corpus"], -math.inf), float(entry["arousal_r"]))
    return best


#: When a run is said, in words, to show valence as its first principal axis: peak PC1-valence r at least this ...
VALENCE_AXIS_MIN_R = 0.40
#: ... with a family-wise (max over layers) permutation p-value below this at the peak layer.
VALENCE_AXIS_MAX_P_FWER = 0.01


def valence_axis_reading(run: RunSummary) -> tuple[bool, str]:
    """Whether ``run`` shows valence as its first principal axis, and one plain sentence saying so.

    Shown means peak PC1-valence r >= :data:`VALENCE_AXIS_MIN_R` with family-wise permutation p below
    :data:`VALENCE_AXIS_MAX_P_FWER` at the peak layer. The sentence is plain text (no LaTeX).
    """
    peak = run.peaks["valence"]
    p_fwer = run.stats_at(peak.layer).pc1_valence_p_fwer
    numbers = f"peak PC1-valence r {peak.r:.2f} at layer {peak.layer}, family-wise permutation p {p_fwer:.3g}"
    if peak.r >= VALENCE_AXIS_MIN_R and p_fwer < VALENCE_AXIS_MAX_P_FWER:
        return True, f"Valence is the first principal axis of this run's emotion space ({numbers})."
    return False, (
        f"The first principal axis of this run's emotion space does not follow valence clearly ({numbers}; "
        f"the criterion is r of at least {VALENCE_AXIS_MIN_R:.2f} with p below {VALENCE_AXIS_MAX_P_FWER:g})."
    )


def run_context(run: RunSummary) -> dict[str, Any]:
    """This profile's own analogous measurements for one run, read from its record (no verdict)."""
    valence, arousal = run.peaks["valence"], run.peaks["arousal"]
    shown, reading = valence_axis_reading(run)
    context: dict[str, Any] = {
        "model": run.model,
        "corpus": run.corpus,
        "n_layers": len(run.layers),
        "peak_valence": _peak_context(valence),
        "peak_arousal": _peak_context(arousal),
        "peak_valence_depth": valence.layer / run.info.n_blocks,
        "valence_axis": {"shown": shown, "reading": reading},
    }
    trend = run.late_minus_early_valence
    if trend is not None:
        context["late_minus_early_valence"] = {
            "early_layers": list(trend.early_layers),
            "late_layers": list(trend.late_layers),
            "value": trend.value,
            "ci": trend.ci if is_interval(trend.ci) else None,
        }
    return context


def _peak_context(peak: Peak) -> dict[str, Any]:
    layer_ci = None if peak.layer_ci is None else (float(peak.layer_ci[0]), float(peak.layer_ci[1]))
    return {"layer": peak.layer, "r": peak.r, "r_ci": _ci(peak.r_ci_max), "layer_ci": layer_ci}


def _ci(bounds: Interval | None) -> Interval | None:
    return bounds if is_interval(bounds) else None


# ------------------------------------------------------------------------------------------ claim handlers


def _one_run(model_key: str, corpus_key: str) -> tuple[RunKey, ...]:
    """The one run a claim about the paper's ``model_key`` on its ``corpus_key`` stories needs."""
    return ((PAPER_MODELS[model_key], PAPER_CORPORA[corpus_key]),)


def _name(key: str) -> str:
    return key[:1].upper() + key[1:]


def _peak_tolerance_text(rules: ClaimRules) -> str:
    return f"claimed in CI +/- {rules.read_off:.2f}, or |diff| <= {rules.peak_tolerance:.2f}"


def _value_supported(claimed: float, r: float, ci: tuple[float, float] | None, rules: ClaimRules) -> bool:
    in_ci = ci is not None and ci[0] - rules.read_off <= claimed <= ci[1] + rules.read_off
    return in_ci or abs(r - claimed) <= rules.peak_tolerance + 1e-12


def _headline_peak(model_key: str) -> Callable[[dict, dict, ClaimRules, dict], list[ClaimResult]]:
    def handler(claim: dict, runs: dict[RunKey, RunSummary], rules: ClaimRules, paper: dict) -> list[ClaimResult]:
        claimed = float(claim["value"])
        head = ClaimHead(
            id=claim["id"],
            label=f"{_name(model_key)}: peak valence r, best corpus",
            text=f"{claim['text']} (max over both corpora)",
            rule="peak",
            source="headline",
            needs=tuple((PAPER_MODELS[model_key], PAPER_CORPORA[c]) for c in ("apertus", "gemma")),
            claimed=claimed,
            claimed_text=f"{claimed:.2f}",
            tolerance=_peak_tolerance_text(rules),
        )
        if missing_runs(head.needs, runs):
            return [head.not_evaluable(runs)]
        peaks = {key[1]: runs[key].peaks["valence"] for key in head.needs}
        corpus = max(peaks, key=lambda c: peaks[c].r)
        best = peaks[corpus]
        ok = _value_supported(claimed, best.r, _ci(best.r_ci_max), rules)
        details = (
            f"paper: {claim.get('where', '')}; measured max on {corpus} stories at layer {best.layer}; "
            "CI: interval of the maximum over layers"
        )
        return [head.result(best.r, _ci(best.r_ci_max), ok, details)]

    return handler


def _contrast(
    model_key: str, windows_of: Callable[[ClaimRules], tuple[Window, Window]], strong_first: bool
) -> Callable[[dict, dict, ClaimRules, dict], list[ClaimResult]]:
    def handler(claim: dict, runs: dict[RunKey, RunSummary], rules: ClaimRules, paper: dict) -> list[ClaimResult]:
        early, late = windows_of(rules)
        high, low = (early, late) if strong_first else (late, early)
        out = []
        for corpus_key in ("gemma", "apertus"):
            head = ClaimHead(
                id=f"{claim['id']}:{corpus_key}",
                label=f"{_name(model_key)} on {_name(corpus_key)} stories: valence "
                + ("collapse" if strong_first else "emergence"),
                text=f"{claim['text']} [{corpus_key} stories]: mean r over layers {high[0]}-{high[1]} "
                f"minus layers {low[0]}-{low[1]}",
                rule="contrast",
                source="headline",
                needs=_one_run(model_key, corpus_key),
                claimed=None,
                claimed_text=claim.get("evidence", ""),
                tolerance=f"diff >= {rules.contrast_min_effect:.2f} and CI lower bound > 0",
            )
            if missing_runs(head.needs, runs):
                out.append(head.not_evaluable(runs))
                continue
            run = runs[head.needs[0]]
            a = run_window_mean(run, "pc1_valence_r", high, rules.ci_schemes)
            b = run_window_mean(run, "pc1_valence_r", low, rules.ci_schemes)
            diff = a.mean - b.mean
            ci = difference_ci(a.mean, a.ci, b.mean, b.ci)
            ok = diff >= rules.contrast_min_effect - 1e-12 and (ci is None or ci[0] > 0)
            details = (
                f"mean r {a.mean:.2f} over {a.n_layers} layers ({high[0]}-{high[1]}) vs {b.mean:.2f} over "
                f"{b.n_layers} layers ({low[0]}-{low[1]})" + ("" if ci is not None else "; no bootstrap CI")
            )
            note = direction_note(run, high, low, ok, rules.contrast_min_effect)
            out.append(head.result(diff, ci, ok, details, [note]))
        return out

    return handler


def _arousal_sensitivity(
    claim: dict, runs: dict[RunKey, RunSummary], rules: ClaimRules, paper: dict
) -> list[ClaimResult]:
    best = paper_arousal_maxima(paper)
    head = ClaimHead(
        id=claim["id"],
        label="Arousal r higher on Gemma- than Apertus-written stories, both models",
        text=f"{claim['text']}: peak PC2 r on gemma minus apertus stories, per model",
        rule="ordering",
        source="headline",
        needs=tuple((PAPER_MODELS[m], PAPER_CORPORA[c]) for m in ("apertus", "gemma") for c in ("apertus", "gemma")),
        claimed=None,
        claimed_text=f"up to {best.get('gemma', math.nan):.2f} vs {best.get('apertus', math.nan):.2f}",
        tolerance="difference CI lower bound > 0 for both models",
    )
    if missing_runs(head.needs, runs):
        return [head.not_evaluable(runs)]
    per_model = {}
    for model_key in ("apertus", "gemma"):
        alias = PAPER_MODELS[model_key]
        g = runs[(alias, PAPER_CORPORA["gemma"])].peaks["arousal"]
        a = runs[(alias, PAPER_CORPORA["apertus"])].peaks["arousal"]
        per_model[model_key] = (g.r - a.r, difference_ci(g.r, g.r_ci_max, a.r, a.r_ci_max), g, a)
    weakest = min(per_model, key=lambda m: per_model[m][0])
    diff, ci, _, _ = per_model[weakest]
    ok = all(c is not None and c[0] > 0 for _, c, _, _ in per_model.values())
    details = "; ".join(
        f"{m}: {g.r:.2f} (gemma stories, L{g.layer}) vs {a.r:.2f} (apertus stories, L{a.layer})"
        for m, (_, _, g, a) in per_model.items()
    )
    details += f"; value = the smaller difference ({weakest}); CIs: intervals of the maximum over layers"
    warnings = [length_warning(runs[key], runs[key].peaks["arousal"]) for key in head.needs]
    return [head.result(diff, ci, ok, details, warnings)]


_HEADLINE: dict[str, Callable[[dict, dict, ClaimRules, dict], list[ClaimResult]]] = {
    "apertus_peak_valence": _headline_peak("apertus"),
    "gemma_peak_valence": _headline_peak("gemma"),
    "gemma_valence_collapse": _contrast("gemma", lambda r: r.collapse_windows, strong_first=True),
    "apertus_valence_emergence": _contrast("apertus", lambda r: r.emergence_windows, strong_first=False),
    "arousal_corpus_sensitivity": _arousal_sensitivity,
}


def _peak_entry(entry: dict, which: str, runs: dict[RunKey, RunSummary], rules: ClaimRules) -> ClaimResult:
    model_key, corpus_key = entry["model"], entry["corpus"]
    claimed, claimed_layer = float(entry[f"{which}_r"]), int(entry[f"{which}_layer"])
    pc = "PC1-valence" if which == "valence" else "PC2-arousal"
    head = ClaimHead(
        id=f"peak:{model_key}/{corpus_key}:{which}",
        label=f"{_name(model_key)} on {_name(corpus_key)} stories: peak {which} r and layer",
        text=f"peak {pc} r and its layer, {model_key} on {corpus_key} stories",
        rule="peak",
        source="peaks",
        needs=_one_run(model_key, corpus_key),
        claimed=claimed,
        claimed_text=f"{claimed:.2f} at L{claimed_layer}",
        tolerance=_peak_tolerance_text(rules)
        + f"; layer in the layer CI +/- {rules.layer_slack}, or r there within the widened CI of the peak",
    )
    if missing_runs(head.needs, runs):
        return head.not_evaluable(runs)
    run = runs[head.needs[0]]
    peak = run.peaks[which]
    value_ok = _value_supported(claimed, peak.r, _ci(peak.r_ci_max), rules)
    layer_ok = _layer_supported(run, claimed_layer, peak, rules)
    failing = [name for name, ok in (("value", value_ok), ("layer", layer_ok)) if not ok]
    details = f"measured peak at L{peak.layer}" + (
        f" (layer CI {peak.layer_ci[0]:g}-{peak.layer_ci[1]:g})" if peak.layer_ci else ""
    )
    details += "; CI: interval of the maximum over layers"
    if failing:
        details += "; fails on " + " and ".join(failing)
    notes = [length_warning(run, peak)] if which == "arousal" else []
    return head.result(peak.r, _ci(peak.r_ci_max), not failing, details, notes)


def _layer_supported(run: RunSummary, claimed_layer: int, peak: Peak, rules: ClaimRules) -> bool:
    if peak.layer_ci is not None:
        lo, hi = peak.layer_ci
        if lo - rules.layer_slack <= claimed_layer <= hi + rules.layer_slack:
            return True
    elif abs(peak.layer - claimed_layer) <= rules.layer_slack:
        return True
    if claimed_layer not in run.block_indices or not is_interval(peak.r_ci_max):
        return False
    r_there = getattr(run.stats_at(claimed_layer), PEAK_STATISTIC[peak.which])
    return math.isfinite(r_there) and r_there >= peak.r_ci_max[0] - rules.read_off


def _curve(key: str, curve: Sequence[float], runs: dict[RunKey, RunSummary], rules: ClaimRules) -> ClaimResult:
    model_key, corpus_key = key.split("/")
    head = ClaimHead(
        id=f"curve:{model_key}/{corpus_key}:valence",
        label=f"{_name(model_key)} on {_name(corpus_key)} stories: valence r per layer",
        text=f"PC1-valence r per layer, {model_key} on {corpus_key} stories (read off the paper's plots)",
        rule="curve",
        source="curves",
        needs=_one_run(model_key, corpus_key),
        claimed=None,
        claimed_text=f"curve, layers 1-{len(curve)}",
        tolerance=f"RMSE <= {rules.curve_rmse_tolerance:.2f}",
    )
    if missing_runs(head.needs, runs):
        return head.not_evaluable(runs)
    run = runs[head.needs[0]]
    scheme = next((s for s in rules.ci_schemes if s in run.ci.schemes), None)
    diffs, inside = [], 0
    for offset, claimed in enumerate(curve):
        layer = offset + 1
        if layer not in run.block_indices:
            continue
        stats = run.stats_at(layer)
        if not math.isfinite(stats.pc1_valence_r):
            continue
        diffs.append(stats.pc1_valence_r - claimed)
        band = stats.intervals[scheme]["pc1_valence_r"] if scheme else None
        if is_interval(band) and band[0] - rules.read_off <= claimed <= band[1] + rules.read_off:
            inside += 1
    if not diffs:
        raise DataError(f"run {run.model}/{run.corpus}: no layer in common with the paper's curve {key}")
    rmse = math.sqrt(sum(d * d for d in diffs) / len(diffs))
    details = f"{len(diffs)} common layers; max |diff| {max(abs(d) for d in diffs):.2f}"
    if scheme:
        details += f"; paper value inside the widened per-layer CI at {inside} of {len(diffs)} layers"
    return head.result(rmse, None, rmse <= rules.curve_rmse_tolerance + 1e-12, details)


__all__ = [
    "NOT_EVALUABLE",
    "NOT_SUPPORTED",
    "SUPPORTED",
    "ClaimResult",
    "ClaimRules",
    "ClaimsReport",
    "PAPER_CORPORA",
    "PAPER_MODELS",
    "VERDICTS",
    "evaluate_claims",
    "load_paper_claims",
    "run_context",
]
