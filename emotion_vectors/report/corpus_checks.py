"""Corpus-level checks: what a run on the published corpora can say without either of the paper's models.

Two kinds of line, kept apart from the paper's claims (whose verdicts need the paper's models):

- **Checks against the published record** (verdict ``matches`` or ``differs``): each published corpus's story
  and emotion counts against its design (``data/published_corpora.json``: 171 emotions x 9 stories = 1,539),
  and its fingerprint against the one pinned in the registry (``not pinned`` where there is none; the
  measured fingerprint is then the one to pin, see :mod:`emotion_vectors.corpus.pin`).
- **Context** (verdict ``context``, never evidence for or against the paper): the same statistics the paper
  reports across corpora, measured with whatever model this run used: the cross-corpus linear CKA of one model
  reading both corpora, and the arousal-vs-corpus contrast (peak PC2-arousal r on Gemma-written minus
  Apertus-written stories, intervals combined in quadrature as in the paper's claim).

Pure: results (typed) and the run metadata in, frozen records out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from emotion_vectors.analysis.records import RunSummary
from emotion_vectors.analysis.summary import difference_ci
from emotion_vectors.report.claims import PAPER_CORPORA
from emotion_vectors.results import Results

CheckVerdict = Literal["matches", "differs", "not pinned", "context"]


@dataclass(frozen=True)
class CorpusCheck:
    """One corpus-level line: what was expected, what was measured, and the verdict."""

    id: str
    text: str
    expected: str
    measured: str
    verdict: CheckVerdict
    details: str = ""


def corpus_checks(results: Results, metadata: Mapping[str, Any] | None) -> tuple[CorpusCheck, ...]:
    """The corpus-level checks of a run that read at least one published corpus (empty otherwise)."""
    published = set(PAPER_CORPORA.values())
    corpora = {c["name"]: c for c in (metadata or {}).get("corpora", []) if c.get("name") in published}
    read = {run.corpus for run in results.runs} & published
    if not read:
        return ()
    checks: list[CorpusCheck] = []
    for name in sorted(read):
        run = next(r for r in results.runs if r.corpus == name)
        checks += _published_record_checks(name, run, corpora.get(name, {}))
    checks += _cross_corpus_checks(results, published)
    checks += _arousal_contrast_checks(results)
    return tuple(checks)


def _published_record_checks(name: str, run: RunSummary, corpus: Mapping[str, Any]) -> list[CorpusCheck]:
    """A published corpus's counts against its design and its fingerprint against the registry's pin.

    ``run`` is one of ``results.runs`` on corpus ``name``; ``corpus`` its entry in the run metadata (may be empty).
    """
    from emotion_vectors.registry import CORPORA

    stories, emotions = _published_design()
    n_stories = int(corpus.get("n_stories", run.info.n_stories))
    counts = CorpusCheck(
        f"{name}_counts",
        f"{name} corpus: stories and emotions as published",
        f"{stories} stories, {emotions} emotions",
        f"{n_stories} stories, {run.info.n_emotions} emotions",
        "matches" if (n_stories, run.info.n_emotions) == (stories, emotions) else "differs",
    )
    fingerprint = corpus.get("fingerprint") or run.info.corpus_fingerprint
    pinned = CORPORA[name].fingerprint if name in CORPORA else None
    revision = corpus.get("revision")
    verdict: CheckVerdict = "not pinned" if pinned is None else ("matches" if fingerprint == pinned else "differs")
    pin = CorpusCheck(
        f"{name}_fingerprint",
        f"{name} corpus: fingerprint against the registry's pin",
        pinned or "no pin in the registry",
        fingerprint or "unknown",
        verdict,
        f"revision read: {revision}" + ("; pin it with `emotion-vectors corpus fingerprint`" if not pinned else ""),
    )
    return [counts, pin]


def _cross_corpus_checks(results: Results, published: set[str]) -> list[CorpusCheck]:
    """Context: the linear CKA between the two published corpora's geometries, per model that read both."""
    checks = []
    for cross in results.cross_corpus:
        if set(cross.pair) != published:
            continue
        linear = np.asarray(cross.linear, dtype=np.float64)
        last = int(np.argmax(cross.layers_a))
        checks.append(
            CorpusCheck(
                f"cross_corpus_cka_{cross.shared}",
                f"linear CKA between the two corpora's emotion geometries, read by {cross.shared}",
                "context only (the paper reports it for its own models)",
                f"mean {np.nanmean(linear):.2f}, last layer {linear[last]:.2f}, range "
                f"{np.nanmin(linear):.2f}-{np.nanmax(linear):.2f} over {linear.size} layers",
                "context",
            )
        )
    return checks


def _arousal_contrast_checks(results: Results) -> list[CorpusCheck]:
    """Context: peak PC2-arousal r on Gemma- minus Apertus-written stories, per model that read both corpora."""
    checks = []
    for model in sorted({run.model for run in results.runs}):
        gemma, apertus = results.run(model, PAPER_CORPORA["gemma"]), results.run(model, PAPER_CORPORA["apertus"])
        if gemma is None or apertus is None:
            continue
        g, a = gemma.peaks["arousal"], apertus.peaks["arousal"]
        ci = difference_ci(g.r, g.r_ci_max, a.r, a.r_ci_max)
        interval = "no interval" if ci is None or not all(map(math.isfinite, ci)) else f"[{ci[0]:.2f}, {ci[1]:.2f}]"
        checks.append(
            CorpusCheck(
                f"arousal_corpus_contrast_{model}",
                f"peak PC2-arousal r on Gemma- minus Apertus-written stories, read by {model}",
                "context only (the paper's claim is about its own models)",
                f"{g.r - a.r:+.2f} {interval}",
                "context",
                f"{g.r:.2f} (gemma stories, layer {g.layer}) vs {a.r:.2f} (apertus stories, layer {a.layer})",
            )
        )
    return checks


def checks_to_dicts(checks: tuple[CorpusCheck, ...]) -> list[dict[str, Any]]:
    """JSON-ready form (the ``corpus_checks`` list of ``claims.json``)."""
    return [asdict(check) for check in checks]


def checks_to_markdown(checks: tuple[CorpusCheck, ...]) -> str:
    """A Markdown section for ``claims.md`` (empty string when there are no checks)."""
    if not checks:
        return ""
    lines = [
        "",
        "## Corpus-level checks (need none of the paper's models)",
        "",
        "Counts and fingerprints are checked against the published record; the cross-corpus statistics are "
        "measured with this run's model and are context only, neither support nor contradiction of the paper.",
        "",
        "| check | expected | measured | verdict |",
        "|---|---|---|---|",
    ]
    for check in checks:
        cells = [f"`{check.id}`: {check.text}", check.expected, check.measured, f"**{check.verdict}**"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    details = [f"- `{c.id}`: {c.details}" for c in checks if c.details]
    if details:
        lines += ["", *details]
    return "\n".join(lines) + "\n"


def _published_design() -> tuple[int, int]:
    """Stories and emotions per published corpus (``data/published_corpora.json``)."""
    import json

    from emotion_vectors.resources import PUBLISHED_CORPORA, data_path

    measured = json.loads(data_path(PUBLISHED_CORPORA).read_text(encoding="utf-8"))["measured_on_gemma_corpus"]
    return int(measured["stories"]), int(measured["emotions"])


__all__ = ["CorpusCheck", "checks_to_dicts", "checks_to_markdown", "corpus_checks"]
