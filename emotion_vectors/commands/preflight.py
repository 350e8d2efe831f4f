"""``emotion-vectors preflight``: what a run needs against what this machine has, before any download."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from emotion_vectors.commands._common import add_command

DESCRIPTION = """\
Check, before anything is downloaded, what a config's run needs against what this machine has, per model x
corpus: the GPU and its free memory against the weights at the configured dtype plus the largest batch (and
which dtype or batch budget would fit), RAM for CPU models, free disk for the weights, corpora and activation
stores, the Hugging Face Hub and access to each repository (gated or not; whether a token is present, never
the token), the pinned neutral texts, TeX, and an estimated time per stage from measured throughput.

Exits 1 when something blocks the run (each blocker has a `fix:` line), 0 otherwise. Network probes time out
after --timeout seconds; a config that needs no GPU or no Hub does not probe for them.

examples:
  emotion-vectors preflight --config configs/paper.toml
  emotion-vectors preflight --config configs/corpus-cpu.toml --json preflight.json
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(
        subparsers, "preflight", "check this machine against a config before any download", DESCRIPTION
    )
    parser.add_argument("--config", required=True, help="experiment config (TOML), e.g. configs/paper.toml")
    parser.add_argument("--out", help="output directory (default: the config's output_dir); its disk is checked")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the report as JSON (to stdout: -)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per network probe (default 3)")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors.config import load_config
    from emotion_vectors.fileio import atomic_write_text
    from emotion_vectors.preflight import preflight
    from emotion_vectors.resources import resolve_output_dir

    config = load_config(args.config)
    out = Path(args.out) if args.out else resolve_output_dir(config.output_dir, args.config)
    report = preflight(config, out, timeout=args.timeout)
    if args.json == "-":
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(report.format())
        if args.json:
            atomic_write_text(Path(args.json), json.dumps(report.to_dict(), indent=1) + "\n")
            print(f"wrote {args.json}")
    return 0 if report.ok else 1
