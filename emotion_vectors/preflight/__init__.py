"""Preflight: what a run needs against what this machine has, checked before anything is downloaded.

Two halves. :func:`observe` (:mod:`.observation`) probes the machine (GPU and free memory, RAM, free disk, the Hub
and access to each repository, the local caches, TeX) with short timeouts, and only what the config needs: a CPU
config never imports torch for the GPU probe, an offline config never touches the network. :func:`evaluate`
(:mod:`.checks`) is pure: from the config and a :class:`MachineState` it derives, per model x corpus, the memory,
disk and time the run needs (:mod:`.needs`, :mod:`emotion_vectors.estimates`) and turns every shortfall into a
blocker with a fix (:mod:`.report`). Tests plant machine states; the CLI (``emotion-vectors preflight``) prints
the report and exits non-zero on a blocker.

A token is reported as present or absent, never read out.
"""

from __future__ import annotations

from pathlib import Path

from emotion_vectors.config import ExperimentConfig
from emotion_vectors.preflight.checks import evaluate
from emotion_vectors.preflight.needs import (
    CORPUS_DOWNLOAD_BYTES,
    NEUTRAL_WORDS,
    PACKAGE_PREFIX,
    Download,
    RunNeed,
    corpus_sizes,
    downloads,
    hub_corpus_id,
    hub_model_id,
    hub_repositories,
    run_needs,
    stage_seconds,
)
from emotion_vectors.preflight.observation import MachineState, RepoAccess, locally_cached, observe
from emotion_vectors.preflight.report import Check, PreflightReport


def preflight(config: ExperimentConfig, output_dir: str | Path, *, timeout: float = 3.0) -> PreflightReport:
    """Observe this machine and evaluate ``config`` on it."""
    return evaluate(config, observe(config, output_dir, timeout=timeout), corpus_sizes(config))


__all__ = [
    "CORPUS_DOWNLOAD_BYTES",
    "NEUTRAL_WORDS",
    "PACKAGE_PREFIX",
    "Check",
    "Download",
    "MachineState",
    "PreflightReport",
    "RepoAccess",
    "RunNeed",
    "corpus_sizes",
    "downloads",
    "evaluate",
    "hub_corpus_id",
    "hub_model_id",
    "hub_repositories",
    "locally_cached",
    "observe",
    "preflight",
    "run_needs",
    "stage_seconds",
]
