"""``emotion-vectors claims``: the paper's claims against this run's results, with verdicts."""

from __future__ import annotations

import argparse
import json
import sys

from emotion_vectors.commands._common import add_command
from emotion_vectors.commands.report import add_arguments

DESCRIPTION = """\
Check each claim of arXiv 2606.26987 against a results file.

Every claim gets the regenerated value, its confidence interval, the tolerance of its decision rule and a
verdict: supported, not supported, or not evaluable in this profile (when the model x corpus runs it needs
are absent, as in the demo profile). The decision rules are documented in emotion_vectors/report/claims.py
and in the paper. Exit status: 0; with --strict (or report.claims_strict in the config), 1 when a claim that
this profile can evaluate is not supported.

examples:
  emotion-vectors claims --config configs/paper.toml --strict
  emotion-vectors claims --results outputs/demo/results/results.json --format json
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "claims", "check the paper's claims against the results", DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("--format", choices=("md", "json"), default="md", help="output format (default: md)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an evaluable claim is not supported")
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors.report.build import load_metadata, load_results, locate, make_context
    from emotion_vectors.report.claims import evaluate_claims
    from emotion_vectors.report.corpus_checks import checks_to_dicts, checks_to_markdown, corpus_checks
    from emotion_vectors.report.markdown import to_markdown

    where = locate(args.config, args.results, args.out)
    results = load_results(where.results)
    metadata = load_metadata(where.metadata)
    context = make_context(metadata, where.config, source=str(where.results))
    report = evaluate_claims(results, profile=context.profile, description=context.description)
    checks = corpus_checks(results, metadata)
    if args.format == "json":
        data = {**report.to_dict(), **({"corpus_checks": checks_to_dicts(checks)} if checks else {})}
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
    else:
        sys.stdout.write(to_markdown(report) + checks_to_markdown(checks))
    strict = args.strict or (where.config is not None and where.config.report.claims_strict)
    failures = report.failures()
    if strict and failures:
        print(
            f"{len(failures)} evaluable claim(s) not supported: {', '.join(c.id for c in failures)}",
            file=sys.stderr,
        )
        return 1
    return 0
