"""LaTeX tables (booktabs) of the report: peaks, claims, corpus statistics, run metadata.

Each function takes result dicts (and, where needed, the claims report or run metadata) and returns the text
of one ``table`` environment. Numbers are formatted by :mod:`emotion_vectors.report.numbers`, so tables and
text agree digit for digit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from emotion_vectors.analysis.records import Peak, RunSummary
from emotion_vectors.registry import CORPORA, MODELS
from emotion_vectors.report.claims import NOT_EVALUABLE, NOT_SUPPORTED, SUPPORTED, ClaimResult, ClaimsReport
from emotion_vectors.report.numbers import MISSING, fmt_ci, fmt_int, fmt_num, is_missing, latex_escape
from emotion_vectors.results import Results

#: Colour names (defined in ``paper/main.tex``) of each verdict in the claims table.
VERDICT_COLOURS = {SUPPORTED: "verdictSupported", NOT_SUPPORTED: "verdictNotSupported", NOT_EVALUABLE: "verdictNA"}
_VERDICT_TEXT = {SUPPORTED: "supported", NOT_SUPPORTED: "not supported", NOT_EVALUABLE: "not evaluable"}


def _table(caption: str, label: str, spec: str, header: Sequence[str], rows: Iterable[Sequence[str]],
           size: str = "\\small", pre_header: Sequence[str] = (), colsep: str = "6pt",
           placement: str = "tbp") -> str:  # fmt: skip
    lines = [
        f"\\begin{{table}}[{placement}]",
        "\\centering",
        size,
        f"\\setlength{{\\tabcolsep}}{{{colsep}}}",
        f"\\caption{{{caption}}}",
        f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        *pre_header,
        " & ".join(header) + " \\\\",
        "\\midrule",
    ]
    body = [" & ".join(row) + " \\\\" for row in rows]
    lines += body or [f"\\multicolumn{{{len(header)}}}{{c}}{{(none)}} \\\\"]
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def _confidence_label(results: Results) -> str:
    return f"{100 * results.analysis.confidence:g}\\% CI"


def _layer_with_ci(peak: Peak) -> str:
    layer = fmt_int(peak.layer)
    if peak.layer_ci is None:
        return layer
    return f"{layer} ({fmt_int(peak.layer_ci[0])}--{fmt_int(peak.layer_ci[1])})"


def peaks_table(results: Results) -> str:
    """Peak PC1-valence and PC2-arousal r, their layers and CIs, per model x corpus run."""
    ci_label = _confidence_label(results)
    rows = []
    for run in results.runs:
        val, aro = run.peaks["valence"], run.peaks["arousal"]
        rows.append(
            [
                latex_escape(run.info.model_name),
                latex_escape(run.corpus),
                _layer_with_ci(val),
                fmt_num(val.r),
                fmt_ci(val.r_ci_max),
                _layer_with_ci(aro),
                fmt_num(aro.r),
                fmt_ci(aro.r_ci_max),
                fmt_num(run.stats_at(val.layer).pc1_valence_p_fwer, 3),
            ]
        )
    pre = [
        " & & \\multicolumn{3}{c}{PC1--valence} & \\multicolumn{3}{c}{PC2--arousal} & \\\\",
        "\\cmidrule(lr){3-5}\\cmidrule(lr){6-8}",
    ]
    header = ["Model", "Stories", "Layer (CI)", "$r$", ci_label, "Layer (CI)", "$r$", ci_label, "$p_{\\mathrm{FWER}}$"]
    caption = (
        "Peak correlation of PC1 with valence and of PC2 with arousal per model and story corpus, with bootstrap "
        "intervals of the peak $r$ and of the peak layer (0-based block index), and the family-wise corrected "
        "permutation $p$-value of the valence correlation at the peak layer."
    )
    return _table(caption, "tab:peaks", "llrrlrrlr", header, rows, "\\footnotesize", pre, "4pt")


def _verdict(claim: ClaimResult) -> str:
    return f"\\textcolor{{{VERDICT_COLOURS[claim.verdict]}}}{{{_VERDICT_TEXT[claim.verdict]}}}"


def _tolerance_short(claim: ClaimResult, report: ClaimsReport) -> str:
    rules = report.rules
    if claim.rule == "peak":
        return f"$\\pm${fmt_num(rules.read_off)} / {fmt_num(rules.peak_tolerance)}"
    if claim.rule == "contrast":
        return f"$\\geq${fmt_num(rules.contrast_min_effect)}, CI$>$0"
    if claim.rule == "ordering":
        return "CI$>$0"
    if claim.rule == "curve":
        return f"RMSE$\\leq${fmt_num(rules.curve_rmse_tolerance)}"
    return latex_escape(claim.tolerance)


def claims_table(report: ClaimsReport) -> str:
    """One row per claim: the paper's value, the regenerated value and CI, the tolerance and the verdict."""
    rows = []
    for claim in report.claims:
        measured = fmt_num(claim.value)
        if claim.rule == "curve" and claim.value is not None:
            measured = f"RMSE {measured}"
        rows.append(
            [
                latex_escape(claim.label),
                latex_escape(claim.claimed_text),
                measured,
                fmt_ci(claim.ci),
                _tolerance_short(claim, report),
                _verdict(claim),
            ]
        )
    header = ["Claim", "Paper", "Measured", "CI", "Tolerance", "Verdict"]
    caption = (
        "The paper's claims against this run. Peak rows compare $r$ (and, for the per-run peaks, the layer); "
        "collapse and emergence rows give a difference of window means; the arousal row gives the smaller of the "
        "two models' corpus differences; curve rows give the RMSE against the curve read off the paper's plots. "
        "Rules and thresholds: Section~\\ref{sec:claims}."
    )
    spec = ">{\\raggedright\\arraybackslash}p{4.6cm}>{\\raggedright\\arraybackslash}p{3.0cm}rlll"
    return _table(caption, "tab:claims", spec, header, rows, "\\footnotesize", colsep="4pt")


