"""The report stage: results -> LaTeX numbers, tables and figures, the claims check, and the paper PDF.

The figure and build modules import matplotlib; they load on first use, so importing the claims check stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from emotion_vectors.report.claims import ClaimRules, ClaimsReport, evaluate_claims
from emotion_vectors.report.markdown import to_markdown

_LAZY = {name: "emotion_vectors.report.build" for name in ("build_report", "load_results", "locate")}
_LAZY["build_paper"] = "emotion_vectors.report.paper"

__all__ = ["ClaimRules", "ClaimsReport", "evaluate_claims", "to_markdown", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
