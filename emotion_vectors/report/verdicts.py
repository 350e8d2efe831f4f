"""The vocabulary of the claims check: verdicts, decision thresholds, one checked claim and the whole report.

The decision rules themselves: :mod:`emotion_vectors.report.claims`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from emotion_vectors.analysis.records import CI_SCHEME_ORDER, RunSummary
from emotion_vectors.analysis.summary import Window

Verdict = Literal["supported", "not supported", "not evaluable in this profile"]
SUPPORTED: Verdict = "supported"
NOT_SUPPORTED: Verdict = "not supported"
NOT_EVALUABLE: Verdict = "not evaluable in this profile"
VERDICTS: tuple[Verdict, ...] = (SUPPORTED, NOT_SUPPORTED, NOT_EVALUABLE)

#: The one place where the paper's model/corpus keys meet this project's aliases and corpus names.
PAPER_MODELS: dict[str, str] = {"apertus": "apertus-8b", "gemma": "gemma-4-e4b"}
PAPER_CORPORA: dict[str, str] = {"apertus": "apertus", "gemma": "gemma"}

RunKey = tuple[str, str]


@dataclass(frozen=True)
class ClaimRules:
    """Thresholds of the decision rules (see the module docstring).

    Attributes:
        read_off: Precision of numbers read off the paper's plots; widens CIs on each side.
        peak_tolerance: Largest ``|measured - claimed|`` accepted for a peak r without CI support.
        contrast_min_effect: Smallest window-mean difference that counts as collapse/emergence.
        curve_rmse_tolerance: Largest RMSE between measured and read-off per-layer curves.
        layer_slack: Layers by which a peak layer's bootstrap CI is widened.
        collapse_windows: Gemma's (early, late) inclusive layer windows.
        emergence_windows: Apertus's (early, late) inclusive layer windows.
        ci_schemes: Bootstrap schemes whose per-layer CIs are used, in order of preference.
    """

    read_off: float = 0.02
    peak_tolerance: float = 0.05
    contrast_min_effect: float = 0.2
    curve_rmse_tolerance: float = 0.10
    layer_slack: int = 1
    collapse_windows: tuple[Window, Window] = ((1, 16), (17, 40))
    emergence_windows: tuple[Window, Window] = ((2, 17), (20, 31))
    ci_schemes: tuple[str, ...] = CI_SCHEME_ORDER


@dataclass(frozen=True)
class ClaimResult:
    """One claim, checked.

    Attributes:
        id: Stable identifier (``apertus_peak_valence``, ``peak:gemma/apertus:arousal``, ...).
        label: A short name for tables.
        text: The claim in words.
        rule: The decision rule applied: ``"peak"``, ``"contrast"``, ``"ordering"`` or ``"curve"``.
        source: Where the claim comes from in the paper's claims: ``"headline"``, ``"peaks"`` or ``"curves"``.
        needs: The (model alias, corpus) runs the claim needs.
        claimed: The paper's number, where the claim has one.
        claimed_text: The paper's number or evidence, as text.
        value: The regenerated statistic (``None`` when not evaluable).
        ci: Its confidence interval, where one can be formed.
        tolerance: The decision rule's threshold, as text.
        verdict: One of :data:`VERDICTS`.
        details: What was measured, in words (layers, per-model values, failing checks).
        notes: Qualifications of the verdict (:mod:`emotion_vectors.report.claim_notes`): a PC1-only reading,
            a story-length warning.
    """

    id: str
    label: str
    text: str
    rule: str
    source: str
    needs: tuple[RunKey, ...]
    claimed: float | None
    claimed_text: str
    value: float | None
    ci: tuple[float, float] | None
    tolerance: str
    verdict: Verdict
    details: str = ""
    notes: tuple[str, ...] = ()

    @property
    def evaluable(self) -> bool:
        """True when every run the claim needs is present."""
        return self.verdict != NOT_EVALUABLE


@dataclass(frozen=True)
class ClaimsReport:
    """Every claim's verdict, plus this profile's own analogous measurements as context."""

    profile: str
    description: str
    claims: tuple[ClaimResult, ...]
    context: tuple[dict[str, Any], ...]
    rules: ClaimRules = field(default_factory=ClaimRules)
    reference: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Number of claims per verdict (every verdict present, zero included)."""
        return {v: sum(c.verdict == v for c in self.claims) for v in VERDICTS}

    def failures(self) -> tuple[ClaimResult, ...]:
        """The claims evaluable in this profile that are not supported."""
        return tuple(c for c in self.claims if c.verdict == NOT_SUPPORTED)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the layout of ``claims.json``)."""
        return {
            "profile": self.profile,
            "description": self.description,
            "summary": self.summary(),
            "rules": asdict(self.rules),
            "reference_claude_sonnet_4_5": self.reference,
            "claims": [asdict(c) for c in self.claims],
            "context": list(self.context),
        }


def missing_runs(needs: Sequence[RunKey], runs: dict[RunKey, RunSummary]) -> list[RunKey]:
    return [key for key in needs if key not in runs]


@dataclass(frozen=True)
class ClaimHead:
    """The parts of a claim's result known before any run is read."""

    id: str
    label: str
    text: str
    rule: str
    source: str
    needs: tuple[RunKey, ...]
    claimed: float | None
    claimed_text: str
    tolerance: str

    def result(
        self, value: float, ci: tuple[float, float] | None, ok: bool, details: str, notes: Sequence[str | None] = ()
    ) -> ClaimResult:
        return ClaimResult(
            **asdict(self),
            value=value,
            ci=ci,
            verdict=SUPPORTED if ok else NOT_SUPPORTED,
            details=details,
            notes=tuple(note for note in notes if note),
        )

    def not_evaluable(self, runs: dict[RunKey, RunSummary]) -> ClaimResult:
        missing = ", ".join(f"{m} on {c}" for m, c in missing_runs(self.needs, runs))
        return ClaimResult(
            **asdict(self),
            value=None,
            ci=None,
            verdict=NOT_EVALUABLE,
            details=f"needs run(s) absent from this profile: {missing}",
        )


__all__ = [
    "NOT_EVALUABLE",
    "NOT_SUPPORTED",
    "PAPER_CORPORA",
    "PAPER_MODELS",
    "SUPPORTED",
    "VERDICTS",
    "ClaimHead",
    "ClaimResult",
    "ClaimRules",
    "ClaimsReport",
    "RunKey",
    "Verdict",
    "missing_runs",
]
