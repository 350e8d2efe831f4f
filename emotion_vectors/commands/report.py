"""``emotion-vectors report``: results -> numbers.tex, tables, figures, claims.md and claims.json."""

from __future__ import annotations

import argparse

from emotion_vectors.commands._common import add_command

DESCRIPTION = """\
Write every input of the paper from an analysis results file, plus the claims report.

Reads <output_dir>/results/results.json (and run_metadata.json beside it, when present) and writes
<output_dir>/generated/{numbers.tex, results_body.tex, claims_body.tex, tables/*.tex, figures/*.pdf},
<output_dir>/claims.md and <output_dir>/claims.json.

examples:
  emotion-vectors report --config configs/demo.toml
  emotion-vectors report --results outputs/demo/results/results.json --out /tmp/report
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The input options shared by report, claims and paper."""
    parser.add_argument("--config", metavar="TOML", help="experiment config (its output_dir locates the results)")
    parser.add_argument("--results", metavar="FILE", help="results.json to read (default: under the output dir)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: the config's output_dir)")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "report", "write the paper's numbers, tables, figures and claims", DESCRIPTION)
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from emotion_vectors.report.build import build_report, load_metadata, load_results, locate, make_context

    where = locate(args.config, args.results, args.out)
    results = load_results(where.results)
    context = make_context(load_metadata(where.metadata), where.config, source=str(where.results))
    outputs = build_report(results, where.out_dir, context)
    summary = ", ".join(f"{n} {verdict}" for verdict, n in outputs.claims.summary().items())
    print(f"wrote {outputs.generated} ({len(outputs.figures)} figures, {len(outputs.tables)} tables)")
    print(f"wrote {outputs.claims_md} and {outputs.claims_json}: {summary}")
    return 0
