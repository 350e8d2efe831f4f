"""``numbers.tex``: every number the paper's text quotes, as one LaTeX macro each.

Macro names are letters only and start with an upper-case letter. Quantities of one model x corpus run end in
the run's tag: :func:`model_tag` of the model followed by :func:`corpus_tag` of the corpus
(``\\PeakValenceRMinilmDemo``, ``\\PeakValenceRApertusGemma``). The hand-written sections use only the
profile-independent macros of :data:`TEXT_MACROS`; per-run macros appear only in generated text.

This module also holds the formatting helpers (numbers, intervals, escaping) that the tables share.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emotion_vectors import __version__
from emotion_vectors.analysis.records import PEAK_STATISTIC, RunSummary
from emotion_vectors.ratings import RATING_SOURCES
from emotion_vectors.registry import MODELS
from emotion_vectors.report.claims import (
    PAPER_MODELS,
    VERDICTS,
    ClaimsReport,
    load_paper_claims,
    paper_arousal_maxima,
    valence_axis_reading,
)
from emotion_vectors.report.coverage import coverage_numbers, load_coverage
from emotion_vectors.results import Results

MISSING = "n/a"
REFERENCE_MODEL = "Claude Sonnet 4.5"

#: Tags of the known models and corpora in macro names; others are spelled by :func:`letters`.
MODEL_TAGS: dict[str, str] = {"minilm": "Minilm", "apertus-8b": "Apertus", "gemma-4-e4b": "Gemma"}
CORPUS_TAGS: dict[str, str] = {"demo": "Demo", "apertus": "Apertus", "gemma": "Gemma"}

_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
_MACRO_NAME = re.compile(r"^[A-Z][A-Za-z]*$")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}

#: Macros that exist in every profile; the only generated macros the hand-written sections may use.
TEXT_MACROS: tuple[str, ...] = (
    "ProfileName", "ProfileLabel", "ProfileDescription", "PackageVersion",
    "PaperTitle", "PaperArxiv", "PaperAuthors", "PaperCode",
    "ReferenceModel", "ReferenceValenceR", "ReferenceArousalR", "ReferenceRatings",
    "ApertusName", "GemmaName", "ApertusBlocks", "GemmaBlocks", "ApertusPaperLayers", "GemmaPaperLayers",
    "DemoModelName", "DemoModelBlocks",
    "ClaimedPeakValenceApertus", "ClaimedPeakValenceGemma",
    "ClaimedArousalMaxGemmaStories", "ClaimedArousalMaxApertusStories",
    "NumEmotions", "TokenOffset", "MaxLength", "PadSide",
    "NeutralVariancePercent", "PcaComponents", "RatingSource", "RatingSources", "Pooling", "Projection",
    "BootstrapResamples", "BootstrapSchemes", "CiMethod", "CiMethodUsed", "ConfidencePercent", "Permutations", "Seed",
    "CkaPermutations", "CoverageDatasets", "CoverageResamples", "CoverageReference", "CoverageMin", "CoverageMax",
    "CoverageRecentredMin", "CoverageRecentredMax", "CoverageInvertedMin", "CoverageInvertedMax",
    "CoverageNominalPercent", "CoverageDim", "CoverageNuisance", "CoverageStoriesList", "CoverageFewStories",
    "NumRuns", "NumModels", "NumCorpora", "NumCrossCorpus", "NumCrossModel",
    "ClaimsTotal", "ClaimsSupported", "ClaimsNotSupported", "ClaimsNotEvaluable",
    "RuleReadOff", "RulePeakTolerance", "RuleContrastMinEffect", "RuleCurveRmse", "RuleLayerSlack",
    "CollapseEarlyLayers", "CollapseLateLayers", "EmergenceEarlyLayers", "EmergenceLateLayers", "CiSchemeOrder",
)  # fmt: skip


@dataclass(frozen=True)
class ReportContext:
    """What the report stage knows besides ``results.json``.

    Attributes:
        profile: Profile name (``demo``, ``paper``, ...).
        description: One-line description of the profile.
        extraction: Extraction parameters (``token_offset``, ``max_length``, ``pad_side``), where known.
        metadata: The pipeline's run metadata (``run_metadata.json``), where present.
        source: Where the results were read from (for the generated files' header).
    """

    profile: str = "unnamed"
    description: str = ""
    extraction: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    source: str = "results.json"

    @property
    def label(self) -> str:
        """``"Demo profile"`` for profile ``demo``: the label printed on the title page."""
        return f"{self.profile[:1].upper()}{self.profile[1:]} profile"


# ------------------------------------------------------------------------------------------ formatting


def latex_escape(text: Any) -> str:
    """``text`` with LaTeX's special characters escaped (``None`` becomes ``n/a``)."""
    if text is None:
        return MISSING
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def is_missing(value: Any) -> bool:
    """True for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: Any, digits: int = 2) -> str:
    """A number for LaTeX text: fixed ``digits`` decimals, a typeset minus sign, ``n/a`` when missing."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else "$-$" + text[1:]
    return text


def fmt_int(value: Any) -> str:
    """An integer for LaTeX text, ``n/a`` when missing."""
    return MISSING if is_missing(value) else str(int(value))


def fmt_ci(ci: Sequence[float] | None, digits: int = 2) -> str:
    """``[lo, hi]`` for LaTeX text, ``n/a`` when missing."""
    if ci is None or any(is_missing(v) for v in ci):
        return MISSING
    return f"[{fmt_num(ci[0], digits)}, {fmt_num(ci[1], digits)}]"


def fmt_layers(first: Any, last: Any) -> str:
    """An inclusive layer range as ``first--last``."""
    return f"{int(first)}--{int(last)}"


# ------------------------------------------------------------------------------------------ names


def letters(name: str) -> str:
    """``name`` as a CamelCase run of letters: digits spelled out, other characters dropped."""
    words = re.split(r"[^A-Za-z0-9]+", name)
    out = []
    for word in words:
        spelled = "".join(_DIGITS[int(ch)] if ch.isdigit() else ch for ch in word)
        out.append(spelled[:1].upper() + spelled[1:])
    return "".join(out)


def model_tag(alias: str) -> str:
    """The macro-name tag of a model alias (``gemma-4-e4b`` -> ``Gemma``)."""
    return MODEL_TAGS.get(alias) or letters(alias.split("/")[-1])


def corpus_tag(name: str) -> str:
    """The macro-name tag of a corpus name (``demo`` -> ``Demo``)."""
    return CORPUS_TAGS.get(name) or letters(name)


def run_tag(run: RunSummary) -> str:
    """The macro-name tag of a run: model tag then corpus tag."""
    return model_tag(run.model) + corpus_tag(run.corpus)


# ------------------------------------------------------------------------------------------ collection


def collect_numbers(results: Results, claims: ClaimsReport, context: ReportContext) -> dict[str, str]:
    """Every macro name -> its LaTeX text, in a stable order.

    Raises:
        ValueError: A macro name is not letters only, or two quantities would share a name.
    """
    numbers: dict[str, str] = {}

    def put(name: str, value: str) -> None:
        if not _MACRO_NAME.match(name):
            raise ValueError(f"macro name {name!r} must be letters only, starting upper-case")
        if name in numbers:
            raise ValueError(f"macro \\{name} defined twice (two runs with the same tag?)")
        numbers[name] = value

    for name, value in _profile_numbers(context).items():
        put(name, value)
    for name, value in _paper_numbers().items():
        put(name, value)
    for name, value in _method_numbers(results, context).items():
        put(name, value)
    for name, value in coverage_numbers(load_coverage(), results.analysis.ci_method).items():
        put(name, value)
    for name, value in _claims_numbers(claims).items():
        put(name, value)
    for run in results.runs:
        for name, value in _run_numbers(run).items():
            put(name, value)
    missing = [m for m in TEXT_MACROS if m not in numbers]
    if missing:
        raise ValueError(f"text macros not generated: {missing}")
    return numbers


def render_numbers(numbers: dict[str, str], context: ReportContext) -> str:
    """``numbers.tex``: one ``\\newcommand`` per macro."""
    lines = [
        f"% numbers.tex: generated by emotion-vectors {__version__} (report stage) from {context.source}.",
        "% Do not edit: rerun `emotion-vectors report`.",
    ]
    lines += [f"\\newcommand{{\\{name}}}{{{value}}}" for name, value in numbers.items()]
    return "\n".join(lines) + "\n"


def _profile_numbers(context: ReportContext) -> dict[str, str]:
    return {
        "ProfileName": latex_escape(context.profile),
        "ProfileLabel": latex_escape(context.label),
        "ProfileDescription": latex_escape(context.description or MISSING),
        "PackageVersion": latex_escape(__version__),
    }


def _paper_numbers() -> dict[str, str]:
    paper = load_paper_claims()
    info = paper["paper"]
    headline = {c["id"]: c for c in paper["headline_claims"]}
    arousal = paper_arousal_maxima(paper)
    apertus, gemma, demo = MODELS[PAPER_MODELS["apertus"]], MODELS[PAPER_MODELS["gemma"]], MODELS["minilm"]
    ref = paper.get("reference_claude_sonnet_4_5", {})
    return {
        "PaperTitle": latex_escape(info["title"]),
        "PaperArxiv": latex_escape(info["arxiv"]),
        "PaperAuthors": latex_escape(", ".join(info["authors"])),
        "PaperCode": "\\url{" + info["code"].replace("_", "\\_") + "}",
        "ReferenceModel": latex_escape(REFERENCE_MODEL),
        "ReferenceValenceR": fmt_num(ref.get("pc1_valence_r")),
        "ReferenceArousalR": fmt_num(ref.get("pc2_arousal_r")),
        "ReferenceRatings": latex_escape(ref.get("ratings", MISSING)),
        "ApertusName": latex_escape(apertus.display_name),
        "GemmaName": latex_escape(gemma.display_name),
        "ApertusBlocks": fmt_int(apertus.n_blocks),
        "GemmaBlocks": fmt_int(gemma.n_blocks),
        "ApertusPaperLayers": fmt_layers(*apertus.paper_layers),
        "GemmaPaperLayers": fmt_layers(*gemma.paper_layers),
        "DemoModelName": latex_escape(demo.display_name),
        "DemoModelBlocks": fmt_int(demo.n_blocks),
        "ClaimedPeakValenceApertus": fmt_num(headline["apertus_peak_valence"]["value"]),
        "ClaimedPeakValenceGemma": fmt_num(headline["gemma_peak_valence"]["value"]),
        "ClaimedArousalMaxGemmaStories": fmt_num(arousal.get("gemma")),
        "ClaimedArousalMaxApertusStories": fmt_num(arousal.get("apertus")),
    }


def ci_method_sentence(method: str, runs: Sequence[RunSummary]) -> str:
    """The sentence that says which intervals this paper's tables and figures show: the default test inversion, with
    the count of intervals it could not form (the recentred ones instead) and of runs it could not run on, or another
    method."""
    if method != "inverted":
        name = f"\\texttt{{{latex_escape(method)}}}"
        return (
            f"The intervals shown here use the {name} method instead of the default test inversion "
            "(Appendix~\\ref{sec:coverage})."
        )
    inverted = [run for run in runs if run.ci.method == "inverted"]
    cells = sum(len(run.layers) * len(run.ci.schemes) * 2 for run in inverted)
    fallbacks = sum(len(run.ci.fallbacks) for run in inverted)
    sentence = (
        "The per-layer intervals of PC1--valence and PC2--arousal $r$ shown here are the default test-inversion "
        "intervals (\\texttt{inverted}): the range of design-level correlations of the resampling worlds whose "
        "replicates hold both the estimate and the component's eigenvalue (Appendix~\\ref{sec:coverage}); Spearman's "
        "$\\rho$ and the interval of the maximum over layers are recentred bootstrap intervals. "
        + (
            f"At {fallbacks} of {cells} layer, scheme and statistic combinations no world held the sample, and the "
            "recentred interval is shown."
            if fallbacks
            else f"Every one of the {cells} layer, scheme and statistic combinations has its inverted interval."
        )
    )
    refused = len(runs) - len(inverted)
    if refused:
        sentence += (
            f" {refused} of {len(runs)} runs cannot be inverted (the rating source leaves emotions unrated, or no "
            "emotion has two stories), and all their intervals are recentred."
        )
    return sentence


def _method_numbers(results: Results, context: ReportContext) -> dict[str, str]:
    analysis, runs = results.analysis, results.runs
    extraction = context.extraction
    return {
        "NumEmotions": fmt_int(runs[0].info.n_emotions),
        "TokenOffset": fmt_int(extraction.get("token_offset")),
        "MaxLength": fmt_int(extraction.get("max_length")),
        "PadSide": latex_escape(extraction.get("pad_side", MISSING)),
        "NeutralVariancePercent": f"{100 * analysis.neutral_variance:g}",
        "PcaComponents": fmt_int(analysis.pca_components),
        "RatingSource": latex_escape(analysis.rating_source),
        "RatingSources": latex_escape(", ".join(RATING_SOURCES)),
        "Pooling": latex_escape(analysis.pooling.replace("_", "-")),
        "Projection": latex_escape(analysis.projection),
        "BootstrapResamples": fmt_int(analysis.bootstrap_resamples),
        "BootstrapSchemes": latex_escape(" and ".join(analysis.bootstrap_schemes) or MISSING),
        "CiMethod": latex_escape(analysis.ci_method),
        "CiMethodUsed": ci_method_sentence(analysis.ci_method, runs),
        "ConfidencePercent": f"{100 * analysis.confidence:g}",
        "Permutations": fmt_int(analysis.permutations),
        "CkaPermutations": fmt_int(analysis.cka_permutations),
        "Seed": fmt_int(analysis.seed),
        "NumRuns": str(len(runs)),
        "NumModels": str(len({r.model for r in runs})),
        "NumCorpora": str(len({r.corpus for r in runs})),
        "NumCrossCorpus": str(len(results.cross_corpus)),
        "NumCrossModel": str(len(results.cross_model)),
    }


def _claims_numbers(claims: ClaimsReport) -> dict[str, str]:
    summary = claims.summary()
    rules = claims.rules
    names = dict(zip(VERDICTS, ("ClaimsSupported", "ClaimsNotSupported", "ClaimsNotEvaluable"), strict=True))
    out = {"ClaimsTotal": str(len(claims.claims))}
    out.update({names[v]: str(n) for v, n in summary.items()})
    (ce, cl), (ee, el) = rules.collapse_windows, rules.emergence_windows
    out.update(
        {
            "RuleReadOff": fmt_num(rules.read_off),
            "RulePeakTolerance": fmt_num(rules.peak_tolerance),
            "RuleContrastMinEffect": fmt_num(rules.contrast_min_effect),
            "RuleCurveRmse": fmt_num(rules.curve_rmse_tolerance),
            "RuleLayerSlack": fmt_int(rules.layer_slack),
            "CollapseEarlyLayers": fmt_layers(*ce),
            "CollapseLateLayers": fmt_layers(*cl),
            "EmergenceEarlyLayers": fmt_layers(*ee),
            "EmergenceLateLayers": fmt_layers(*el),
            "CiSchemeOrder": latex_escape(", then ".join(rules.ci_schemes)),
        }
    )
    return out


def _run_numbers(run: RunSummary) -> dict[str, str]:
    tag = run_tag(run)
    layers = run.block_indices
    out = {
        f"ModelName{tag}": latex_escape(run.info.model_name),
        f"CorpusName{tag}": latex_escape(run.corpus),
        f"NumStories{tag}": fmt_int(run.info.n_stories),
        f"NumRated{tag}": fmt_int(run.info.n_rated),
        f"NumLayers{tag}": str(len(layers)),
        f"FirstLayer{tag}": str(layers[0]),
        f"LastLayer{tag}": str(layers[-1]),
        f"ValenceAxisReading{tag}": latex_escape(valence_axis_reading(run)[1]),
    }
    for which, label in (("valence", "Valence"), ("arousal", "Arousal")):
        peak = run.peaks[which]
        out[f"Peak{label}R{tag}"] = fmt_num(peak.r)
        out[f"Peak{label}RLow{tag}"] = fmt_num(peak.r_ci_max[0])  # interval of the maximum over layers
        out[f"Peak{label}RHigh{tag}"] = fmt_num(peak.r_ci_max[1])
        out[f"Peak{label}RFixedLow{tag}"] = fmt_num(peak.r_ci_at_layer[0])  # r at the peak layer held fixed
        out[f"Peak{label}RFixedHigh{tag}"] = fmt_num(peak.r_ci_at_layer[1])
        out[f"Peak{label}Layer{tag}"] = fmt_int(peak.layer)
        out[f"Peak{label}Depth{tag}"] = fmt_num(peak.layer / run.info.n_blocks)
        pc = "pc1" if which == "valence" else "pc2"
        for where, stats in (("Peak", run.stats_at(peak.layer)), ("First", run.layers[0]), ("Last", run.layers[-1])):
            out[f"{label}R{where}{tag}"] = fmt_num(getattr(stats, PEAK_STATISTIC[which]))
            out[f"{label}TopThreeR{where}{tag}"] = fmt_num(getattr(stats, f"{which}_top3_r"))
            out[f"{label}TopThreePc{where}{tag}"] = fmt_int(getattr(stats, f"{which}_top3_pc"))
            out[f"{label}CvR{where}{tag}"] = fmt_num(getattr(stats, f"loo_{which}_r"))
        at_peak = run.stats_at(peak.layer)
        out[f"{label}LengthR{tag}"] = fmt_num(getattr(at_peak, f"{pc}_length_r"))
        out[f"{label}PartialR{tag}"] = fmt_num(getattr(at_peak, f"{pc}_{which}_partial_r"))
    out.update(_cka_numbers(run, tag))
    trend = run.late_minus_early_valence
    out[f"ValenceLateMinusEarly{tag}"] = fmt_num(trend.value if trend else None)
    out[f"ValenceEarlyLayers{tag}"] = fmt_layers(*trend.early_layers) if trend else MISSING
    out[f"ValenceLateLayers{tag}"] = fmt_layers(*trend.late_layers) if trend else MISSING
    return out


def _cka_numbers(run: RunSummary, tag: str) -> dict[str, str]:
    """CKA (debiased, linear) and RSA between the first and the last analysed layer, with permutation p-values."""
    null = run.cross_layer
    out = {
        f"CkaFirstLastDebiased{tag}": fmt_num(run.cka_debiased[0, -1]),
        f"CkaFirstLastLinear{tag}": fmt_num(run.cka_linear[0, -1]),
    }
    fields = {"CkaFirstLastDebiasedP": "debiased_p", "CkaFirstLastLinearP": "linear_p", "RsaFirstLastP": "rsa_p"}
    for name, field_name in fields.items():
        out[f"{name}{tag}"] = fmt_num(None if null is None else getattr(null, field_name)[0, -1], 3)
    out[f"RsaFirstLast{tag}"] = fmt_num(None if null is None else null.rsa[0, -1])
    return out


__all__ = [
    "MISSING",
    "ReportContext",
    "TEXT_MACROS",
    "collect_numbers",
    "corpus_tag",
    "fmt_ci",
    "fmt_int",
    "fmt_num",
    "latex_escape",
    "model_tag",
    "render_numbers",
    "run_tag",
]
