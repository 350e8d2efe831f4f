"""The claims report as Markdown (``claims.md`` and ``emotion-vectors claims --format md``)."""

from __future__ import annotations

from emotion_vectors.analysis.summary import Window
from emotion_vectors.report.claims import NOT_EVALUABLE, ClaimsReport


def to_markdown(report: ClaimsReport) -> str:
    """The claims report as Markdown: verdict table, rules, and this profile's own measurements."""
    summary = report.summary()
    lines = [f"# Claims check: {report.profile or 'unnamed'} profile", ""]
    if report.description:
        lines += [report.description, ""]
    lines += [
        "Each claim of arXiv 2606.26987 against the results of this run. "
        + ", ".join(f"{n} {v}" for v, n in summary.items())
        + ".",
        "",
    ]
    if summary[NOT_EVALUABLE] == len(report.claims):
        lines += [
            "**No claim of the paper is evaluable in this profile:** it runs none of the model x corpus "
            "combinations the paper reports. The measurements below are this profile's own analogues, given "
            "as context only; they neither support nor contradict the paper.",
            "",
        ]
    lines += ["| claim | paper | measured | CI | tolerance | verdict |", "|---|---|---|---|---|---|"]
    for c in report.claims:
        cells = [f"`{c.id}`: {c.text}", c.claimed_text, _num(c.value), _ci(c.ci), c.tolerance, f"**{c.verdict}**"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", "Details:", ""]
    lines += [f"- `{c.id}`: {c.details}" for c in report.claims if c.details]
    notes = [f"- `{c.id}`: **{note}**" for c in report.claims for note in c.notes]
    if notes:
        lines += ["", "Notes on verdicts:", "", *notes]
    lines += ["", "## This profile's own measurements (context, no verdict)", ""]
    lines += _context_lines(report)
    rules = report.rules
    lines += [
        "",
        "## Decision rules",
        "",
        f"- Peak r: supported if the paper's value lies in the measured peak's bootstrap CI widened by "
        f"{rules.read_off:.2f}, or within {rules.peak_tolerance:.2f} of the measured value; a peak entry's layer "
        f"must lie in the peak-layer CI widened by {rules.layer_slack} or have r within the widened peak CI.",
        f"- Collapse / emergence: window-mean difference >= {rules.contrast_min_effect:.2f} with CI above zero "
        f"(Gemma windows {_win(rules.collapse_windows)}, Apertus windows {_win(rules.emergence_windows)}).",
        "- Arousal corpus sensitivity: peak PC2 r on Gemma-written minus Apertus-written stories, CI above zero for "
        "both models.",
        f"- Per-layer curves: RMSE over common layers <= {rules.curve_rmse_tolerance:.2f}.",
        f"- Per-layer CIs from the first bootstrap scheme present among {', '.join(rules.ci_schemes)}.",
        "",
    ]
    return "\n".join(lines)


def _context_lines(report: ClaimsReport) -> list[str]:
    """The reference model's numbers and this profile's own measurements, one line per run."""
    lines: list[str] = []
    ref = report.reference
    if ref:
        lines.append(
            f"Reference (Claude Sonnet 4.5, Sofroniew et al.): PC1-valence r {ref.get('pc1_valence_r')}, "
            f"PC2-arousal r {ref.get('pc2_arousal_r')}."
        )
        lines.append("")
    for ctx in report.context:
        v, a = ctx["peak_valence"], ctx["peak_arousal"]
        line = (
            f"- {ctx['model']} on {ctx['corpus']}: peak PC1-valence r {_num(v['r'])} {_ci(v['r_ci'])} at layer "
            f"{v['layer']} (depth {ctx['peak_valence_depth']:.2f}); peak PC2-arousal r {_num(a['r'])} "
            f"{_ci(a['r_ci'])} at layer {a['layer']}"
        )
        trend = ctx.get("late_minus_early_valence")
        if trend:
            line += (
                f"; valence r late (layers {trend['late_layers'][0]}-{trend['late_layers'][1]}) minus early "
                f"({trend['early_layers'][0]}-{trend['early_layers'][1]}) {_num(trend['value'])} {_ci(trend['ci'])}"
            )
        lines.append(line + ".")
        lines.append(f"  {ctx['valence_axis']['reading']}")
    return lines


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _ci(ci: tuple[float, float] | None) -> str:
    return "n/a" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _win(windows: tuple[Window, Window]) -> str:
    return " vs ".join(f"{a}-{b}" for a, b in windows)


__all__ = ["to_markdown"]
