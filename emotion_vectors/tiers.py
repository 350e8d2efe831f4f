"""Which of the three reproduction tiers this machine can run, and why (used by ``reproduce.sh``).

- ``paper``: the paper's two models on the two published corpora; needs a CUDA GPU and the Hugging Face Hub.
- ``corpus-cpu``: the small encoder all-MiniLM-L6-v2 on the two published corpora; needs the Hub only.
- ``demo``: the small encoder on the bundled corpus; needs nothing.

:func:`choose_tier` is a pure function of the detected facts, so every situation can be tested without the
machine that has it; :func:`detect` gathers the facts (:mod:`emotion_vectors.machine`).

``python -m emotion_vectors.tiers [--profile P] [--config-dir DIR]`` prints two lines: the chosen config
path, then ``tier: <profile> (<why>)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Tier = Literal["paper", "corpus-cpu", "demo"]
TIERS: tuple[Tier, ...] = ("paper", "corpus-cpu", "demo")


@dataclass(frozen=True)
class Facts:
    """What tier selection needs to know about the machine.

    Attributes:
        gpu: Name of the first usable CUDA device, or ``None``.
        hub: Whether the Hugging Face Hub answered.
        hub_detail: Why not, when it did not (or how it was decided).
    """

    gpu: str | None
    hub: bool
    hub_detail: str = ""


@dataclass(frozen=True)
class TierChoice:
    """The chosen tier, its config file (relative to the project root) and the one-line reason."""

    tier: Tier
    config: str
    reason: str

    def line(self) -> str:
        """``tier: <tier> (<reason>)``: what ``reproduce.sh`` prints."""
        return f"tier: {self.tier} ({self.reason})"


def config_of(tier: Tier) -> str:
    """The config file of ``tier``, relative to the project root."""
    return f"configs/{tier}.toml"


def choose_tier(facts: Facts, requested: str | None = None) -> TierChoice:
    """The tier to run: ``requested`` when given, else the most complete one the facts allow.

    Raises:
        ConfigError: ``requested`` is not a tier.
    """
    from emotion_vectors.errors import ConfigError

    gpu = f"CUDA GPU {facts.gpu}" if facts.gpu else "no CUDA GPU"
    hub = "the Hugging Face Hub is reachable" if facts.hub else _no_hub(facts)
    if requested:
        if requested not in TIERS:
            raise ConfigError(f"unknown profile {requested!r}", fix=f"use one of {', '.join(TIERS)}")
        return TierChoice(requested, config_of(requested), f"chosen with --profile; {gpu}, {hub}")  # type: ignore[arg-type]
    if facts.gpu and facts.hub:
        return TierChoice("paper", config_of("paper"), f"{gpu} and {hub}")
    if facts.hub:
        return TierChoice(
            "corpus-cpu",
            config_of("corpus-cpu"),
            f"{gpu}, {hub}: the published corpora read by a small encoder, not the paper's models",
        )
    return TierChoice("demo", config_of("demo"), f"{gpu}, {hub}: the bundled corpus, offline")


def detect() -> Facts:
    """The facts of this machine (see :mod:`emotion_vectors.machine` for the probes and their overrides)."""
    from emotion_vectors.machine import cuda_gpus, hub_status

    gpus = cuda_gpus()
    status = hub_status()
    return Facts(gpus[0].name if gpus else None, status.reachable, status.detail)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the chosen config path and the ``tier:`` line; exit 2 on an unknown ``--profile``."""
    from emotion_vectors.errors import ConfigError

    parser = argparse.ArgumentParser(prog="python -m emotion_vectors.tiers", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=TIERS, help="force a tier")
    parser.add_argument("--config-dir", default="configs", help="where the tier configs live (default configs)")
    args = parser.parse_args(argv)
    try:
        choice = choose_tier(detect(), args.profile)
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(Path(args.config_dir) / Path(choice.config).name)
    print(choice.line())
    return 0


def _no_hub(facts: Facts) -> str:
    return f"the Hugging Face Hub is not reachable ({facts.hub_detail})" if facts.hub_detail else "no Hub"


if __name__ == "__main__":
    sys.exit(main())
