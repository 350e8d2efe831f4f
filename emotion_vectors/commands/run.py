"""`emotion-vectors run`: the whole pipeline from one config, with caching, resume and a timing summary."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from emotion_vectors.commands._common import add_command

DESCRIPTION = """\
Run every stage of an experiment: corpus -> extract (each model x corpus, plus each model x the neutral
texts) -> analyze -> report -> paper -> claims.

Each stage has a content key (hash of its config sections, corpus fingerprints, upstream keys and the
package version) recorded in <out>/pipeline/<stage>.json; a stage whose key is unchanged and whose outputs
exist is skipped, and an interrupted extraction resumes from its last completed shard. Every run appends to
<out>/pipeline/run.log, writes <out>/results/run_metadata.json and prints a per-stage timing summary.
A run holds <out>/.lock throughout (a second run into the same folder stops at once, naming the first one's
pid), checks labels, model limits, short stories and free disk before the first forward pass, and verifies
each cached store against the sha256 of its files (a changed file is an error with the command that rebuilds
it).
The paper stage writes the complete LaTeX sources to <out>/paper/ and, when TeX (latexmk) is installed, the
PDF to <out>/paper.pdf; without TeX the run still succeeds and says how to get the PDF (the next run after
installing TeX builds only the PDF). It is skipped when report.build_pdf = false or --no-paper is given.

examples:
  emotion-vectors run --config configs/demo.toml
  emotion-vectors run --config configs/demo.toml --out /tmp/ev_demo --dry-run
  emotion-vectors run --config configs/demo.toml --force analyze        # rerun analyze and everything after it
  emotion-vectors run --config configs/demo.toml --force all --no-paper
  emotion-vectors run --config configs/paper.toml                       # GPU + Hub
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "run", "the whole pipeline from one config (cached, resumable)", DESCRIPTION)
    parser.add_argument("--config", required=True, help="experiment config (TOML), e.g. configs/demo.toml")
    parser.add_argument("--out", help="output directory (overrides the config's output_dir)")
    parser.add_argument(
        "--force",
        action="append",
        default=[],
        metavar="STAGE",
        help="rerun STAGE even if cached (repeatable): all, corpus, extract, analyze, report, paper, claims, "
        "or an exact stage name such as extract.minilm.demo",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan (what runs, what is cached) only")
    parser.add_argument("--no-paper", action="store_true", help="skip the paper (PDF) stage")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--shard-size", type=int, help="stories per resumable extraction shard (default 256)")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors import pipeline
    from emotion_vectors.config import load_config
    from emotion_vectors.resources import resolve_output_dir

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    config = load_config(args.config)
    out = Path(args.out) if args.out else resolve_output_dir(config.output_dir, args.config)
    if args.out:
        config = dataclasses.replace(config, output_dir=str(Path(args.out).resolve()))
    forces = list(args.force)
    downstream = _downstream(forces)
    result = pipeline.run_pipeline(
        config,
        out,
        config_path=args.config,
        force=downstream,
        dry_run=args.dry_run,
        paper=not args.no_paper,
        progress=not args.no_progress,
        shard_size=args.shard_size,
    )
    if args.dry_run:
        _print_plan(result, config)
        return 0
    _print_summary(result)
    return 0


def _downstream(forces: list[str]) -> list[str]:
    """Forcing a stage kind also forces the kinds after it (their inputs change)."""
    from emotion_vectors.pipeline import STAGE_KINDS

    chosen = list(forces)
    kinds = [f for f in forces if f in STAGE_KINDS]
    kinds += [f.split(".")[0] for f in forces if "." in f]
    if kinds:
        first = min(STAGE_KINDS.index(k) for k in kinds if k in STAGE_KINDS)
        chosen += [k for k in STAGE_KINDS[first + 1 :] if k != "corpus"]
    return sorted(set(chosen))


def _print_plan(result: object, config: object) -> None:
    """The dry run's plan: every stage, what is cached, what would be downloaded; made without the network."""
    from emotion_vectors.dryrun import plan_downloads
    from emotion_vectors.estimates import human_bytes, human_seconds

    plan = result.plan  # type: ignore[attr-defined]
    print(f"plan for {result.output_dir} (made offline; nothing is downloaded):")  # type: ignore[attr-defined]
    total = 0.0
    unresolved = {}
    for entry in plan:
        line = f"  {entry['stage']:<32} {entry['action']:<28} key {entry['key']}"
        if "stories" in entry:
            est = entry["estimate_s"] if entry["action"] != "cached" else 0.0
            total += est
            basis = "" if entry["measured"] else " (published design)"
            line += f"  {entry['stories']} stories{basis}, ~{entry['tokens_estimate']:,} tokens, ~{human_seconds(est)}"
        print(line)
        for name, how in entry.get("corpora", {}).items():
            print(f"      corpus {name}: fingerprint {how}")
        if "unresolved" in entry:
            unresolved[entry["stage"]] = entry["unresolved"]
    items = plan_downloads(config)
    if items:
        print("downloads:")
        for item in items:
            state = "cached" if item.cached else f"would download, ~{human_bytes(item.bytes)}"
            print(f"  {item.kind:<8} {item.name}: {item.source} ({state})")
    if unresolved:
        print(
            f"{len(unresolved)} extraction stage(s) cannot be resolved offline (their corpus fingerprint is known "
            "only after the download; pin it to resolve them: see `emotion-vectors corpus fingerprint`); they and "
            "every stage after them are planned to run"
        )
    print("tokens are estimated as words x 1.3 (capped at max_length), not counted with the tokenizer;")
    print(
        f"estimated extraction time: ~{human_seconds(total)} (from measured throughput, see "
        "emotion_vectors/estimates.py; `emotion-vectors preflight` estimates every stage)"
    )


def _print_summary(result: object) -> None:
    from emotion_vectors.pipeline import SOURCES_ONLY
    from emotion_vectors.report.paper import PAPER_SOURCES_DIR, PaperBuild

    print("stage timings:")
    for stage in result.stages:  # type: ignore[attr-defined]
        note = f" ({stage.note})" if stage.note else ""
        shown = f"{stage.seconds:8.1f}s" if stage.status == "ran" else " " * 9
        print(f"  {stage.name:<32} {stage.status:<8}{shown}{note}")
    print(f"total {result.total_seconds:.1f}s; outputs in {result.output_dir}")  # type: ignore[attr-defined]
    if any(s.name == "paper" and s.note == SOURCES_ONLY for s in result.stages):  # type: ignore[attr-defined]
        print(PaperBuild(result.output_dir / PAPER_SOURCES_DIR, None).summary())  # type: ignore[attr-defined]
    sys.stdout.flush()