# ------------------------------------------------------------------------------------------ corpora


def _first(mapping: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in mapping and not is_missing(mapping[key]):
            return mapping[key]
    return None


def _by_name(entries: Any, key: str) -> dict[str, dict[str, Any]]:
    """``entries`` (a list of dicts with ``key``, or a dict keyed by name) as a dict keyed by name."""
    if isinstance(entries, dict):
        return {str(k): v for k, v in entries.items() if isinstance(v, dict)}
    if isinstance(entries, list):
        return {str(e[key]): e for e in entries if isinstance(e, dict) and key in e}
    return {}


def corpus_table(results: Results, metadata: dict[str, Any] | None) -> str:
    """Per story corpus: generator, counts, token lengths, leak count and fingerprint.

    Counts and fingerprints come from the results; lengths and leak counts from the run metadata's
    ``corpora`` entries (``n/a`` where absent).
    """
    stats = _by_name((metadata or {}).get("corpora"), "name")
    seen: dict[str, RunSummary] = {}
    for run in results.runs:
        seen.setdefault(run.corpus, run)
    rows = []
    for name, run in seen.items():
        meta = stats.get(name, {})
        entry = CORPORA.get(name)
        n_stories, n_emotions = run.info.n_stories, run.info.n_emotions
        fingerprint = _first(meta, "fingerprint") or run.info.corpus_fingerprint
        rows.append(
            [
                latex_escape(name),
                latex_escape(_generator_name(_first(meta, "generator") or (entry.generator if entry else None))),
                fmt_int(n_stories),
                fmt_int(n_emotions),
                _tokens(meta),
                fmt_int(_first(meta, "n_short", "short_stories", "n_short_stories")),
                fmt_int(_first(meta, "n_leaks", "leaks", "leak_count")),
                "\\texttt{" + latex_escape(str(fingerprint)[:12] if fingerprint else MISSING) + "}",
            ]
        )
    header = ["Corpus", "Written by", "Stories", "Emotions", "Tokens", "Short", "Leaks", "Fingerprint"]
    caption = (
        "Story corpora read in this run. Tokens: mean (range) of tokens per story; short: stories with no token "
        "left after the offset; leaks: stories that name their own emotion word; fingerprint: first hex digits of "
        "the SHA-256 over the sorted, stripped texts."
    )
    return _table(caption, "tab:corpus", "llrrlrrl", header, rows, "\\footnotesize", colsep="4pt", placement="!htbp")


def _generator_name(generator: str | None) -> str:
    """A registered model's display name for its Hub id; other generators as given."""
    if not generator:
        return MISSING
    return next((m.display_name for m in MODELS.values() if m.hub_id == generator), generator)


def _tokens(meta: dict[str, Any]) -> str:
    """``mean (min--max)`` tokens per story from corpus metadata, ``n/a`` parts where absent."""
    mean = _first(meta, "mean_tokens", "tokens_mean")
    low, high = _first(meta, "min_tokens", "tokens_min"), _first(meta, "max_tokens", "tokens_max")
    text = fmt_num(mean, 0)
    if not (is_missing(low) or is_missing(high)):
        text += f" ({fmt_int(low)}--{fmt_int(high)})"
    return text


# ------------------------------------------------------------------------------------------ metadata


def metadata_table(results: Results, metadata: dict[str, Any] | None) -> str:
    """Models and revisions, corpus fingerprints, package versions, hardware and wall time per stage."""
    meta = metadata or {}
    models = _by_name(meta.get("models"), "alias")
    rows: list[list[str]] = []
    for alias in dict.fromkeys(run.model for run in results.runs):
        entry, info = MODELS.get(alias), models.get(alias, {})
        hub = _first(info, "hub_id", "model_id", "id") or (entry.hub_id if entry else alias)
        revision = _first(info, "commit", "resolved_revision", "revision") or (entry.revision if entry else None)
        where = hub if str(hub).startswith("package:") and not revision else f"{hub} @ {revision or MISSING}"
        rows.append(["Model", latex_escape(alias), "\\texttt{" + latex_escape(where) + "}"])
    seen = {}
    for run in results.runs:
        seen.setdefault(run.corpus, run.info.corpus_fingerprint)
    for name, fingerprint in seen.items():
        rows.append(["Corpus", latex_escape(name), "\\texttt{" + latex_escape(fingerprint or MISSING) + "}"])
    packages = meta.get("packages") or meta.get("package_versions")
    if isinstance(packages, dict) and packages:
        for name, version in sorted(packages.items()):
            rows.append(["Package", latex_escape(name), latex_escape(version)])
    else:
        rows.append(["Package", "", MISSING])
    hardware = meta.get("hardware")
    if isinstance(hardware, dict) and hardware:
        for key, value in hardware.items():
            rows.append(["Hardware", latex_escape(key), latex_escape(value)])
    else:
        rows.append(["Hardware", "", latex_escape(hardware) if hardware else MISSING])
    timings = meta.get("wall_time_s") or meta.get("timings") or meta.get("wall_time")
    if isinstance(timings, dict) and timings:
        for stage, seconds in timings.items():
            rows.append(["Wall time", latex_escape(stage), _duration(seconds)])
    else:
        rows.append(["Wall time", "", MISSING])
    caption = "Run metadata: what was run, on what, with which software, and how long each stage took."
    if metadata is None:
        caption += " No run metadata file was found, so the pipeline's records are marked n/a."
    spec = "ll>{\\raggedright\\arraybackslash}p{9cm}"
    return _table(caption, "tab:metadata", spec, ["Item", "Name", "Value"], rows, "\\footnotesize", placement="!htbp")


def _duration(seconds: Any) -> str:
    if is_missing(seconds) or not isinstance(seconds, (int, float)):
        return latex_escape(seconds) if seconds is not None else MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


__all__ = ["VERDICT_COLOURS", "claims_table", "corpus_table", "metadata_table", "peaks_table"]
