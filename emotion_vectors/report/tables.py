"""LaTeX tables (booktabs) of the report: peaks, claims, corpus statistics, run metadata.

Each function takes result dicts (and, where needed, the claims report or run metadata) and returns the text
of one ``table`` environment. Numbers are formatted by :mod:`emotion_vectors.report.numbers`, so tables and
text agree digit for digit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from emotion_vectors.analysis.records import Peak, RunSummary
from emotion_vectors.errors import ReportError
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
    """Peak PC1-valence and PC2-arousal r, their layers and both intervals, per model x corpus run."""
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
                fmt_ci(val.r_ci_at_layer),
                _layer_with_ci(aro),
                fmt_num(aro.r),
                fmt_ci(aro.r_ci_max),
                fmt_ci(aro.r_ci_at_layer),
                fmt_num(run.stats_at(val.layer).pc1_valence_p_fwer, 3),
            ]
        )
    pre = [
        " & & \\multicolumn{4}{c}{PC1--valence} & \\multicolumn{4}{c}{PC2--arousal} & \\\\",
        "\\cmidrule(lr){3-6}\\cmidrule(lr){7-10}",
    ]
    header = ["Model", "Stories", "Layer (CI)", "$r$", "max", "at layer", "Layer (CI)", "$r$", "max", "at layer",
              "$p_{\\mathrm{FWER}}$"]  # fmt: skip
    caption = (
        f"Peak correlation of PC1 with valence and of PC2 with arousal per model and story corpus, with two "
        f"{ci_label}s of the peak $r$: ``max'' is the interval of the maximum over layers (what the peak itself "
        "would be on a replication), ``at layer'' the interval of $r$ at the peak layer held fixed; the peak "
        "layer (0-based block index) has its own interval, and the last column gives the family-wise corrected "
        "permutation $p$-value of the valence correlation at the peak layer."
    )
    return _table(caption, "tab:peaks", "llrrllrrllr", header, rows, "\\scriptsize", pre, "3pt")


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
                _verdict(claim) + ("$^{\\dagger}$" if claim.notes else ""),
            ]
        )
    header = ["Claim", "Paper", "Measured", "CI", "Tolerance", "Verdict"]
    caption = (
        "The paper's claims against this run. Peak rows compare $r$ (and, for the per-run peaks, the layer); "
        "collapse and emergence rows give a difference of window means; the arousal row gives the smaller of the "
        "two models' corpus differences; curve rows give the RMSE against the curve read off the paper's plots. "
        "Peak and arousal rows use the interval of the maximum over layers. $^{\\dagger}$: the verdict carries a "
        "note (PC1-only reading or story-length warning), listed below the table. "
        "Rules and thresholds: Section~\\ref{sec:claims}."
    )
    spec = ">{\\raggedright\\arraybackslash}p{4.6cm}>{\\raggedright\\arraybackslash}p{3.0cm}rlll"
    return _table(caption, "tab:claims", spec, header, rows, "\\footnotesize", colsep="4pt")


# ------------------------------------------------------------------------------------------ corpora


def corpus_table(results: Results, metadata: dict[str, Any] | None) -> str:
    """Per story corpus: generator, counts, token lengths, leak count and fingerprint.

    Counts and fingerprints come from the results; the generator and leak count from the run metadata's
    ``corpora`` entries (the corpus stage's summary), and the token lengths and short-story count from them when
    one model read the corpus (the metadata has them only then). Without run metadata those cells read ``n/a``.
    """
    described = {entry["name"]: entry for entry in metadata["corpora"]} if metadata is not None else {}
    seen: dict[str, RunSummary] = {}
    for run in results.runs:
        seen.setdefault(run.corpus, run)
    rows = []
    for name, run in seen.items():
        meta = described.get(name)
        if metadata is not None and meta is None:
            raise ReportError(f"run_metadata.json has no corpus {name!r}", fix="rerun the pipeline")
        entry = CORPORA.get(name)
        generator = meta["generator"] if meta is not None else None
        rows.append(
            [
                latex_escape(name),
                latex_escape(_generator_name(generator or (entry.generator if entry else None))),
                fmt_int(run.info.n_stories),
                fmt_int(run.info.n_emotions),
                _tokens(meta or {}),
                fmt_int((meta or {}).get("n_short")),
                fmt_int(meta["n_leaks"] if meta is not None else None),
                "\\texttt{" + latex_escape(str(run.info.corpus_fingerprint or MISSING)[:12]) + "}",
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
    """``mean (min--max)`` kept tokens per story (present in the metadata only when one model read the corpus)."""
    text = fmt_num(meta.get("mean_tokens"), 0)
    low, high = meta.get("min_tokens"), meta.get("max_tokens")
    if not (is_missing(low) or is_missing(high)):
        text += f" ({fmt_int(low)}--{fmt_int(high)})"
    return text


# ------------------------------------------------------------------------------------------ metadata


def metadata_table(results: Results, metadata: dict[str, Any] | None) -> str:
    """Models and revisions, corpus fingerprints, package versions, hardware and wall time per stage.

    Without run metadata (a report made from a results file alone) the models are described from the registry
    and the pipeline's records read ``n/a``.
    """
    models = {m["alias"]: m for m in metadata["models"]} if metadata is not None else {}
    rows: list[list[str]] = []
    for alias in dict.fromkeys(run.model for run in results.runs):
        if metadata is not None:
            info = models[alias]
            hub, revision = info["hub_id"], info["commit"] or info["revision"]
        else:
            entry = MODELS.get(alias)
            hub, revision = (entry.hub_id, entry.revision) if entry else (alias, None)
        where = hub if str(hub).startswith("package:") and not revision else f"{hub} @ {revision or MISSING}"
        rows.append(["Model", latex_escape(alias), "\\texttt{" + latex_escape(where) + "}"])
    seen = {}
    for run in results.runs:
        seen.setdefault(run.corpus, run.info.corpus_fingerprint)
    for name, fingerprint in seen.items():
        rows.append(["Corpus", latex_escape(name), "\\texttt{" + latex_escape(fingerprint or MISSING) + "}"])
    if metadata is None:
        rows += [["Package", "", MISSING], ["Hardware", "", MISSING], ["Wall time", "", MISSING]]
    else:
        rows += [["Package", latex_escape(k), latex_escape(v)] for k, v in sorted(metadata["packages"].items())]
        rows += [["Hardware", latex_escape(k), latex_escape(v)] for k, v in metadata["hardware"].items()]
        rows += [["Wall time", latex_escape(k), _duration(v)] for k, v in metadata["wall_time_s"].items()]
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
